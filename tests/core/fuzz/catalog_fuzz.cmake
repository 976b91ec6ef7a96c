# catalog_load_fuzzer: the catalog journal loader under libFuzzer
# (HWSNAP_BUILD_FUZZERS, Clang only; `tools/fuzz.sh catalog` runs it with the
# seed corpus in corpus/). Included from tests/core/CMakeLists.txt.
if(HWSNAP_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "HWSNAP_BUILD_FUZZERS needs Clang (libFuzzer); CMAKE_CXX_COMPILER is ${CMAKE_CXX_COMPILER_ID}")
  endif()
  add_executable(catalog_load_fuzzer ${CMAKE_CURRENT_LIST_DIR}/catalog_load_fuzzer.cc)
  # The loader's internal headers (core/src/catalog) and catalog_sample.h.
  target_include_directories(catalog_load_fuzzer PRIVATE ${PROJECT_SOURCE_DIR}/core/src ${CMAKE_CURRENT_LIST_DIR}/..)
  target_link_libraries(catalog_load_fuzzer PRIVATE hwsnap::core absl::flat_hash_map hwsnap_warnings)
  target_compile_options(catalog_load_fuzzer PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(catalog_load_fuzzer PRIVATE -fsanitize=fuzzer,address,undefined)
endif()
