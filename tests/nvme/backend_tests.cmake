# Tests of hwsnap::nvme (backends/nvme/backend.cmake): NvmeBackend over an
# in-test fake controller and strategy (its own logic + the conformance
# suite), the "nvme" options, and the registration.
if(NOT TARGET hwsnap_nvme)
  return()
endif()

# Concurrent prepares/lifecycles, here and in the conformance suite:
# "concurrency" (tsan preset).
hwsnap_add_test(nvme_backend_test
  SOURCES nvme_backend_test.cc
  LIBS hwsnap::nvme hwsnap::conformance
  LABELS concurrency)

# The "nvme" registry options (pure).
hwsnap_add_test(nvme_options_test SOURCES nvme_options_test.cc LIBS hwsnap::nvme)

# The "nvme" registry entry, against a controller this host does not have.
hwsnap_add_test(nvme_registration_test SOURCES nvme_registration_test.cc LIBS hwsnap::nvme)
