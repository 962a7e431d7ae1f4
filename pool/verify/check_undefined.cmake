# The core target (lockpool_core) needs no symbol from outside: `nm -u` on each of its objects
# lists nothing (no libc, libgcc or libatomic). Either on the objects of this build, or on those
# of a sub-build of lockpool_core made with a toolchain file (bare-metal Cortex-M4).
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
