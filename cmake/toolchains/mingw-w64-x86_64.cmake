# CMake toolchain file: 64-bit Windows with Debian's MinGW-w64 (GCC, posix
# thread model), fully static executables and DLLs, tests run under Wine.
#
#   cmake -S . -B build/windows -G Ninja \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/mingw-w64-x86_64.cmake
#
# Libraries are searched only in the MinGW sysroot and in the dependency
# prefix tools/windows/build-deps.sh fills: HWSNAP_WIN_DEPS_PREFIX, by default
# $HWSNAP_WIN_CACHE/prefix, else build/windows-cache/prefix in this repository.
# tools/windows/test-windows.sh drives the whole thing.
#
# Tests: CMAKE_CROSSCOMPILING_EMULATOR is wine, so gtest_discover_tests and
# CTest run the .exe files under Wine. With HWSNAP_WINEPREFIX set, every run
# uses that Wine prefix (and WINEDEBUG=-all) whatever the caller's environment.

set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_SYSTEM_VERSION 10.0)

set(HWSNAP_MINGW_TRIPLE x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${HWSNAP_MINGW_TRIPLE}-gcc-posix)
set(CMAKE_CXX_COMPILER ${HWSNAP_MINGW_TRIPLE}-g++-posix)
set(CMAKE_RC_COMPILER ${HWSNAP_MINGW_TRIPLE}-windres)
# The "-posix" suffix hides the binutils prefix from CMake's own guess: name them.
find_program(CMAKE_AR ${HWSNAP_MINGW_TRIPLE}-ar REQUIRED NO_CMAKE_FIND_ROOT_PATH)
find_program(CMAKE_RANLIB ${HWSNAP_MINGW_TRIPLE}-ranlib REQUIRED NO_CMAKE_FIND_ROOT_PATH)
find_program(CMAKE_NM ${HWSNAP_MINGW_TRIPLE}-nm NO_CMAKE_FIND_ROOT_PATH)
find_program(CMAKE_OBJDUMP ${HWSNAP_MINGW_TRIPLE}-objdump NO_CMAKE_FIND_ROOT_PATH)
find_program(CMAKE_STRIP ${HWSNAP_MINGW_TRIPLE}-strip NO_CMAKE_FIND_ROOT_PATH)

# Where build-deps.sh installed Abseil, GoogleTest, fmt, spdlog and Boost.
if(NOT HWSNAP_WIN_DEPS_PREFIX)
  if(DEFINED ENV{HWSNAP_WIN_CACHE} AND NOT "$ENV{HWSNAP_WIN_CACHE}" STREQUAL "")
    set(_hwsnap_prefix "$ENV{HWSNAP_WIN_CACHE}/prefix")
  else()
    get_filename_component(_hwsnap_prefix "${CMAKE_CURRENT_LIST_DIR}/../../build/windows-cache/prefix" ABSOLUTE)
  endif()
  set(HWSNAP_WIN_DEPS_PREFIX "${_hwsnap_prefix}" CACHE PATH
      "Install prefix of the cross-built dependencies (tools/windows/build-deps.sh)")
endif()

set(CMAKE_FIND_ROOT_PATH "${HWSNAP_WIN_DEPS_PREFIX}" "/usr/${HWSNAP_MINGW_TRIPLE}")
if(NOT HWSNAP_WIN_DEPS_PREFIX IN_LIST CMAKE_PREFIX_PATH)
  list(APPEND CMAKE_PREFIX_PATH "${HWSNAP_WIN_DEPS_PREFIX}")
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Everything static: no libstdc++, libgcc or libwinpthread DLL next to our binaries.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")
set(Boost_USE_STATIC_LIBS ON)
set(Boost_USE_STATIC_RUNTIME ON)

# Run Windows executables (tests, gtest discovery) under Wine.
find_program(HWSNAP_WINE wine NO_CMAKE_FIND_ROOT_PATH)
if(HWSNAP_WINE)
  if(HWSNAP_WINEPREFIX)
    set(CMAKE_CROSSCOMPILING_EMULATOR
        /usr/bin/env "WINEPREFIX=${HWSNAP_WINEPREFIX}" WINEDEBUG=-all "${HWSNAP_WINE}")
  else()
    set(CMAKE_CROSSCOMPILING_EMULATOR "${HWSNAP_WINE}")
  endif()
endif()

# try_compile projects re-read this file: hand them the same choices.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES HWSNAP_WIN_DEPS_PREFIX HWSNAP_WINEPREFIX)
