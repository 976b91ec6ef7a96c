# hwsnap::scsi_xcopy — XcopyArrayControl, the EXTENDED COPY (LID1) pool
# strategy (hwsnap/scsi/xcopy_array_control.h). It speaks only SCSI through
# the ScsiTransport interface, so it builds wherever the parsers and the
# transport layer do (Linux, the MinGW cross-build); OpenScsiTransport is its
# default way to reach a LUN.
if(NOT TARGET hwsnap_scsi_parsers OR NOT TARGET hwsnap_scsi_transport)
  return()
endif()
add_library(hwsnap_scsi_xcopy src/xcopy_array_control.cc)
add_library(hwsnap::scsi_xcopy ALIAS hwsnap_scsi_xcopy)
target_include_directories(hwsnap_scsi_xcopy PUBLIC
  $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
  $<INSTALL_INTERFACE:include>)
target_link_libraries(hwsnap_scsi_xcopy
  PUBLIC hwsnap::scsi_parsers hwsnap::scsi_transport hwsnap::core absl::status absl::statusor absl::span
         absl::strings absl::time
  PRIVATE absl::str_format $<BUILD_INTERFACE:hwsnap_warnings>)
