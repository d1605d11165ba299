#!/usr/bin/env bash
#  The consensus core must stay pure: no clock reads, sockets, files,
#  logging or allocation on the step path. This reads the core's object
#  files and fails on any undefined symbol outside a short allowlist, and on
#  any reference to the allocator outside core_new, core_new_with_log and core_destroy.
#  Usage: check_core_purity.sh OBJECT...
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 OBJECT..." >&2; exit 2; }

#  memset/memcpy/memcmp: plain memory; __assert_fail: our own invariants;
#  __stack_chk_fail: compiler hardening; calloc/free: the constructors and core_destroy.
#  __asan_/__ubsan_/__sanitizer_: instrumentation the sanitizer builds insert;
#  __start/__stop___sancov_*: the coverage sections the fuzz build adds.
allowed='^(memset|memcpy|memmove|memcmp|__assert_fail|__stack_chk_fail|calloc|free|__(asan|ubsan|sanitizer|sancov)_[A-Za-z0-9_]*|__(start|stop)___sancov_[A-Za-z0-9_]*)$'
alloc='^(malloc|calloc|realloc|free|aligned_alloc|posix_memalign)$'
status=0
objects=()
for obj in "$@"; do
    [ -f "$obj" ] || { echo "FAIL no such object: $obj"; exit 1; }
    objects+=("$obj")
done
#  Symbols the core defines itself (one module calling another) are fine.
defined=$(nm --defined-only "${objects[@]}" | awk 'NF == 3 {print $3}' | sort -u)
for obj in "${objects[@]}"; do
    name=$(basename "$obj")
    while read -r sym; do
        [ -n "$sym" ] || continue
        if ! [[ $sym =~ $allowed ]] && ! grep -qx -- "$sym" <<<"$defined"; then
            echo "FAIL $name references $sym"
            status=1
        fi
    done < <(nm -u "$obj" | awk '{print $NF}'; echo)
    #  Which function holds each allocator relocation?
    while read -r fn sym; do
        if [[ $sym =~ $alloc ]] && [[ $fn != core_new && $fn != core_new_with_log && $fn != core_destroy ]]; then
            echo "FAIL $name: $fn calls $sym (allocation outside the constructors and core_destroy)"
            status=1
        fi
    done < <(objdump -dr "$obj" | awk '
        /^[0-9a-f]+ <[^>]+>:$/ { fn = $2; gsub(/[<>:]/, "", fn) }
        /R_X86_64_(PLT32|PC32|GOTPCREL|GOTPCRELX|REX_GOTPCRELX)/ {
            sym = $NF; sub(/-0x[0-9a-f]+$/, "", sym); sub(/\+0x[0-9a-f]+$/, "", sym);
            print fn, sym }')
done
if [ $status -eq 0 ]; then
    echo "core purity: ${#objects[@]} objects, no clock, socket, file or step-path allocation symbols"
fi
exit $status
