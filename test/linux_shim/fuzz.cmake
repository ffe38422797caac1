# test/linux_shim, host side: the libFuzzer harness of the Linux shim's ELF reader
# (fuzz.host.fuzz_elf.*). Included at the end of test/fuzzers/CMakeLists.txt, whose
# m6_add_host_fuzzer it uses.
# corpus/elf: small hand-made images (make_elf_seeds.py). 20,000 runs take about a second.
m6_add_host_fuzzer(fuzz_elf CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/elf RUNS 20000
	ARGS -max_len=4096
	SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_elf.c ${M6_SOURCE_DIR}/components/services/linux/elf.c
	INCLUDES ${M6_SOURCE_DIR}/components/services/linux)
# corpus/sigframe: frames make_sigframe_seeds.py writes (a plain one, one with an
# esr_context). rt_sigreturn decodes what a program may have changed.
m6_add_host_fuzzer(fuzz_sigframe CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/sigframe RUNS 20000
	ARGS -max_len=4688
	SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_sigframe.c
		${M6_SOURCE_DIR}/components/services/linux/sigframe.c
	INCLUDES ${M6_SOURCE_DIR}/components/services/linux)
# The /proc name parser (procfs_path.c): every path a process names under /proc.
m6_add_host_fuzzer(fuzz_procfs CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/procfs RUNS 20000
	ARGS -max_len=256
	SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_procfs.c
		${M6_SOURCE_DIR}/components/services/linux/procfs_path.c
	INCLUDES ${M6_SOURCE_DIR}/components/services/linux)
# The terminal's line discipline (components/services/linux/ldisc.c): what a user types,
# with the settings switched as it goes (fuzz.host.fuzz_ldisc.*). corpus/ldisc: a
# canonical line with editing, raw reads, UTF-8 with signals and ^V.
m6_add_host_fuzzer(fuzz_ldisc CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/ldisc RUNS 20000
	ARGS -max_len=8192
	SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_ldisc.c ${M6_SOURCE_DIR}/components/services/linux/ldisc.c
	INCLUDES ${M6_SOURCE_DIR}/components/services/linux)
# linux.idl's run request, split into argv (components/services/linux/jobargs.c): bytes a
# client sends (fuzz.host.fuzz_jobargs.*).
m6_add_host_fuzzer(fuzz_jobargs CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/jobargs RUNS 20000
	ARGS -max_len=300
	SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_jobargs.c ${M6_SOURCE_DIR}/components/services/linux/jobargs.c
	INCLUDES ${M6_SOURCE_DIR}/components/services/linux)
