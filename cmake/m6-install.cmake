# `cmake --install` of the m6 SDK, included by the aarch64 (cross-compiling) build. The host
# build's install step runs this build's install with the same prefix (CMakeLists.txt).
#
# The installed tree, under <prefix> (see docs/sdk.md):
#   include/m6/            libm6's headers and the ABI headers (m6/abi/, kernel/include/uapi)
#   lib/libm6.a            the user-space library
#   lib/libm6_console_client.a   stdio through the console service (m6::console_client)
#   lib/libm6_block_client.a, lib/libm6_files.a   m6::block_client, m6::files
#   lib/libm6_pci_client.a                       m6::pci_client
#   include/m6/idl/<name>/ the generated header of each SDK interface (m6::idl::<name>)
#   lib/m6/components/     the reusable components, built once and bound per system:
#                          NAME.elf and its manifest NAME.json (m6::NAME in m6Config.cmake)
#   lib/m6/m6_kernel.o     the kernel, prebuilt: one relocatable object (ld -r) of all its
#   lib/m6/m6_kernel_bench.o   objects; m6_add_system() links it with a system's boot tables
#   lib/cmake/m6/          m6Config.cmake, m6ConfigVersion.cmake, m6.cmake, m6_interface.cmake,
#                          m6_debug.cmake, M6Python.cmake,
#                          m6_initrd.cmake, mkinitrd.py, m6_fatimage.cmake, mkfatimage.py,
#                          m6_qemu_args.py
#   share/m6/              the SDK data, laid out as in the source tree so that m6.cmake and
#                          the compilers find it the same way: capdl/ (m6capdl, m6idl),
#                          platforms/<P>/, toolchains/aarch64-clang.cmake, libm6/user.ld,
#                          libm6/src/component.c and component_bound.c, libm6/m6_layout.ld, libm6/interfaces/,
#                          components/services/console/client/select.c, kernel/kernel.ld,
#                          kernel/include/kernel/boot_tables.h
# libm6 is built on the host's picolibc and libgcc (Debian packages); the installed
# package refers to them where this build found them (m6Config.cmake).
#   bin/m6-capdl           the spec compiler
include(CMakePackageConfigHelpers)

# Names the installed package uses for the kernels; m6_add_system() defaults to m6::kernel.
add_library(m6::kernel ALIAS m6_kernel)
add_library(m6::kernel_bench ALIAS m6_kernel_bench)

# The kernel is linked per system (its boot tables are part of the image), so the SDK ships
# its objects, pre-linked into one relocatable object per variant.
set(_m6_sdk_dir ${CMAKE_BINARY_DIR}/sdk)
set(_m6_kernel_objects)
foreach(variant m6_kernel m6_kernel_bench)
	add_custom_command(OUTPUT ${_m6_sdk_dir}/${variant}.o
		COMMAND ${CMAKE_COMMAND} -E make_directory ${_m6_sdk_dir}
		COMMAND ${CMAKE_LINKER} -r -o ${_m6_sdk_dir}/${variant}.o $<TARGET_OBJECTS:${variant}>
		DEPENDS $<TARGET_OBJECTS:${variant}>
		COMMAND_EXPAND_LISTS
		COMMENT "m6 SDK: ${variant}.o (kernel objects, ld -r)")
	list(APPEND _m6_kernel_objects ${_m6_sdk_dir}/${variant}.o)
endforeach()
add_custom_target(m6_sdk_kernel ALL DEPENDS ${_m6_kernel_objects})

# Package files. libm6's link dependencies (picolibc, libgcc) are recorded as found here.
get_target_property(M6_LIBM6_LINKS libm6 INTERFACE_LINK_LIBRARIES)
set(M6_SDK_COMPONENTS pl011 console) # installed below; m6Config.cmake imports them
configure_file(${M6_SDK_DIR}/cmake/m6Config.cmake.in ${_m6_sdk_dir}/m6Config.cmake @ONLY)
write_basic_package_version_file(${_m6_sdk_dir}/m6ConfigVersion.cmake
	VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
file(WRITE ${_m6_sdk_dir}/m6-capdl [=[#!/bin/sh
# m6-capdl: the m6 system-spec compiler of this SDK installation.
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd) || exit 2
exec "$here/../share/m6/capdl/m6-capdl" "$@"
]=])

# Target artefacts.
install(TARGETS libm6 ARCHIVE DESTINATION lib)
# m6::console_client: the library, its header, and select.c (compiled into each component
# that links it, with that component's m6_caps.h).
install(TARGETS m6_console_client ARCHIVE DESTINATION lib)
install(FILES ${M6_SDK_DIR}/components/services/console/client/include/m6/console_client.h
	DESTINATION include/m6)
install(FILES ${M6_SDK_DIR}/components/services/console/client/select.c
	DESTINATION share/m6/components/services/console/client)
# m6::block_client (<m6/block_client.h>) and m6::files (POSIX and stdio on VFS paths:
# <m6/files.h>, <dirent.h>, <sys/statvfs.h>, and files_select.c, compiled into each
# component that links it, with that component's m6_caps.h).
install(TARGETS m6_block_client m6_files ARCHIVE DESTINATION lib)
# m6::pci_client (<m6/pci_client.h>): a driver's side of the PCI bus protocol.
install(TARGETS m6_pci_client ARCHIVE DESTINATION lib)
install(FILES ${M6_SDK_DIR}/libm6/include/dirent.h DESTINATION include)
install(FILES ${M6_SDK_DIR}/libm6/include/sys/statvfs.h DESTINATION include/sys)
install(FILES ${M6_SDK_DIR}/libm6/src/files_select.c DESTINATION share/m6/libm6/src)
install(FILES ${_m6_kernel_objects} DESTINATION lib/m6)
# The reusable components (drivers, services), each built once with a manifest: an
# out-of-tree system binds the installed ELF as the source tree's systems bind the built one
# (m6Config.cmake's m6::NAME). install(FILES) copies the ELF byte for byte (no RPATH edit,
# no strip), so a system built against the SDK runs exactly the binary this build tested.
# The targets are defined later (components/): generator expressions resolve them.
foreach(component IN LISTS M6_SDK_COMPONENTS)
	install(FILES $<TARGET_FILE:${component}> DESTINATION lib/m6/components)
	install(FILES $<TARGET_PROPERTY:${component},M6_MANIFEST> DESTINATION lib/m6/components
		RENAME ${component}.json)
endforeach()
install(DIRECTORY ${M6_SDK_DIR}/libm6/include/m6 ${M6_SDK_DIR}/kernel/include/uapi/m6
	DESTINATION include)
# SDK data, in the source tree's layout below share/m6.
install(FILES ${_m6_sdk_dir}/m6Config.cmake ${_m6_sdk_dir}/m6ConfigVersion.cmake
	${M6_SDK_DIR}/cmake/m6.cmake ${M6_SDK_DIR}/cmake/m6_interface.cmake
	${M6_SDK_DIR}/cmake/m6_debug.cmake ${M6_SDK_DIR}/cmake/m6_initrd.cmake
	${M6_SDK_DIR}/cmake/mkinitrd.py
	${M6_SDK_DIR}/cmake/m6_fatimage.cmake ${M6_SDK_DIR}/cmake/mkfatimage.py
	${M6_SDK_DIR}/cmake/m6_qemu_args.py
	${M6_SDK_DIR}/cmake/M6Python.cmake
	DESTINATION lib/cmake/m6)
install(FILES ${M6_KERNEL_LINKER_SCRIPT} DESTINATION share/m6/kernel)
install(FILES ${M6_SDK_DIR}/kernel/include/kernel/boot_tables.h
	DESTINATION share/m6/kernel/include/kernel)
install(FILES ${M6_SDK_DIR}/libm6/user.ld ${M6_USER_LAYOUT_DIR}/m6_layout.ld DESTINATION share/m6/libm6)
install(FILES ${M6_USER_LAYOUT_DIR}/include/m6/layout.h DESTINATION include/m6) # generated
# m6_add_component() compiles component.c into every component, with its m6_caps.h, or
# component_bound.c into a component bound per system (MANIFEST).
install(FILES ${M6_SDK_DIR}/libm6/src/component.c ${M6_SDK_DIR}/libm6/src/component_bound.c
	DESTINATION share/m6/libm6/src)
install(DIRECTORY ${M6_SDK_DIR}/libm6/interfaces DESTINATION share/m6/libm6 # .idl files
	FILES_MATCHING PATTERN *.idl)
# m6::idl::<name>: each SDK interface's generated header, in a directory of its own (the
# imported target's include directory, m6Config.cmake).
foreach(idl IN LISTS M6_SDK_INTERFACES)
	get_target_property(header m6_idl_${idl} M6_IDL_HEADER)
	install(FILES ${header} DESTINATION include/m6/idl/${idl})
endforeach()
install(FILES ${M6_SDK_DIR}/toolchains/aarch64-clang.cmake DESTINATION share/m6/toolchains)
install(DIRECTORY ${M6_SDK_DIR}/platforms/${M6_PLATFORM} DESTINATION share/m6/platforms)
install(DIRECTORY ${M6_SDK_DIR}/capdl/m6capdl ${M6_SDK_DIR}/capdl/m6idl DESTINATION share/m6/capdl
	PATTERN __pycache__ EXCLUDE PATTERN *.pyc EXCLUDE)
install(PROGRAMS ${M6_SDK_DIR}/capdl/m6-capdl DESTINATION share/m6/capdl)
install(PROGRAMS ${_m6_sdk_dir}/m6-capdl DESTINATION bin)
