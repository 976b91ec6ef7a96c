#!/usr/bin/env bash
# Kept for existing callers: the SCSI tier now uses the shared runner.
exec "$(dirname "${BASH_SOURCE[0]}")/run-vm-tests.sh" "$@"
