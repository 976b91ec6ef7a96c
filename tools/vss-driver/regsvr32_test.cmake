# CTest script (cmake -P) for vss_driver.regsvr32: hwsnap_vss.dll registers
# and unregisters itself through Wine's regsvr32, and the driver reaches the
# provider through that registration alone.
#
#   cmake "-DEMULATOR=/usr/bin/env|WINEPREFIX=...|wine" -DDLL=.../hwsnap_vss.dll
#         -DDRIVER=.../hwsnap-vss-driver.exe -P regsvr32_test.cmake
#
# EMULATOR is CMAKE_CROSSCOMPILING_EMULATOR with "|" for ";". Steps:
#   1. regsvr32 /s <dll>                       exit 0
#   2. reg query HKCR\CLSID\{...}\InprocServer32 names hwsnap_vss.dll
#   3. hwsnap-vss-driver --no-register success exit 0 (HWSNAP_BACKEND=mock from CTest)
#   4. regsvr32 /u /s <dll>                    exit 0
#   5. reg query ...                           fails: the key is gone
#   6. regsvr32 /u /s <dll> again              exit 0 (nothing to remove is fine)
cmake_minimum_required(VERSION 3.25)
foreach(var EMULATOR DLL DRIVER)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "regsvr32_test.cmake: -D${var}=... missing")
  endif()
endforeach()
string(REPLACE "|" ";" emulator "${EMULATOR}")
# Wine maps the Unix root to drive Z:.
string(REPLACE "/" "\\" dll_windows "Z:${DLL}")
set(key "HKCR\\CLSID\\{7B841816-E71D-4E70-A493-220DF9F3884D}\\InprocServer32")

# run(NAME EXPECT_ZERO|EXPECT_NONZERO COMMAND...): runs under Wine, prints output.
function(run name expectation)
  execute_process(COMMAND ${emulator} ${ARGN}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 60)
  message(STATUS "${name}: exit ${rc}")
  if(out)
    message("${out}")
  endif()
  if(err)
    message("${err}")
  endif()
  if(expectation STREQUAL "EXPECT_ZERO" AND NOT rc STREQUAL "0")
    message(FATAL_ERROR "${name} failed (exit ${rc})")
  elseif(expectation STREQUAL "EXPECT_NONZERO" AND rc STREQUAL "0")
    message(FATAL_ERROR "${name} succeeded but should have failed")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

run("regsvr32 /s ${dll_windows}" EXPECT_ZERO regsvr32 /s "${dll_windows}")
run("reg query ${key}" EXPECT_ZERO reg query "${key}")
string(TOLOWER "${last_output}" lowered)
if(NOT lowered MATCHES "hwsnap_vss\\.dll")
  message(FATAL_ERROR "InprocServer32 does not name hwsnap_vss.dll")
endif()
if(NOT lowered MATCHES "threadingmodel[^\n]*both")
  message(FATAL_ERROR "InprocServer32 has no ThreadingModel Both")
endif()
run("hwsnap-vss-driver --no-register success" EXPECT_ZERO "${DRIVER}" --no-register success)
run("regsvr32 /u /s ${dll_windows}" EXPECT_ZERO regsvr32 /u /s "${dll_windows}")
run("reg query ${key} (after unregister)" EXPECT_NONZERO reg query "${key}")
run("regsvr32 /u /s ${dll_windows} (again)" EXPECT_ZERO regsvr32 /u /s "${dll_windows}")
message(STATUS "regsvr32 registration and removal: OK")
