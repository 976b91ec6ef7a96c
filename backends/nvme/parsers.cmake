# hwsnap::nvme_parsers — the pure NVMe layer: Identify/descriptor/list parsers
# over byte spans, command builders, the one NVMe status -> Status mapping,
# the namespace identity mapping and ReadNamespaceInfo (which talks only to
# the NvmeTransport interface). No OS headers and no libnvme: it builds on
# Linux, in the MinGW cross-build and under libFuzzer alike.
add_library(hwsnap_nvme_parsers
  src/id_lists.cc
  src/identify_controller.cc
  src/identify_namespace.cc
  src/identity_mapping.cc
  src/namespace_id_descriptors.cc
  src/namespace_reader.cc
  src/nvme_commands.cc
  src/nvme_status.cc
)
add_library(hwsnap::nvme_parsers ALIAS hwsnap_nvme_parsers)
target_include_directories(hwsnap_nvme_parsers PUBLIC
  $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
  $<INSTALL_INTERFACE:include>)
target_include_directories(hwsnap_nvme_parsers PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(hwsnap_nvme_parsers
  PUBLIC hwsnap::core absl::status absl::statusor absl::span absl::strings absl::str_format absl::time
  PRIVATE $<BUILD_INTERFACE:hwsnap_warnings>)
