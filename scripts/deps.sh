#!/usr/bin/env bash
#  Installs everything the project needs to build and test on Debian 12,
#  from Debian's own packages. Run as root (or with sudo available).
set -euo pipefail

packages=(
    build-essential cmake pkg-config git      # toolchain
    libczmq-dev libzmq3-dev                   # ZeroMQ (czmq pulls libzmq)
    libsodium-dev                             # Ed25519 signatures
    libmsgpack-dev                            # msgpack-c
    libcmocka-dev                             # unit-test framework
    clang libclang-rt-14-dev                  # libFuzzer and sanitizer runtimes
    valgrind binutils                         # memcheck; nm/objdump for the purity check
    python3                                   # small test helpers
    libsystemd-dev                            # sd_notify: meshnode.service is Type=notify
    dpkg-dev                                  # cpack's DEB generator: dpkg-shlibdeps computes Depends
    file                                      # cpack's DEB generator: finds the ELF files for dpkg-shlibdeps
    lintian                                   # checks the .deb (tests/package)
    systemd                                   # systemd-analyze verify and the targets it resolves (tests/package)
    iproute2                                  # network namespaces for the nemesis (tests/cluster)
)

as_root=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "deps.sh: run as root (or install sudo)" >&2; exit 2; }
    as_root=(sudo)
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "deps.sh: all packages present"
    exit 0
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps.sh: done"
