# Tests of hwsnap::scsi_parsers (backends/scsi/parsers.cmake): unit tests per
# parser over hand-built edge cases and the captured pages in fixtures/, the
# fake device ReadLunInfo runs against, and the deterministic mutation test
# (scsi_parsers_fuzz_test) the asan preset runs. libFuzzer entry points are
# in fuzz/ (HWSNAP_BUILD_FUZZERS, Clang only; tools/fuzz-scsi.sh runs them).

# hwsnap_scsi_test_support: the fixture loader and FakeScsiDevice, for every
# test that needs a SCSI LUN without a target (also the transport/backend tests).
add_library(hwsnap_scsi_test_support STATIC fake_scsi_device.cc fixture_loader.cc fuzz/parser_drivers.cc)
target_include_directories(hwsnap_scsi_test_support PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_compile_definitions(hwsnap_scsi_test_support
  PRIVATE HWSNAP_SCSI_FIXTURES_DIR="${CMAKE_CURRENT_SOURCE_DIR}/fixtures")
target_link_libraries(hwsnap_scsi_test_support PUBLIC hwsnap::scsi_parsers PRIVATE hwsnap_warnings)

foreach(test_name
    cdb_test
    extended_copy_parameters_test
    inquiry_test
    vpd_pages_test
    vpd_device_id_test
    vpd_third_party_copy_test
    read_capacity_test
    report_luns_test
    sense_test
    sense_status_test
    identity_builder_test
    lun_reader_test
    fake_scsi_device_test
    fixtures_test
    scsi_parsers_fuzz_test)
  hwsnap_add_test(${test_name} SOURCES ${test_name}.cc LIBS hwsnap_scsi_test_support)
endforeach()

option(HWSNAP_BUILD_FUZZERS "Build the libFuzzer targets of the SCSI parsers (Clang only)" OFF)
if(HWSNAP_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "HWSNAP_BUILD_FUZZERS needs Clang (libFuzzer); CMAKE_CXX_COMPILER is ${CMAKE_CXX_COMPILER_ID}")
  endif()
  foreach(fuzzer inquiry vpd sense read_capacity report_luns cdb identity lun_reader)
    add_executable(scsi_${fuzzer}_fuzzer fuzz/${fuzzer}_fuzzer.cc)
    target_link_libraries(scsi_${fuzzer}_fuzzer PRIVATE hwsnap_scsi_test_support hwsnap_warnings)
    target_compile_options(scsi_${fuzzer}_fuzzer PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(scsi_${fuzzer}_fuzzer PRIVATE -fsanitize=fuzzer,address,undefined)
  endforeach()
endif()
