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

}  // namespace hwsnap

#endif  // HWSNAP_CORE_SRC_BACKEND_CALL_H_
