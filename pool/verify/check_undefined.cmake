# The core target (lockpool_core) needs no symbol from outside: `nm -u` on each of its objects
# lists nothing (no libc, libgcc or libatomic). Either on the objects of this build, or on those
# of a sub-build made with a toolchain file (bare-metal Cortex-M4), where the whole library
# (lockpool, with the platform layer "none") must need nothing from outside either.
#   cmake -DNM=... -DOBJS="a.o;b.o" -P check_undefined.cmake
#   cmake -DNM=... -DSRC=<top source dir> -DBIN=<sub-build dir> -DTOOLCHAIN=<file> -P check_undefined.cmake
if(DEFINED TOOLCHAIN)
  execute_process(COMMAND ${CMAKE_COMMAND} -S ${SRC} -B ${BIN} -DCMAKE_TOOLCHAIN_FILE=${TOOLCHAIN}
                          -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF -DLP_BUILD_BASELINES=OFF
                          -DLP_BUILD_BENCH=OFF -DLP_BUILD_VERIFY=OFF
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "configure with ${TOOLCHAIN} failed:\n${out}${err}")
  endif()
  execute_process(COMMAND ${CMAKE_COMMAND} --build ${BIN} --target lockpool_core
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "building lockpool_core with ${TOOLCHAIN} failed:\n${out}${err}")
  endif()
  file(GLOB_RECURSE OBJS ${BIN}/pool/CMakeFiles/lockpool_core.dir/*.o ${BIN}/pool/CMakeFiles/lockpool_core.dir/*.obj)
  # The whole library builds there too, its platform layer the default off Linux (none: the
  # blocking calls return LP_ENOSYS), and needs nothing it does not define itself but the four
  # functions GCC requires of every freestanding environment (the blocking layer's struct
  # initialisers may become memset calls; the core needs not even those).
  execute_process(COMMAND ${CMAKE_COMMAND} --build ${BIN} --target lockpool
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "building lockpool with ${TOOLCHAIN} failed:\n${out}${err}")
  endif()
  file(GLOB LIB ${BIN}/pool/liblockpool.a)
  execute_process(COMMAND ${NM} ${LIB} RESULT_VARIABLE rc OUTPUT_VARIABLE syms ERROR_VARIABLE err)
  if(NOT rc EQUAL 0 OR NOT syms MATCHES " T lp_get_timeout\n")
    message(FATAL_ERROR "${NM} ${LIB} failed or lists no lp_get_timeout: ${err}")
  endif()
  string(REGEX MATCHALL " U [^\n]+" needed "${syms}")
  foreach(u IN LISTS needed)
    string(SUBSTRING "${u}" 3 -1 sym)
    if(NOT sym MATCHES "^(memcpy|memmove|memset|memcmp)$" AND NOT syms MATCHES " [A-TV-Z] ${sym}\n")
      message(FATAL_ERROR "${LIB} needs ${sym}, which it does not define")
    endif()
  endforeach()
  message(STATUS "${LIB}: every symbol it uses is its own (or memcpy/memmove/memset/memcmp)")
endif()
if(NOT OBJS)
  message(FATAL_ERROR "no object of lockpool_core to check")
endif()
foreach(obj IN LISTS OBJS)
  execute_process(COMMAND ${NM} -u ${obj} RESULT_VARIABLE rc OUTPUT_VARIABLE undefined ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${NM} failed on ${obj}: ${err}")
  endif()
  string(STRIP "${undefined}" undefined)
  if(NOT undefined STREQUAL "")
    message(FATAL_ERROR "${obj} needs symbols it must not (the core is freestanding):\n${undefined}")
  endif()
  message(STATUS "${obj}: no undefined symbols")
endforeach()
