# The durable catalog (hwsnap/catalog.h): sources added to hwsnap_core.
target_sources(hwsnap_core PRIVATE)
