#!/bin/sh
# Guest payload of tools/vm/capture-scsi-fixtures.sh: captures the identity
# pages and sense data of every SCSI device in the test VM with
# capture_sg_pages and writes them to the second serial port (/dev/ttyS1),
# which the host splits into tests/scsi/fixtures/vm/<device>/*.hex.
# hwsnap_qemu_wwn/hwsnap_qemu_serial come from the kernel command line.
# shellcheck disable=SC2154
out=/dev/ttyS1
stty -F "$out" raw -echo 2>/dev/null || true
rc=0
cap() { capture_sg_pages "$@" >>"$out" || rc=1; }

cap "$HWSNAP_SG_SCSI_DEBUG" scsi_debug "scsi_debug (dev_size_mb=16 lbpu=1 lbpws=1, fixed sense)"
# The same probes with descriptor-format sense (scsi_debug's dsense switch).
if echo 1 >/sys/bus/pseudo/drivers/scsi_debug/dsense; then
  cap "$HWSNAP_SG_SCSI_DEBUG" scsi_debug "scsi_debug (dev_size_mb=16 lbpu=1 lbpws=1, d_sense=1)" \
    --sense-suffix descriptor
  echo 0 >/sys/bus/pseudo/drivers/scsi_debug/dsense
else
  rc=1
fi
cap "$HWSNAP_SG_QEMU" qemu-scsi-hd \
  "QEMU 7.2 scsi-hd on virtio-scsi-pci (wwn=$hwsnap_qemu_wwn serial=$hwsnap_qemu_serial, 16 MiB raw file)"
cap "$HWSNAP_SG_LIO_A" lio-fileio-lun0 \
  "LIO fileio backstore lio_a (16 MiB, wwn/vpd_unit_serial=HWSNAP-LIO-A-600D0A01) via tcm_loop LUN 0"
cap "$HWSNAP_SG_LIO_B" lio-fileio-lun1 \
  "LIO fileio backstore lio_b (16 MiB, wwn/vpd_unit_serial=HWSNAP-LIO-B-600D0B02) via tcm_loop LUN 1"
exit "$rc"
