# Build a libFuzzer target with clang directly against the pool sources, then run it for
# a bounded time on a scratch copy of the committed corpus (the corpus is not modified).
#   -DCLANG= -DNAME= -DSRCS="a;b" -DINCS="a;b" -DCORPUS= -DWORK= -DSECONDS=
file(MAKE_DIRECTORY ${WORK})
set(exe ${WORK}/${NAME})
set(incflags)
foreach(i IN LISTS INCS)
  list(APPEND incflags -I${i})
endforeach()
execute_process(COMMAND ${CLANG} -g -O1 -std=c11 -Wall -Wextra -Werror -fsanitize=fuzzer,address,undefined
                        -fno-sanitize-recover=all ${incflags} ${SRCS} -o ${exe}
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "building ${NAME} with ${CLANG} failed:\n${err}")
endif()
file(REMOVE_RECURSE ${WORK}/corpus-${NAME})
file(COPY ${CORPUS}/ DESTINATION ${WORK}/corpus-${NAME})
execute_process(COMMAND ${exe} -max_total_time=${SECONDS} -timeout=10 -rss_limit_mb=1024 -print_final_stats=1
                        ${WORK}/corpus-${NAME}
                RESULT_VARIABLE rc ERROR_VARIABLE log OUTPUT_VARIABLE out)
string(REGEX MATCH "Done [0-9]+ runs in [0-9]+ second" done "${log}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${NAME} found a failure (crash input saved in the test's working directory):\n${log}")
endif()
message(STATUS "${NAME}: ${done}s, no failure")
