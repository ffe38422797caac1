# The m6 SDK's CMake surface.
#
#   m6_add_component(NAME SOURCES src... [MANIFEST file.json])   a user-space program linked
#       against libm6; with MANIFEST it is built once and bound per system (docs/sdk.md)
#   m6_add_system(NAME SPEC file.m6 COMPONENTS target... [KERNEL m6::kernel_bench]
#                 [FILES KEY=path-or-target...])
#       COMPONENTS: m6_add_component() targets or an installed SDK's components (m6::pl011)
#       FILES: the files of the spec's `memory NAME file "KEY"` (a path, relative to the
#       current source directory; a target of m6_add_initrd(); or
#       $<TARGET_PROPERTY:T,M6_INITRD>)
#       DISKS: the images of the spec's `disk NAME image "KEY" ...` statements (a path,
#       relative to the current source directory; a target of m6_add_fat_image(); or
#       $<TARGET_PROPERTY:T,M6_DISK_IMAGE>): NAME.qemu holds QEMU's arguments for them
#       a bootable system, in five steps (each a function below, usable on its own):
#       m6_system_caps_headers   the spec -> each component's m6_caps.h
#       m6_system_boot_tables    the spec and the components' ELFs -> the boot tables
#       m6_system_image          boot tables + kernel -> NAME.elf and NAME.img (arm64 Image)
#       m6_system_gdb_script     NAME.gdb, the symbols for gdb (cmake/m6_debug.cmake)
#       m6_system_qemu_args      NAME.qemu, the QEMU arguments that attach its disks
#   m6_add_interface(file.idl [NAME name])   the target m6::idl::<name> (m6_interface.cmake)
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
include(${CMAKE_CURRENT_LIST_DIR}/m6_debug.cmake) # m6_system_gdb_script()
include(${CMAKE_CURRENT_LIST_DIR}/m6_initrd.cmake) # m6_add_initrd()
include(${CMAKE_CURRENT_LIST_DIR}/m6_fatimage.cmake) # m6_add_fat_image()
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
	cmake_parse_arguments(ARG "" "MANIFEST" "SOURCES;LIBRARIES" ${ARGN})
	if(NOT ARG_SOURCES)
		message(FATAL_ERROR "m6_add_component(${name}): SOURCES is required")
	endif()
	# component.c tells libm6's runtime what the spec granted (heap, debug console, threads):
	# it is compiled with this component's m6_caps.h. A bound component (MANIFEST) gets
	# component_bound.c instead, whose values the spec compiler writes per system: it is
	# compiled once, with no m6_caps.h, and any number of systems use the same ELF.
	if(ARG_MANIFEST)
		get_filename_component(manifest ${ARG_MANIFEST} ABSOLUTE)
		add_executable(${name} ${ARG_SOURCES} ${M6_SDK_DIR}/libm6/src/component_bound.c)
		set_target_properties(${name} PROPERTIES M6_MANIFEST ${manifest})
	else()
		add_executable(${name} ${ARG_SOURCES} ${M6_SDK_DIR}/libm6/src/component.c)
	endif()
	set_target_properties(${name} PROPERTIES SUFFIX ".elf"
		LINK_DEPENDS "${M6_USER_LINKER_SCRIPT};${M6_USER_LAYOUT_DIR}/m6_layout.ld")
	target_link_libraries(${name} PRIVATE m6::libm6 ${ARG_LIBRARIES})
	target_link_options(${name} PRIVATE -T ${M6_USER_LINKER_SCRIPT} -L${M6_USER_LAYOUT_DIR}
		-Wl,-z,max-page-size=4096)
	if(TARGET m6_layout) # the source tree: <m6/layout.h> is generated before any compile
		add_dependencies(${name} m6_layout)
	endif()
endfunction()

# The binary name a spec's `binary "..."` uses for component target TARGET: the target's
# name, or its M6_BINARY property when it has one (an installed SDK's m6::pl011 is the
# binary "pl011"). TARGET may be a component built here or imported from an installed SDK.
function(_m6_component_binary target out)
	if(NOT TARGET ${target})
		message(FATAL_ERROR "m6: component ${target} is not a target (m6_add_component(), or "
			"an SDK component m6::NAME from find_package(m6))")
	endif()
	get_target_property(binary ${target} M6_BINARY)
	if(NOT binary)
		set(binary ${target})
	endif()
	set(${out} ${binary} PARENT_SCOPE)
endfunction()

# m6_add_system(NAME SPEC file.m6 COMPONENTS target... [KERNEL m6::kernel_bench]
#               [FILES KEY=path-or-target...] [DISKS KEY=path-or-target...])
#   The list of a system's build steps, each a function below (docs/sdk.md).
function(m6_add_system name)
	cmake_parse_arguments(ARG "" "SPEC;KERNEL" "COMPONENTS;FILES;DISKS" ${ARGN})
	if(NOT ARG_SPEC OR NOT ARG_COMPONENTS)
		message(FATAL_ERROR "m6_add_system(${name}): SPEC and COMPONENTS are required")
	endif()
	m6_system_caps_headers(${name} SPEC ${ARG_SPEC} COMPONENTS ${ARG_COMPONENTS} FILES ${ARG_FILES})
	m6_system_boot_tables(${name} SPEC ${ARG_SPEC} COMPONENTS ${ARG_COMPONENTS} FILES ${ARG_FILES}
		OUTPUT_VARIABLE tables)
	m6_system_image(${name} SOURCES ${tables} KERNEL ${ARG_KERNEL})
	m6_system_gdb_script(${name} COMPONENTS ${ARG_COMPONENTS}) # cmake/m6_debug.cmake
	m6_system_qemu_args(${name} DISKS ${ARG_DISKS})
endfunction()

# KEY=VALUE pairs of a system (FILES, DISKS) -> command-line options `OPTION KEY=VALUE`
# (in ${args}), the targets to build first (in ${targets}) and the resolved values (in
# ${values}). VALUE is a path (relative to the current source directory), a target whose
# PROPERTY names its file (m6_add_initrd(): M6_INITRD, m6_add_fat_image(): M6_DISK_IMAGE),
# or a generator expression $<TARGET_PROPERTY:T,PROPERTY>.
function(_m6_system_key_values name what option property pairs args targets values)
	set(a)
	set(t)
	set(v)
	foreach(p IN LISTS pairs)
		if(NOT p MATCHES "^([^=]+)=(.+)$")
			message(FATAL_ERROR "m6_add_system(${name}): ${what} '${p}' is not KEY=PATH")
		endif()
		set(key ${CMAKE_MATCH_1})
		set(value ${CMAKE_MATCH_2})
		if(TARGET ${value})
			list(APPEND t ${value})
			set(value $<TARGET_PROPERTY:${value},${property}>)
		elseif(value MATCHES "^\\$<TARGET_PROPERTY:([^,>]+),")
			list(APPEND t ${CMAKE_MATCH_1})
		else()
			get_filename_component(value ${value} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
		endif()
		list(APPEND a ${option} ${key}=${value})
		list(APPEND v ${value})
	endforeach()
	set(${args} ${a} PARENT_SCOPE)
	set(${targets} ${t} PARENT_SCOPE)
	set(${values} ${v} PARENT_SCOPE)
endfunction()

# FILES of a system -> the --file options for m6-capdl (in ${args}) and what its command
# depends on (in ${deps}): a target as a target (built first) and every file (the spec
# compiler runs again when one changes).
function(_m6_system_files name files args deps)
	_m6_system_key_values(${name} FILES --file M6_INITRD "${files}" a t v)
	set(${args} ${a} PARENT_SCOPE)
	set(${deps} ${t} ${v} PARENT_SCOPE)
endfunction()

# m6_system_qemu_args(NAME [DISKS KEY=path-or-target...])
#   Step 5: NAME.qemu beside NAME.img, from the manifest m6_system_boot_tables() writes:
#   the QEMU arguments that attach each disk the spec declares, at its transport
#   (cmake/m6_qemu_args.py; docs/files.md, "Disks in the spec"). A key a disk uses and
#   DISKS does not give is a build error. A VALUE is a path (relative to the current source
#   directory; it may be made later, e.g. by a test), a target whose M6_DISK_IMAGE property
#   names its image (m6_add_fat_image()), or $<TARGET_PROPERTY:T,M6_DISK_IMAGE>; a target
#   is built first. Written for every system, with no disks an empty list of arguments.
#   Target NAME_qemu_args.
set(M6_QEMU_ARGS_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/m6_qemu_args.py)
function(m6_system_qemu_args name)
	cmake_parse_arguments(ARG "" "" "DISKS" ${ARGN})
	_m6_system_gen_dir(${name} gen)
	# An image may be made later (by a test): only targets are depended on.
	_m6_system_key_values(${name} DISKS --disk M6_DISK_IMAGE "${ARG_DISKS}" args deps images)
	set(out ${CMAKE_CURRENT_BINARY_DIR}/${name}.qemu)
	add_custom_command(OUTPUT ${out}
		COMMAND ${M6_PYTHON} ${M6_QEMU_ARGS_SCRIPT} make ${gen}/manifest.json ${args} --out ${out}
		DEPENDS ${gen}/manifest.json ${M6_QEMU_ARGS_SCRIPT} ${deps}
		COMMENT "m6: ${name}.qemu (QEMU arguments for its disks)"
		VERBATIM)
	add_custom_target(${name}_qemu_args ALL DEPENDS ${out})
endfunction()

# The directory where the spec compiler writes system NAME's files.
function(_m6_system_gen_dir name out)
	set(${out} ${CMAKE_CURRENT_BINARY_DIR}/${name}.gen PARENT_SCOPE)
endfunction()

# m6_system_caps_headers(NAME SPEC file.m6 COMPONENTS target...)
#   Step 1: the capability headers, one m6_caps.h per binary, and m6_system.h (the whole
#   system as the spec declares it, for introspection tools); they depend on the spec (and
#   the platform's device tree) only, never on ELFs. Each component target gets its own
#   header directory on its include path and is ordered after the generation (target
#   NAME_caps_headers).
function(m6_system_caps_headers name)
	cmake_parse_arguments(ARG "" "SPEC" "COMPONENTS;FILES" ${ARGN})
	get_filename_component(spec ${ARG_SPEC} ABSOLUTE)
	# File-backed memory: its size is in the headers (M6_MEM_X_SIZE, _BYTES).
	_m6_system_files(${name} "${ARG_FILES}" file_args file_deps)
	_m6_system_gen_dir(${name} gen)
	set(headers ${gen}/include/m6_system.h)
	foreach(c IN LISTS ARG_COMPONENTS)
		_m6_component_binary(${c} binary)
		list(APPEND headers ${gen}/include/${binary}/m6_caps.h)
	endforeach()
	add_custom_command(OUTPUT ${headers}
		COMMAND ${M6_CAPDL_COMMAND} headers ${spec} ${file_args} --out ${gen}
		DEPENDS ${spec} ${M6_CAPDL_SOURCES} ${M6_PLATFORM_DTS} ${file_deps}
		COMMENT "m6-capdl: capability headers for ${name}")
	add_custom_target(${name}_caps_headers DEPENDS ${headers})
	foreach(c IN LISTS ARG_COMPONENTS)
		get_target_property(manifest ${c} M6_MANIFEST)
		if(manifest) # bound per system: it never sees this system's header
			continue()
		endif()
		target_include_directories(${c} PRIVATE ${gen}/include/${c} ${gen}/include)
		add_dependencies(${c} ${name}_caps_headers)
	endforeach()
endfunction()

# m6_system_boot_tables(NAME SPEC file.m6 COMPONENTS target... OUTPUT_VARIABLE var)
#   Step 2: from the spec and the components' linked ELFs, the kernel's boot tables
#   (boot_tables.c) and the boot image holding the components (boot_image.S, which
#   .incbin's boot_image.bin), plus manifest.json. Sets var to the two sources to compile
#   into the kernel image.
function(m6_system_boot_tables name)
	cmake_parse_arguments(ARG "" "SPEC;OUTPUT_VARIABLE" "COMPONENTS;FILES" ${ARGN})
	get_filename_component(spec ${ARG_SPEC} ABSOLUTE)
	_m6_system_gen_dir(${name} gen)
	_m6_system_files(${name} "${ARG_FILES}" file_args file_deps)
	set(elf_args)
	set(elf_files)
	foreach(c IN LISTS ARG_COMPONENTS)
		_m6_component_binary(${c} binary)
		list(APPEND elf_args --elf ${binary}=$<TARGET_FILE:${c}>)
		list(APPEND elf_files $<TARGET_FILE:${c}>)
		get_target_property(manifest ${c} M6_MANIFEST)
		if(manifest)
			list(APPEND elf_args --manifest ${binary}=${manifest})
			list(APPEND elf_files ${manifest})
		endif()
	endforeach()
	set(tables ${gen}/boot_tables.c ${gen}/boot_image.S)
	add_custom_command(OUTPUT ${tables} ${gen}/boot_image.bin ${gen}/manifest.json
		COMMAND ${M6_CAPDL_COMMAND} build ${spec} ${elf_args} ${file_args} --out ${gen}
		DEPENDS ${spec} ${M6_CAPDL_SOURCES} ${M6_PLATFORM_DTS} ${ARG_COMPONENTS} ${elf_files} ${file_deps}
		COMMENT "m6-capdl: boot tables for ${name}")
	set_source_files_properties(${gen}/boot_image.S PROPERTIES
		OBJECT_DEPENDS ${gen}/boot_image.bin)
	set(${ARG_OUTPUT_VARIABLE} ${tables} PARENT_SCOPE)
endfunction()

# m6_system_image(NAME SOURCES boot_tables.c boot_image.S [KERNEL m6::kernel_bench])
#   Step 3: links the boot tables and image with the prebuilt kernel (default m6::kernel;
#   m6::kernel_bench lets EL0 read the PMU, for benchmarks) into NAME.elf, and makes the
#   bootable arm64 Image NAME.img from it.
function(m6_system_image name)
	cmake_parse_arguments(ARG "" "KERNEL" "SOURCES" ${ARGN})
	if(NOT ARG_KERNEL)
		set(ARG_KERNEL m6::kernel)
	elseif(NOT TARGET ${ARG_KERNEL} AND ARG_KERNEL MATCHES "^m6_(kernel.*)$")
		set(ARG_KERNEL m6::${CMAKE_MATCH_1}) # the source tree's name, in an installed SDK
	endif()
	add_executable(${name} ${ARG_SOURCES})
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
endfunction()
