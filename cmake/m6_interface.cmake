# m6_add_interface(IDL_FILE [NAME name])
#   One target per interface description (capdl/m6idl): m6::idl::<name> (the target
#   m6_idl_<name>; <name> defaults to the file's stem). It generates <stem>_idl.h -- the
#   typed client stubs, the server dispatch and serve loop -- into a directory of its own
#   and carries that directory and the generation step, so a client or a server of the
#   interface says only
#       target_link_libraries(x PRIVATE m6::idl::serial)   # then #include "serial_idl.h"
#   The header is generated once however many targets link it. An installed SDK provides
#   the interfaces it was built with as imported targets of the same names (m6Config.cmake);
#   a project calls this for IDL files of its own.
#
# Requires M6_SDK_DIR and M6_PYTHON (set before cmake/m6.cmake includes this file).

file(GLOB M6_IDL_SOURCES CONFIGURE_DEPENDS
	${M6_SDK_DIR}/capdl/m6idl/*.py ${M6_SDK_DIR}/capdl/m6idl/*.lark
	${M6_SDK_DIR}/capdl/m6idl/templates/*.j2)

function(m6_add_interface idl)
	cmake_parse_arguments(ARG "" "NAME" "" ${ARGN})
	if(ARG_UNPARSED_ARGUMENTS OR NOT idl MATCHES "\\.idl$")
		# The old form m6_add_interface(TARGET file.idl) ends up here.
		message(FATAL_ERROR "m6_add_interface(${idl} ${ARGN}): expected "
			"m6_add_interface(file.idl [NAME name]), then "
			"target_link_libraries(<target> PRIVATE m6::idl::<name>)")
	endif()
	get_filename_component(idl_path ${idl} ABSOLUTE)
	get_filename_component(stem ${idl} NAME_WE)
	set(name ${stem})
	if(ARG_NAME)
		set(name ${ARG_NAME})
	endif()
	if(TARGET m6::idl::${name})
		message(FATAL_ERROR "m6_add_interface(${idl}): m6::idl::${name} exists already "
			"(an interface of the SDK, or added twice); choose another NAME")
	endif()
	# A directory per interface: linking m6::idl::serial puts serial_idl.h, and nothing
	# else generated, on the include path.
	set(dir ${CMAKE_CURRENT_BINARY_DIR}/m6idl/${name})
	set(header ${dir}/${stem}_idl.h)
	add_custom_command(OUTPUT ${header}
		COMMAND ${CMAKE_COMMAND} -E env PYTHONPATH=${M6_SDK_DIR}/capdl
			${M6_PYTHON} -m m6idl ${idl_path} --out ${header}
		DEPENDS ${idl_path} ${M6_IDL_SOURCES}
		COMMENT "m6idl: ${stem}_idl.h (m6::idl::${name})")
	# An INTERFACE library with a source is a build target of its own (CMake >= 3.19):
	# everything that links it is ordered after the header's generation.
	add_library(m6_idl_${name} INTERFACE ${header})
	target_include_directories(m6_idl_${name} INTERFACE ${dir})
	target_link_libraries(m6_idl_${name} INTERFACE m6::libm6) # <m6/idl.h>, <m6/ipc.h>
	set_target_properties(m6_idl_${name} PROPERTIES M6_IDL_HEADER ${header})
	add_library(m6::idl::${name} ALIAS m6_idl_${name})
endfunction()
