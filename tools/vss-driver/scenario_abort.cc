// Scenarios "abort-while-end-prepare-waits" and "implicit-abort": the two ways
// a set in creation is given up.
#include <chrono>
#include <cstdio>

#include "com_thread.h"
#include "scenario.h"
#include "snapshot_sequence.h"

namespace hwsnap {
namespace vss_driver {
namespace {

using windows::kVSS_E_OBJECT_NOT_FOUND;
using windows::kVSS_E_PROVIDER_VETO;

// How long EndPrepareSnapshots must keep waiting before the abort (proves the
// prepare really hangs), and the generous bounds on the abort's effect: the
// contract says "stop at once"; Wine on a busy 2-core machine is slow, so the
// bound only catches waiting for the prepare itself (which never ends).
constexpr std::chrono::milliseconds kStillWaiting{400};
constexpr double kPromptMs = 5000;
constexpr std::chrono::seconds kGiveUp{20};

std::string Ms(double ms) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f ms", ms);
  return text;
}

}  // namespace

void RunAbortWhileEndPrepareWaits(ScenarioContext& context) {
  VssCalls& vss = context.vss;
  Timeline& t = context.timeline;
  const std::vector<LunSpec> pool = {context.luns.Unique("A"), context.luns.Unique("B")};
  std::vector<Volume> volumes;
  volumes.emplace_back("V1", pool, std::vector<int>{0, 1});
  volumes.emplace_back("V2", pool, std::vector<int>{1});
  if (!RequireSupported(context, volumes)) return;
  const GUID set = NewGuid();
  vss.Name(set, "S1");
  BeginPrepareAll(context, set, volumes);

  // VSS's requester thread: EndPrepareSnapshots blocks while the prepare hangs.
  Timeline::Clock::time_point returned{};
  ComThread waiter([&] {
    vss.EndPrepareSnapshots(set, Expect::Failure(), /*announce=*/true);
    returned = Timeline::Clock::now();
  });
  const bool early = waiter.WaitFor(kStillWaiting);
  t.Check(!early, "EndPrepareSnapshots is still waiting after " + std::to_string(kStillWaiting.count()) +
                      " ms (the prepare does not finish on its own)");

  // The requester gives up: AbortSnapshots on this thread.
  const Timeline::Clock::time_point abort_start = t.Now();
  vss.AbortSnapshots(set, Expect::Ok());
  const double abort_ms = ElapsedMs(abort_start, t.Now());
  if (!waiter.WaitFor(kGiveUp)) {
    AbandonRun(t, context.name,
               "EndPrepareSnapshots has not returned " + std::to_string(kGiveUp.count()) + " s after AbortSnapshots");
  }
  if (!early) {
    const double end_ms = ElapsedMs(abort_start, returned);
    t.Note("EndPrepareSnapshots returned " + Ms(end_ms) + " after AbortSnapshots began; AbortSnapshots took " +
           Ms(abort_ms));
    t.Check(end_ms < kPromptMs, "EndPrepareSnapshots returned promptly after the abort (" + Ms(end_ms) + " < " +
                                    Ms(kPromptMs) + ")");
  }
  t.Check(abort_ms < kPromptMs, "AbortSnapshots returned promptly (" + Ms(abort_ms) + " < " + Ms(kPromptMs) + ")");

  // The set is gone: later calls are refused, aborting again is harmless.
  vss.PreCommitSnapshots(set, Expect::Failure());
  vss.CommitSnapshots(set, Expect::Failure());
  vss.AbortSnapshots(set, Expect::Ok());
  VdsLunArray destinations = VdsLunArray::Empty(volumes[0].luns.size());
  vss.GetTargetLuns(LunArg::Of(volumes[0].luns), volumes[0].devices.data(), destinations.data(), Expect::Failure());
}

void RunImplicitAbort(ScenarioContext& context) {
  VssCalls& vss = context.vss;
  const std::vector<LunSpec> pool = {context.luns.Unique("A"), context.luns.Unique("B"), context.luns.Unique("C")};
  std::vector<Volume> old_volumes;
  old_volumes.emplace_back("V1", pool, std::vector<int>{0, 1});
  old_volumes.emplace_back("V2", pool, std::vector<int>{1, 2});
  if (!RequireSupported(context, old_volumes)) return;
  const GUID old_set = NewGuid();
  vss.Name(old_set, "S1");
  BeginPrepareAll(context, old_set, old_volumes);

  // VSS gave up on S1 without telling this provider; its next set starts
  // while S1 is still preparing (HWSNAP_MOCK_PREPARE_MS keeps it busy).
  std::vector<Volume> new_volumes;
  new_volumes.emplace_back("V3", pool, std::vector<int>{0, 1});
  new_volumes.emplace_back("V4", pool, std::vector<int>{2});
  const GUID new_set = NewGuid();
  vss.Name(new_set, "S2");
  vss.Name(new_volumes[0].snapshot, new_volumes[0].label);
  vss.BeginPrepareSnapshot(new_set, new_volumes[0].snapshot, kContext, LunArg::Of(new_volumes[0].luns),
                           new_volumes[0].devices.data(), Expect::Ok());

  // S1 was implicitly aborted: its EndPrepare fails with not-found or a veto.
  vss.EndPrepareSnapshots(old_set, Expect::OneOf({kVSS_E_OBJECT_NOT_FOUND, kVSS_E_PROVIDER_VETO}));
  vss.PreCommitSnapshots(old_set, Expect::Failure());
  vss.AbortSnapshots(old_set, Expect::AnyLegal());

  // S2 goes on as if nothing happened.
  vss.Name(new_volumes[1].snapshot, new_volumes[1].label);
  vss.BeginPrepareSnapshot(new_set, new_volumes[1].snapshot, kContext, LunArg::Of(new_volumes[1].luns),
                           new_volumes[1].devices.data(), Expect::Ok());
  if (CommitSet(context, new_set, static_cast<LONG>(new_volumes.size()))) ImportAndRelease(context, new_volumes);
}

}  // namespace vss_driver
}  // namespace hwsnap
