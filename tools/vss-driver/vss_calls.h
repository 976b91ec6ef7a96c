// vss_calls.h — every provider method, called, timed and judged.
//
// This file exists so that scenarios read like the sequence VSS performs and
// never forget a check: each wrapper calls one COM method of the provider
// object, then hands the HRESULT to the Timeline, which prints the call and
// fails the run if the result is illegal for that method or not what the
// scenario expects. Raw pointers and counts pass through untouched, so
// scenarios can also send what VSS never should (null arrays, negative
// counts) — the summary printed for them never reads through them.
//
//   VssCalls vss(session, timeline);
//   vss.Name(set, "S1");                                   // prints the full GUID once
//   vss.BeginPrepareSnapshot(set, NewGuid(), VSS_CTX_BACKUP, LunArg::Of(luns), devices.data(), Expect::Ok());
//   vss.EndPrepareSnapshots(set, Expect::Ok());
#ifndef HWSNAP_TOOLS_VSS_DRIVER_VSS_CALLS_H_
#define HWSNAP_TOOLS_VSS_DRIVER_VSS_CALLS_H_

#include <windows.h>
#include <vsprov.h>
#include <vss.h>

#include <map>
#include <mutex>
#include <string>

#include "com_session.h"
#include "lun_fixture.h"
#include "timeline.h"

namespace hwsnap {
namespace vss_driver {

// A LUN array argument and how to show it.
struct LunArg {
  LONG count = 0;
  VDS_LUN_INFORMATION* data = nullptr;
  std::string text;

  // All of `luns`: "luns=2[A,B]".
  static LunArg Of(VdsLunArray& luns);
  // Anything, shown as "luns=<count>[<text>]" ("null" when `data` is null).
  static LunArg Raw(LONG count, VDS_LUN_INFORMATION* data, const std::string& text);
};

// A fresh random GUID (CoCreateGuid), as VSS makes set and snapshot ids.
GUID NewGuid();
// "{XXXXXXXX-...}".
std::string GuidText(const GUID& guid);

class VssCalls {
 public:
  VssCalls(const ComSession& session, Timeline& timeline);

  // Shows `guid` as `label` in later lines, and prints the mapping once.
  void Name(const GUID& guid, const std::string& label);

  Timeline& timeline() { return timeline_; }

  // --- IVssProviderNotifications ---------------------------------------------
  HRESULT OnLoad(const Expect& expect);
  HRESULT OnUnload(bool force, const Expect& expect);

  // --- IVssHardwareSnapshotProvider ------------------------------------------
  // `supported` may be null (malformed input); otherwise it is preset to
  // `preset` so a result the provider did not write is visible.
  HRESULT AreLunsSupported(const LunArg& luns, LONG context, VSS_PWSZ* devices, WINBOOL* supported,
                           const Expect& expect, WINBOOL preset = 2);
  HRESULT BeginPrepareSnapshot(const GUID& set, const GUID& snapshot, LONG context, const LunArg& luns,
                               VSS_PWSZ* devices, const Expect& expect);
  HRESULT GetTargetLuns(const LunArg& sources, VSS_PWSZ* devices, VDS_LUN_INFORMATION* destinations,
                        const Expect& expect);
  HRESULT LocateLuns(const LunArg& luns, const Expect& expect);
  HRESULT FillInLunInfo(VSS_PWSZ device, VDS_LUN_INFORMATION* info, const std::string& text, WINBOOL* supported,
                        const Expect& expect, WINBOOL preset = 2);
  HRESULT OnLunEmpty(VSS_PWSZ device, VDS_LUN_INFORMATION* info, const std::string& text, const Expect& expect);

  // --- IVssProviderCreateSnapshotSet -----------------------------------------
  // `announce`: print a "... waiting" line first (a blocking call on another thread).
  HRESULT EndPrepareSnapshots(const GUID& set, const Expect& expect, bool announce = false);
  HRESULT PreCommitSnapshots(const GUID& set, const Expect& expect);
  HRESULT CommitSnapshots(const GUID& set, const Expect& expect);
  HRESULT PostCommitSnapshots(const GUID& set, LONG snapshots, const Expect& expect);
  HRESULT PreFinalCommitSnapshots(const GUID& set, const Expect& expect);
  HRESULT PostFinalCommitSnapshots(const GUID& set, const Expect& expect);
  HRESULT AbortSnapshots(const GUID& set, const Expect& expect);

  // --- IVssHardwareSnapshotProviderEx ----------------------------------------
  HRESULT GetProviderCapabilities(ULONGLONG* mask, const Expect& expect);
  HRESULT OnLunStateChange(VDS_LUN_INFORMATION* snapshots, VDS_LUN_INFORMATION* originals, DWORD count,
                           DWORD flags, const std::string& text, const Expect& expect);
  HRESULT ResyncLuns(VDS_LUN_INFORMATION* sources, VDS_LUN_INFORMATION* targets, DWORD count,
                     const Expect& expect);
  HRESULT OnReuseLuns(VDS_LUN_INFORMATION* snapshots, VDS_LUN_INFORMATION* originals, DWORD count,
                      const Expect& expect);

 private:
  std::string Label(const GUID& guid) const;
  // Runs `call`, then records it with the argument text `describe()` makes
  // (after the call, so out-parameters can be shown); returns its HRESULT.
  template <typename Call, typename Describe>
  HRESULT Run(VssMethod method, const Expect& expect, Call&& call, Describe&& describe);

  const ComSession& session_;
  Timeline& timeline_;
  mutable std::mutex mu_;
  std::map<std::string, std::string> labels_;  // GuidText -> label
};

}  // namespace vss_driver
}  // namespace hwsnap

#endif  // HWSNAP_TOOLS_VSS_DRIVER_VSS_CALLS_H_
