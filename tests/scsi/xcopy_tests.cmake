# Tests of hwsnap::scsi_xcopy (backends/scsi/xcopy.cmake): XcopyArrayControl
# against fake LUNs built from the pages captured from LIO in the test VM, and
# (vm/vm_tests.cmake) the VM tier that runs the real SG_IO transport,
# ReadLunInfo and EXTENDED COPY against scsi_debug, QEMU scsi-hd and LIO.
if(NOT TARGET hwsnap_scsi_xcopy OR NOT TARGET hwsnap_scsi_test_support)
  return()
endif()

hwsnap_add_test(xcopy_array_control_test SOURCES xcopy_array_control_test.cc
                LIBS hwsnap::scsi_xcopy hwsnap_scsi_test_support)

include(${CMAKE_CURRENT_SOURCE_DIR}/vm/vm_tests.cmake)
