# cmake -DSRC=<busybox> -DDST=<file> -P copy_busybox.cmake: linux.compare's /bin/busybox.
# When the host build could not fetch the package (offline: docs/linux.md), DST becomes a
# short text saying so, so that everything else still builds; the shim refuses it ("not a
# valid executable") and linux.compare fails, as linux.reference does, naming the cause.
if(EXISTS "${SRC}")
	file(COPY_FILE "${SRC}" "${DST}" ONLY_IF_DIFFERENT)
else()
	file(WRITE "${DST}" "busybox could not be fetched when this system was built (${SRC} is missing)\n")
endif()
