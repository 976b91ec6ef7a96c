# Sourced by /init after setup-scsi.sh: waits for the QEMU NVMe controller
# and its attached namespaces (NVMe is built into the guest kernel; devtmpfs
# creates the nodes) and exports the layout for the tests.
#
# The layout comes from tools/vm/boot-vm.sh through the kernel command line
# (hwsnap_nvme_*) and is exported as:
#   HWSNAP_NVME_CTRL      /dev/nvme0 (the controller's admin device)
#   HWSNAP_NVME_NQN       subsystem NQN;  HWSNAP_NVME_SERIAL  controller serial
#   HWSNAP_NVME_SOURCES   "1 2 3 4"  attached source namespaces
#   HWSNAP_NVME_SCRATCH   5          attached scratch namespace (raw commands)
#   HWSNAP_NVME_POOL      "6-33"     detached namespaces (attach/detach freely,
#                                    detach again what you attached)
#   HWSNAP_NVME_EUI64     00c0ffee000000NN      identity templates: NN = the
#   HWSNAP_NVME_UUID      6e766d65-0000-4000-8000-0000000000NN   nsid, 2 hex digits
#   HWSNAP_NVME_NS_<N>    /dev/nvme0nX for each attached nsid N (found by the
#                         block device's sysfs nsid: with CONFIG_NVME_MULTIPATH
#                         the names are the subsystem's head instances)
# The values are also appended to /run/hwsnap-devices.env.
# Returns non-zero when the controller or a namespace does not come up.
# shellcheck disable=SC2154

hwsnap_log() { echo "hwsnap-vm: $*"; }

HWSNAP_NVME_CTRL=/dev/nvme0
HWSNAP_NVME_NQN="$hwsnap_nvme_nqn"
HWSNAP_NVME_SERIAL="$hwsnap_nvme_serial"
HWSNAP_NVME_SCRATCH="$hwsnap_nvme_scratch"
HWSNAP_NVME_POOL="$hwsnap_nvme_pool"
HWSNAP_NVME_EUI64="$hwsnap_nvme_eui64"
HWSNAP_NVME_UUID="$hwsnap_nvme_uuid"
HWSNAP_NVME_SOURCES="$(seq -s ' ' "${hwsnap_nvme_sources%-*}" "${hwsnap_nvme_sources#*-}")"
if [ -z "$HWSNAP_NVME_SERIAL" ] || [ -z "$HWSNAP_NVME_SCRATCH" ] || [ -z "$HWSNAP_NVME_SOURCES" ]; then
  hwsnap_log "no NVMe layout on the kernel command line (hwsnap_nvme_*)"
  return 1
fi

# The block device (multipath head, /dev/nvme0nX) of nsid $1, or nothing.
hwsnap_nvme_block() {
  for sys in /sys/block/nvme*n*; do
    case "${sys##*/}" in nvme*c*) continue ;; esac  # hidden per-path devices
    [ "$(cat "$sys/nsid" 2>/dev/null)" = "$1" ] || continue
    [ -b "/dev/${sys##*/}" ] && echo "/dev/${sys##*/}" && return 0
  done
  return 1
}
hwsnap_nvme_ready() {
  [ -c "$HWSNAP_NVME_CTRL" ] || return 1
  for n in $HWSNAP_NVME_SOURCES $HWSNAP_NVME_SCRATCH; do
    hwsnap_nvme_block "$n" >/dev/null || return 1
  done
}
tries=0
until hwsnap_nvme_ready; do
  tries=$((tries + 1))
  if [ "$tries" -gt 100 ]; then
    hwsnap_log "NVMe missing after 10 s: $(echo /dev/nvme* /dev/ng*)"
    return 1
  fi
  sleep 0.1
done

{
  echo "HWSNAP_NVME_CTRL=$HWSNAP_NVME_CTRL"
  echo "HWSNAP_NVME_NQN=$HWSNAP_NVME_NQN"
  echo "HWSNAP_NVME_SERIAL=$HWSNAP_NVME_SERIAL"
  echo "HWSNAP_NVME_SOURCES=\"$HWSNAP_NVME_SOURCES\""
  echo "HWSNAP_NVME_SCRATCH=$HWSNAP_NVME_SCRATCH"
  echo "HWSNAP_NVME_POOL=$HWSNAP_NVME_POOL"
  echo "HWSNAP_NVME_EUI64=$HWSNAP_NVME_EUI64"
  echo "HWSNAP_NVME_UUID=$HWSNAP_NVME_UUID"
} >>/run/hwsnap-devices.env
export HWSNAP_NVME_CTRL HWSNAP_NVME_NQN HWSNAP_NVME_SERIAL HWSNAP_NVME_SOURCES \
  HWSNAP_NVME_SCRATCH HWSNAP_NVME_POOL HWSNAP_NVME_EUI64 HWSNAP_NVME_UUID
names=""
for n in $HWSNAP_NVME_SOURCES $HWSNAP_NVME_SCRATCH; do
  dev="$(hwsnap_nvme_block "$n")"
  eval "HWSNAP_NVME_NS_$n=$dev"
  export "HWSNAP_NVME_NS_$n"
  echo "HWSNAP_NVME_NS_$n=$dev" >>/run/hwsnap-devices.env
  names="$names $n:$dev"
done
hwsnap_log "nvme: $HWSNAP_NVME_CTRL ($(cat /sys/class/nvme/nvme0/subsysnqn 2>/dev/null)) nsid:device$names; pool $HWSNAP_NVME_POOL (detached) after $tries polls"
