# Tests of hwsnap::scsi_transport: address parsing and the SCSI pass-through
# request rules everywhere (Linux and under Wine), OpenScsiTransport's
# dispatch, SG_IO's open path and outcome decoding on Linux, and the libiscsi
# transport against a real tgtd on 127.0.0.1 (label "tgt"; the cases skip
# with a message when not root or tgtd is missing — CI is root with tgt).
if(NOT TARGET hwsnap_scsi_transport)
  return()
endif()
get_target_property(_hwsnap_transports hwsnap_scsi_transport HWSNAP_TRANSPORTS)

hwsnap_add_test(scsi_address_test SOURCES scsi_address_test.cc LIBS hwsnap::scsi_transport)

hwsnap_add_test(spti_request_test SOURCES spti_request_test.cc LIBS hwsnap::scsi_transport)
target_include_directories(spti_request_test PRIVATE ${PROJECT_SOURCE_DIR}/backends/scsi)

hwsnap_add_test(open_scsi_transport_test SOURCES open_scsi_transport_test.cc
                LIBS hwsnap::scsi_transport)
foreach(_transport IN LISTS _hwsnap_transports)
  string(TOUPPER "${_transport}" _upper)
  target_compile_definitions(open_scsi_transport_test PRIVATE HWSNAP_TEST_HAVE_${_upper})
endforeach()

if("sg_io" IN_LIST _hwsnap_transports)
  hwsnap_add_test(sg_io_transport_test SOURCES sg_io_transport_test.cc LIBS hwsnap::scsi_transport)
endif()

# Against a real tgtd (TgtDaemon from hwsnap::scsi_tgt; each case starts its
# own), including ReadLunInfo end to end over the transport.
if("libiscsi" IN_LIST _hwsnap_transports AND TARGET hwsnap_scsi_tgt AND TARGET hwsnap_scsi_parsers)
  hwsnap_add_test(libiscsi_transport_test SOURCES libiscsi_transport_test.cc
                  LIBS hwsnap::scsi_transport hwsnap::scsi_parsers hwsnap::scsi_tgt LABELS tgt)
endif()
unset(_hwsnap_transports)
