// posix_error.cc — errno -> hwsnap Status (see posix_error.h).
#include "posix_error.h"

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi::internal {

namespace {

ErrorCode CodeForErrno(int error_number) {
  switch (error_number) {
    case ENOSPC:
    case EDQUOT:
      return ErrorCode::kInsufficientStorage;
    case ENOENT:
      return ErrorCode::kObjectNotFound;
    case ENOMEM:
      return ErrorCode::kOutOfMemory;
    case ETIMEDOUT:
      return ErrorCode::kDeadlineExceeded;
    case ECANCELED:
      return ErrorCode::kCancelled;
    case EOPNOTSUPP:
#if ENOTSUP != EOPNOTSUPP
    case ENOTSUP:
#endif
    case ENOSYS:
      return ErrorCode::kNotSupported;
    default:
      return ErrorCode::kBackendFailure;
  }
}

std::string ErrnoText(int error_number) {
  char buffer[256] = {};
  // GNU strerror_r returns the message (maybe not in `buffer`); XSI returns int.
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
  return ::strerror_r(error_number, buffer, sizeof(buffer));
#else
  if (::strerror_r(error_number, buffer, sizeof(buffer)) != 0) return "errno " + std::to_string(error_number);
  return buffer;
#endif
}

}  // namespace

absl::Status PosixError(absl::string_view context, int error_number) {
  if (error_number == 0) return BackendFailureError(absl::StrCat(context, ": unknown error"));
  return MakeError(CodeForErrno(error_number),
                   absl::StrCat(context, ": ", ErrnoText(error_number)));
}

}  // namespace hwsnap::scsi::internal
