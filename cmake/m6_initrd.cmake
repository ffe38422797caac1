# m6_add_initrd(<name> FILES <src=dest[:mode]>... [SYMLINKS <dest=target>...]
#               [DIRS <dest[:mode]>...] [BUSYBOX_LINKS] [MTIME <n>] [UID <n>] [GID <n>] [CRC])
# Packs the files into ${CMAKE_CURRENT_BINARY_DIR}/<name>.cpio (cpio newc, byte for byte
# reproducible: cmake/mkinitrd.py) and adds target <name> building it; the archive's path
# is the target's M6_INITRD property. A relative src is taken from the current source
# directory. BUSYBOX_LINKS adds a symbolic link to /bin/busybox for every applet of the
# pinned busybox-static (cmake/busybox-applets.txt, at the paths `busybox --list-full`
# gives: bin/ls -> busybox, usr/bin/awk -> /bin/busybox); FILES puts the binary there
# (docs/linux.md, "busybox"). docs/files.md, "Initrd".
set(M6_MKINITRD ${CMAKE_CURRENT_LIST_DIR}/mkinitrd.py)
set(M6_BUSYBOX_APPLETS ${CMAKE_CURRENT_LIST_DIR}/busybox-applets.txt)

function(m6_add_initrd name)
	cmake_parse_arguments(I "CRC;BUSYBOX_LINKS" "MTIME;UID;GID" "FILES;SYMLINKS;DIRS" ${ARGN})
	set(out ${CMAKE_CURRENT_BINARY_DIR}/${name}.cpio)
	set(args)
	set(deps ${M6_MKINITRD})
	foreach(spec IN LISTS I_FILES)
		if(NOT spec MATCHES "^(.+)=(.+)$")
			message(FATAL_ERROR "m6_add_initrd(${name}): '${spec}' is not SRC=DEST[:MODE]")
		endif()
		get_filename_component(src ${CMAKE_MATCH_1} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
		list(APPEND args ${src}=${CMAKE_MATCH_2})
		list(APPEND deps ${src})
	endforeach()
	foreach(link IN LISTS I_SYMLINKS)
		list(APPEND args --symlink ${link})
	endforeach()
	foreach(dir IN LISTS I_DIRS)
		list(APPEND args --dir ${dir})
	endforeach()
	if(I_BUSYBOX_LINKS)
		# busybox's applets as links to /bin/busybox (which FILES must put there):
		# cmake/busybox-applets.txt is `busybox --list-full` of the pinned busybox-static,
		# checked against the binary on Linux by ctest linux.reference (busybox-list).
		list(APPEND args --busybox-links ${M6_BUSYBOX_APPLETS})
		list(APPEND deps ${M6_BUSYBOX_APPLETS})
	endif()
	foreach(opt MTIME UID GID)
		if(DEFINED I_${opt})
			string(TOLOWER ${opt} flag)
			list(APPEND args --${flag} ${I_${opt}})
		endif()
	endforeach()
	if(I_CRC)
		list(APPEND args --crc)
	endif()
	add_custom_command(OUTPUT ${out}
		COMMAND ${M6_PYTHON} ${M6_MKINITRD} -o ${out} ${args}
		DEPENDS ${deps}
		COMMENT "mkinitrd: ${name}.cpio"
		VERBATIM)
	add_custom_target(${name} ALL DEPENDS ${out})
	set_target_properties(${name} PROPERTIES M6_INITRD ${out})
endfunction()
