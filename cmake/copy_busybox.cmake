# busybox for a system's initrd: Debian's busybox-static, fetched by the host build
# (M6_BUSYBOX, docs/linux.md "busybox"). One file, two uses:
#   include(copy_busybox) then m6_copy_busybox(<dst> <comment>): a custom command that
#     makes <dst> (name it in m6_add_initrd's FILES as <dst>=bin/busybox:0755).
#   cmake -DSRC=<busybox> -DDST=<file> -P copy_busybox.cmake: that command's work.
# When the build could not fetch the package (offline), DST becomes a short text saying so
# instead, so that everything else still builds; the shim then refuses it as "not a valid
# executable", so that `sh` says it cannot start and linux.compare fails naming the cause.
if(CMAKE_SCRIPT_MODE_FILE)
	if(EXISTS "${SRC}")
		file(COPY_FILE "${SRC}" "${DST}" ONLY_IF_DIFFERENT)
	else()
		file(WRITE "${DST}" "busybox could not be fetched when this system was built (${SRC} is missing)\n")
	endif()
	return()
endif()

set(M6_COPY_BUSYBOX ${CMAKE_CURRENT_LIST_FILE})

function(m6_copy_busybox dst comment)
	add_custom_command(OUTPUT ${dst}
		COMMAND ${CMAKE_COMMAND} -DSRC=${M6_BUSYBOX} -DDST=${dst} -P ${M6_COPY_BUSYBOX}
		DEPENDS ${M6_COPY_BUSYBOX}
		COMMENT "${comment}"
		VERBATIM)
endfunction()
