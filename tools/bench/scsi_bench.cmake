# hwsnap_scsi_bench — identity of 64 LUNs over loopback iSCSI: hwsnap vs
# libiscsi's iscsi-inq vs a raw libiscsi loop (issue 6). Run by hand (root,
# Debian tgt + libiscsi-bin); not a test. Included from tools/bench/CMakeLists.txt.
# Needs the libiscsi transport, the parsers (ReadLunInfo) and the tgt layer
# (TgtDaemon); skipped where any is missing (e.g. the MinGW build).
if(NOT TARGET hwsnap_scsi_transport OR NOT TARGET hwsnap_scsi_parsers OR NOT TARGET hwsnap_scsi_tgt)
  return()
endif()
get_target_property(_hwsnap_transports hwsnap_scsi_transport HWSNAP_TRANSPORTS)
if(NOT "libiscsi" IN_LIST _hwsnap_transports)
  unset(_hwsnap_transports)
  return()
endif()
unset(_hwsnap_transports)
find_package(PkgConfig REQUIRED)
pkg_check_modules(HWSNAP_BENCH_LIBISCSI REQUIRED IMPORTED_TARGET libiscsi)
add_executable(hwsnap_scsi_bench ${CMAKE_CURRENT_LIST_DIR}/scsi_identity_bench.cc)
target_link_libraries(hwsnap_scsi_bench PRIVATE
  hwsnap::scsi_transport hwsnap::scsi_parsers hwsnap::scsi_tgt PkgConfig::HWSNAP_BENCH_LIBISCSI
  absl::flags absl::flags_parse absl::flags_usage absl::str_format absl::strings absl::time
  hwsnap_warnings)
