# m6_add_initrd(<name> FILES <src=dest[:mode]>... [SYMLINKS <dest=target>...]
#               [MTIME <n>] [UID <n>] [GID <n>] [CRC])
# Packs the files into ${CMAKE_CURRENT_BINARY_DIR}/<name>.cpio (cpio newc, byte for byte
# reproducible: cmake/mkinitrd.py) and adds target <name> building it; the archive's path
# is the target's M6_INITRD property. A relative src is taken from the current source
# directory. docs/files.md, "Initrd".
set(M6_MKINITRD ${CMAKE_CURRENT_LIST_DIR}/mkinitrd.py)

function(m6_add_initrd name)
	cmake_parse_arguments(I "CRC" "MTIME;UID;GID" "FILES;SYMLINKS" ${ARGN})
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
