#!/bin/sh
# Install the Debian packages m6 needs, if any are missing. Idempotent and
# non-interactive; run as root or with sudo available. Used by `make run` and `make test`.
# cpio: GNU cpio, which test/initrd compares the initrd reader with.
# libclang-rt-dev: clang's ASan/UBSan runtime (libclang-rt-14-dev on Debian 12), which
# clang's packages only recommend, so --no-install-recommends leaves it out and the unit
# tests' configure step (test/unit/CMakeLists.txt) would stop for want of it. The same
# package holds libFuzzer (libclang_rt.fuzzer-x86_64.a) for the host fuzzers (test/fuzzers).
set -eu

PACKAGES="clang lld llvm ninja-build cmake make qemu-system-arm qemu-efi-aarch64
python3 python3-jinja2 python3-lark python3-libfdt python3-pyelftools python3-pytest
python3-pexpect
libfdt-dev device-tree-compiler libcmocka-dev pkg-config mtools dosfstools libclang-rt-dev
gcc-aarch64-linux-gnu libc6-dev-arm64-cross picolibc-aarch64-linux-gnu graphviz
gdb-multiarch cpio"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi

echo "m6 setup: installing missing Debian packages:$missing"
if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "m6 setup: need root (or sudo) to install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
# shellcheck disable=SC2086
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing
