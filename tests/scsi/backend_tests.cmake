# Tests of hwsnap::scsi (backends/scsi/backend.cmake): ScsiBackend over a fake
# array (its own logic + the conformance suite), and — Linux with tgt — the
# same backend and the "scsi" registration against a real tgtd on 127.0.0.1.
if(NOT TARGET hwsnap_scsi OR NOT TARGET hwsnap_scsi_test_support)
  return()
endif()

add_library(hwsnap_scsi_fake_array STATIC fake_array.cc)
target_link_libraries(hwsnap_scsi_fake_array PUBLIC hwsnap::scsi hwsnap_scsi_test_support PRIVATE hwsnap_warnings)

# Concurrent prepares in the conformance suite: "concurrency" (tsan preset).
hwsnap_add_test(scsi_backend_test
  SOURCES scsi_backend_test.cc
  LIBS hwsnap_scsi_fake_array hwsnap::conformance
  LABELS concurrency)

# Restart: a second backend + strategy over the same fake array takes the
# first one's targets back (RestoreTarget / Adopt).
hwsnap_add_test(scsi_backend_restore_test
  SOURCES scsi_backend_restore_test.cc
  LIBS hwsnap_scsi_fake_array)

# The "scsi" registry options (pure).
hwsnap_add_test(scsi_options_test SOURCES scsi_options_test.cc LIBS hwsnap::scsi)

# The same backend over a real tgtd (Linux, tgt + libiscsi): conformance suite,
# point-in-time data, masking until expose, abort mid-prepare. Each test runs
# its own tgtd on its own control id and port.
if(TARGET hwsnap_scsi_tgt)
  hwsnap_add_test(scsi_backend_tgt_test
    SOURCES scsi_backend_tgt_test.cc
    LIBS hwsnap::scsi hwsnap::conformance
    LABELS "concurrency;tgt")
endif()
