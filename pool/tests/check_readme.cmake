# check_readme.cmake — the README's C example must be exactly pool/tests/readme_example.c,
# which ctest compiles and runs (pool.readme_example), so the README cannot rot.
#   cmake -DREADME=<README.md> -DEXAMPLE=<readme_example.c> -DOUT_DIR=<scratch dir> -P check_readme.cmake
# Passes when one ```c fenced block of the README holds the file's text byte for byte.
cmake_minimum_required(VERSION 3.20) # script mode: set the policies of this CMake
if(NOT EXISTS "${README}")
  message(FATAL_ERROR "check_readme: ${README} does not exist; it must contain pool/tests/readme_example.c "
                      "in a ```c block")
endif()
if(NOT OUT_DIR)
  set(OUT_DIR "${CMAKE_CURRENT_BINARY_DIR}")
endif()
file(READ "${README}" readme)
file(READ "${EXAMPLE}" example)
string(FIND "${readme}" "```c\n${example}```" found)
if(found GREATER -1)
  message(STATUS "check_readme: the README's ```c block matches ${EXAMPLE}")
  return()
endif()

# Not found: say what is there, so the fix is obvious.
string(FIND "${readme}" "```c\n" first_block)
if(first_block EQUAL -1)
  message(FATAL_ERROR "check_readme: ${README} has no ```c block. Paste pool/tests/readme_example.c into it "
                      "as a fenced ```c block (verbatim, ending with a newline before the closing ```).")
endif()
# Write every ```c block to a file next to the build tree and diff the first against the example.
set(rest "${readme}")
set(index 0)
while(TRUE)
  string(FIND "${rest}" "```c\n" start)
  if(start EQUAL -1)
    break()
  endif()
  math(EXPR start "${start} + 5")
  string(SUBSTRING "${rest}" ${start} -1 rest)
  string(FIND "${rest}" "```" stop)
  if(stop EQUAL -1)
    break()
  endif()
  string(SUBSTRING "${rest}" 0 ${stop} block)
  set(out "${OUT_DIR}/readme_block_${index}.c")
  file(WRITE "${out}" "${block}")
  find_program(DIFF diff)
  if(DIFF)
    execute_process(COMMAND ${DIFF} -u "${EXAMPLE}" "${out}" OUTPUT_VARIABLE delta)
    message("--- ```c block ${index} of the README vs ${EXAMPLE}:\n${delta}")
  endif()
  math(EXPR index "${index} + 1")
  string(SUBSTRING "${rest}" ${stop} -1 rest)
  string(SUBSTRING "${rest}" 3 -1 rest)
endwhile()
message(FATAL_ERROR "check_readme: no ```c block of ${README} equals ${EXAMPLE} (${index} blocks compared, "
                    "differences above). Update the README's example to the file's text, verbatim.")
