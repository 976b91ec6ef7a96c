#!/bin/sh
# Guest payload of tools/vm/run-scsi-vm-tests.sh: runs every test binary the
# host packed into /hwsnap/bin (they read the device paths from the
# environment /init exported) and fails when any of them fails.
rc=0
for test in /hwsnap/bin/*; do
  [ -x "$test" ] || continue
  echo "hwsnap-vm: running ${test##*/}"
  "$test" --gtest_color=no || rc=$?
done
exit "$rc"
