// posix_error.h — the one place the tgt layer turns errno into a Status.
//
// Private to backends/scsi/src (the tgt strategy, its daemon and the process
// runner). Every failed system call in those files goes through PosixError so
// the mapping from errno to hwsnap's taxonomy is decided once:
//
//   if (::fallocate(fd, 0, off, len) != 0) return PosixError("fallocate " + path, errno);
//   // ENOSPC -> kInsufficientStorage "fallocate /tmp/x.img: No space left on device"
#ifndef HWSNAP_SCSI_SRC_POSIX_ERROR_H_
#define HWSNAP_SCSI_SRC_POSIX_ERROR_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace hwsnap::scsi::internal {

// `context: strerror(error_number)` with the domain code for that errno:
// ENOSPC/EDQUOT -> kInsufficientStorage, ENOENT -> kObjectNotFound,
// ENOMEM -> kOutOfMemory, ETIMEDOUT -> kDeadlineExceeded, ECANCELED ->
// kCancelled, EOPNOTSUPP/ENOTSUP/ENOSYS -> kNotSupported, anything else ->
// kBackendFailure. error_number 0 is treated as an unknown failure (never OK).
absl::Status PosixError(absl::string_view context, int error_number);

}  // namespace hwsnap::scsi::internal

#endif  // HWSNAP_SCSI_SRC_POSIX_ERROR_H_
