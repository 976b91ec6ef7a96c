# hwsnap_scsi: the SCSI backend proper — ScsiBackend (state, rollback, identity
# from the LUNs) over any ArrayControl, and its registration as "scsi".
if(NOT TARGET hwsnap_scsi_parsers OR NOT TARGET hwsnap_scsi_transport)
  return()
endif()
add_library(hwsnap_scsi src/scsi_backend.cc src/scsi_options.cc src/scsi_registration.cc)
add_library(hwsnap::scsi ALIAS hwsnap_scsi)
target_include_directories(hwsnap_scsi PUBLIC
  $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
  $<INSTALL_INTERFACE:include>)
target_link_libraries(hwsnap_scsi
  PUBLIC hwsnap::core hwsnap::scsi_parsers hwsnap::scsi_transport
  PRIVATE absl::strings $<BUILD_INTERFACE:hwsnap_warnings>)
# The strategies this build has (tgt: Linux; xcopy: wherever transports build).
if(TARGET hwsnap_scsi_tgt)
  target_link_libraries(hwsnap_scsi PUBLIC hwsnap::scsi_tgt)
  target_compile_definitions(hwsnap_scsi PRIVATE HWSNAP_SCSI_HAVE_TGT=1)
endif()
if(TARGET hwsnap_scsi_xcopy)
  target_link_libraries(hwsnap_scsi PUBLIC hwsnap::scsi_xcopy)
  target_compile_definitions(hwsnap_scsi PRIVATE HWSNAP_SCSI_HAVE_XCOPY=1)
endif()
