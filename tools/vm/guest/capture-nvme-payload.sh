#!/bin/sh
# Guest payload of tools/vm/capture-nvme-fixtures.sh: captures the Identify
# data, error statuses and attach/copy observations of the VM's QEMU NVMe
# controller with capture_nvme_identify and writes them to the second serial
# port (/dev/ttyS1), which the host decodes into
# tests/nvme/fixtures/vm/qemu-nvme/. The layout comes from setup-nvme.sh.
out=/dev/ttyS1
stty -F "$out" raw -echo 2>/dev/null || true
first_pool="${HWSNAP_NVME_POOL%-*}"
first_source="${HWSNAP_NVME_SOURCES%% *}"
capture_nvme_identify "$HWSNAP_NVME_CTRL" "$first_source" "$HWSNAP_NVME_SCRATCH" "$first_pool" >>"$out"
