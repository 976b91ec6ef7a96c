# One place for the warning set every hwsnap target compiles with.
# (The option comes first: the generator expression below reads it.)
option(HWSNAP_WERROR "Treat warnings as errors" ON)
add_library(hwsnap_warnings INTERFACE)
target_compile_options(hwsnap_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
  -Wno-unused-parameter
  $<$<BOOL:${HWSNAP_WERROR}>:-Werror>)
