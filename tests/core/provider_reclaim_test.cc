// Reclaim: targets whose OnLunEmpty never came, and targets the storage holds
// that no record knows, are listed (dry run) or released and recorded.
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "catalog_test_util.h"
#include "hwsnap/cancel_token.h"
#include "hwsnap/mock/mock_backend.h"
#include "hwsnap/provider.h"
#include "hwsnap/status.h"

namespace hwsnap::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

struct ReclaimRig {
  explicit ReclaimRig(int lun_count, bool with_catalog = true)
      : mock(std::make_shared<MockBackend>()), ex(std::make_shared<ExMock>(mock)) {
    for (int i = 0; i < lun_count; ++i) luns.push_back(mock->AddSourceLun());
    path = dir.file("catalog.hwsnap");
    Open(with_catalog);
  }
  void Open(bool with_catalog = true) {
    provider.reset();
    provider = std::make_unique<SnapshotProvider>(ex, with_catalog ? CatalogOptionsAt(path, false) : ProviderOptions{});
  }

  TempDir dir;
  std::shared_ptr<MockBackend> mock;
  std::shared_ptr<ExMock> ex;
  std::vector<LunIdentity> luns;
  std::string path;
  std::unique_ptr<SnapshotProvider> provider;
};

TEST(ProviderReclaimTest, DryRunListsWithoutReleasing) {
  ReclaimRig rig(3);
  const auto set = CompleteSet(*rig.provider, rig.luns);
  ReclaimOptions options;
  options.dry_run = true;
  auto report = rig.provider->Reclaim(options);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_THAT(report->candidates, SizeIs(3));
  for (const ReclaimCandidate& c : report->candidates) {
    EXPECT_EQ(c.set_id, set);
    EXPECT_FALSE(c.target.empty());
    EXPECT_THAT(c.reason, HasSubstr("not released since"));
    EXPECT_GT(c.since, absl::Now() - absl::Minutes(1));
  }
  EXPECT_THAT(report->failed, SizeIs(0));
  EXPECT_EQ(rig.mock->LiveTargetCount(), 3);
  EXPECT_TRUE(rig.provider->GetTargetLuns(rig.luns).ok());
}

TEST(ProviderReclaimTest, OlderThanSparesRecentTargets) {
  ReclaimRig rig(2);
  CompleteSet(*rig.provider, rig.luns);
  ReclaimOptions options;
  options.older_than = absl::Hours(1);
  auto report = rig.provider->Reclaim(options);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->candidates, SizeIs(0));
  EXPECT_EQ(rig.mock->LiveTargetCount(), 2);
  options.older_than = -absl::Seconds(1);
  EXPECT_EQ(GetErrorCode(rig.provider->Reclaim(options).status()), ErrorCode::kInvalidArgument);
}

TEST(ProviderReclaimTest, ReclaimReleasesAndRecords) {
  ReclaimRig rig(2);
  CompleteSet(*rig.provider, rig.luns);
  auto report = rig.provider->Reclaim({});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->candidates, SizeIs(2));
  EXPECT_THAT(report->failed, SizeIs(0));
  EXPECT_EQ(rig.mock->LiveTargetCount(), 0);
  EXPECT_EQ(GetErrorCode(rig.provider->GetTargetLuns(rig.luns).status()), ErrorCode::kObjectNotFound);
  EXPECT_THAT(rig.provider->ListSets(), SizeIs(0));
  // Recorded: a restart serves nothing and releases nothing.
  rig.Open();
  EXPECT_EQ(rig.provider->recovery().sets_served, 0);
  EXPECT_EQ(rig.provider->recovery().targets_released, 0);
}

TEST(ProviderReclaimTest, RestoredTargetsCanBeReclaimed) {
  ReclaimRig rig(2);
  CompleteSet(*rig.provider, rig.luns);
  rig.Open();  // restart
  ASSERT_EQ(rig.provider->recovery().sets_served, 1);
  auto report = rig.provider->Reclaim({});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->candidates, SizeIs(2));
  EXPECT_EQ(rig.mock->LiveTargetCount(), 0);
}

TEST(ProviderReclaimTest, TargetsNoRecordKnowsAreFoundThroughListTargets) {
  ReclaimRig rig(2);
  CompleteSet(*rig.provider, {rig.luns[0]});
  CancelSource never;
  auto stray = rig.mock->PrepareTarget(rig.luns[1], never.token());  // e.g. made by a crashed process
  ASSERT_TRUE(stray.ok());

  ReclaimOptions options;
  options.dry_run = true;
  auto listed = rig.provider->Reclaim(options);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_THAT(listed->candidates, SizeIs(2));
  const ReclaimCandidate& unknown = listed->candidates[1];
  EXPECT_EQ(unknown.target, *stray);
  EXPECT_TRUE(unknown.set_id.is_nil());
  EXPECT_THAT(unknown.reason, HasSubstr("unknown"));
  EXPECT_EQ(rig.mock->LiveTargetCount(), 2);

  options.dry_run = false;
  options.include_unknown = true;
  options.older_than = absl::Hours(1);  // spare the recorded one
  auto report = rig.provider->Reclaim(options);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_THAT(report->candidates, SizeIs(1));
  EXPECT_EQ(report->candidates[0].target, *stray);
  EXPECT_EQ(rig.mock->LiveTargetCount(), 1);
  EXPECT_TRUE(rig.provider->GetTargetLuns({rig.luns[0]}).ok());
}

TEST(ProviderReclaimTest, BackendThatCannotListIsANote) {
  ReclaimRig rig(1);
  rig.ex->list_supported = false;
  CompleteSet(*rig.provider, rig.luns);
  ReclaimOptions options;
  options.dry_run = true;
  auto report = rig.provider->Reclaim(options);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->candidates, SizeIs(1));
  ASSERT_THAT(report->notes, SizeIs(1));
  EXPECT_THAT(report->notes[0], HasSubstr("cannot list"));
}

TEST(ProviderReclaimTest, WithoutACatalogOnlyInMemorySetsAreReclaimed) {
  ReclaimRig rig(2, /*with_catalog=*/false);
  CompleteSet(*rig.provider, {rig.luns[0]});
  CancelSource never;
  ASSERT_TRUE(rig.mock->PrepareTarget(rig.luns[1], never.token()).ok());
  auto report = rig.provider->Reclaim({});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->candidates, SizeIs(1));
  EXPECT_THAT(report->notes, SizeIs(1));
  EXPECT_EQ(rig.mock->LiveTargetCount(), 1) << "a target not made here is left alone";
}

TEST(ProviderReclaimTest, TargetAlreadyGoneFromTheStorageCountsAsReleased) {
  ReclaimRig rig(1);
  CompleteSet(*rig.provider, rig.luns);
  // Another process released it behind our back: the storage says it is gone,
  // which counts as released.
  const auto id = rig.mock->LiveTargets()[0].id;
  ASSERT_TRUE(rig.mock->ReleaseTarget(id).ok());
  auto report = rig.provider->Reclaim({});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->candidates, SizeIs(1));
  EXPECT_THAT(report->failed, SizeIs(0));
}

}  // namespace
}  // namespace hwsnap::testing
