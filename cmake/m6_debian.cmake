# m6_debian_package(<name> [VERSION <v> SHA256 <hex>] [EXTRACT <pattern>...] [TARGET <t>])
# Fetches the Debian binary package <name> at build time (scripts/debian_fetch.py: apt-get
# with private state, the host's package configuration untouched), checks the .deb's
# SHA-256 and unpacks it into ${CMAKE_BINARY_DIR}/debian/<name> (only the paths matching an
# EXTRACT glob, e.g. "boot/vmlinuz-*", if any are given). VERSION and SHA256 default to
# <name>'s pin in cmake/debian-packages.txt, the one place pins live; <name> may also be a
# pin's alias ("package NAME VERSION SHA256 as ALIAS"), so that a kernel whose package name
# changes with every ABI bump is moved in that file alone. The .deb and apt's
# index are cached in ${CMAKE_BINARY_DIR}/debian/cache: nothing is downloaded again while
# the cached .deb has the pinned checksum.
#
# Adds target <t> (default debian_<name>, with characters other than [A-Za-z0-9_] as "_"),
# part of ALL, with properties M6_DEBIAN_DIR (the unpacked tree), M6_DEBIAN_VERSION and
# M6_DEBIAN_ERROR. When the package cannot be fetched (no network, version gone from the
# mirror, checksum mismatch) the build does not stop: the message is printed as a warning
# and written to the M6_DEBIAN_ERROR file, the tree is absent, the next build tries again,
# and whatever needs the package at run time (a test) fails with that message.
set(M6_DEBIAN_PINS ${CMAKE_CURRENT_LIST_DIR}/debian-packages.txt)
set(M6_DEBIAN_FETCH ${CMAKE_CURRENT_LIST_DIR}/../scripts/debian_fetch.py)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${M6_DEBIAN_PINS})

# Read the pins file once: M6_DEBIAN_PIN_<name or alias> = "<name>;<version>;<sha256>",
# the mirror, suites and architecture.
function(_m6_debian_read_pins)
	file(STRINGS ${M6_DEBIAN_PINS} lines)
	set(suites)
	set(mirror)
	set(arch)
	foreach(line IN LISTS lines)
		string(STRIP "${line}" line)
		if(line STREQUAL "" OR line MATCHES "^#")
			continue()
		endif()
		string(REGEX REPLACE "[ \t]+" ";" words "${line}")
		list(GET words 0 key)
		list(LENGTH words n)
		if(key STREQUAL "mirror" AND n EQUAL 2)
			list(GET words 1 mirror)
		elseif(key STREQUAL "suite" AND n GREATER 2)
			list(SUBLIST words 1 -1 suite)
			string(JOIN " " suite ${suite})
			list(APPEND suites "${suite}")
		elseif(key STREQUAL "arch" AND n EQUAL 2)
			list(GET words 1 arch)
		elseif(key STREQUAL "package" AND (n EQUAL 4 OR n EQUAL 6))
			list(GET words 1 pkg)
			list(SUBLIST words 1 3 pin)
			set_property(GLOBAL PROPERTY M6_DEBIAN_PIN_${pkg} "${pin}")
			if(n EQUAL 6)
				list(GET words 4 as)
				list(GET words 5 alias)
				if(NOT as STREQUAL "as")
					message(FATAL_ERROR "${M6_DEBIAN_PINS}: cannot read '${line}'")
				endif()
				set_property(GLOBAL PROPERTY M6_DEBIAN_PIN_${alias} "${pin}")
			endif()
		else()
			message(FATAL_ERROR "${M6_DEBIAN_PINS}: cannot read '${line}'")
		endif()
	endforeach()
	if(NOT mirror OR NOT suites OR NOT arch)
		message(FATAL_ERROR "${M6_DEBIAN_PINS}: needs a mirror, an arch and a suite line")
	endif()
	set_property(GLOBAL PROPERTY M6_DEBIAN_SUITES "${suites}")
	set_property(GLOBAL PROPERTY M6_DEBIAN_ARCH "${arch}")
	# Empty means the file's mirror, so that a change there is not hidden by the cache.
	set(M6_DEBIAN_MIRROR "" CACHE STRING
		"Debian mirror for build-time packages (empty: the one cmake/debian-packages.txt names)")
	if(NOT M6_DEBIAN_MIRROR STREQUAL "")
		set(mirror ${M6_DEBIAN_MIRROR})
	endif()
	set_property(GLOBAL PROPERTY M6_DEBIAN_MIRROR_USED "${mirror}")
	set_property(GLOBAL PROPERTY M6_DEBIAN_PINS_READ TRUE)
endfunction()

function(m6_debian_package name)
	cmake_parse_arguments(D "" "VERSION;SHA256;TARGET" "EXTRACT" ${ARGN})
	get_property(read GLOBAL PROPERTY M6_DEBIAN_PINS_READ)
	if(NOT read)
		_m6_debian_read_pins()
	endif()
	# <name> may be a pin's alias: the package is then the pin's, the directory <name>.
	set(package ${name})
	if(NOT DEFINED D_VERSION OR NOT DEFINED D_SHA256)
		get_property(pin GLOBAL PROPERTY M6_DEBIAN_PIN_${name})
		if(NOT pin)
			message(FATAL_ERROR "m6_debian_package(${name}): no pin in ${M6_DEBIAN_PINS}")
		endif()
		list(GET pin 0 package)
		list(GET pin 1 D_VERSION)
		list(GET pin 2 D_SHA256)
	endif()
	if(NOT D_TARGET)
		string(MAKE_C_IDENTIFIER "debian_${name}" D_TARGET)
	endif()
	get_property(suites GLOBAL PROPERTY M6_DEBIAN_SUITES)
	get_property(arch GLOBAL PROPERTY M6_DEBIAN_ARCH)
	get_property(mirror GLOBAL PROPERTY M6_DEBIAN_MIRROR_USED)
	set(base ${CMAKE_BINARY_DIR}/debian)
	set(out ${base}/${name})
	set(stamp ${out}/.m6-debian-stamp)
	set(args --package ${package} --version ${D_VERSION} --sha256 ${D_SHA256} --out ${out}
		--cache ${base}/cache --mirror ${mirror} --arch ${arch}
		--error-file ${base}/${name}.error)
	foreach(suite IN LISTS suites)
		list(APPEND args --suite "${suite}")
	endforeach()
	foreach(pattern IN LISTS D_EXTRACT)
		list(APPEND args --extract ${pattern})
	endforeach()
	# The stamp is written only on success, so a failed fetch is retried by every build.
	add_custom_command(OUTPUT ${stamp}
		COMMAND ${M6_PYTHON} ${M6_DEBIAN_FETCH} ${args}
		DEPENDS ${M6_DEBIAN_FETCH} ${M6_DEBIAN_PINS}
		COMMENT "Debian package ${package} ${D_VERSION}"
		VERBATIM)
	add_custom_target(${D_TARGET} ALL DEPENDS ${stamp})
	set_target_properties(${D_TARGET} PROPERTIES M6_DEBIAN_DIR ${out}
		M6_DEBIAN_VERSION ${D_VERSION} M6_DEBIAN_ERROR ${base}/${name}.error)
endfunction()
