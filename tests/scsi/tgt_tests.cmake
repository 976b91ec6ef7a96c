# Tests of the tgt layer (hwsnap::scsi_tgt). Label "tgt". The daemon and
# array-control suites start their own tgtd each (root + Debian `tgt`; they
# skip with a message otherwise); the parser suite is pure.
if(NOT TARGET hwsnap_scsi_tgt)
  return()
endif()
hwsnap_add_test(process_runner_test SOURCES process_runner_test.cc
  LIBS hwsnap::scsi_tgt LABELS tgt)
hwsnap_add_test(tgt_show_parser_test SOURCES tgt_show_parser_test.cc
  LIBS hwsnap::scsi_tgt LABELS tgt)
target_compile_definitions(tgt_show_parser_test PRIVATE
  HWSNAP_TGT_FIXTURE_DIR="${CMAKE_CURRENT_SOURCE_DIR}/fixtures/tgt")
hwsnap_add_test(tgt_daemon_test SOURCES tgt_daemon_test.cc
  LIBS hwsnap::scsi_tgt LABELS tgt concurrency)
hwsnap_add_test(tgt_array_control_test SOURCES tgt_array_control_test.cc
  LIBS hwsnap::scsi_tgt LABELS tgt concurrency)
# Also read the snapshot over iSCSI where the libiscsi transport is built.
if(TARGET hwsnap_scsi_transport AND TARGET hwsnap_scsi_parsers)
  get_target_property(_hwsnap_tgt_transports hwsnap_scsi_transport HWSNAP_TRANSPORTS)
  if("libiscsi" IN_LIST _hwsnap_tgt_transports)
    target_link_libraries(tgt_array_control_test PRIVATE hwsnap::scsi_transport hwsnap::scsi_parsers)
    target_compile_definitions(tgt_array_control_test PRIVATE HWSNAP_TGT_TEST_WITH_ISCSI)
  endif()
  unset(_hwsnap_tgt_transports)
endif()
