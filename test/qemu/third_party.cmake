# ctest qemu.third_party: the out-of-tree flow of docs/sdk.md, end to end.
#   1. install the SDK from the m6 build into WORK/sdk (cmake --install),
#   2. configure and build examples/third-party against it (its own CMake project, the
#      SDK's toolchain file, find_package(m6)),
#   3. boot its image in QEMU with run_qemu.py and check the output and exit status.
# Run as: cmake -DM6_BUILD=... -DSOURCE=... -DWORK=... -DPYTHON=... -DRUN_QEMU=...
#               -DQEMU="qemu|arg|..." -P third_party.cmake
foreach(var M6_BUILD SOURCE WORK PYTHON RUN_QEMU QEMU)
	if(NOT DEFINED ${var})
		message(FATAL_ERROR "third_party.cmake: -D${var}=... is required")
	endif()
endforeach()
string(REPLACE "|" ";" qemu "${QEMU}")
set(sdk ${WORK}/sdk)
set(build ${WORK}/build)

function(step what)
	message(STATUS "third-party: ${what}")
	execute_process(COMMAND ${ARGN} RESULT_VARIABLE status)
	if(NOT status EQUAL 0)
		message(FATAL_ERROR "third-party: ${what} failed (${status})")
	endif()
endfunction()

file(REMOVE_RECURSE ${sdk} ${build})
step("install the SDK into ${sdk}" ${CMAKE_COMMAND} --install ${M6_BUILD} --prefix ${sdk})
step("configure ${SOURCE} against it" ${CMAKE_COMMAND} -S ${SOURCE} -B ${build} -G Ninja
	-DCMAKE_PREFIX_PATH=${sdk}
	-DCMAKE_TOOLCHAIN_FILE=${sdk}/share/m6/toolchains/aarch64-clang.cmake
	-DM6_PYTHON=${PYTHON})
step("build it" ${CMAKE_COMMAND} --build ${build})
step("boot it" ${PYTHON} ${RUN_QEMU} --timeout 60 --log ${WORK}/qemu.log
	--forbid "PANIC" --forbid "m6: fault:" --forbid "kernel exception"
	--expect "m6: system 'guestbook': 2 components"
	--expect "greeter: welcome, visitor with badge 42: signed by the visitor, built out of tree"
	--expect "visitor: PASS"
	--expect "m6: power off requested by visitor.main"
	-- ${qemu} -kernel ${build}/guestbook.img)
