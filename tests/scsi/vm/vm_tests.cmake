# The VM tier of the SCSI backend (issue 6, "Tier 2"): scsi_vm_test runs the
# real SG_IO transport, ReadLunInfo, sense classification and EXTENDED COPY
# (XcopyArrayControl) against scsi_debug, QEMU scsi-hd and LIO inside a QEMU
# TCG guest booted by tools/vm/run-scsi-vm-tests.sh (the CI host kernel has
# no SCSI stack). The script fetches and caches the Debian cloud kernel
# itself and exits 77 (skipped) where qemu-system-x86_64 is missing.
#
# Plain Linux builds only: a sanitizer runtime would have to be copied into
# the guest too and TCG makes it minutes slower; Windows has no such guest.
# The binary is dynamically linked (Debian ships spdlog and fmt only as
# shared libraries); the initramfs builder copies the libraries ldd lists.
if(WIN32 OR HWSNAP_SANITIZE OR NOT CMAKE_SYSTEM_NAME STREQUAL "Linux")
  return()
endif()
get_target_property(_hwsnap_transports hwsnap_scsi_transport HWSNAP_TRANSPORTS)
if(NOT "sg_io" IN_LIST _hwsnap_transports)
  unset(_hwsnap_transports)
  return()
endif()
unset(_hwsnap_transports)

# Not a gtest_discover_tests suite: its cases only run inside the guest.
add_executable(scsi_vm_test ${CMAKE_CURRENT_LIST_DIR}/scsi_vm_test.cc)
target_link_libraries(scsi_vm_test PRIVATE hwsnap::scsi_xcopy hwsnap::scsi_parsers hwsnap::scsi_transport
                      GTest::gtest_main hwsnap_warnings)

# The fixture capture program (tools/vm/capture-scsi-fixtures.sh links it
# statically itself); built here so CI keeps it compiling.
add_executable(capture_sg_pages ${CMAKE_CURRENT_LIST_DIR}/capture_sg_pages.cc)
target_link_libraries(capture_sg_pages PRIVATE hwsnap_warnings)

# With the backend built, the VSS sequence through ScsiBackend runs too.
if(TARGET hwsnap_scsi)
  target_link_libraries(scsi_vm_test PRIVATE hwsnap::scsi)
  target_compile_definitions(scsi_vm_test PRIVATE HWSNAP_VM_HAVE_SCSI_BACKEND)
endif()

add_test(NAME scsi_vm_tier
         COMMAND ${PROJECT_SOURCE_DIR}/tools/vm/run-vm-tests.sh $<TARGET_FILE:scsi_vm_test>)
set_tests_properties(scsi_vm_tier PROPERTIES
  RUN_SERIAL TRUE TIMEOUT 900 LABELS vm SKIP_RETURN_CODE 77)
