#!/usr/bin/env bash
# Installs the Debian packages the Windows cross-build and its Wine test run
# need: the MinGW-w64 toolchain (posix threads), Wine, the native tools used
# to bootstrap Boost's b2 (bison, g++), and dpkg-dev for `apt-get source`.
#
# Idempotent: it asks dpkg what is installed and calls apt-get (update, then
# install) only when something is missing. Run as root, or with sudo.
set -euo pipefail

PACKAGES=(
  g++-mingw-w64-x86-64-posix   # x86_64-w64-mingw32-g++-posix (GCC 12, winpthreads)
  mingw-w64-x86-64-dev         # Windows headers and import libraries (vss.h, vsprov.h, ...)
  wine wine64                  # runs the test executables (there is no wine32)
  cmake ninja-build            # the build itself
  g++                          # native compiler: bootstraps Boost's b2 engine
  bison                        # regenerates b2's jam grammar (missing from Debian's tarball)
  dpkg-dev                     # apt-get source unpacks with dpkg-source
  xz-utils bzip2               # source tarball formats
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-mingw: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "setup-mingw: missing ${missing[*]} and not root; run as root" >&2
    exit 1
  fi
fi

start=$SECONDS
echo "setup-mingw: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup-mingw: installed ${#missing[@]} packages in $((SECONDS - start)) s"
