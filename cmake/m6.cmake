# The m6 SDK's CMake surface.
#
#   m6_add_component(NAME SOURCES src...)   a user-space program linked against libm6
#   m6_add_system(NAME SPEC file.m6 COMPONENTS name... [KERNEL m6::kernel_bench])
#       compiles the spec: first the per-component capability headers (m6_caps.h, which
#       the components include), then, from the components' ELFs, the boot tables; links
#       them with the kernel into NAME.elf and makes the bootable NAME.img (arm64 Image).
#
# Requires M6_SDK_DIR (the SDK root: the source tree, or <prefix>/share/m6 of an installed
# SDK, whose m6Config.cmake includes this file), M6_PYTHON and M6_KERNEL_LINKER_SCRIPT.

set(M6_CAPDL_DIR ${M6_SDK_DIR}/capdl)
file(GLOB_RECURSE M6_CAPDL_SOURCES CONFIGURE_DEPENDS
	${M6_CAPDL_DIR}/m6capdl/*.py ${M6_CAPDL_DIR}/m6capdl/*.lark ${M6_CAPDL_DIR}/m6capdl/*.j2)
set(M6_CAPDL_COMMAND ${CMAKE_COMMAND} -E env PYTHONPATH=${M6_CAPDL_DIR}
	${M6_PYTHON} -m m6capdl)
set(M6_USER_LINKER_SCRIPT ${M6_SDK_DIR}/libm6/user.ld)
# Where user.ld finds m6_layout.ld (written by libm6/gen_layout_h.py): the build tree's
# libm6, or <prefix>/share/m6/libm6 of an installed SDK (m6Config.cmake sets it).
if(NOT DEFINED M6_USER_LAYOUT_DIR)
	set(M6_USER_LAYOUT_DIR ${CMAKE_BINARY_DIR}/libm6/generated)
endif()
include(${CMAKE_CURRENT_LIST_DIR}/m6_interface.cmake) # m6_add_interface()
# Where boot_tables.c finds <kernel/boot_tables.h> and <m6/abi/...>.
if(NOT DEFINED M6_KERNEL_INCLUDE_DIRS)
	set(M6_KERNEL_INCLUDE_DIRS ${M6_SDK_DIR}/kernel/include ${M6_SDK_DIR}/kernel/include/uapi)
endif()
# Devices and the RAM budget are checked against the platform's device tree.
set(M6_PLATFORM_DTS)
if(DEFINED M6_PLATFORM AND EXISTS ${M6_SDK_DIR}/platforms/${M6_PLATFORM}/${M6_PLATFORM}.dts)
	set(M6_PLATFORM_DTS ${M6_SDK_DIR}/platforms/${M6_PLATFORM}/${M6_PLATFORM}.dts)
endif()

function(m6_add_component name)
	cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
	if(NOT ARG_SOURCES)
		message(FATAL_ERROR "m6_add_component(${name}): SOURCES is required")
	endif()
	# component.c tells libm6's runtime what the spec granted (heap, debug console, threads):
	# it is compiled with this component's m6_caps.h.
	add_executable(${name} ${ARG_SOURCES} ${M6_SDK_DIR}/libm6/src/component.c)
	set_target_properties(${name} PROPERTIES SUFFIX ".elf"
		LINK_DEPENDS "${M6_USER_LINKER_SCRIPT};${M6_USER_LAYOUT_DIR}/m6_layout.ld")
	target_link_libraries(${name} PRIVATE m6::libm6 ${ARG_LIBRARIES})
	target_link_options(${name} PRIVATE -T ${M6_USER_LINKER_SCRIPT} -L${M6_USER_LAYOUT_DIR}
		-Wl,-z,max-page-size=4096)
	if(TARGET m6_layout) # the source tree: <m6/layout.h> is generated before any compile
		add_dependencies(${name} m6_layout)
	endif()
endfunction()

function(m6_add_system name)
	cmake_parse_arguments(ARG "" "SPEC;KERNEL" "COMPONENTS" ${ARGN})
	if(NOT ARG_KERNEL)
		set(ARG_KERNEL m6::kernel) # m6::kernel_bench: EL0 may read the PMU (benchmarks)
	elseif(NOT TARGET ${ARG_KERNEL} AND ARG_KERNEL MATCHES "^m6_(kernel.*)$")
		set(ARG_KERNEL m6::${CMAKE_MATCH_1}) # the source tree's name, in an installed SDK
	endif()
	if(NOT ARG_SPEC OR NOT ARG_COMPONENTS)
		message(FATAL_ERROR "m6_add_system(${name}): SPEC and COMPONENTS are required")
	endif()
	get_filename_component(spec ${ARG_SPEC} ABSOLUTE)
	set(gen ${CMAKE_CURRENT_BINARY_DIR}/${name}.gen)

	# Step 1: capability headers, one per binary; they depend on the spec (and the
	# platform's device tree) only, never on ELFs.
	# m6_system.h: the whole system as the spec declares it (for introspection tools).
	set(headers ${gen}/include/m6_system.h)
	foreach(c IN LISTS ARG_COMPONENTS)
		list(APPEND headers ${gen}/include/${c}/m6_caps.h)
	endforeach()
	add_custom_command(OUTPUT ${headers}
		COMMAND ${M6_CAPDL_COMMAND} headers ${spec} --out ${gen}
		DEPENDS ${spec} ${M6_CAPDL_SOURCES} ${M6_PLATFORM_DTS}
		COMMENT "m6-capdl: capability headers for ${name}")
	add_custom_target(${name}_caps_headers DEPENDS ${headers})

	set(elf_args)
	set(elf_files)
	foreach(c IN LISTS ARG_COMPONENTS)
		target_include_directories(${c} PRIVATE ${gen}/include/${c} ${gen}/include)
		add_dependencies(${c} ${name}_caps_headers)
		list(APPEND elf_args --elf ${c}=$<TARGET_FILE:${c}>)
		list(APPEND elf_files $<TARGET_FILE:${c}>)
	endforeach()

	# Step 2: boot tables and boot image from the spec and the components' ELFs.
	set(tables ${gen}/boot_tables.c ${gen}/boot_image.S)
	add_custom_command(OUTPUT ${tables} ${gen}/boot_image.bin ${gen}/manifest.json
		COMMAND ${M6_CAPDL_COMMAND} build ${spec} ${elf_args} --out ${gen}
		DEPENDS ${spec} ${M6_CAPDL_SOURCES} ${M6_PLATFORM_DTS} ${ARG_COMPONENTS} ${elf_files}
		COMMENT "m6-capdl: boot tables for ${name}")
	set_source_files_properties(${gen}/boot_image.S PROPERTIES
		OBJECT_DEPENDS ${gen}/boot_image.bin)

	# Step 3: the kernel image.
	add_executable(${name} ${tables})
	set_target_properties(${name} PROPERTIES SUFFIX ".elf"
		LINK_DEPENDS ${M6_KERNEL_LINKER_SCRIPT})
	target_link_libraries(${name} PRIVATE ${ARG_KERNEL})
	target_include_directories(${name} PRIVATE ${M6_KERNEL_INCLUDE_DIRS})
	target_compile_options(${name} PRIVATE -mgeneral-regs-only -Wall -Wextra -Werror)
	target_link_options(${name} PRIVATE -T ${M6_KERNEL_LINKER_SCRIPT}
		-Wl,-z,max-page-size=4096 -Wl,--no-undefined)
	add_custom_command(TARGET ${name} POST_BUILD
		COMMAND ${CMAKE_OBJCOPY} -O binary $<TARGET_FILE:${name}>
			${CMAKE_CURRENT_BINARY_DIR}/${name}.img
		COMMENT "m6: ${name}.img (arm64 Image)")

	# NAME.gdb: the kernel's and every component's symbols, for gdb attached to QEMU's
	# stub (`-s -S`, then `target remote localhost:1234`). Every component is linked at the same user address, so a user-space
	# address names one instruction in each of them; `m6-component NAME` keeps only NAME's
	# symbols loaded when that is ambiguous.
	set(gdb_components "")
	foreach(c IN LISTS ARG_COMPONENTS)
		string(APPEND gdb_components "    \"${c}\": \"$<TARGET_FILE:${c}>\",\n")
	endforeach()
	file(GENERATE OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/${name}.gdb CONTENT
"# gdb script for the m6 system '${name}' (generated by m6_add_system).
set architecture aarch64
set pagination off
file $<TARGET_FILE:${name}>
python
import gdb

m6_components = {
${gdb_components}}


def m6_load(paths):
    gdb.execute(\"set confirm off\")
    try:
        for path in m6_components.values():
            try:
                gdb.execute(\"remove-symbol-file \" + path, to_string=True)
            except gdb.error:
                pass  # not loaded
        for path in paths:
            gdb.execute(\"add-symbol-file \" + path, to_string=True)
    finally:
        gdb.execute(\"set confirm on\")


class M6Component(gdb.Command):
    \"\"\"m6-component NAME: keep only component NAME's user-space symbols (all: every one).\"\"\"

    def __init__(self):
        super().__init__(\"m6-component\", gdb.COMMAND_FILES)

    def invoke(self, arg, from_tty):
        name = arg.strip()
        if name == \"all\":
            m6_load(m6_components.values())
        elif name in m6_components:
            m6_load([m6_components[name]])
        else:
            raise gdb.GdbError(\"m6-component: no component '%s' (have: %s, all)\"
                               % (name, \", \".join(m6_components)))


M6Component()
m6_load(m6_components.values())
end
")
endfunction()
