#!/usr/bin/env bash
#  Builds the project three ways and runs every test in each:
#    build/        gcc, normal (unit tests also run under valgrind)
#    build-asan/   gcc, AddressSanitizer + UBSan
#    build-fuzz/   clang, libFuzzer targets with a bounded number of runs
#  Prints each ctest summary, then one closing line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc)
passed=0
failed=0
status=0

stage () {
    local name=$1 dir=$2
    shift 2
    echo "=== $name ($dir) ==="
    if ! cmake -S . -B "$dir" "$@" >"$dir.configure.log" 2>&1; then
        cat "$dir.configure.log"
        echo "$name: configure failed"
        failed=$((failed + 1)); status=1
        return
    fi
    if ! cmake --build "$dir" -j "$jobs" >"$dir.build.log" 2>&1; then
        tail -n 60 "$dir.build.log"
        echo "$name: build failed"
        failed=$((failed + 1)); status=1
        return
    fi
    (cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout 900) | tee "$dir.ctest.log"
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
    #  ctest: "100% tests passed, 0 tests failed out of 12"
    local line total bad
    line=$(grep -E "tests passed, [0-9]+ tests? failed out of [0-9]+" "$dir.ctest.log" | tail -n 1)
    if [ -z "$line" ]; then
        echo "$name: ctest printed no summary"
        failed=$((failed + 1)); status=1
        return
    fi
    total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
    bad=$(sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/' <<<"$line")
    passed=$((passed + total - bad))
    failed=$((failed + bad))
}

mkdir -p build build-asan build-fuzz
stage "normal"     build      -DCMAKE_BUILD_TYPE=RelWithDebInfo
stage "sanitizers" build-asan -DCMAKE_BUILD_TYPE=Debug -DMESH_SANITIZE=ON
stage "fuzz"       build-fuzz -DCMAKE_BUILD_TYPE=Debug -DMESH_FUZZ=ON -DCMAKE_C_COMPILER=clang

echo
echo "all stages: $passed passed, $failed failed"
exit $status
