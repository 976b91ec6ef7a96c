// Domain codes as a payload on absl::Status (see hwsnap/status.h).
#include "hwsnap/status.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace hwsnap {
namespace {

// Payload type URLs: the domain code and, for vetoes, the remedy.
constexpr char kCodeUrl[] = "type.hwsnap.dev/hwsnap.ErrorCode";
constexpr char kRemedyUrl[] = "type.hwsnap.dev/hwsnap.VetoRemedy";

struct CodeInfo {
  ErrorCode code;
  absl::string_view name;
  absl::StatusCode canonical;
  int rank;  // ActionabilityRank
};

// One row per code: name, canonical code, how actionable it is for an admin.
constexpr CodeInfo kCodeTable[] = {
    {ErrorCode::kOk, "ok", absl::StatusCode::kOk, 0},
    {ErrorCode::kInvalidArgument, "invalid-argument", absl::StatusCode::kInvalidArgument, 40},
    {ErrorCode::kOutOfMemory, "out-of-memory", absl::StatusCode::kResourceExhausted, 70},
    {ErrorCode::kInsufficientStorage, "insufficient-storage", absl::StatusCode::kResourceExhausted, 100},
    {ErrorCode::kObjectNotFound, "object-not-found", absl::StatusCode::kNotFound, 30},
    {ErrorCode::kVeto, "veto", absl::StatusCode::kFailedPrecondition, 90},
    {ErrorCode::kCancelled, "cancelled", absl::StatusCode::kCancelled, 1},
    {ErrorCode::kBadState, "bad-state", absl::StatusCode::kFailedPrecondition, 20},
    {ErrorCode::kNotSupported, "not-supported", absl::StatusCode::kUnimplemented, 80},
    {ErrorCode::kDeadlineExceeded, "deadline-exceeded", absl::StatusCode::kDeadlineExceeded, 60},
    {ErrorCode::kBackendFailure, "backend-failure", absl::StatusCode::kInternal, 50},
};

const CodeInfo* Find(ErrorCode code) {
  for (const CodeInfo& info : kCodeTable) {
    if (info.code == code) return &info;
  }
  return nullptr;
}

// Classification of statuses that do not carry our payload.
ErrorCode FromCanonical(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return ErrorCode::kOk;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return ErrorCode::kInvalidArgument;
    case absl::StatusCode::kNotFound:
      return ErrorCode::kObjectNotFound;
    case absl::StatusCode::kCancelled:
      return ErrorCode::kCancelled;
    case absl::StatusCode::kDeadlineExceeded:
      return ErrorCode::kDeadlineExceeded;
    case absl::StatusCode::kFailedPrecondition:
      return ErrorCode::kBadState;
    case absl::StatusCode::kUnimplemented:
      return ErrorCode::kNotSupported;
    case absl::StatusCode::kResourceExhausted:
      return ErrorCode::kInsufficientStorage;
    default:
      return ErrorCode::kBackendFailure;
  }
}

}  // namespace

absl::string_view ErrorCodeName(ErrorCode code) {
  const CodeInfo* info = Find(code);
  return info ? info->name : "unknown";
}

std::optional<ErrorCode> ParseErrorCode(absl::string_view name) {
  for (const CodeInfo& info : kCodeTable) {
    if (info.name == name) return info.code;
  }
  return std::nullopt;
}

absl::StatusCode CanonicalCodeFor(ErrorCode code) {
  const CodeInfo* info = Find(code);
  return info ? info->canonical : absl::StatusCode::kInternal;
}

absl::Status MakeError(ErrorCode code, absl::string_view message) {
  if (code == ErrorCode::kOk) return absl::OkStatus();
  absl::Status status(CanonicalCodeFor(code), message);
  status.SetPayload(kCodeUrl, absl::Cord(absl::StrCat(static_cast<int>(code))));
  return status;
}

absl::Status InvalidArgumentError(absl::string_view m) { return MakeError(ErrorCode::kInvalidArgument, m); }
absl::Status OutOfMemoryError(absl::string_view m) { return MakeError(ErrorCode::kOutOfMemory, m); }
absl::Status InsufficientStorageError(absl::string_view m) { return MakeError(ErrorCode::kInsufficientStorage, m); }
absl::Status ObjectNotFoundError(absl::string_view m) { return MakeError(ErrorCode::kObjectNotFound, m); }
absl::Status CancelledError(absl::string_view m) { return MakeError(ErrorCode::kCancelled, m); }
absl::Status BadStateError(absl::string_view m) { return MakeError(ErrorCode::kBadState, m); }
absl::Status NotSupportedError(absl::string_view m) { return MakeError(ErrorCode::kNotSupported, m); }
absl::Status DeadlineExceededError(absl::string_view m) { return MakeError(ErrorCode::kDeadlineExceeded, m); }
absl::Status BackendFailureError(absl::string_view m) { return MakeError(ErrorCode::kBackendFailure, m); }

absl::Status VetoError(absl::string_view reason, absl::string_view remedy) {
  absl::Status status = MakeError(ErrorCode::kVeto, reason);
  status.SetPayload(kRemedyUrl, absl::Cord(remedy));
  return status;
}

bool HasErrorCode(const absl::Status& status) {
  return status.GetPayload(kCodeUrl).has_value();
}

ErrorCode GetErrorCode(const absl::Status& status) {
  if (status.ok()) return ErrorCode::kOk;
  if (auto payload = status.GetPayload(kCodeUrl)) {
    int value = 0;
    if (absl::SimpleAtoi(std::string(*payload), &value)) {
      const auto code = static_cast<ErrorCode>(value);
      if (code != ErrorCode::kOk && Find(code) != nullptr) return code;
    }
    return ErrorCode::kBackendFailure;  // a corrupt payload is not a success
  }
  return FromCanonical(status.code());
}

std::string GetVetoRemedy(const absl::Status& status) {
  if (auto payload = status.GetPayload(kRemedyUrl)) return std::string(*payload);
  return {};
}

absl::Status Annotate(const absl::Status& status, absl::string_view context) {
  if (status.ok()) return status;
  absl::Status out(status.code(), absl::StrCat(context, ": ", status.message()));
  status.ForEachPayload([&out](absl::string_view url, const absl::Cord& payload) {
    out.SetPayload(url, payload);
  });
  return out;
}

int ActionabilityRank(ErrorCode code) {
  const CodeInfo* info = Find(code);
  return info ? info->rank : 0;
}

}  // namespace hwsnap
