// The administrator's event-log sentence (see hwsnap/windows/admin_event_text.h).
//
// This file exists to keep every word an administrator reads about a failed
// shadow copy in one place: per VSS method what it was doing and what the
// failure means for the shadow copy, per ErrorCode what to do about it.
#include "hwsnap/windows/admin_event_text.h"

#include <cctype>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "hwsnap/status.h"

namespace hwsnap {
namespace windows {
namespace {

// The context prefixes through which the core names a LUN with
// Annotate(status, "<marker><LunIdentity::ToString()>") (snapshot_set.cc).
constexpr absl::string_view kLunMarkers[] = {"prepare ", "describe target of "};
constexpr absl::string_view kContextSeparator = ": ";

// Longest status message kept in the text; the rest of the sentence needs far less.
constexpr std::size_t kMaxDetailLength = 2048;

// What `method` was doing, as the object of "hwsnap could not ...".
absl::string_view ActionOf(VssMethod method) {
  switch (method) {
    case VssMethod::kAreLunsSupported: return "check whether it can snapshot the LUNs of a volume";
    case VssMethod::kBeginPrepareSnapshot: return "start preparing a snapshot";
    case VssMethod::kFillInLunInfo: return "identify a disk that may be one of its snapshot LUNs";
    case VssMethod::kGetTargetLuns: return "describe the new snapshot LUNs to VSS";
    case VssMethod::kLocateLuns: return "make the snapshot LUNs visible to this host";
    case VssMethod::kOnLunEmpty: return "delete a snapshot LUN that is no longer needed";
    case VssMethod::kEndPrepareSnapshots: return "prepare the snapshot targets";
    case VssMethod::kPreCommitSnapshots: return "get ready to take the snapshots";
    case VssMethod::kCommitSnapshots: return "take the snapshots";
    case VssMethod::kPostCommitSnapshots: return "complete the snapshots after they were taken";
    case VssMethod::kPreFinalCommitSnapshots:
    case VssMethod::kPostFinalCommitSnapshots: return "finalise the snapshots";
    case VssMethod::kAbortSnapshots: return "roll back the cancelled snapshot set";
    case VssMethod::kGetProviderCapabilities: return "report its capabilities";
    case VssMethod::kOnLunStateChange: return "change the state of snapshot LUNs";
    case VssMethod::kResyncLuns: return "resynchronise LUNs";
    case VssMethod::kOnReuseLuns: return "reuse snapshot LUNs";
    case VssMethod::kOnLoad: return "load";
    case VssMethod::kOnUnload:
    case VssMethod::kOnUnloadForced: return "unload";
    default: return "complete a VSS request";
  }
}

// What the failure means for the administrator's shadow copy ("" = nothing to add).
absl::string_view ConsequenceOf(VssMethod method) {
  switch (method) {
    case VssMethod::kBeginPrepareSnapshot:
    case VssMethod::kGetTargetLuns:
    case VssMethod::kEndPrepareSnapshots:
    case VssMethod::kPreCommitSnapshots:
    case VssMethod::kCommitSnapshots:
    case VssMethod::kPostCommitSnapshots:
    case VssMethod::kPreFinalCommitSnapshots:
    case VssMethod::kPostFinalCommitSnapshots: return "The shadow copy was not created";
    case VssMethod::kLocateLuns:
    case VssMethod::kFillInLunInfo: return "The shadow copy was not imported";
    case VssMethod::kAbortSnapshots: return "Snapshot targets of this set may remain on the storage array";
    case VssMethod::kOnLunEmpty: return "The snapshot LUN may remain on the storage array and keep using space";
    case VssMethod::kAreLunsSupported: return "hwsnap will not take shadow copies of this volume";
    default: return "";
  }
}

bool IsCommitStep(VssMethod method) {
  return method == VssMethod::kPreCommitSnapshots || method == VssMethod::kCommitSnapshots ||
         method == VssMethod::kPostCommitSnapshots;
}

// The end of a LUN description that starts at `begin` and runs to the next
// context separator, or npos.
std::size_t LunEnd(absl::string_view message, std::size_t begin) {
  const std::size_t end = message.find(kContextSeparator, begin);
  return end == begin ? absl::string_view::npos : end;
}

// "prepare <LUN>: rest" at `at` (0 or just after a separator).
std::optional<LunMention> MarkerAt(absl::string_view message, std::size_t at) {
  for (absl::string_view marker : kLunMarkers) {
    if (message.substr(at, marker.size()) != marker) continue;
    const std::size_t begin = at + marker.size();
    const std::size_t end = LunEnd(message, begin);
    if (end == absl::string_view::npos) continue;
    LunMention found;
    found.lun = std::string(message.substr(begin, end - begin));
    found.detail = absl::StrCat(message.substr(0, at), message.substr(end + kContextSeparator.size()));
    return found;
  }
  return std::nullopt;
}

// "LUN <digits> (<LUN>)" anywhere, with balanced parentheses inside.
std::optional<LunMention> InlineLun(absl::string_view message) {
  constexpr absl::string_view kLunWord = "LUN ";
  for (std::size_t at = message.find(kLunWord); at != absl::string_view::npos;
       at = message.find(kLunWord, at + 1)) {
    std::size_t i = at + kLunWord.size();
    const std::size_t digits = i;
    while (i < message.size() && std::isdigit(static_cast<unsigned char>(message[i]))) ++i;
    if (i == digits || message.substr(i, 2) != " (") continue;
    const std::size_t begin = i + 2;
    int depth = 1;
    std::size_t j = begin;
    for (; j < message.size() && depth > 0; ++j) {
      if (message[j] == '(') ++depth;
      if (message[j] == ')') --depth;
    }
    if (depth != 0 || j - 1 == begin) continue;
    LunMention found;
    found.lun = std::string(message.substr(begin, j - 1 - begin));
    found.detail = std::string(message);
    return found;
  }
  return std::nullopt;
}

// `text` cut to `limit` characters, marked when cut.
std::string Bounded(absl::string_view text, std::size_t limit) {
  if (text.size() <= limit) return std::string(text);
  return absl::StrCat(text.substr(0, limit), " [...]");
}

// Ends `sentence` with a full stop unless it already ends a sentence.
std::string Sentence(absl::string_view sentence) {
  sentence = absl::StripTrailingAsciiWhitespace(sentence);
  if (sentence.empty()) return std::string();
  const char last = sentence.back();
  if (last == '.' || last == '!' || last == '?') return std::string(sentence);
  return absl::StrCat(sentence, ".");
}

}  // namespace

std::optional<LunMention> FindLunInMessage(absl::string_view message) {
  if (auto found = MarkerAt(message, 0)) return found;
  for (std::size_t sep = message.find(kContextSeparator); sep != absl::string_view::npos;
       sep = message.find(kContextSeparator, sep + 1)) {
    if (auto found = MarkerAt(message, sep + kContextSeparator.size())) return found;
  }
  return InlineLun(message);
}

std::string RemedyFor(VssMethod method, const absl::Status& status) {
  const ErrorCode code = GetErrorCode(status);
  switch (code) {
    case ErrorCode::kVeto: {
      std::string remedy = GetVetoRemedy(status);
      if (!absl::StripAsciiWhitespace(remedy).empty()) return Sentence(remedy);
      return "Find the cause in the hwsnap log file, correct it on the storage array, then run the backup again.";
    }
    case ErrorCode::kInsufficientStorage:
      return "Free space in the storage pool that holds hwsnap's snapshot targets (delete shadow copies that are "
             "no longer needed with 'vssadmin delete shadows' or 'diskshadow', or remove old snapshots on the "
             "array) or enlarge the pool, then run the backup again.";
    case ErrorCode::kOutOfMemory:
      return "This host ran out of memory. Close programs or add memory, then run the backup again.";
    case ErrorCode::kDeadlineExceeded:
      if (IsCommitStep(method)) {
        return "The storage array did not take the snapshots within the time VSS allows (VSS holds writes for "
               "at most 10 seconds). Check the array's load and the paths to it, and schedule the backup at a "
               "quieter time.";
      }
      return "The storage array did not answer in time. Check that it is reachable from this host and not "
             "overloaded, then run the backup again.";
    case ErrorCode::kBackendFailure:
      return "Check that the storage array is reachable from this host and healthy (network or fabric paths, "
             "credentials, the array's own event log); the hwsnap log file has the details. Then run the backup "
             "again.";
    case ErrorCode::kNotSupported:
      return "hwsnap cannot snapshot this LUN. Check that the volume lies on a LUN of the storage array named in "
             "hwsnap's configuration file, or let another VSS provider (for example the system provider) take "
             "this shadow copy.";
    case ErrorCode::kObjectNotFound:
      if (method == VssMethod::kOnLunEmpty) {
        return "Nothing to do unless the LUN is still present on the storage array; if it is, delete it there.";
      }
      return "hwsnap no longer knows this snapshot set (it was aborted, or the provider process restarted). "
             "Run the backup again.";
    case ErrorCode::kCancelled:
      return "The snapshot set was cancelled before it completed. Run the backup again; if it keeps being "
             "cancelled, the backup application's log says why.";
    case ErrorCode::kBadState:
      return "VSS called hwsnap out of the expected order. Run the backup again; if this repeats, restart the "
             "Volume Shadow Copy service and send the hwsnap log file to support.";
    case ErrorCode::kInvalidArgument:
      return "VSS passed data hwsnap could not accept. Send the hwsnap log file to support.";
    case ErrorCode::kOk:
    default:
      return "See the hwsnap log file for details.";
  }
}

std::string AdminEventText(const AdminEventFacts& facts) {
  const absl::string_view message = facts.status.message();
  std::string lun = facts.lun;
  std::string detail(message);
  if (std::optional<LunMention> found = FindLunInMessage(message)) {
    // Drop the prefix naming the LUN when it names the one we will print.
    if (lun.empty() || lun == found->lun) {
      lun = found->lun;
      detail = found->detail;
    }
  }

  std::string text = absl::StrCat("hwsnap could not ", ActionOf(facts.method), " (VSS call ",
                                  VssMethodName(facts.method), ")");
  if (facts.set_id.has_value()) absl::StrAppend(&text, " for snapshot set ", facts.set_id->ToString());
  if (!lun.empty()) absl::StrAppend(&text, " on LUN ", Bounded(lun, 256));
  absl::StrAppend(&text, ". ");

  const ErrorCode code = GetErrorCode(facts.status);
  if (facts.status.ok()) {
    absl::StrAppend(&text, "No failure was reported. ");
  } else {
    detail = std::string(absl::StripAsciiWhitespace(detail));
    if (detail.empty()) detail = "no details were given";
    absl::StrAppend(&text, "Reason: ", Bounded(detail, kMaxDetailLength), " (", ErrorCodeName(code), "). ");
  }
  const absl::string_view consequence = ConsequenceOf(facts.method);
  const std::string told = absl::StrCat("VSS was told ", VssResultName(facts.result));
  const std::string hex = absl::StrFormat("0x%08X", facts.result);
  const std::string told_with_hex = VssResultName(facts.result) == hex ? told : absl::StrCat(told, " (", hex, ")");
  if (!facts.status.ok() && !consequence.empty()) {
    absl::StrAppend(&text, consequence, "; ", told_with_hex, ". ");
  } else {
    absl::StrAppend(&text, told_with_hex, ". ");
  }
  absl::StrAppend(&text, "What to do: ", RemedyFor(facts.method, facts.status));
  if (text.size() > kMaxAdminEventTextLength) {
    text.resize(kMaxAdminEventTextLength - 6);
    text += " [...]";
  }
  return text;
}

}  // namespace windows
}  // namespace hwsnap
