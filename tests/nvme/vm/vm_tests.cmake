# The VM tier of the NVMe backend (issue 7, "Tier 2"): nvme_vm_test runs the
# real Linux NVMe passthrough transport, ReadNamespaceInfo on live Identify
# data, runtime attach/detach, Simple Copy and the status mapping of real
# error completions against QEMU 7.2's emulated NVMe controller inside the
# shared hwsnap test VM (tools/vm/run-vm-tests.sh; the CI host kernel has no
# NVMe). nvme_backend_vm_test (the conformance suite and a VSS sequence over
# the real controller) and hwsnapctl with tools/vm/guest/nvme-simulate.sh
# join when they exist. The script fetches and caches the Debian cloud kernel
# itself and exits 77 (skipped) where qemu-system-x86_64 is missing.
#
# Plain Linux builds only: a sanitizer runtime would have to be copied into
# the guest too and TCG makes it minutes slower; Windows has no such guest.
# Binaries are dynamically linked; the initramfs builder copies the libraries
# ldd lists.
if(WIN32 OR HWSNAP_SANITIZE OR NOT CMAKE_SYSTEM_NAME STREQUAL "Linux")
  return()
endif()

# The fixture capture program (tools/vm/capture-nvme-fixtures.sh links it
# statically itself); built here so CI keeps it compiling.
add_executable(capture_nvme_identify ${CMAKE_CURRENT_LIST_DIR}/capture_nvme_identify.cc)
target_link_libraries(capture_nvme_identify PRIVATE hwsnap_warnings)

if(NOT TARGET hwsnap_nvme_transport OR NOT TARGET hwsnap_nvme_parsers)
  return()
endif()
get_target_property(_hwsnap_transports hwsnap_nvme_transport HWSNAP_TRANSPORTS)
if(NOT "nvme_ioctl" IN_LIST _hwsnap_transports)
  unset(_hwsnap_transports)
  return()
endif()
unset(_hwsnap_transports)

# Not gtest_discover_tests suites: their cases only run inside the guest.
add_executable(nvme_vm_test ${CMAKE_CURRENT_LIST_DIR}/nvme_vm_test.cc)
target_link_libraries(nvme_vm_test PRIVATE hwsnap::nvme_parsers hwsnap::nvme_transport
                      absl::strings absl::str_format GTest::gtest_main hwsnap_warnings)
set(_hwsnap_nvme_vm_files $<TARGET_FILE:nvme_vm_test>)

# Optional pieces other files provide: re-configure when they appear (a new
# file changes its directory's mtime).
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${CMAKE_CURRENT_LIST_DIR} ${PROJECT_SOURCE_DIR}/tools/vm/guest)
if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/nvme_backend_vm_test.cc AND TARGET hwsnap_nvme)
  add_executable(nvme_backend_vm_test ${CMAKE_CURRENT_LIST_DIR}/nvme_backend_vm_test.cc)
  target_include_directories(nvme_backend_vm_test PRIVATE ${CMAKE_CURRENT_LIST_DIR}/..)
  target_link_libraries(nvme_backend_vm_test PRIVATE hwsnap::nvme hwsnap::conformance
                        GTest::gtest_main hwsnap_warnings)
  list(APPEND _hwsnap_nvme_vm_files $<TARGET_FILE:nvme_backend_vm_test>)
endif()
# The CLI, for guest scripts (`hwsnapctl simulate --backend nvme ...`); the
# payload runs only *_test binaries as tests.
if(TARGET hwsnapctl)
  list(APPEND _hwsnap_nvme_vm_files $<TARGET_FILE:hwsnapctl>)
endif()
if(EXISTS ${PROJECT_SOURCE_DIR}/tools/vm/guest/nvme-simulate.sh)
  list(APPEND _hwsnap_nvme_vm_files ${PROJECT_SOURCE_DIR}/tools/vm/guest/nvme-simulate.sh)
endif()

add_test(NAME nvme_vm_tier
         COMMAND ${PROJECT_SOURCE_DIR}/tools/vm/run-vm-tests.sh ${_hwsnap_nvme_vm_files})
set_tests_properties(nvme_vm_tier PROPERTIES
  RUN_SERIAL TRUE TIMEOUT 900 LABELS vm SKIP_RETURN_CODE 77)
unset(_hwsnap_nvme_vm_files)
