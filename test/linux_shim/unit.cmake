# test/linux_shim, host side: the Linux shim's ELF reader (components/services/linux/elf.c)
# as a unit test over real static binaries (unit.linux_elf). Included at the end of
# test/unit/CMakeLists.txt, whose m6_unit_test and sanitizer flags it uses.
find_program(M6_LINUX_GCC aarch64-linux-gnu-gcc)
if(NOT M6_LINUX_GCC)
	message(FATAL_ERROR "aarch64-linux-gnu-gcc not found (install gcc-aarch64-linux-gnu)")
endif()
set(M6_LINUX_SHIM_DIR ${M6_SOURCE_DIR}/components/services/linux)
set(linux_elf_dir ${CMAKE_CURRENT_BINARY_DIR}/linux_elf)
# The same hello the guest test runs, linked -static (ET_EXEC) and -static-pie (ET_DYN).
add_custom_command(OUTPUT ${linux_elf_dir}/hello ${linux_elf_dir}/hello-pie
	COMMAND ${CMAKE_COMMAND} -E make_directory ${linux_elf_dir}
	COMMAND ${M6_LINUX_GCC} -static -O2 ${CMAKE_CURRENT_LIST_DIR}/hello.c -o ${linux_elf_dir}/hello
	COMMAND ${M6_LINUX_GCC} -static-pie -O2 ${CMAKE_CURRENT_LIST_DIR}/hello.c
		-o ${linux_elf_dir}/hello-pie
	DEPENDS ${CMAKE_CURRENT_LIST_DIR}/hello.c
	COMMENT "aarch64-linux-gnu-gcc: static hello for unit.linux_elf"
	VERBATIM)
add_custom_target(m6_linux_elf_binaries ALL DEPENDS ${linux_elf_dir}/hello ${linux_elf_dir}/hello-pie)
m6_unit_test(linux_elf
	SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_elf.c ${M6_LINUX_SHIM_DIR}/elf.c
	ARGS ${linux_elf_dir}/hello ${linux_elf_dir}/hello-pie
	DEPENDS m6_linux_elf_binaries)
target_include_directories(test_linux_elf PRIVATE ${M6_LINUX_SHIM_DIR})
