# m6_add_interface(TARGET IDL_FILE)
#   Compiles an m6 interface description (capdl/m6idl) into <stem>_idl.h -- the typed
#   client stubs and the server dispatch -- in the build tree, and lets TARGET include
#   it. Client and server of one interface each call this with the same .idl file.
#
# Requires M6_SDK_DIR and M6_PYTHON (set before cmake/m6.cmake includes this file).

file(GLOB M6_IDL_SOURCES CONFIGURE_DEPENDS
	${M6_SDK_DIR}/capdl/m6idl/*.py ${M6_SDK_DIR}/capdl/m6idl/*.lark
	${M6_SDK_DIR}/capdl/m6idl/templates/*.j2)

function(m6_add_interface target idl)
	get_filename_component(idl_path ${idl} ABSOLUTE)
	get_filename_component(stem ${idl} NAME_WE)
	set(dir ${CMAKE_CURRENT_BINARY_DIR}/${target}.m6idl)
	set(header ${dir}/${stem}_idl.h)
	add_custom_command(OUTPUT ${header}
		COMMAND ${CMAKE_COMMAND} -E env PYTHONPATH=${M6_SDK_DIR}/capdl
			${M6_PYTHON} -m m6idl ${idl_path} --out ${header}
		DEPENDS ${idl_path} ${M6_IDL_SOURCES}
		COMMENT "m6idl: ${stem}_idl.h for ${target}")
	add_custom_target(${target}_${stem}_idl DEPENDS ${header})
	add_dependencies(${target} ${target}_${stem}_idl)
	target_include_directories(${target} PRIVATE ${dir})
endfunction()
