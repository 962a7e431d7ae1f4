# Cross-build the pool and its tests for aarch64 and run the pool tests under qemu-user.
#   -DSRC=<top source dir> -DBIN=<sub-build dir> -DTOOLCHAIN=<aarch64-toolchain.cmake>
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SRC} -B ${BIN} -DCMAKE_TOOLCHAIN_FILE=${TOOLCHAIN}
                        -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLP_BUILD_BASELINES=OFF -DLP_BUILD_BENCH=OFF
                        -DLP_BUILD_VERIFY=OFF
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "aarch64 configure failed:\n${out}${err}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BIN} -j 2 RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "aarch64 build failed:\n${out}${err}")
endif()
execute_process(COMMAND file ${BIN}/pool/tests/pool_stress OUTPUT_VARIABLE kind)
message(STATUS "${kind}")
if(NOT kind MATCHES "aarch64|ARM aarch64")
  message(FATAL_ERROR "the sub-build did not produce aarch64 binaries")
endif()
# Only the pool's tests: they run under the emulator (CMAKE_CROSSCOMPILING_EMULATOR).
execute_process(COMMAND ${CMAKE_CTEST_COMMAND} --output-on-failure -j 2 --timeout 600 -R "^pool\\."
                WORKING_DIRECTORY ${BIN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message(STATUS "${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "aarch64 tests failed under qemu:\n${err}")
endif()
if(NOT out MATCHES "pool\\.stress")
  message(FATAL_ERROR "no pool stress test ran under qemu")
endif()
