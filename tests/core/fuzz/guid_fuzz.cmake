# core_guid_fuzzer: GUID text parsing and formatting (hwsnap/ids.h) under
# libFuzzer (HWSNAP_BUILD_FUZZERS, Clang only; `tools/fuzz.sh core` runs it
# with the seeds in guid_corpus/). Included from tests/core/CMakeLists.txt.
if(HWSNAP_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "HWSNAP_BUILD_FUZZERS needs Clang (libFuzzer); CMAKE_CXX_COMPILER is ${CMAKE_CXX_COMPILER_ID}")
  endif()
  add_executable(core_guid_fuzzer ${CMAKE_CURRENT_LIST_DIR}/guid_fuzzer.cc)
  target_link_libraries(core_guid_fuzzer PRIVATE hwsnap::core absl::strings hwsnap_warnings)
  target_compile_options(core_guid_fuzzer PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(core_guid_fuzzer PRIVATE -fsanitize=fuzzer,address,undefined)
endif()
