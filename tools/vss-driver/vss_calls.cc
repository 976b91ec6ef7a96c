// The provider methods, called and judged (see vss_calls.h).
#include "vss_calls.h"

#include <objbase.h>

#include <cstdio>
#include <utility>

namespace hwsnap {
namespace vss_driver {
namespace {

std::string Bool(const WINBOOL* value) {
  if (value == nullptr) return "(null)";
  if (*value == TRUE) return "TRUE";
  if (*value == FALSE) return "FALSE";
  return "(unwritten " + std::to_string(*value) + ")";
}

std::string Devices(const VSS_PWSZ* devices) { return devices == nullptr ? "devs=null" : "devs"; }

std::string Ptr(const void* p) { return p == nullptr ? "null" : "ptr"; }

}  // namespace

LunArg LunArg::Of(VdsLunArray& luns) {
  return LunArg{luns.count(), luns.data(), "luns=" + std::to_string(luns.count()) + "[" + luns.label() + "]"};
}

LunArg LunArg::Raw(LONG count, VDS_LUN_INFORMATION* data, const std::string& text) {
  return LunArg{count, data,
                "luns=" + std::to_string(count) + "[" + (data == nullptr ? std::string("null") : text) + "]"};
}

GUID NewGuid() {
  GUID guid{};
  if (FAILED(CoCreateGuid(&guid))) {
    // Never expected; a fixed pattern still differs from every real id.
    static LONG counter = 0;
    guid.Data1 = static_cast<unsigned long>(InterlockedIncrement(&counter));
    guid.Data2 = 0xd7;
  }
  return guid;
}

std::string GuidText(const GUID& guid) {
  char text[64];
  std::snprintf(text, sizeof(text), "{%08lX-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X}",
                static_cast<unsigned long>(guid.Data1), guid.Data2, guid.Data3, guid.Data4[0], guid.Data4[1],
                guid.Data4[2], guid.Data4[3], guid.Data4[4], guid.Data4[5], guid.Data4[6], guid.Data4[7]);
  return text;
}

VssCalls::VssCalls(const ComSession& session, Timeline& timeline) : session_(session), timeline_(timeline) {}

void VssCalls::Name(const GUID& guid, const std::string& label) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    labels_[GuidText(guid)] = label;
  }
  timeline_.Note(label + " = " + GuidText(guid));
}

std::string VssCalls::Label(const GUID& guid) const {
  const std::string text = GuidText(guid);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = labels_.find(text);
  return it != labels_.end() ? it->second : text.substr(1, 8);
}

template <typename Call, typename Describe>
HRESULT VssCalls::Run(VssMethod method, const Expect& expect, Call&& call, Describe&& describe) {
  const Timeline::Clock::time_point start = timeline_.Now();
  const HRESULT hr = call();
  timeline_.Record(method, describe(), start, static_cast<std::uint32_t>(hr), expect);
  return hr;
}

HRESULT VssCalls::OnLoad(const Expect& expect) {
  return Run(
      VssMethod::kOnLoad, expect, [&] { return session_.notify()->OnLoad(nullptr); },
      [] { return std::string("callback=null"); });
}

HRESULT VssCalls::OnUnload(bool force, const Expect& expect) {
  return Run(
      force ? VssMethod::kOnUnloadForced : VssMethod::kOnUnload, expect,
      [&] { return session_.notify()->OnUnload(force ? TRUE : FALSE); },
      [&] { return std::string(force ? "force=TRUE" : "force=FALSE"); });
}

HRESULT VssCalls::AreLunsSupported(const LunArg& luns, LONG context, VSS_PWSZ* devices, WINBOOL* supported,
                                   const Expect& expect, WINBOOL preset) {
  if (supported != nullptr) *supported = preset;
  return Run(
      VssMethod::kAreLunsSupported, expect,
      [&] { return session_.hw()->AreLunsSupported(luns.count, context, devices, luns.data, supported); },
      [&] {
        char ctx[32];
        std::snprintf(ctx, sizeof(ctx), "ctx=0x%lx", static_cast<unsigned long>(context));
        return luns.text + ", " + ctx + ", " + Devices(devices) + ", supported=" + Bool(supported);
      });
}

HRESULT VssCalls::BeginPrepareSnapshot(const GUID& set, const GUID& snapshot, LONG context, const LunArg& luns,
                                       VSS_PWSZ* devices, const Expect& expect) {
  return Run(
      VssMethod::kBeginPrepareSnapshot, expect,
      [&] {
        return session_.hw()->BeginPrepareSnapshot(set, snapshot, context, luns.count, devices, luns.data);
      },
      [&] {
        char ctx[32];
        std::snprintf(ctx, sizeof(ctx), "ctx=0x%lx", static_cast<unsigned long>(context));
        return "set=" + Label(set) + ", snap=" + Label(snapshot) + ", " + ctx + ", " + luns.text + ", " +
               Devices(devices);
      });
}

HRESULT VssCalls::GetTargetLuns(const LunArg& sources, VSS_PWSZ* devices, VDS_LUN_INFORMATION* destinations,
                                const Expect& expect) {
  return Run(
      VssMethod::kGetTargetLuns, expect,
      [&] { return session_.hw()->GetTargetLuns(sources.count, devices, sources.data, destinations); },
      [&] { return sources.text + ", " + Devices(devices) + ", destinations=" + Ptr(destinations); });
}

HRESULT VssCalls::LocateLuns(const LunArg& luns, const Expect& expect) {
  return Run(
      VssMethod::kLocateLuns, expect, [&] { return session_.hw()->LocateLuns(luns.count, luns.data); },
      [&] { return luns.text; });
}

HRESULT VssCalls::FillInLunInfo(VSS_PWSZ device, VDS_LUN_INFORMATION* info, const std::string& text,
                                WINBOOL* supported, const Expect& expect, WINBOOL preset) {
  if (supported != nullptr) *supported = preset;
  return Run(
      VssMethod::kFillInLunInfo, expect, [&] { return session_.hw()->FillInLunInfo(device, info, supported); },
      [&] {
        return std::string("dev=") + (device == nullptr ? "null" : Narrow(device)) + ", lun=" +
               (info == nullptr ? std::string("null") : text) + ", supported=" + Bool(supported);
      });
}

HRESULT VssCalls::OnLunEmpty(VSS_PWSZ device, VDS_LUN_INFORMATION* info, const std::string& text,
                             const Expect& expect) {
  return Run(
      VssMethod::kOnLunEmpty, expect, [&] { return session_.hw()->OnLunEmpty(device, info); },
      [&] {
        return std::string("dev=") + (device == nullptr ? "null" : Narrow(device)) + ", lun=" +
               (info == nullptr ? std::string("null") : text);
      });
}

HRESULT VssCalls::EndPrepareSnapshots(const GUID& set, const Expect& expect, bool announce) {
  if (announce) timeline_.Started(VssMethod::kEndPrepareSnapshots, "set=" + Label(set));
  return Run(
      VssMethod::kEndPrepareSnapshots, expect, [&] { return session_.create()->EndPrepareSnapshots(set); },
      [&] { return "set=" + Label(set); });
}

HRESULT VssCalls::PreCommitSnapshots(const GUID& set, const Expect& expect) {
  return Run(
      VssMethod::kPreCommitSnapshots, expect, [&] { return session_.create()->PreCommitSnapshots(set); },
      [&] { return "set=" + Label(set); });
}

HRESULT VssCalls::CommitSnapshots(const GUID& set, const Expect& expect) {
  return Run(
      VssMethod::kCommitSnapshots, expect, [&] { return session_.create()->CommitSnapshots(set); },
      [&] { return "set=" + Label(set); });
}

HRESULT VssCalls::PostCommitSnapshots(const GUID& set, LONG snapshots, const Expect& expect) {
  return Run(
      VssMethod::kPostCommitSnapshots, expect,
      [&] { return session_.create()->PostCommitSnapshots(set, snapshots); },
      [&] { return "set=" + Label(set) + ", snapshots=" + std::to_string(snapshots); });
}

HRESULT VssCalls::PreFinalCommitSnapshots(const GUID& set, const Expect& expect) {
  return Run(
      VssMethod::kPreFinalCommitSnapshots, expect, [&] { return session_.create()->PreFinalCommitSnapshots(set); },
      [&] { return "set=" + Label(set); });
}

HRESULT VssCalls::PostFinalCommitSnapshots(const GUID& set, const Expect& expect) {
  return Run(
      VssMethod::kPostFinalCommitSnapshots, expect,
      [&] { return session_.create()->PostFinalCommitSnapshots(set); }, [&] { return "set=" + Label(set); });
}

HRESULT VssCalls::AbortSnapshots(const GUID& set, const Expect& expect) {
  return Run(
      VssMethod::kAbortSnapshots, expect, [&] { return session_.create()->AbortSnapshots(set); },
      [&] { return "set=" + Label(set); });
}

HRESULT VssCalls::GetProviderCapabilities(ULONGLONG* mask, const Expect& expect) {
  return Run(
      VssMethod::kGetProviderCapabilities, expect, [&] { return session_.hw_ex()->GetProviderCapabilities(mask); },
      [&] { return "mask=" + Ptr(mask); });
}

HRESULT VssCalls::OnLunStateChange(VDS_LUN_INFORMATION* snapshots, VDS_LUN_INFORMATION* originals, DWORD count,
                                   DWORD flags, const std::string& text, const Expect& expect) {
  return Run(
      VssMethod::kOnLunStateChange, expect,
      [&] { return session_.hw_ex()->OnLunStateChange(snapshots, originals, count, flags); },
      [&] {
        char f[32];
        std::snprintf(f, sizeof(f), "flags=0x%lx", static_cast<unsigned long>(flags));
        return "snapshots=" + Ptr(snapshots) + ", originals=" + Ptr(originals) + ", count=" +
               std::to_string(count) + ", " + f + (text.empty() ? "" : ", " + text);
      });
}

HRESULT VssCalls::ResyncLuns(VDS_LUN_INFORMATION* sources, VDS_LUN_INFORMATION* targets, DWORD count,
                             const Expect& expect) {
  IVssAsync* async = nullptr;
  const HRESULT hr = Run(
      VssMethod::kResyncLuns, expect,
      [&] { return session_.hw_ex()->ResyncLuns(sources, targets, count, &async); },
      [&] {
        return "sources=" + Ptr(sources) + ", targets=" + Ptr(targets) + ", count=" + std::to_string(count) +
               ", async=" + Ptr(async);
      });
  if (async != nullptr) {
    timeline_.Check(SUCCEEDED(hr), "ResyncLuns hands out an IVssAsync only when it succeeds");
    async->Release();
  }
  return hr;
}

HRESULT VssCalls::OnReuseLuns(VDS_LUN_INFORMATION* snapshots, VDS_LUN_INFORMATION* originals, DWORD count,
                              const Expect& expect) {
  return Run(
      VssMethod::kOnReuseLuns, expect, [&] { return session_.hw_ex()->OnReuseLuns(snapshots, originals, count); },
      [&] {
        return "snapshots=" + Ptr(snapshots) + ", originals=" + Ptr(originals) + ", count=" + std::to_string(count);
      });
}

}  // namespace vss_driver
}  // namespace hwsnap
