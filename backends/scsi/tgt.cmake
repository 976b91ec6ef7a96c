# hwsnap::scsi_tgt — everything hwsnap needs to drive Linux tgt (Debian `tgt`):
#   process_runner     argv-vector child processes with timeouts (no shell)
#   tgt_admin          typed tgtadm calls + `show` parsing, one error mapping
#   tgt_daemon         a private tgtd on 127.0.0.1 for tests and hwsnapctl
#   tgt_array_control  the reference point-in-time ArrayControl strategy
# Linux only (tgt is a Linux target; the MinGW build has nothing to drive).
if(WIN32 OR NOT CMAKE_SYSTEM_NAME STREQUAL "Linux")
  return()
endif()
set(_hwsnap_tgt_sources
  src/posix_error.cc
  src/process_runner.cc
  src/tgt_admin.cc
  src/tgt_array_control.cc
  src/tgt_daemon.cc
  src/tgt_show_parser.cc
  src/tgt_snapshot_file.cc
)
add_library(hwsnap_scsi_tgt ${_hwsnap_tgt_sources})
add_library(hwsnap::scsi_tgt ALIAS hwsnap_scsi_tgt)
target_include_directories(hwsnap_scsi_tgt PUBLIC
  $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
  $<INSTALL_INTERFACE:include>)
target_link_libraries(hwsnap_scsi_tgt
  PUBLIC hwsnap::core absl::status absl::statusor absl::span absl::strings absl::str_format absl::time
  PRIVATE Threads::Threads $<BUILD_INTERFACE:hwsnap_warnings>)
unset(_hwsnap_tgt_sources)
