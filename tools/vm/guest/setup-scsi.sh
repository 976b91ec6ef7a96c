# Sourced by /init: loads the SCSI modules and configures the devices under
# test, then exports their /dev/sg paths.
#
# Devices (the host adds the QEMU disk; see tools/vm/boot-vm.sh):
#   HWSNAP_SG_SCSI_DEBUG  scsi_debug, 16 MiB, logical block provisioning on
#   HWSNAP_SG_QEMU        QEMU scsi-hd on virtio-scsi with wwn= and serial=
#   HWSNAP_SG_LIO_A/_B    LIO fileio backstores lio_a/lio_b behind tcm_loop
#                         (LUN 0 and 1 of one TPG), each with its own
#                         vpd_unit_serial (LIO derives its NAA from it), both
#                         16 MiB, EXTENDED COPY (emulate_3pc) on by default.
# The values are also written to /run/hwsnap-devices.env.
# Returns non-zero when a device does not come up.

hwsnap_log() { echo "hwsnap-vm: $*"; }

# Modules in dependency order (resolved on the host by build-initramfs.sh).
while read -r ko; do
  [ -n "$ko" ] || continue
  name="${ko##*/}"
  name="${name%.ko}"
  params=""
  case "$name" in
    scsi_debug) params="dev_size_mb=16 lbpu=1 lbpws=1" ;;
  esac
  # shellcheck disable=SC2086
  insmod "/lib/modules/$ko" $params || { hwsnap_log "insmod $name failed"; return 1; }
done </hwsnap/modules.list

mount -t configfs configfs /sys/kernel/config || { hwsnap_log "no configfs"; return 1; }
# (target_core_mod logs "Unable to load target_core_*" and "db_root: cannot
# open: /etc/target" while loading: it probes for backends before ours are
# inserted and for a saved configuration we do not use. Harmless.)

# LIO: two fileio backstores exported through one tcm_loop TPG.
lio_core=/sys/kernel/config/target/core/fileio_0
lio_tpg=/sys/kernel/config/target/loopback/naa.5001405aabbccd00/tpgt_1
for dev in lio_a lio_b; do
  # LIO derives the NAA 6 designator from the hex digits of the serial.
  case "$dev" in
    lio_a) serial=HWSNAP-LIO-A-600D0A01 ;;
    *) serial=HWSNAP-LIO-B-600D0B02 ;;
  esac
  if ! { mkdir -p "$lio_core/$dev" &&
    echo "fd_dev_name=/tmp/$dev.img,fd_dev_size=16777216" >"$lio_core/$dev/control" &&
    echo "$serial" >"$lio_core/$dev/wwn/vpd_unit_serial" &&
    echo 1 >"$lio_core/$dev/enable"; }; then
    hwsnap_log "LIO backstore $dev failed"
    return 1
  fi
done
if ! { mkdir -p "$lio_tpg/lun/lun_0" "$lio_tpg/lun/lun_1" &&
  echo naa.5001405aabbccd01 >"$lio_tpg/nexus" &&
  ln -s "$lio_core/lio_a" "$lio_tpg/lun/lun_0/lio_a" &&
  ln -s "$lio_core/lio_b" "$lio_tpg/lun/lun_1/lio_b"; }; then
  hwsnap_log "tcm_loop setup failed"
  return 1
fi

# Finds the sg node of each device; SCSI scanning is asynchronous.
hwsnap_find_devices() {
  HWSNAP_SG_SCSI_DEBUG="" HWSNAP_SG_QEMU="" HWSNAP_SG_LIO_A="" HWSNAP_SG_LIO_B=""
  for sys in /sys/class/scsi_generic/sg*; do
    [ -e "$sys/device/vendor" ] || continue
    sg="/dev/${sys##*/}"
    [ -c "$sg" ] || continue
    vendor="$(cat "$sys/device/vendor")"
    model="$(cat "$sys/device/model")"
    hctl="$(basename "$(readlink "$sys/device")")"
    case "$vendor:$model:${hctl##*:}" in
      Linux*:scsi_debug*) HWSNAP_SG_SCSI_DEBUG="$sg" ;;
      QEMU*) HWSNAP_SG_QEMU="$sg" ;;
      LIO-ORG*:0) HWSNAP_SG_LIO_A="$sg" ;;
      LIO-ORG*:1) HWSNAP_SG_LIO_B="$sg" ;;
    esac
  done
  [ -n "$HWSNAP_SG_SCSI_DEBUG" ] && [ -n "$HWSNAP_SG_QEMU" ] &&
    [ -n "$HWSNAP_SG_LIO_A" ] && [ -n "$HWSNAP_SG_LIO_B" ]
}
tries=0
until hwsnap_find_devices; do
  tries=$((tries + 1))
  if [ "$tries" -gt 100 ]; then
    hwsnap_log "devices missing after 10 s: scsi_debug='$HWSNAP_SG_SCSI_DEBUG' qemu='$HWSNAP_SG_QEMU' lio_a='$HWSNAP_SG_LIO_A' lio_b='$HWSNAP_SG_LIO_B'"
    for sys in /sys/class/scsi_generic/sg*; do
      [ -e "$sys/device/vendor" ] && hwsnap_log "  ${sys##*/}: $(cat "$sys/device/vendor") $(cat "$sys/device/model")"
    done
    return 1
  fi
  sleep 0.1
done
export HWSNAP_SG_SCSI_DEBUG HWSNAP_SG_QEMU HWSNAP_SG_LIO_A HWSNAP_SG_LIO_B
cat >/run/hwsnap-devices.env <<ENV
HWSNAP_SG_SCSI_DEBUG=$HWSNAP_SG_SCSI_DEBUG
HWSNAP_SG_QEMU=$HWSNAP_SG_QEMU
HWSNAP_SG_LIO_A=$HWSNAP_SG_LIO_A
HWSNAP_SG_LIO_B=$HWSNAP_SG_LIO_B
ENV
hwsnap_log "devices: scsi_debug=$HWSNAP_SG_SCSI_DEBUG qemu=$HWSNAP_SG_QEMU lio_a=$HWSNAP_SG_LIO_A lio_b=$HWSNAP_SG_LIO_B"
