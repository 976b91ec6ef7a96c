// Default answers of the optional Backend methods (hwsnap/backend.h): a
// backend that does not override them does not support the capability, and
// says so with kNotSupported naming the backend and the capability.
#include "hwsnap/backend.h"

#include "absl/strings/str_cat.h"
#include "hwsnap/status.h"

namespace hwsnap {
namespace {

absl::Status Unsupported(const Backend& backend, const char* what) {
  return NotSupportedError(absl::StrCat("the '", backend.Name(), "' backend does not support ", what));
}

}  // namespace

absl::Status Backend::RestoreTarget(const RestoredTarget&) {
  return Unsupported(*this, "taking back targets made before a restart");
}

absl::StatusOr<std::vector<TargetId>> Backend::ListTargets() {
  return Unsupported(*this, "listing its targets");
}

absl::Status Backend::MaskTarget(const TargetId&) { return Unsupported(*this, "masking a snapshot LUN"); }

absl::Status Backend::ResyncTarget(const TargetId&, const LunIdentity&, const CancelToken&,
                                   const ProgressCallback&) {
  return Unsupported(*this, "LUN resynchronisation");
}

}  // namespace hwsnap
