# Tests of hwsnap::nvme_parsers (backends/nvme/parsers.cmake): unit tests per
# header over hand-built edge cases and the Identify data captured from
# QEMU's emulated NVMe controller in fixtures/, the layout cross-check against
# libnvme's structs (when nvme/types.h is installed), and the deterministic
# mutation test (nvme_parsers_fuzz_test) the asan preset runs. libFuzzer entry
# points are in fuzz/ (HWSNAP_BUILD_FUZZERS, Clang only; tools/fuzz.sh runs them).

# hwsnap_nvme_test_support: the fixture loader, hand-built Identify data and
# the fuzz drivers, for every test that needs NVMe data without a controller
# (also the transport/backend tests).
add_library(hwsnap_nvme_test_support STATIC
  fixture_loader.cc identify_data_builder.cc fuzz/nvme_parser_drivers.cc)
target_include_directories(hwsnap_nvme_test_support PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_compile_definitions(hwsnap_nvme_test_support
  PRIVATE HWSNAP_NVME_FIXTURES_DIR="${CMAKE_CURRENT_SOURCE_DIR}/fixtures")
target_link_libraries(hwsnap_nvme_test_support PUBLIC hwsnap::nvme_parsers PRIVATE hwsnap_warnings)

foreach(test_name
    identify_controller_test
    identify_namespace_test
    namespace_id_descriptors_test
    id_lists_test
    nvme_commands_test
    nvme_status_test
    identity_mapping_test
    namespace_reader_test
    nvme_parsers_fuzz_test)
  hwsnap_add_test(${test_name} SOURCES ${test_name}.cc LIBS hwsnap_nvme_test_support)
endforeach()

# The layout cross-check needs libnvme-dev's header (not in the MinGW build).
find_path(HWSNAP_NVME_TYPES_INCLUDE_DIR nvme/types.h)
if(HWSNAP_NVME_TYPES_INCLUDE_DIR)
  hwsnap_add_test(libnvme_layout_test SOURCES libnvme_layout_test.cc LIBS hwsnap_nvme_test_support)
  target_include_directories(libnvme_layout_test SYSTEM PRIVATE ${HWSNAP_NVME_TYPES_INCLUDE_DIR})
else()
  message(STATUS "nvme/types.h not found: libnvme_layout_test skipped (install libnvme-dev)")
endif()

# HWSNAP_BUILD_FUZZERS is declared in tests/scsi/parsers_tests.cmake.
if(HWSNAP_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "HWSNAP_BUILD_FUZZERS needs Clang (libFuzzer); CMAKE_CXX_COMPILER is ${CMAKE_CXX_COMPILER_ID}")
  endif()
  foreach(fuzzer identify_ctrl identify_ns ns_descriptors id_lists identity identity_mapping_text)
    add_executable(nvme_${fuzzer}_fuzzer fuzz/${fuzzer}_fuzzer.cc)
    target_link_libraries(nvme_${fuzzer}_fuzzer PRIVATE hwsnap_nvme_test_support hwsnap_warnings)
    target_compile_options(nvme_${fuzzer}_fuzzer PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(nvme_${fuzzer}_fuzzer PRIVATE -fsanitize=fuzzer,address,undefined)
  endforeach()
endif()
