# `cmake --install` rules: headers, the libraries a backend author links
# (hwsnap::core, hwsnap::mock and, when tests are built, hwsnap::conformance)
# and a CMake package, so an out-of-tree backend needs only
#
#   find_package(hwsnap CONFIG REQUIRED)
#   target_link_libraries(my_backend PUBLIC hwsnap::core)
#
# (docs/examples/file-backend does exactly that). Included last by the
# top-level CMakeLists, after every target exists.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(HWSNAP_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/hwsnap")

set_target_properties(hwsnap_core PROPERTIES EXPORT_NAME core)
set_target_properties(hwsnap_mock PROPERTIES EXPORT_NAME mock)
set(_hwsnap_installed hwsnap_core hwsnap_mock)
install(DIRECTORY "${PROJECT_SOURCE_DIR}/core/include/hwsnap" "${PROJECT_SOURCE_DIR}/backends/mock/include/hwsnap"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}" FILES_MATCHING PATTERN "*.h")

# The conformance kit needs GoogleTest, so it exists only in builds with tests.
set(HWSNAP_INSTALL_CONFORMANCE OFF)
if(TARGET hwsnap_conformance)
  set(HWSNAP_INSTALL_CONFORMANCE ON)
  list(APPEND _hwsnap_installed hwsnap_conformance)
  install(DIRECTORY "${PROJECT_SOURCE_DIR}/tests/conformance/include/hwsnap"
          DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}" FILES_MATCHING PATTERN "*.h")
endif()

install(TARGETS ${_hwsnap_installed} EXPORT hwsnapTargets
        ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
        LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
        RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}"
        INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(EXPORT hwsnapTargets NAMESPACE hwsnap:: DESTINATION "${HWSNAP_INSTALL_CMAKEDIR}")

configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/hwsnapConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/hwsnapConfig.cmake"
  INSTALL_DESTINATION "${HWSNAP_INSTALL_CMAKEDIR}")
# 0.x: a minor version may break the backend seam.
write_basic_package_version_file("${PROJECT_BINARY_DIR}/hwsnapConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}" COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/hwsnapConfig.cmake" "${PROJECT_BINARY_DIR}/hwsnapConfigVersion.cmake"
        DESTINATION "${HWSNAP_INSTALL_CMAKEDIR}")
