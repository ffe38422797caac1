# m6_add_fat_image(<name> SIZE <MiB> [FAT 12|16|32] [LABEL <label>] FILES <src=dest>...)
# Makes ${CMAKE_CURRENT_BINARY_DIR}/<name>.img, a FAT disk image made by the host's own
# tools (mkfs.fat --invariant, mmd, mcopy: cmake/mkfatimage.py), and target <name> building
# it; the image's path is the target's M6_DISK_IMAGE property. A relative src is taken from
# the current source directory. docs/files.md, "Disk images".
set(M6_MKFATIMAGE ${CMAKE_CURRENT_LIST_DIR}/mkfatimage.py)

function(m6_add_fat_image name)
	cmake_parse_arguments(I "" "SIZE;FAT;LABEL" "FILES" ${ARGN})
	if(NOT I_SIZE)
		message(FATAL_ERROR "m6_add_fat_image(${name}): SIZE <MiB> is required")
	endif()
	set(out ${CMAKE_CURRENT_BINARY_DIR}/${name}.img)
	set(args --size ${I_SIZE})
	if(I_FAT)
		list(APPEND args --fat ${I_FAT})
	endif()
	if(I_LABEL)
		list(APPEND args --label ${I_LABEL})
	endif()
	set(deps ${M6_MKFATIMAGE})
	foreach(spec IN LISTS I_FILES)
		if(NOT spec MATCHES "^(.+)=(.+)$")
			message(FATAL_ERROR "m6_add_fat_image(${name}): '${spec}' is not SRC=DEST")
		endif()
		get_filename_component(src ${CMAKE_MATCH_1} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
		list(APPEND args ${src}=${CMAKE_MATCH_2})
		list(APPEND deps ${src})
	endforeach()
	add_custom_command(OUTPUT ${out}
		COMMAND ${M6_PYTHON} ${M6_MKFATIMAGE} -o ${out} ${args}
		DEPENDS ${deps}
		COMMENT "mkfatimage: ${name}.img"
		VERBATIM)
	add_custom_target(${name} ALL DEPENDS ${out})
	set_target_properties(${name} PROPERTIES M6_DISK_IMAGE ${out})
endfunction()
