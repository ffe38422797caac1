# ctest qemu.third_party: the out-of-tree flow of docs/sdk.md, end to end.
#   1. install the SDK from the m6 build into WORK/sdk (cmake --install),
#   2. configure and build examples/third-party against it (its own CMake project, the
#      SDK's toolchain file, find_package(m6)),
#   3. check that it compiled neither the UART driver nor the console but bound the SDK's
#      installed ELFs: no pl011/console object or ELF in its build tree, and its image runs
#      byte-identical copies of the ELFs the m6 build's interactive system runs
#      (shared_binaries.py --copy-under),
#   4. boot its image in QEMU with run_qemu.py and check the output (its components print
#      through the installed console and driver) and exit status.
# Run as: cmake -DM6_BUILD=... -DSOURCE=... -DWORK=... -DPYTHON=... -DRUN_QEMU=...
#               -DQEMU="qemu|arg|..." -DSHARED_BINARIES=shared_binaries.py
#               -DREFERENCE_GEN=<target build>/examples/shell/interactive.gen -P third_party.cmake
foreach(var M6_BUILD SOURCE WORK PYTHON RUN_QEMU QEMU SHARED_BINARIES REFERENCE_GEN)
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

# The SDK's components were bound, not built: nothing of them was compiled or linked here.
file(GLOB_RECURSE built LIST_DIRECTORIES false ${build}/*.o ${build}/*.obj ${build}/*.elf)
foreach(file IN LISTS built)
	get_filename_component(base ${file} NAME)
	if(base MATCHES "^(pl011|console)[.]")
		message(FATAL_ERROR "third-party: ${file}: the project built an SDK component itself")
	endif()
endforeach()
file(READ ${build}/build.ninja ninja)
foreach(source pl011.c console.c)
	string(FIND "${ninja}" "/${source}" at)
	if(NOT at EQUAL -1)
		message(FATAL_ERROR "third-party: its build.ninja compiles ${source}")
	endif()
endforeach()
step("check it runs the installed pl011 and console ELFs" ${PYTHON} ${SHARED_BINARIES}
	--copy-under ${sdk}/lib/m6/components ${REFERENCE_GEN} ${build}/guestbook.gen pl011 console)
step("boot it" ${PYTHON} ${RUN_QEMU} --timeout 60 --log ${WORK}/qemu.log
	--forbid "PANIC" --forbid "m6: fault:" --forbid "kernel exception"
	--expect "m6: system 'guestbook': 4 components"
	--expect "m6: started component uart"
	--expect "m6: started component console"
	--expect "greeter: open"
	--expect "greeter: welcome, visitor with badge 42: signed by the visitor, built out of tree"
	--expect "visitor: PASS"
	--expect "m6: power off requested by visitor.main"
	-- ${qemu} -kernel ${build}/guestbook.img)
