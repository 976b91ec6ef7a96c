// hwsnap/windows/admin_event_text.h — the sentence an administrator reads in Event Viewer.
//
// This file exists because a VSS veto must come with an Application event-log
// entry that tells the administrator what failed, where, and what to do, and
// that text is pure string work: it is built here, without Windows headers,
// so the Linux tests check every word. The writer (AdminEventLog) and the
// Windows sink only carry it.
//
//   AdminEventFacts facts;
//   facts.method = VssMethod::kEndPrepareSnapshots;
//   facts.status = core_status;                 // e.g. "prepare <LUN>: pool 'gold' is full"
//   facts.result = MapStatusToResult(facts.method, core_status);
//   facts.set_id = set;
//   std::string text = AdminEventText(facts);
//   // "hwsnap could not prepare the snapshot targets for snapshot set {…} on LUN
//   //  MOCK MOCK-LUN sn=… naa:…. Reason: pool 'gold' is full (insufficient-storage).
//   //  The shadow copy was not created; VSS was told VSS_E_INSUFFICIENT_STORAGE
//   //  (0x8004231F). What to do: Free space in the storage pool …"
//
// Where the LUN comes from: the core names the LUN a failure concerns only in
// the status message, through Annotate ("prepare <LunIdentity::ToString()>: …",
// "describe target of <LUN>: …") or inline ("LUN 2 (<LUN>) has no unique
// designator …"). FindLunInMessage recognises exactly those forms; a caller
// that knows the LUN itself passes it in AdminEventFacts::lun.
#ifndef HWSNAP_WINDOWS_ADMIN_EVENT_TEXT_H_
#define HWSNAP_WINDOWS_ADMIN_EVENT_TEXT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "hwsnap/ids.h"
#include "hwsnap/windows/vss_results.h"

namespace hwsnap {
namespace windows {

// Everything one event-log entry is about.
struct AdminEventFacts {
  VssMethod method = VssMethod::kEndPrepareSnapshots;
  // The core's failure. An OK status still yields a (harmless) sentence.
  absl::Status status;
  // The HRESULT returned to VSS (bit pattern, see vss_results.h).
  std::uint32_t result = kS_OK;
  // The snapshot set, when the call concerned one.
  std::optional<SnapshotSetId> set_id;
  // The LUN concerned, as LunIdentity::ToString() prints it; empty: taken
  // from the status message when it names one (FindLunInMessage).
  std::string lun;
};

// A LUN named in a core status message, and the message without the
// "prepare <LUN>: " style prefix that named it (so the text does not say the
// LUN twice). For the inline form "LUN 2 (<LUN>) …" `detail` is the whole
// message.
struct LunMention {
  std::string lun;
  std::string detail;
};

// The LUN `message` names, in one of the core's forms above (at the start of
// the message or after a ": " context prefix); nullopt when it names none.
std::optional<LunMention> FindLunInMessage(absl::string_view message);

// What the administrator should do about `status` returned by `method`: the
// veto's own remedy (GetVetoRemedy) when it has one, else advice chosen by the
// status's ErrorCode (insufficient storage: free or enlarge the pool; backend
// failure: check the array and the path to it; ...). Never empty.
std::string RemedyFor(VssMethod method, const absl::Status& status);

// The whole entry, one paragraph: what failed (the method in an
// administrator's words and its COM name), for which snapshot set, on which
// LUN, why (the status message and its ErrorCodeName), what it means for the
// shadow copy, the HRESULT VSS was told, and RemedyFor. Plain ASCII
// punctuation; at most kMaxAdminEventTextLength characters (a longer status
// message is cut and marked "[...]"), far below ReportEvent's limit of 31839
// characters per string.
std::string AdminEventText(const AdminEventFacts& facts);

inline constexpr std::size_t kMaxAdminEventTextLength = 4096;

}  // namespace windows
}  // namespace hwsnap

#endif  // HWSNAP_WINDOWS_ADMIN_EVENT_TEXT_H_
