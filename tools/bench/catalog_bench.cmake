# catalog_bench — size, Open time (budget: 200 ms for 100,000 targets),
# lookup by identity at 1k vs 100k targets, and durable append latency of the
# catalog (hwsnap/catalog.h). Run by hand; not a test. Included from
# tools/bench/CMakeLists.txt.
add_executable(catalog_bench ${CMAKE_CURRENT_LIST_DIR}/catalog_bench.cc)
target_link_libraries(catalog_bench PRIVATE
  hwsnap::core hwsnap::mock absl::flags absl::flags_parse absl::flags_usage absl::str_format absl::strings absl::time
  hwsnap_warnings)
