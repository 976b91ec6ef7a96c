#!/bin/sh
# Guest script of the NVMe VM tier (tests/nvme/vm/vm_tests.cmake packs it with
# hwsnapctl into /hwsnap/bin; tools/vm/guest/test-payload.sh runs it with sh).
# Plays VSS with `hwsnapctl simulate --backend nvme` against QEMU's emulated
# NVMe controller, twice:
#   1. a full snapshot sequence over the source namespaces;
#   2. prepare of LUN 2 hangs (injected fault) and AbortSnapshots lands while
#      EndPrepareSnapshots waits.
# Each run must exit 0 with the expected outcome and no target left (hwsnapctl's
# own audit: the strategy's ListTargets, which also reports pool namespaces
# attached to any controller). Afterwards no pool namespace may be visible as
# a block device (sysfs: /sys/block/nvme*/nsid). Busybox sh; environment from
# tools/vm/guest/setup-nvme.sh (HWSNAP_NVME_CTRL, _SOURCES, _POOL).
set -u

if [ -z "${HWSNAP_NVME_CTRL:-}" ]; then
  echo "nvme-simulate: HWSNAP_NVME_CTRL is not set (this script runs in the hwsnap test VM)" >&2
  exit 77
fi
dir=$(dirname "$0")
hwsnapctl="$dir/hwsnapctl"
[ -x "$hwsnapctl" ] || hwsnapctl=$(command -v hwsnapctl || true)
if [ -z "$hwsnapctl" ] || [ ! -x "$hwsnapctl" ]; then
  echo "nvme-simulate: hwsnapctl not found next to $0 or on PATH" >&2
  exit 1
fi

# hwsnapctl splits --backend-option values at commas, so the sources go as
# one range LOW-HIGH ("1 2 3 4" -> 1-4); they must be contiguous.
source_ids=$(echo "${HWSNAP_NVME_SOURCES:-1 2 3 4}" | tr ',' ' ' | tr -s ' ' '\n' | grep . | sort -n)
low=$(echo "$source_ids" | head -n 1)
high=$(echo "$source_ids" | tail -n 1)
luns=$(echo "$source_ids" | grep -c .)
if [ -z "$low" ] || [ $((high - low + 1)) -ne "$luns" ]; then
  echo "nvme-simulate: HWSNAP_NVME_SOURCES='${HWSNAP_NVME_SOURCES:-}' is not one contiguous range of NSIDs" >&2
  exit 1
fi
sources="$low-$high"
pool="${HWSNAP_NVME_POOL:-6-33}"
case "$pool" in
  *,*) echo "nvme-simulate: HWSNAP_NVME_POOL='$pool' must be one range LOW-HIGH (no commas)" >&2; exit 1 ;;
esac
out=/tmp/nvme-simulate.$$
failed=0

fail() {
  echo "nvme-simulate: FAIL: $*" >&2
  failed=1
}

# run NAME EXPECTED_OUTCOME ARGS...: one hwsnapctl run, checked.
run() {
  name=$1
  expected=$2
  shift 2
  echo "nvme-simulate: $name: hwsnapctl simulate --backend nvme controller=$HWSNAP_NVME_CTRL namespaces=$sources pool=$pool --luns=$luns $*"
  "$hwsnapctl" simulate --backend nvme \
    "--backend-option=controller=$HWSNAP_NVME_CTRL" \
    "--backend-option=namespaces=$sources" \
    "--backend-option=pool=$pool" \
    "--luns=$luns" --json --log-level=warn "$@" >"$out.json" 2>"$out.err"
  rc=$?
  cat "$out.err" >&2
  cat "$out.json"
  echo
  [ "$rc" -eq 0 ] || fail "$name: hwsnapctl exited $rc"
  grep -Eq "\"outcome\": *\"$expected\"" "$out.json" || fail "$name: outcome is not '$expected'"
  grep -Eq '"targets_leaked": *0([^0-9]|$)' "$out.json" || fail "$name: snapshot targets left behind"
  grep -Eq '"pending_releases": *0([^0-9]|$)' "$out.json" || fail "$name: releases still pending"
}

run full-sequence completed
run abort-during-end-prepare aborted --fault=prepare:2:hang --abort-delay=500ms

# Nothing left: no pool namespace has a block device on this host.
expand() {  # "6-33,40" -> one NSID per line
  echo "$1" | tr ',' '\n' | while IFS=- read -r low high; do
    [ -n "$low" ] || continue
    [ -n "$high" ] || high=$low
    i=$low
    while [ "$i" -le "$high" ]; do
      echo "$i"
      i=$((i + 1))
    done
  done
}
pool_ids=$(expand "$pool")
seen=0
for f in /sys/block/nvme*/nsid; do
  [ -r "$f" ] || continue
  seen=1
  nsid=$(cat "$f")
  for p in $pool_ids; do
    if [ "$nsid" = "$p" ]; then
      dev=${f%/nsid}
      fail "pool namespace $nsid is still attached here (${dev##*/})"
    fi
  done
done
[ "$seen" -eq 1 ] || fail "no /sys/block/nvme*/nsid found: cannot check for leftover namespaces"

rm -f "$out.json" "$out.err"
if [ "$failed" -ne 0 ]; then
  echo "nvme-simulate: FAILED"
  exit 1
fi
echo "nvme-simulate: OK"
exit 0
