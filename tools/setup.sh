#!/usr/bin/env bash
# Installs what hwsnap needs to build and test on Debian 12, and nothing else.
# Idempotent: packages already present are left alone, and apt-get runs only
# when something is missing. Must run as root (or with sudo available).
set -euo pipefail

# Why each package is here is explained in README.md ("Dependencies").
PACKAGES=(
  g++ cmake ninja-build pkg-config
  libabsl-dev            # Status/StatusOr, strings, time, flags
  libboost-thread-dev    # worker threads; Boost.Uuid (headers) for GUIDs
  libspdlog-dev          # per-component asynchronous logging
  libgtest-dev libgmock-dev libnvme-dev  # unit tests; nvme/types.h for the NVMe layout cross-check
  nlohmann-json3-dev     # hwsnapctl --json output
  # SCSI backend (issue 6)
  libiscsi-dev libiscsi-bin  # user-space iSCSI initiator: transport and test peer
  tgt                    # user-space iSCSI target on 127.0.0.1: tier-1 tests, reference strategy
  qemu-system-x86 busybox-static cpio kmod  # tier-2 test VM (SG_IO against scsi_debug, QEMU disks, LIO)
  sg3-utils              # captures raw pages inside the test VM
  clang libclang-rt-14-dev  # libFuzzer builds of the device-data parsers
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "setup: missing packages (${missing[*]}) and not root; run as root" >&2
    exit 1
  fi
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
