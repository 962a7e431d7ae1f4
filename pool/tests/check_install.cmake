# Install this build to a temporary prefix, move the whole tree somewhere else, then build and
# run the README example against the moved tree twice: through pkg-config and through
# find_package(lockpool). Also checks that the install holds only the public pieces (header,
# library, package files), that the library defines only lp_ symbols, and that no installed
# file names the prefix it was installed to.
#
#   cmake -DBUILD_DIR=... -DWORK=... -DEXAMPLE=... -DC_COMPILER=... -DNM=... -DLIBDIR=...
#         -DINCLUDEDIR=... [-DSAN_FLAGS=...] [-DGENERATOR=...] -P check_install.cmake
foreach(v BUILD_DIR WORK EXAMPLE C_COMPILER NM LIBDIR INCLUDEDIR)
  if(NOT DEFINED ${v} OR "${${v}}" STREQUAL "")
    message(FATAL_ERROR "check_install: -D${v}=... missing")
  endif()
endforeach()
separate_arguments(san UNIX_COMMAND "${SAN_FLAGS}")

function(run what)  # run(<label> COMMAND ...): fail with its output unless it exits 0
  execute_process(${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "check_install: ${what} failed (${rc}):\n${out}\n${err}")
  endif()
  set(run_out "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE "${WORK}")
set(stage "${WORK}/stage")
set(moved "${WORK}/elsewhere/deeper/prefix")
run("cmake --install" COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${stage}")

# ---- only what a user of the library needs ----------------------------------------------
file(GLOB_RECURSE installed RELATIVE "${stage}" "${stage}/*")
set(expected_re
  "^${INCLUDEDIR}/lockpool\\.h$"
  "^${LIBDIR}/liblockpool\\.(a|so(\\.[0-9]+)*)$"
  "^${LIBDIR}/cmake/lockpool/lockpool(Config|ConfigVersion|Targets|Targets-[a-z]+)\\.cmake$"
  "^${LIBDIR}/pkgconfig/lockpool\\.pc$")
foreach(f IN LISTS installed)
  set(ok FALSE)
  foreach(re IN LISTS expected_re)
    if(f MATCHES "${re}")
      set(ok TRUE)
    endif()
  endforeach()
  if(NOT ok)
    message(FATAL_ERROR "check_install: the install has a file it should not: ${f}")
  endif()
endforeach()
foreach(re IN LISTS expected_re)
  set(found FALSE)
  foreach(f IN LISTS installed)
    if(f MATCHES "${re}")
      set(found TRUE)
    endif()
  endforeach()
  if(NOT found)
    message(FATAL_ERROR "check_install: nothing installed matches ${re} (installed: ${installed})")
  endif()
endforeach()

# Every global symbol the library defines is in the lp_ namespace (lp__ for internals).
file(GLOB libs "${stage}/${LIBDIR}/liblockpool.*")
list(GET libs 0 lib)
run("nm" COMMAND "${NM}" -g --defined-only "${lib}")
string(REGEX MATCHALL "[\n^][0-9a-fA-F]* *[A-TV-Z] [^\n]+" defs "\n${run_out}")
set(nsyms 0)
foreach(d IN LISTS defs)
  string(REGEX REPLACE "^.* " "" sym "${d}")
  # Sanitizer builds add their own instrumentation globals.
  if(NOT sym MATCHES "^lp_" AND NOT (san AND sym MATCHES "^__(odr_asan|asan|tsan|ubsan)"))
    message(FATAL_ERROR "check_install: ${lib} defines a symbol outside lp_: ${sym}")
  endif()
  math(EXPR nsyms "${nsyms} + 1")
endforeach()
if(nsyms EQUAL 0)
  message(FATAL_ERROR "check_install: nm found no global symbol in ${lib}:\n${run_out}")
endif()

# ---- move it: nothing may still point at the old prefix ---------------------------------
get_filename_component(parent "${moved}" DIRECTORY)
file(MAKE_DIRECTORY "${parent}")
file(RENAME "${stage}" "${moved}")
foreach(f IN LISTS installed)
  if(f MATCHES "\\.(pc|cmake)$")
    file(READ "${moved}/${f}" text)
    string(FIND "${text}" "${stage}" at)
    if(NOT at EQUAL -1)
      message(FATAL_ERROR "check_install: ${f} names the install prefix ${stage}: not relocatable")
    endif()
  endif()
endforeach()
set(ENV{LD_LIBRARY_PATH} "${moved}/${LIBDIR}")  # for a shared build; a static one ignores it

function(run_example exe how)
  run("${how} example" COMMAND "${exe}")
  if(NOT run_out MATCHES "readme example: ok")
    message(FATAL_ERROR "check_install: the ${how} build of the example printed: ${run_out}")
  endif()
  message(STATUS "${how}: ${run_out}")
endfunction()

# ---- pkg-config: only the moved tree is searched ------------------------------------------
find_program(PKG_CONFIG pkg-config)
if(NOT PKG_CONFIG)
  message(FATAL_ERROR "check_install: pkg-config not found (Debian: pkg-config)")
endif()
set(ENV{PKG_CONFIG_LIBDIR} "${moved}/${LIBDIR}/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
run("pkg-config --cflags --libs lockpool" COMMAND "${PKG_CONFIG}" --cflags --libs lockpool)
string(STRIP "${run_out}" flags)
string(FIND "${flags}" "-I${moved}/" at_i)
string(FIND "${flags}" "-L${moved}/" at_l)
if(at_i EQUAL -1 OR at_l EQUAL -1)
  message(FATAL_ERROR "check_install: pkg-config flags do not point into the moved tree ${moved}: ${flags}")
endif()
separate_arguments(flags UNIX_COMMAND "${flags}")
run("cc with pkg-config flags" COMMAND "${C_COMPILER}" -std=c11 -Wall -Wextra -Werror ${san} "${EXAMPLE}" ${flags}
    -o "${WORK}/example_pkgconfig")
run_example("${WORK}/example_pkgconfig" "pkg-config")

# ---- find_package(lockpool) ----------------------------------------------------------------
file(WRITE "${WORK}/consumer/CMakeLists.txt" "cmake_minimum_required(VERSION 3.20)
project(consumer C)
find_package(lockpool 0.1 REQUIRED)
message(STATUS \"lockpool_DIR=\${lockpool_DIR}\")
add_executable(example \"${EXAMPLE}\")
target_link_libraries(example PRIVATE lockpool::lockpool)
")
set(gen)
if(GENERATOR)
  set(gen -G "${GENERATOR}")
endif()
run("configure the find_package consumer"
    COMMAND "${CMAKE_COMMAND}" -S "${WORK}/consumer" -B "${WORK}/consumer/build" ${gen}
            -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_C_COMPILER=${C_COMPILER}" "-DCMAKE_PREFIX_PATH=${moved}"
            "-DCMAKE_C_FLAGS=${SAN_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${SAN_FLAGS}"
            -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)
string(FIND "${run_out}" "lockpool_DIR=${moved}/${LIBDIR}/cmake/lockpool" at)
if(at EQUAL -1)
  message(FATAL_ERROR "check_install: find_package did not take the moved tree ${moved}:\n${run_out}")
endif()
run("build the find_package consumer" COMMAND "${CMAKE_COMMAND}" --build "${WORK}/consumer/build")
run_example("${WORK}/consumer/build/example" "find_package")
file(REMOVE_RECURSE "${WORK}")
