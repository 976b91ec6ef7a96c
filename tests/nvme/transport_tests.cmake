# Tests of hwsnap::nvme_transport (backends/nvme/transports.cmake): address
# parsing, ValidateNvmeCommand and the Windows request layout everywhere
# (Linux and under Wine), OpenNvmeTransport's dispatch, and on Linux the sysfs
# lookups over fake trees in a temporary directory plus the ioctl outcome
# decoding and device routing (the real ioctls run in the VM tier, vm/).
if(NOT TARGET hwsnap_nvme_transport)
  return()
endif()
get_target_property(_hwsnap_transports hwsnap_nvme_transport HWSNAP_TRANSPORTS)

hwsnap_add_test(validate_nvme_command_test SOURCES validate_nvme_command_test.cc
                LIBS hwsnap::nvme_transport)

hwsnap_add_test(storage_protocol_request_test SOURCES storage_protocol_request_test.cc
                LIBS hwsnap::nvme_transport)
target_include_directories(storage_protocol_request_test PRIVATE ${PROJECT_SOURCE_DIR}/backends/nvme)

hwsnap_add_test(open_nvme_transport_test SOURCES open_nvme_transport_test.cc
                LIBS hwsnap::nvme_transport)
foreach(_transport IN LISTS _hwsnap_transports)
  string(TOUPPER "${_transport}" _upper)
  target_compile_definitions(open_nvme_transport_test PRIVATE HWSNAP_TEST_HAVE_${_upper})
endforeach()

if("nvme_ioctl" IN_LIST _hwsnap_transports)
  hwsnap_add_test(nvme_sysfs_test SOURCES nvme_sysfs_test.cc LIBS hwsnap::nvme_transport)
  target_include_directories(nvme_sysfs_test PRIVATE ${PROJECT_SOURCE_DIR}/backends/nvme)
  hwsnap_add_test(nvme_ioctl_transport_test SOURCES nvme_ioctl_transport_test.cc
                  LIBS hwsnap::nvme_transport)
endif()
unset(_hwsnap_transports)
