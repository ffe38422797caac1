# cmake -DSRC=<busybox> -DDST=<file> -P copy_busybox.cmake: the default system's
# /bin/busybox. When the build could not fetch the package (offline: docs/linux.md), DST
# becomes a short text saying so instead, so that the system still builds; the shim then
# refuses it as "not a valid executable" and `sh` says it cannot start.
if(EXISTS "${SRC}")
	file(COPY_FILE "${SRC}" "${DST}" ONLY_IF_DIFFERENT)
else()
	file(WRITE "${DST}" "busybox could not be fetched when this system was built (${SRC} is missing)\n")
endif()
