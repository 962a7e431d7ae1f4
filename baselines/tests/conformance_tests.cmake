# Read by ctest when it starts (TEST_INCLUDE_FILES, baselines/CMakeLists.txt): one
# conformance.<name> test per design the built lp-conformance lists, and conformance.registry.
# LPD_CONFORMANCE is the executable's path, set by the generated file that includes this one.
set(_lpd_names "")
if(EXISTS "${LPD_CONFORMANCE}")
  execute_process(COMMAND "${LPD_CONFORMANCE}" --list OUTPUT_VARIABLE _lpd_out RESULT_VARIABLE _lpd_rc
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(_lpd_rc EQUAL 0)
    string(REPLACE "\n" ";" _lpd_names "${_lpd_out}")
  endif()
endif()
foreach(_lpd_name IN LISTS _lpd_names)
  add_test(conformance.${_lpd_name} "${LPD_CONFORMANCE}" --design ${_lpd_name})
  set_tests_properties(conformance.${_lpd_name} PROPERTIES LABELS "conformance;baselines" TIMEOUT 600)
endforeach()
# Every entry well-formed, in the order listed (fails, as not run, when lp-conformance is not built).
list(JOIN _lpd_names "," _lpd_csv)
add_test(conformance.registry "${LPD_CONFORMANCE}" --registry "${_lpd_csv}")
set_tests_properties(conformance.registry PROPERTIES LABELS "conformance;baselines")
