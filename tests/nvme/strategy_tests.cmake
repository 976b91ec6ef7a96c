# Tests of NamespaceCopyControl (backends/nvme/src/namespace_copy_control.cc):
# the fake NVMe subsystem they run over (hwsnap_nvme_fake, which lays out
# every Identify structure itself from the specification's offsets), the
# strategy on its own, and NvmeBackend + the strategy through the conformance
# suite. The VM tier (vm/nvme_backend_vm_test.cc) runs the same strategy on
# QEMU's emulated controller.
if(NOT TARGET hwsnap_nvme)
  return()
endif()

add_library(hwsnap_nvme_fake STATIC fake_nvme_controller.cc)
target_include_directories(hwsnap_nvme_fake PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(hwsnap_nvme_fake PUBLIC hwsnap::nvme PRIVATE absl::strings hwsnap_warnings)

hwsnap_add_test(fake_nvme_controller_test
  SOURCES fake_nvme_controller_test.cc
  LIBS hwsnap_nvme_fake)

hwsnap_add_test(namespace_copy_control_test
  SOURCES namespace_copy_control_test.cc
  LIBS hwsnap_nvme_fake)

# Concurrent prepares and life cycles in the conformance suite: "concurrency" (tsan preset).
hwsnap_add_test(nvme_backend_fake_test
  SOURCES nvme_backend_fake_test.cc
  LIBS hwsnap_nvme_fake hwsnap::conformance
  LABELS concurrency)

# Restart: a second NvmeBackend + NamespaceCopyControl over the same fake
# controller takes the first one's targets back (RestoreTarget / Adopt).
hwsnap_add_test(nvme_backend_restore_test
  SOURCES nvme_backend_restore_test.cc
  LIBS hwsnap_nvme_fake)
