# Pick a Python interpreter that can import the spec compiler's modules. Debian's modules
# (python3-lark, python3-libfdt, ...) are visible only to /usr/bin/python3, while a python3
# earlier on PATH (pyenv, venv) may lack them; so probe candidates instead of trusting
# FindPython's first hit.
if(DEFINED M6_PYTHON AND NOT M6_PYTHON STREQUAL "")
	set(_m6_candidates ${M6_PYTHON})
else()
	set(_m6_candidates)
	if(DEFINED ENV{PYTHON})
		list(APPEND _m6_candidates $ENV{PYTHON})
	endif()
	list(APPEND _m6_candidates /usr/bin/python3)
	find_program(_m6_path_python python3)
	if(_m6_path_python)
		list(APPEND _m6_candidates ${_m6_path_python})
	endif()
endif()

unset(_m6_found)
foreach(candidate IN LISTS _m6_candidates)
	execute_process(COMMAND ${candidate} -c "import jinja2, lark, libfdt, elftools"
		RESULT_VARIABLE _m6_result OUTPUT_QUIET ERROR_QUIET)
	if(_m6_result EQUAL 0)
		set(_m6_found ${candidate})
		break()
	endif()
endforeach()

if(NOT _m6_found)
	message(FATAL_ERROR
		"No Python interpreter can import jinja2, lark, libfdt and elftools.\n"
		"Tried: ${_m6_candidates}\n"
		"Run scripts/setup.sh (installs python3-jinja2 python3-lark python3-libfdt "
		"python3-pyelftools), or set -DM6_PYTHON=/path/to/python3.")
endif()
set(M6_PYTHON ${_m6_found} CACHE FILEPATH "Python interpreter for the spec compiler" FORCE)
message(STATUS "m6: Python for the spec compiler: ${M6_PYTHON}")
