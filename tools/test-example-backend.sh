#!/usr/bin/env bash
# Proves the backend author kit works from outside the tree: installs hwsnap
# (built by the default preset) into build/example-prefix, then configures,
# builds and tests docs/examples/file-backend against that install alone.
# Exits non-zero if any step or test fails.
#
#   tools/test-example-backend.sh     # after cmake --build --preset default
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD="${HWSNAP_EXAMPLE_HWSNAP_BUILD:-build/default}"
PREFIX="build/example-prefix"
EXAMPLE_BUILD="build/example-file-backend"
JOBS="${HWSNAP_JOBS:-$(nproc)}"

rm -rf "${PREFIX}" "${EXAMPLE_BUILD}"
cmake --install "${BUILD}" --prefix "${PREFIX}" >/dev/null
cmake -S docs/examples/file-backend -B "${EXAMPLE_BUILD}" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_PREFIX_PATH="$(pwd)/${PREFIX}" >/dev/null
cmake --build "${EXAMPLE_BUILD}" -j "${JOBS}"
ctest --test-dir "${EXAMPLE_BUILD}" --output-on-failure --no-tests=error -j "${JOBS}"
