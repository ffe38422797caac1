# Thin wrapper over CMake presets. Every target installs missing Debian packages first.
PRESET ?= qemu-virt
BUILD_DIR := build/$(PRESET)

.PHONY: all setup configure build run test debug clean bench bench-linux-nvme ktest-loop fuzz fuzz-host

all: build

setup:
	@sh scripts/setup.sh

configure: setup
	cmake --preset $(PRESET)

build: configure
	cmake --build --preset $(PRESET)

# Boot the default system in QEMU (quit with Ctrl-A X if it does not power off itself).
run: build
	cmake --build --preset $(PRESET) --target run

# Build everything and run the whole test suite.
test: build
	ctest --preset $(PRESET)

# QEMU halted at the first instruction, waiting for gdb on localhost:1234. In another
# terminal: gdb-multiarch -x $(BUILD_DIR)/m6.gdb
debug: build
	cmake --build --preset $(PRESET) --target debug

# The benchmark suite: instructions per operation, the table and build/<preset>/bench/bench.json.
bench: build
	cmake --build --preset $(PRESET) --target bench

# The Linux side of the NVMe read benchmark (test/nvme/linux_nvme_bench.py): Debian's
# Linux 6.1 on the same QEMU NVMe device, for docs/performance.md's comparison.
bench-linux-nvme: build
	cmake --build --preset $(PRESET) --target bench-linux-nvme

# The invocation fuzzer's full run (test/fuzz): 10^6 random invocations while other
# components check their own state; SEED=0x... and INVOCATIONS=N replay or change it (the
# seed is printed by every run). Without them the defaults apply again.
fuzz: build
	cmake --preset $(PRESET) $(if $(SEED),-DM6_FUZZ_SEED=$(SEED),-UM6_FUZZ_SEED) \
		$(if $(INVOCATIONS),-DM6_FUZZ_INVOCATIONS=$(INVOCATIONS),-UM6_FUZZ_INVOCATIONS)
	cmake --build --preset $(PRESET) --target fuzz

# The host fuzzers' long run (test/fuzzers, docs/testing.md): each libFuzzer harness for
# FUZZ_TIME seconds (default 600) from its committed corpus; what it finds is kept in
# build/<preset>/test/fuzzers/<fuzzer>.work, and a crash input is written beside it.
fuzz-host: build
	M6_FUZZ_TIME=$(FUZZ_TIME) cmake --build --preset $(PRESET) --target fuzz-host

# Boot the in-guest kernel suite N times in a row, stopping at the first failure: the proof
# that no ktest depends on a wall-clock window (scripts/ktest-loop.sh). Not part of `test`.
N ?= 50
ktest-loop: build
	@sh scripts/ktest-loop.sh $(N)
	@sh scripts/ktest-loop.sh $(N) '^qemu\.ktest\.smp4$$' qemu.ktest.smp4.log

clean:
	rm -rf $(BUILD_DIR)
