# Compile one source to an object with the given compiler and flags, then require that
# `nm -u` lists no symbol (the core must not need libc, libgcc or libatomic).
#   cmake -DCC=... -DNM=... -DSRC=... -DOBJ=... -DFLAGS="a;b;c" -P check_undefined.cmake
execute_process(COMMAND ${CC} ${FLAGS} -c ${SRC} -o ${OBJ} RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "compile failed (${CC}):\n${out}${err}")
endif()
execute_process(COMMAND ${NM} -u ${OBJ} RESULT_VARIABLE rc OUTPUT_VARIABLE undefined ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${NM} failed: ${err}")
endif()
string(STRIP "${undefined}" undefined)
if(NOT undefined STREQUAL "")
  message(FATAL_ERROR "${SRC} needs symbols it must not (freestanding):\n${undefined}")
endif()
message(STATUS "${SRC}: compiled with ${CC}, no undefined symbols")
