# adapter_vds_lun_fuzzer: the VDS_LUN_INFORMATION input checks
# (hwsnap::vds_lun_checks) under libFuzzer (HWSNAP_BUILD_FUZZERS, Clang only;
# `tools/fuzz.sh adapter` runs it with the seeds in corpus/). Included from
# tests/adapters/CMakeLists.txt.
if(HWSNAP_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "HWSNAP_BUILD_FUZZERS needs Clang (libFuzzer); CMAKE_CXX_COMPILER is ${CMAKE_CXX_COMPILER_ID}")
  endif()
  add_executable(adapter_vds_lun_fuzzer ${CMAKE_CURRENT_LIST_DIR}/vds_lun_fuzzer.cc)
  target_link_libraries(adapter_vds_lun_fuzzer PRIVATE hwsnap::vds_lun_checks hwsnap::core absl::strings
                        hwsnap_warnings)
  target_compile_options(adapter_vds_lun_fuzzer PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(adapter_vds_lun_fuzzer PRIVATE -fsanitize=fuzzer,address,undefined)
endif()
