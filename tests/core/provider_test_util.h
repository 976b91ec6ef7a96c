// provider_test_util.h — a provider over a (fault-injecting) mock array, and
// helpers that drive a set to a given point of the VSS sequence. Shared by
// the provider tests so each test states only what it is about.
#ifndef HWSNAP_TESTS_CORE_PROVIDER_TEST_UTIL_H_
#define HWSNAP_TESTS_CORE_PROVIDER_TEST_UTIL_H_

#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "hwsnap/mock/fault_injecting_backend.h"
#include "hwsnap/mock/mock_backend.h"
#include "hwsnap/provider.h"
#include "hwsnap/status.h"

namespace hwsnap::testing {

// The steps of the sequence a set goes through, in order.
enum class Step {
  kBeginPrepare,
  kEndPrepare,
  kPreCommit,
  kCommit,
  kPostCommit,
  kPreFinalCommit,
  kPostFinalCommit,
};

inline constexpr Step kAllSteps[] = {Step::kBeginPrepare, Step::kEndPrepare,     Step::kPreCommit,
                                     Step::kCommit,       Step::kPostCommit,     Step::kPreFinalCommit,
                                     Step::kPostFinalCommit};

inline const char* StepName(Step step) {
  switch (step) {
    case Step::kBeginPrepare: return "BeginPrepare";
    case Step::kEndPrepare: return "EndPrepare";
    case Step::kPreCommit: return "PreCommit";
    case Step::kCommit: return "Commit";
    case Step::kPostCommit: return "PostCommit";
    case Step::kPreFinalCommit: return "PreFinalCommit";
    case Step::kPostFinalCommit: return "PostFinalCommit";
  }
  return "?";
}

// The state a set is in after `step` succeeded.
inline SetState StateAfter(Step step) {
  switch (step) {
    case Step::kBeginPrepare: return SetState::kPreparing;
    case Step::kEndPrepare: return SetState::kPrepared;
    case Step::kPreCommit: return SetState::kPreCommitted;
    case Step::kCommit: return SetState::kCommitted;
    case Step::kPostCommit: return SetState::kPostCommitted;
    case Step::kPreFinalCommit: return SetState::kPreFinalCommitted;
    case Step::kPostFinalCommit: return SetState::kCompleted;
  }
  return SetState::kFailed;
}

// A provider over fault decorator over mock, with `lun_count` source LUNs.
struct Rig {
  explicit Rig(int lun_count, MockBackendOptions mock_options = {},
               ProviderOptions provider_options = {})
      : mock(std::make_shared<MockBackend>(mock_options)),
        faults(std::make_shared<FaultInjectingBackend>(mock)) {
    for (int i = 0; i < lun_count; ++i) luns.push_back(mock->AddSourceLun());
    provider = std::make_unique<SnapshotProvider>(faults, provider_options);
  }

  SetState StateOf(const SnapshotSetId& set) const {
    auto progress = provider->GetProgress(set);
    EXPECT_TRUE(progress.ok()) << progress.status();
    return progress.ok() ? progress->state : SetState::kFailed;
  }

  // BeginPrepare for `per_snapshot` LUNs per snapshot (round-robin), all LUNs.
  absl::Status BeginAll(const SnapshotSetId& set, int snapshots = 1) {
    std::vector<std::vector<LunIdentity>> groups(static_cast<size_t>(snapshots));
    for (size_t i = 0; i < luns.size(); ++i) groups[i % groups.size()].push_back(luns[i]);
    for (const auto& group : groups) {
      if (group.empty()) continue;
      if (auto s = provider->BeginPrepareSnapshot(set, SnapshotId::Random(), 0, group); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  // Runs one step of the sequence.
  absl::Status Run(const SnapshotSetId& set, Step step) {
    switch (step) {
      case Step::kBeginPrepare: return BeginAll(set);
      case Step::kEndPrepare: return provider->EndPrepareSnapshots(set);
      case Step::kPreCommit: return provider->PreCommitSnapshots(set);
      case Step::kCommit: return provider->CommitSnapshots(set);
      case Step::kPostCommit: return provider->PostCommitSnapshots(set, 1);
      case Step::kPreFinalCommit: return provider->PreFinalCommitSnapshots(set);
      case Step::kPostFinalCommit: return provider->PostFinalCommitSnapshots(set);
    }
    return absl::InternalError("unknown step");
  }

  // Runs every step up to and including `last`; stops at the first failure.
  absl::Status RunThrough(const SnapshotSetId& set, Step last) {
    for (Step step : kAllSteps) {
      if (auto s = Run(set, step); !s.ok()) return s;
      if (step == last) break;
    }
    return absl::OkStatus();
  }

  // Waits (bounded) until the mock holds `count` live targets; stragglers
  // released after a return are observed this way.
  bool WaitForLiveTargets(int count, absl::Duration limit = absl::Seconds(10)) const {
    const absl::Time until = absl::Now() + limit;
    while (mock->LiveTargetCount() != count) {
      if (absl::Now() > until) return false;
      absl::SleepFor(absl::Milliseconds(2));
    }
    return true;
  }

  std::shared_ptr<MockBackend> mock;
  std::shared_ptr<FaultInjectingBackend> faults;
  std::unique_ptr<SnapshotProvider> provider;
  std::vector<LunIdentity> luns;
};

// A rule for FaultInjectingBackend, built readably.
using hwsnap::MakeFaultRule;

}  // namespace hwsnap::testing

#endif  // HWSNAP_TESTS_CORE_PROVIDER_TEST_UTIL_H_
