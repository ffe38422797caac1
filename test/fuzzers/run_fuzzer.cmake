# Runs one libFuzzer harness (test/fuzzers/CMakeLists.txt): cmake -DFUZZER=<exe>
# -DCORPUS=<committed corpus> -DWORK=<build dir> -DMODE=replay|short|long [-DRUNS=<n>]
# [-DARGS=<libFuzzer flags, ;-separated>] -P run_fuzzer.cmake. Fails on any crash, leak, sanitizer report or timeout.
#   replay: every corpus file once.
#   short:  -seed=1 -runs=RUNS from the corpus; WORK is emptied first, so each run is the
#           same run; new inputs go to WORK, never to the source tree.
#   long:   $ENV{M6_FUZZ_TIME} seconds (default 600) from the corpus and what earlier long
#           runs kept in WORK (not emptied: a long run resumes). See docs/testing.md.
cmake_minimum_required(VERSION 3.20)
foreach(v FUZZER CORPUS WORK MODE)
	if(NOT DEFINED ${v})
		message(FATAL_ERROR "run_fuzzer.cmake: -D${v}= is required")
	endif()
endforeach()
# Per-input time limit and memory limit: a slow input is a finding too.
set(common -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 ${ARGS})
if(MODE STREQUAL "replay")
	file(GLOB inputs LIST_DIRECTORIES false ${CORPUS}/*)
	list(LENGTH inputs n)
	if(n EQUAL 0)
		message(FATAL_ERROR "run_fuzzer.cmake: corpus ${CORPUS} is empty")
	endif()
	message(STATUS "replaying ${n} inputs from ${CORPUS}")
	set(args ${common} ${inputs})
elseif(MODE STREQUAL "short")
	file(REMOVE_RECURSE ${WORK})
	file(MAKE_DIRECTORY ${WORK})
	set(args ${common} -seed=1 -runs=${RUNS} ${WORK} ${CORPUS})
elseif(MODE STREQUAL "long")
	set(seconds 600)
	if(DEFINED ENV{M6_FUZZ_TIME} AND NOT "$ENV{M6_FUZZ_TIME}" STREQUAL "")
		set(seconds $ENV{M6_FUZZ_TIME})
	endif()
	file(MAKE_DIRECTORY ${WORK})
	set(args ${common} -max_total_time=${seconds} ${WORK} ${CORPUS})
else()
	message(FATAL_ERROR "run_fuzzer.cmake: MODE must be replay, short or long")
endif()
get_filename_component(dir ${WORK} DIRECTORY)
execute_process(COMMAND ${FUZZER} ${args} WORKING_DIRECTORY ${dir} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
	message(FATAL_ERROR "${FUZZER} ${MODE}: exit status ${rc} (a crash input, if any, is "
		"crash-* in ${dir})")
endif()
