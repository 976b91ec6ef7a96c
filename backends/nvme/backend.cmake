# hwsnap_nvme: the NVMe backend proper — NvmeBackend (state, rollback, identity
# from the namespaces) over any NamespaceControl, the reference strategy
# NamespaceCopyControl, and the registration as "nvme" (with its options).
if(NOT TARGET hwsnap_nvme_parsers OR NOT TARGET hwsnap_nvme_transport)
  return()
endif()
add_library(hwsnap_nvme
  src/nvme_backend.cc
  src/nvme_options.cc
  src/nvme_registration.cc
  src/namespace_copy_control.cc)
add_library(hwsnap::nvme ALIAS hwsnap_nvme)
target_include_directories(hwsnap_nvme PUBLIC
  $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
  $<INSTALL_INTERFACE:include>)
target_link_libraries(hwsnap_nvme
  PUBLIC hwsnap::core hwsnap::nvme_parsers hwsnap::nvme_transport
  PRIVATE absl::strings absl::str_format $<BUILD_INTERFACE:hwsnap_warnings>)
