# The durable catalog (hwsnap/catalog.h): sources added to hwsnap_core.
# The platform file (catalog_file_*.cc) is chosen here, never by #ifdef.
target_sources(hwsnap_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/catalog.cc
  ${CMAKE_CURRENT_LIST_DIR}/catalog_format.cc
  ${CMAKE_CURRENT_LIST_DIR}/catalog_state.cc)
if(WIN32)
  target_sources(hwsnap_core PRIVATE ${CMAKE_CURRENT_LIST_DIR}/catalog_file_windows.cc)
else()
  target_sources(hwsnap_core PRIVATE ${CMAKE_CURRENT_LIST_DIR}/catalog_file_posix.cc)
endif()
# Internal headers are included as "catalog/..." from core/src.
target_include_directories(hwsnap_core PRIVATE ${CMAKE_CURRENT_LIST_DIR}/..)
target_link_libraries(hwsnap_core PRIVATE absl::flat_hash_map)
