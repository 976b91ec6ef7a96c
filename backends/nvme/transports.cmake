# hwsnap::nvme_transport — how NVMe commands reach a controller (hwsnap/nvme/nvme_transport.h):
#   address parsing, ValidateNvmeCommand,
#   OpenNvmeTransport, the Windows request layout  everywhere (pure)
#   passthrough ioctls on /dev/nvme*, /dev/ng*       Linux            HWSNAP_HAVE_NVME_IOCTL
#   storage protocol commands on \\.\PhysicalDriveN  Windows (MinGW)  HWSNAP_HAVE_STORAGE_PROTOCOL
# The target property HWSNAP_TRANSPORTS lists the transports built in
# ("nvme_ioctl", "storage_protocol") so test fragments can follow suit.
add_library(hwsnap_nvme_transport
  src/nvme_address.cc
  src/open_nvme_transport.cc
  src/storage_protocol_request.cc
  src/validate_nvme_command.cc
)
add_library(hwsnap::nvme_transport ALIAS hwsnap_nvme_transport)
target_include_directories(hwsnap_nvme_transport PUBLIC
  $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
  $<INSTALL_INTERFACE:include>)
# Internal headers (src/storage_protocol_request.h, src/nvme_sysfs.h) are included as "src/...".
target_include_directories(hwsnap_nvme_transport PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(hwsnap_nvme_transport
  PUBLIC hwsnap::core absl::status absl::statusor absl::strings absl::time absl::span
  PRIVATE absl::str_format $<BUILD_INTERFACE:hwsnap_warnings>)

set(_hwsnap_transports "")
if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
  target_sources(hwsnap_nvme_transport PRIVATE
    src/nvme_ioctl_transport_linux.cc
    src/nvme_sysfs.cc)
  target_compile_definitions(hwsnap_nvme_transport PRIVATE HWSNAP_HAVE_NVME_IOCTL)
  list(APPEND _hwsnap_transports nvme_ioctl)
endif()
if(WIN32)
  target_sources(hwsnap_nvme_transport PRIVATE src/storage_protocol_transport_windows.cc)
  target_compile_definitions(hwsnap_nvme_transport PRIVATE HWSNAP_HAVE_STORAGE_PROTOCOL)
  list(APPEND _hwsnap_transports storage_protocol)
endif()
set_property(TARGET hwsnap_nvme_transport PROPERTY HWSNAP_TRANSPORTS "${_hwsnap_transports}")
unset(_hwsnap_transports)
