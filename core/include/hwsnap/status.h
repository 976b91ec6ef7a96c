// hwsnap/status.h — the error taxonomy every layer of hwsnap speaks.
//
// VSS distinguishes failures that Abseil's canonical codes lump together
// (insufficient storage and "too many snapshots" are both kResourceExhausted;
// a veto is a precondition failure the administrator must fix). hwsnap keeps
// the canonical code for generic tooling and adds an exact `ErrorCode` as a
// payload, so two failures with the same canonical code stay distinct and the
// Windows adapter can map each to the HRESULT its method is allowed to return.
//
//   absl::Status s = hwsnap::InsufficientStorageError("pool 'gold' is full");
//   if (hwsnap::GetErrorCode(s) == hwsnap::ErrorCode::kInsufficientStorage) ...
//
//   absl::Status v = hwsnap::VetoError("LUN 3 is replicated synchronously",
//                                      "Pause replication on the array, then retry the backup.");
//   hwsnap::GetVetoRemedy(v);  // the text the event-log entry shows the admin
#ifndef HWSNAP_STATUS_H_
#define HWSNAP_STATUS_H_

#include <array>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace hwsnap {

// One code per failure the VSS protocol distinguishes. The numeric values are
// stable (they are written into payloads and may reach logs and catalogs).
enum class ErrorCode : int {
  kOk = 0,
  kInvalidArgument = 1,      // bad input from the caller: null, zero count, malformed id
  kOutOfMemory = 2,          // allocation failed on the host
  kInsufficientStorage = 3,  // the storage cannot hold another snapshot target
  kObjectNotFound = 4,       // unknown snapshot set, snapshot or LUN
  kVeto = 5,                 // the provider refuses; carries a reason and a remedy
  kCancelled = 6,            // the set was aborted while the operation ran
  kBadState = 7,             // the call is not legal in the set's current state
  kNotSupported = 8,         // the LUN or the operation is not supported by this backend
  kDeadlineExceeded = 9,     // a deadline (e.g. the commit window) passed
  kBackendFailure = 10,      // the storage failed in a way none of the above describes
};

// Every code, in declaration order (for exhaustive tests and tables).
inline constexpr std::array<ErrorCode, 11> kAllErrorCodes = {
    ErrorCode::kOk,           ErrorCode::kInvalidArgument,  ErrorCode::kOutOfMemory,
    ErrorCode::kInsufficientStorage, ErrorCode::kObjectNotFound, ErrorCode::kVeto,
    ErrorCode::kCancelled,    ErrorCode::kBadState,         ErrorCode::kNotSupported,
    ErrorCode::kDeadlineExceeded, ErrorCode::kBackendFailure,
};

// "kInsufficientStorage" -> "insufficient-storage"; stable, used in logs and JSON.
absl::string_view ErrorCodeName(ErrorCode code);
// Inverse of ErrorCodeName; nullopt for unknown text.
std::optional<ErrorCode> ParseErrorCode(absl::string_view name);

// The canonical Abseil code each domain code is carried under.
absl::StatusCode CanonicalCodeFor(ErrorCode code);

// Builds a status with the given domain code (kOk gives OkStatus()).
absl::Status MakeError(ErrorCode code, absl::string_view message);

absl::Status InvalidArgumentError(absl::string_view message);
absl::Status OutOfMemoryError(absl::string_view message);
absl::Status InsufficientStorageError(absl::string_view message);
absl::Status ObjectNotFoundError(absl::string_view message);
absl::Status CancelledError(absl::string_view message);
absl::Status BadStateError(absl::string_view message);
absl::Status NotSupportedError(absl::string_view message);
absl::Status DeadlineExceededError(absl::string_view message);
absl::Status BackendFailureError(absl::string_view message);
// A veto: `reason` says what is wrong, `remedy` what the administrator must do.
absl::Status VetoError(absl::string_view reason, absl::string_view remedy);

// The domain code of `status`. A status without hwsnap's payload (e.g. built by
// a third-party library) is classified from its canonical code; OK -> kOk.
ErrorCode GetErrorCode(const absl::Status& status);
// True when `status` carries hwsnap's payload (it was classified on purpose).
bool HasErrorCode(const absl::Status& status);
// The remedy of a veto, or empty.
std::string GetVetoRemedy(const absl::Status& status);

// Prefixes the message with `context` ("prepare LUN 3: ...") keeping code and payloads.
absl::Status Annotate(const absl::Status& status, absl::string_view context);

// How useful a failure is to the administrator when several happened at once:
// higher ranks are reported in preference (insufficient storage beats a
// generic backend failure; cancellation is the least informative).
int ActionabilityRank(ErrorCode code);

}  // namespace hwsnap

#endif  // HWSNAP_STATUS_H_
