#!/bin/sh
# Guest payload of tools/vm/run-vm-tests.sh: runs every gtest binary the host
# packed into /hwsnap/bin (name ending in _test; they read the device paths
# from the environment /init exported), then every guest script (*.sh, with
# sh; e.g. nvme-simulate.sh driving hwsnapctl). Other binaries there are
# tools for the scripts, not tests. Fails when any test or script fails.
rc=0
for test in /hwsnap/bin/*_test; do
  [ -x "$test" ] || continue
  echo "hwsnap-vm: running ${test##*/}"
  "$test" --gtest_color=no || rc=$?
done
for script in /hwsnap/bin/*.sh; do
  [ -f "$script" ] || continue
  echo "hwsnap-vm: running ${script##*/}"
  sh "$script" || { status=$?; echo "hwsnap-vm: ${script##*/} failed (rc=$status)"; rc=$status; }
done
# 77 and 124 mean "skipped" and "timed out" to the host: report them as 1.
case "$rc" in 77 | 124) rc=1 ;; esac
exit "$rc"
