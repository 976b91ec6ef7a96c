# hwsnap_scsi: the SCSI backend proper — ScsiBackend (state, rollback, identity
# from the LUNs) over any ArrayControl, and its registration as "scsi".
if(NOT TARGET hwsnap_scsi_parsers OR NOT TARGET hwsnap_scsi_transport)
  return()
endif()
add_library(hwsnap_scsi src/scsi_backend.cc)
add_library(hwsnap::scsi ALIAS hwsnap_scsi)
target_include_directories(hwsnap_scsi PUBLIC
  $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
  $<INSTALL_INTERFACE:include>)
target_link_libraries(hwsnap_scsi
  PUBLIC hwsnap::core hwsnap::scsi_parsers hwsnap::scsi_transport
  PRIVATE absl::strings $<BUILD_INTERFACE:hwsnap_warnings>)
