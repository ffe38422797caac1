#!/bin/sh
# Boot the in-guest kernel suite (ctest qemu.ktest) N times in a row and stop at the first
# failing boot. A test that depends on a wall-clock window fails one boot in ten or a
# hundred; one boot proves nothing, fifty in a row on a loaded machine do. Not part of
# `make test` (about 2 s of QEMU per boot, more under load).
#
#   scripts/ktest-loop.sh [N] [ctest regex] [log]  (defaults: 50, ^qemu\.ktest$, its log)
#   make ktest-loop N=50     (the suite on one CPU, then on four: qemu.ktest.smp4)
#
# Run from the repository root after a build (`make build`). The log of a failing boot is
# kept as build/<preset>/ktest-loop-fail.log; the exit status is 0 only if all N passed.
set -eu

N=${1:-50}
REGEX=${2:-'^qemu\.ktest$'}
PRESET=${PRESET:-qemu-virt}
BUILD=build/$PRESET
LOG=$BUILD/test/qemu/${3:-qemu.ktest.log}

case $N in
'' | *[!0-9]*)
	echo "ktest-loop: N must be a number, got '$N'" >&2
	exit 2
	;;
esac
if [ ! -d "$BUILD" ]; then
	echo "ktest-loop: no $BUILD (build first: make build)" >&2
	exit 2
fi

start=$(date +%s)
i=1
while [ "$i" -le "$N" ]; do
	if ! out=$(ctest --preset "$PRESET" -R "$REGEX" 2>&1); then
		echo "$out"
		if [ -f "$LOG" ]; then
			cp "$LOG" "$BUILD/ktest-loop-fail.log"
			echo "ktest-loop: guest output kept in $BUILD/ktest-loop-fail.log"
			grep -E "^FAIL|[0-9]+ passed, [0-9]+ failed" "$LOG" || true
		fi
		echo "ktest-loop: FAIL at boot $i of $N ($((i - 1)) passed before it)"
		exit 1
	fi
	if [ -f "$LOG" ]; then
		summary=$(grep -E "^[0-9]+ passed, [0-9]+ failed" "$LOG" | tail -n 1 || true)
	else
		summary="passed"
	fi
	echo "ktest-loop: boot $i/$N: $summary"
	i=$((i + 1))
done
echo "ktest-loop: PASS, $N boots in a row ($(($(date +%s) - start)) s)"
