# hwsnap::scsi_parsers — the pure SCSI layer: CDB builders and parser,
# INQUIRY/VPD/READ CAPACITY/REPORT LUNS/sense parsers over byte spans, the one
# sense -> Status mapping, LUN identity building and ReadLunInfo (which talks
# only to the ScsiTransport interface). No OS headers: it builds on Linux, in
# the MinGW cross-build and under libFuzzer alike.
add_library(hwsnap_scsi_parsers
  src/asc_text.cc
  src/cdb.cc
  src/cdb_extended_copy.cc
  src/identity_builder.cc
  src/inquiry.cc
  src/lun_reader.cc
  src/read_capacity.cc
  src/report_luns.cc
  src/sense.cc
  src/sense_status.cc
  src/vpd_device_id.cc
  src/vpd_pages.cc
  src/vpd_third_party_copy.cc
)
add_library(hwsnap::scsi_parsers ALIAS hwsnap_scsi_parsers)
target_include_directories(hwsnap_scsi_parsers PUBLIC
  $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
  $<INSTALL_INTERFACE:include>)
target_include_directories(hwsnap_scsi_parsers PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(hwsnap_scsi_parsers
  PUBLIC hwsnap::core absl::status absl::statusor absl::span absl::strings absl::str_format absl::time
  PRIVATE $<BUILD_INTERFACE:hwsnap_warnings>)
