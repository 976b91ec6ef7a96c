// The provider across restarts and crashes: what one process recorded in the
// catalog, the next one serves (completed sets) or rolls back (sets that were
// in creation), against the same mock array (the storage survives).
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "catalog_test_util.h"
#include "hwsnap/cancel_token.h"
#include "hwsnap/catalog.h"
#include "hwsnap/mock/mock_backend.h"
#include "hwsnap/provider.h"
#include "hwsnap/status.h"

namespace hwsnap::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

struct RestartRig {
  explicit RestartRig(int lun_count) : mock(std::make_shared<MockBackend>()), ex(std::make_shared<ExMock>(mock)) {
    for (int i = 0; i < lun_count; ++i) luns.push_back(mock->AddSourceLun());
    path = dir.file("catalog.hwsnap");
  }
  std::unique_ptr<SnapshotProvider> Open(std::shared_ptr<Backend> backend = nullptr) {
    return std::make_unique<SnapshotProvider>(backend ? backend : ex, CatalogOptionsAt(path));
  }
  TargetId TargetOf(const LunIdentity& source) const {
    for (const auto& record : mock->LiveTargets()) {
      if (record.source.SameLunAs(source)) return record.id;
    }
    return {};
  }

  TempDir dir;
  std::shared_ptr<MockBackend> mock;
  std::shared_ptr<ExMock> ex;
  std::vector<LunIdentity> luns;
  std::string path;
};

TEST(ProviderRestartTest, CompletedSetsAreServedAgainAfterARestart) {
  RestartRig rig(3);
  std::vector<LunIdentity> before;
  SnapshotSetId first, second;
  {
    auto provider = rig.Open();
    ASSERT_TRUE(provider->recovery().load.created);
    EXPECT_TRUE(provider->Usable().ok());
    first = CompleteSet(*provider, absl::MakeConstSpan(rig.luns).subspan(0, 2));
    second = CompleteSet(*provider, absl::MakeConstSpan(rig.luns).subspan(2, 1));
    auto targets = provider->GetTargetLuns(rig.luns);
    ASSERT_TRUE(targets.ok()) << targets.status();
    before = *targets;
  }
  ASSERT_EQ(rig.mock->LiveTargetCount(), 3) << "completed sets keep their targets across a restart";

  auto provider = rig.Open();
  const RecoveryReport& report = provider->recovery();
  EXPECT_FALSE(report.load.created);
  EXPECT_EQ(report.sets_served, 2);
  EXPECT_EQ(report.sets_rolled_back, 0);
  EXPECT_EQ(report.targets_restored, 3);
  EXPECT_EQ(report.targets_unrestorable, 0);
  EXPECT_THAT(report.problems, SizeIs(0));
  EXPECT_EQ(rig.ex->restored.load(), 3);

  auto after = provider->GetTargetLuns(rig.luns);
  ASSERT_TRUE(after.ok()) << after.status();
  ASSERT_THAT(*after, SizeIs(3));
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ((*after)[i].ToString(), before[i].ToString()) << i;
    EXPECT_TRUE((*after)[i].SameLunAs(before[i])) << i;
  }
  auto progress = provider->GetProgress(first);
  ASSERT_TRUE(progress.ok()) << progress.status();
  EXPECT_EQ(progress->state, SetState::kCompleted);
  EXPECT_EQ(progress->targets_alive, 2);
  EXPECT_THAT(provider->ListSets(), SizeIs(2));

  ASSERT_TRUE(provider->LocateLuns(*after).ok());
  for (const auto& record : rig.mock->LiveTargets()) EXPECT_TRUE(record.exposed) << record.id;
  for (const LunIdentity& target : *after) {
    LunIdentity seen = target;
    auto supported = provider->FillInLunInfo("disk", seen);
    ASSERT_TRUE(supported.ok()) << supported.status();
    EXPECT_TRUE(*supported);
    EXPECT_TRUE(seen.SameLunAs(target));
  }

  ASSERT_TRUE(provider->OnLunEmpty("disk", (*after)[2]).ok());
  EXPECT_EQ(rig.mock->LiveTargetCount(), 2);
  EXPECT_EQ(GetErrorCode(provider->GetProgress(second).status()), ErrorCode::kObjectNotFound)
      << "a completed set whose last target is released is forgotten";
  provider.reset();

  // The release (and the forgotten set) were recorded: the next process
  // serves only what is left.
  provider = rig.Open();
  EXPECT_EQ(provider->recovery().sets_served, 1);
  EXPECT_EQ(provider->recovery().targets_restored, 2);
  EXPECT_EQ(GetErrorCode(provider->GetTargetLuns({rig.luns[2]}).status()), ErrorCode::kObjectNotFound);
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(provider->OnLunEmpty("disk", (*after)[static_cast<size_t>(i)]).ok());
  EXPECT_EQ(rig.mock->LiveTargetCount(), 0);
  provider.reset();
  provider = rig.Open();
  EXPECT_EQ(provider->recovery().sets_served, 0);
  EXPECT_THAT(provider->ListSets(), SizeIs(0));
}

TEST(ProviderRestartTest, FreshProcessWithAFreshDurableArrayServesAndRollsBack) {
  // Both the array (the mock's durable mode) and the provider are new
  // objects after the "restart": only their files carry over.
  TempDir dir;
  const std::string path = dir.file("catalog.hwsnap");
  MockBackendOptions array;
  array.state_directory = dir.file("array");
  std::vector<LunIdentity> luns, targets;
  const auto crashed = SnapshotSetId::Random();
  {
    auto mock = std::make_shared<MockBackend>(array);
    for (int i = 0; i < 3; ++i) luns.push_back(mock->AddSourceLun());
    auto provider = std::make_unique<SnapshotProvider>(mock, CatalogOptionsAt(path));
    CompleteSet(*provider, absl::MakeConstSpan(luns).subspan(0, 2));
    targets = provider->GetTargetLuns(absl::MakeConstSpan(luns).subspan(0, 2)).value();
    // A second set gets as far as commit; then the process "dies": the
    // provider object is leaked, so neither its destructor nor an abort runs.
    ASSERT_TRUE(provider->BeginPrepareSnapshot(crashed, SnapshotId::Random(), 0, {luns[2]}).ok());
    ASSERT_TRUE(provider->EndPrepareSnapshots(crashed).ok());
    ASSERT_TRUE(provider->PreCommitSnapshots(crashed).ok());
    ASSERT_TRUE(provider->CommitSnapshots(crashed).ok());
    ASSERT_EQ(mock->LiveTargetCount(), 3);
    // Models the crash (the catalog's lock must be dropped by hand below).
    // Kept reachable from a static so LeakSanitizer does not report the
    // deliberately abandoned provider.
    static auto* const crashed_providers = new std::vector<SnapshotProvider*>();
    crashed_providers->push_back(provider.release());
  }
  // A leaked provider still holds the catalog's lock in this process; a
  // crash would have dropped it. Model that by copying the journal, as it
  // was at the crash, to a fresh path.
  const std::string after_crash = dir.file("catalog-after-crash.hwsnap");
  std::filesystem::copy_file(path, after_crash);

  auto mock = std::make_shared<MockBackend>(array);
  ASSERT_THAT(mock->LoadProblems(), SizeIs(0));
  ASSERT_EQ(mock->LiveTargetCount(), 3);
  SnapshotProvider provider(mock, CatalogOptionsAt(after_crash));
  const RecoveryReport& report = provider.recovery();
  EXPECT_EQ(report.sets_served, 1);
  EXPECT_EQ(report.sets_rolled_back, 1);
  EXPECT_EQ(report.targets_released, 1);
  EXPECT_EQ(report.targets_restored, 2);
  EXPECT_THAT(report.problems, SizeIs(0));
  EXPECT_EQ(mock->LiveTargetCount(), 2);
  auto served = provider.GetTargetLuns(absl::MakeConstSpan(luns).subspan(0, 2));
  ASSERT_TRUE(served.ok()) << served.status();
  for (size_t i = 0; i < targets.size(); ++i) EXPECT_TRUE((*served)[i].SameLunAs(targets[i])) << i;
  ASSERT_TRUE(provider.LocateLuns(*served).ok());
  for (const auto& record : mock->LiveTargets()) EXPECT_TRUE(record.exposed) << record.id;
  for (const LunIdentity& target : *served) ASSERT_TRUE(provider.OnLunEmpty("disk", target).ok());
  EXPECT_EQ(mock->LiveTargetCount(), 0);
}

TEST(ProviderRestartTest, TargetsTheBackendCannotTakeBackAreReportedAndStillServed) {
  RestartRig rig(2);
  rig.ex->restore_supported = false;  // a backend keeping no state of its own
  {
    auto provider = rig.Open();
    CompleteSet(*provider, rig.luns);
  }
  auto provider = rig.Open();
  const RecoveryReport& report = provider->recovery();
  EXPECT_EQ(report.sets_served, 1);
  EXPECT_EQ(report.targets_restored, 0);
  EXPECT_EQ(report.targets_unrestorable, 2);
  ASSERT_THAT(report.problems, SizeIs(2));
  EXPECT_THAT(report.problems[0], HasSubstr("does not support"));
  // The record is kept: the storage (the same mock) still has the targets.
  auto targets = provider->GetTargetLuns(rig.luns);
  ASSERT_TRUE(targets.ok()) << targets.status();
  for (const LunIdentity& target : *targets) ASSERT_TRUE(provider->OnLunEmpty("disk", target).ok());
  EXPECT_EQ(rig.mock->LiveTargetCount(), 0);
}

TEST(ProviderRestartTest, SetInCreationWhenTheProcessDiedIsRolledBack) {
  RestartRig rig(4);
  // A completed set from a healthy run.
  {
    auto provider = rig.Open();
    CompleteSet(*provider, absl::MakeConstSpan(rig.luns).subspan(0, 1));
  }
  // Model the crash: what a provider records for a set that had prepared
  // LUN 1, was inside PrepareTarget for LUN 2 (the array already made a
  // target no record names), when the process died.
  const auto crashed = SnapshotSetId::Random();
  CancelSource never;
  {
    CatalogOptions options;
    options.path = rig.path;
    auto catalog = Catalog::Open(options);
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    Catalog& c = **catalog;
    ASSERT_TRUE(c.RecordSetCreated(crashed, 0, absl::Now()).ok());
    ASSERT_TRUE(c.RecordSnapshotAdded(crashed, SnapshotId::Random()).ok());
    ASSERT_TRUE(c.RecordPrepareStarted(crashed, rig.luns[1]).ok());
    auto made = rig.mock->PrepareTarget(rig.luns[1], never.token());
    ASSERT_TRUE(made.ok());
    ASSERT_TRUE(c.RecordTargetPrepared(crashed, rig.luns[1], *made).ok());
    ASSERT_TRUE(c.RecordPrepareStarted(crashed, rig.luns[2]).ok());
    ASSERT_TRUE(rig.mock->PrepareTarget(rig.luns[2], never.token()).ok());  // never recorded
    ASSERT_TRUE(c.RecordSetState(crashed, SetState::kPrepared).ok());
  }
  ASSERT_EQ(rig.mock->LiveTargetCount(), 3);

  auto provider = rig.Open();
  const RecoveryReport& report = provider->recovery();
  EXPECT_EQ(report.sets_served, 1);
  EXPECT_EQ(report.sets_rolled_back, 1);
  EXPECT_EQ(report.targets_released, 1);
  EXPECT_EQ(report.unknown_targets_released, 1);
  EXPECT_THAT(report.problems, SizeIs(0));
  EXPECT_EQ(rig.mock->LiveTargetCount(), 1) << "only the completed set's target is left";
  EXPECT_EQ(GetErrorCode(provider->GetProgress(crashed).status()), ErrorCode::kObjectNotFound);
  EXPECT_TRUE(provider->GetTargetLuns({rig.luns[0]}).ok());
  EXPECT_EQ(GetErrorCode(provider->GetTargetLuns({rig.luns[1]}).status()), ErrorCode::kObjectNotFound);
  provider.reset();

  // The rollback was recorded: nothing to do the next time.
  provider = rig.Open();
  EXPECT_EQ(provider->recovery().sets_rolled_back, 0);
  EXPECT_EQ(provider->recovery().targets_released, 0);
  EXPECT_EQ(provider->recovery().sets_served, 1);
}

TEST(ProviderRestartTest, InterruptedPrepareWithABackendThatCannotListIsReported) {
  RestartRig rig(2);
  const auto crashed = SnapshotSetId::Random();
  {
    CatalogOptions options;
    options.path = rig.path;
    auto catalog = Catalog::Open(options);
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    ASSERT_TRUE((*catalog)->RecordSetCreated(crashed, 0, absl::Now()).ok());
    ASSERT_TRUE((*catalog)->RecordPrepareStarted(crashed, rig.luns[0]).ok());
  }
  rig.ex->list_supported = false;
  auto provider = rig.Open();
  EXPECT_EQ(provider->recovery().sets_rolled_back, 1);
  ASSERT_THAT(provider->recovery().problems, SizeIs(1));
  EXPECT_THAT(provider->recovery().problems[0], HasSubstr("cannot list"));
}

TEST(ProviderRestartTest, ProviderShutDownDuringCreationAbortsAndRecordsIt) {
  RestartRig rig(2);
  const auto set = SnapshotSetId::Random();
  {
    auto provider = rig.Open();
    ASSERT_TRUE(provider->BeginPrepareSnapshot(set, SnapshotId::Random(), 0, rig.luns).ok());
    ASSERT_TRUE(provider->EndPrepareSnapshots(set).ok());
    ASSERT_TRUE(provider->PreCommitSnapshots(set).ok());
    ASSERT_TRUE(provider->CommitSnapshots(set).ok());
  }  // the destructor aborts the set in creation
  EXPECT_EQ(rig.mock->LiveTargetCount(), 0);
  auto provider = rig.Open();
  EXPECT_EQ(provider->recovery().sets_rolled_back, 0) << "the abort was recorded";
  EXPECT_EQ(provider->recovery().sets_served, 0);
}

TEST(ProviderRestartTest, ASecondProviderOnTheSameCatalogIsRefused) {
  RestartRig rig(1);
  auto first = rig.Open();
  CompleteSet(*first, rig.luns);

  auto second = rig.Open();
  const auto set = SnapshotSetId::Random();
  const absl::Status refused = second->BeginPrepareSnapshot(set, SnapshotId::Random(), 0, rig.luns);
  EXPECT_EQ(GetErrorCode(refused), ErrorCode::kBadState) << refused;
  EXPECT_THAT(std::string(refused.message()), HasSubstr(rig.path));
  EXPECT_EQ(GetErrorCode(second->AreLunsSupported(rig.luns, 0).status()), ErrorCode::kBadState);
  EXPECT_EQ(GetErrorCode(second->GetTargetLuns(rig.luns).status()), ErrorCode::kBadState);
  EXPECT_EQ(GetErrorCode(second->Reclaim({}).status()), ErrorCode::kBadState);
  EXPECT_EQ(GetErrorCode(second->OnLunStateChange(rig.luns, rig.luns, kTargetReadWrite)), ErrorCode::kBadState);
  EXPECT_THAT(second->ListSets(), SizeIs(0));
  EXPECT_EQ(rig.mock->LiveTargetCount(), 1);
  // The first one is unaffected.
  EXPECT_TRUE(first->GetTargetLuns(rig.luns).ok());
  second.reset();
  first.reset();
  auto third = rig.Open();
  EXPECT_EQ(third->recovery().sets_served, 1);
}

TEST(ProviderRestartTest, CatalogThatCannotBeCreatedMakesTheProviderRefuseEveryCall) {
  RestartRig rig(1);
  // Its directory cannot be made: a regular file is in the way (works as
  // root too, unlike permission bits).
  const std::string blocker = rig.dir.file("not-a-directory");
  { std::FILE* f = std::fopen(blocker.c_str(), "w"); ASSERT_NE(f, nullptr); std::fclose(f); }
  const std::string path = blocker + "/catalog.hwsnap";
  SnapshotProvider provider(rig.ex, CatalogOptionsAt(path));
  const absl::Status refused = provider.BeginPrepareSnapshot(SnapshotSetId::Random(), SnapshotId::Random(), 0, rig.luns);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(std::string(refused.message()), HasSubstr(path));
  EXPECT_EQ(provider.AreLunsSupported(rig.luns, 0).status(), refused);
  EXPECT_EQ(provider.Reclaim({}).status(), refused);
  EXPECT_EQ(provider.Usable(), refused);  // what a host checks at load
  EXPECT_THAT(provider.ListSets(), SizeIs(0));
  EXPECT_EQ(rig.mock->calls().prepare, 0);
  EXPECT_EQ(rig.mock->LiveTargetCount(), 0);
}

TEST(ProviderRestartTest, WithoutACatalogNothingIsRecoveredOrRecorded) {
  RestartRig rig(1);
  SnapshotProvider provider(rig.ex);
  EXPECT_EQ(provider.recovery().sets_served, 0);
  EXPECT_TRUE(provider.recovery().load.path.empty());
  CompleteSet(provider, rig.luns);
  EXPECT_TRUE(provider.GetTargetLuns(rig.luns).ok());
  EXPECT_FALSE(std::filesystem::exists(rig.path));
}

}  // namespace
}  // namespace hwsnap::testing
