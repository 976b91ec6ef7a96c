// backend_call.h — calls into a backend that cannot take the process down.
//
// The seam says backends never throw, but a backend is third-party code and a
// prepare job runs on a worker thread where an escaping exception would end
// the process. Every core call into a backend goes through GuardedCall, which
// turns std::bad_alloc into kOutOfMemory and anything else into
// kBackendFailure.
#ifndef HWSNAP_CORE_SRC_BACKEND_CALL_H_
#define HWSNAP_CORE_SRC_BACKEND_CALL_H_

#include <exception>
#include <new>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "hwsnap/status.h"

namespace hwsnap {

// `call` returns absl::Status or absl::StatusOr<T>; so does GuardedCall.
template <typename Call>
auto GuardedCall(absl::string_view what, Call&& call) -> decltype(call()) {
  try {
    return call();
  } catch (const std::bad_alloc&) {
    return OutOfMemoryError(absl::StrCat(what, ": out of memory in the backend"));
  } catch (const std::exception& e) {
    return BackendFailureError(absl::StrCat(what, ": backend threw: ", e.what()));
  } catch (...) {
    return BackendFailureError(absl::StrCat(what, ": backend threw a non-standard exception"));
  }
}

// What VSS may see of a backend's failure on a call the core made, on VSS's
// behalf, with valid arguments. kInvalidArgument and kObjectNotFound tell the
// HRESULT mapping "the caller passed a bad parameter" / "unknown set or LUN"
// (E_INVALIDARG, VSS_E_OBJECT_NOT_FOUND) — things VSS did not do — so here
// they become kBackendFailure, which VSS receives as a veto with the
// backend's message in the event log. Every other code passes unchanged.
// (Found by the abort x fault matrix, tests/core/abort_fault_matrix_test.)
inline absl::Status BackendFailureForVss(absl::Status status, absl::string_view call) {
  const ErrorCode code = GetErrorCode(status);
  if (code != ErrorCode::kInvalidArgument && code != ErrorCode::kObjectNotFound) return status;
  return BackendFailureError(
      absl::StrCat(call, " failed in the backend (it answered ", ErrorCodeName(code), "): ", status.message()));
}

}  // namespace hwsnap

#endif  // HWSNAP_CORE_SRC_BACKEND_CALL_H_
