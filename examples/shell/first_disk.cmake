# cmake -DPRISTINE=<image> -DDISK=<copy> -P first_disk.cmake: `make run`'s disk. Copies the
# pristine image to DISK only when DISK does not exist, so what the user wrote under /disk
# survives the next `make run`; deleting DISK starts over.
if(NOT EXISTS ${PRISTINE})
	message(FATAL_ERROR "no pristine disk image ${PRISTINE}: build first")
endif()
if(EXISTS ${DISK})
	message(STATUS "disk: ${DISK} (kept from the last run; delete it to start over)")
else()
	file(COPY_FILE ${PRISTINE} ${DISK})
	message(STATUS "disk: ${DISK}, a fresh copy of ${PRISTINE}")
endif()
