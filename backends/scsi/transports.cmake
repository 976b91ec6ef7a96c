# hwsnap::scsi_transport — how SCSI commands reach a LUN (hwsnap/scsi/scsi_transport.h):
#   address parsing + OpenScsiTransport  everywhere (pure)
#   SG_IO on /dev/sgN, /dev/sdX           Linux               HWSNAP_HAVE_SG_IO
#   iSCSI through libiscsi                where pkg-config finds libiscsi
#                                         (HWSNAP_WITH_LIBISCSI)  HWSNAP_HAVE_LIBISCSI
#   SCSI pass-through (SPTI)              Windows (MinGW)     HWSNAP_HAVE_SPTI
# The target property HWSNAP_TRANSPORTS lists the transports built in
# ("libiscsi", "sg_io", "spti") so test fragments can follow suit.
option(HWSNAP_WITH_LIBISCSI "Build the libiscsi (user-space iSCSI) SCSI transport when libiscsi is found" ON)

add_library(hwsnap_scsi_transport
  src/open_scsi_transport.cc
  src/scsi_address.cc
  src/spti_request.cc
  src/validate_scsi_command.cc
)
add_library(hwsnap::scsi_transport ALIAS hwsnap_scsi_transport)
target_include_directories(hwsnap_scsi_transport PUBLIC
  $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
  $<INSTALL_INTERFACE:include>)
# Internal headers (src/spti_request.h) are included as "src/...".
target_include_directories(hwsnap_scsi_transport PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(hwsnap_scsi_transport
  PUBLIC hwsnap::core absl::status absl::statusor absl::strings absl::time
  PRIVATE absl::str_format $<BUILD_INTERFACE:hwsnap_warnings>)

set(_hwsnap_transports "")
if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
  target_sources(hwsnap_scsi_transport PRIVATE src/sg_io_transport_linux.cc)
  target_compile_definitions(hwsnap_scsi_transport PRIVATE HWSNAP_HAVE_SG_IO)
  list(APPEND _hwsnap_transports sg_io)
  if(HWSNAP_WITH_LIBISCSI)
    find_package(PkgConfig QUIET)
    if(PkgConfig_FOUND)
      pkg_check_modules(HWSNAP_LIBISCSI QUIET IMPORTED_TARGET libiscsi)
    endif()
    if(HWSNAP_LIBISCSI_FOUND)
      target_sources(hwsnap_scsi_transport PRIVATE src/libiscsi_transport.cc)
      target_compile_definitions(hwsnap_scsi_transport PRIVATE HWSNAP_HAVE_LIBISCSI)
      target_link_libraries(hwsnap_scsi_transport PRIVATE PkgConfig::HWSNAP_LIBISCSI)
      list(APPEND _hwsnap_transports libiscsi)
    else()
      message(STATUS "hwsnap: libiscsi not found (Debian: libiscsi-dev); iscsi:// transport left out")
    endif()
  endif()
endif()
if(WIN32)
  target_sources(hwsnap_scsi_transport PRIVATE src/spti_transport_windows.cc)
  target_compile_definitions(hwsnap_scsi_transport PRIVATE HWSNAP_HAVE_SPTI)
  list(APPEND _hwsnap_transports spti)
endif()
set_property(TARGET hwsnap_scsi_transport PROPERTY HWSNAP_TRANSPORTS "${_hwsnap_transports}")
unset(_hwsnap_transports)
