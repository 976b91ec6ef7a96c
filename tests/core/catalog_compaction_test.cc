// Tests of catalog compaction (hwsnap/catalog.h): it keeps every live set
// exactly (ids, states, times, target identities, flags), drops forgotten
// sets, shrinks the file, survives reopen, runs at Open and after appends
// per CatalogOptions, and never breaks the lock.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "fuzz/catalog_sample.h"
#include "hwsnap/catalog.h"
#include "hwsnap/status.h"

namespace hwsnap {
namespace {

using namespace catalog_sample;  // NOLINT

class CatalogCompactionTest : public ::testing::Test {
 protected:
  CatalogCompactionTest() : dir_("catalog-compaction") {}
  std::string Path() const { return dir_.File("catalog.hwsnap"); }
  CatalogOptions Options(std::uint64_t min_bytes = 1ull << 40) const {
    CatalogOptions o;
    o.path = Path();
    o.compact_min_bytes = min_bytes;  // default here: never automatically
    return o;
  }
  std::uint64_t FileSize() const { return std::filesystem::file_size(Path()); }

  // `sets` completed sets; every one but each fourth is released and forgotten.
  void Fill(Catalog& c, std::uint32_t sets) {
    const absl::Time t0 = absl::FromUnixSeconds(1767225600);
    for (std::uint32_t i = 0; i < sets; ++i) {
      ASSERT_TRUE(AddCompletedSet(c, 1000 + i, i, 2, t0 + absl::Minutes(i)).ok());
      if (i % 4 != 0) {
        ASSERT_TRUE(c.RecordTargetReleased(absl::StrCat("t-", 1000 + i, "-", i)).ok());
        ASSERT_TRUE(c.RecordTargetReleased(absl::StrCat("t-", 1000 + i, "-", i + 1)).ok());
        ASSERT_TRUE(c.ForgetSet(SetId(1000 + i)).ok());
      }
    }
  }

  ScratchDir dir_;
};

TEST_F(CatalogCompactionTest, KeepsLiveStateDropsForgottenSetsAndShrinks) {
  auto c = Catalog::Open(Options());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(WriteEveryRecordType(**c).ok());  // released targets, reused slots' kinds, flags
  Fill(**c, 40);
  const std::vector<CatalogSet> before = (*c)->Sets();
  const auto by_identity = (*c)->FindTargetByIdentity(TargetLun(1));
  const auto latest = (*c)->FindLatestTargetForSource(Lun(0));
  const std::uint64_t size_before = FileSize();

  ASSERT_TRUE((*c)->Compact().ok());
  const std::uint64_t size_after = FileSize();
  EXPECT_LT(size_after, size_before / 2);
  EXPECT_FALSE(std::filesystem::exists(Path() + ".tmp"));
  EXPECT_EQ(DiffSets((*c)->Sets(), before), "");

  // The compacted journal holds only live sets and replays to the same state.
  auto verified = Catalog::Verify(Path());
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->sets, before.size());
  c->reset();
  auto reopened = Catalog::Open(Options());
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ(DiffSets((*reopened)->Sets(), before), "");
  EXPECT_EQ((*reopened)->load_report().file_bytes, size_after);
  ASSERT_TRUE((*reopened)->FindTargetByIdentity(TargetLun(1)).has_value());
  EXPECT_EQ(DiffTargets(*(*reopened)->FindTargetByIdentity(TargetLun(1)), *by_identity), "");
  ASSERT_TRUE((*reopened)->FindLatestTargetForSource(Lun(0)).has_value());
  EXPECT_EQ(DiffTargets(*(*reopened)->FindLatestTargetForSource(Lun(0)), *latest), "");
  EXPECT_FALSE((*reopened)->FindSet(SetId(1001)).has_value());
  EXPECT_EQ((*reopened)->FindTarget("target-2")->state, CatalogTarget::State::kReleased);

  // Recording goes on in the compacted journal.
  ASSERT_TRUE((*reopened)->RecordTargetPrepared(SetId(3), Lun(4), "target-4").ok());
  const auto after_append = (*reopened)->Sets();
  reopened->reset();
  auto again = Catalog::Open(Options());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(DiffSets((*again)->Sets(), after_append), "");
}

TEST_F(CatalogCompactionTest, ReusedTargetIdsSurviveCompaction) {
  auto c = Catalog::Open(Options());
  ASSERT_TRUE(c.ok());
  const absl::Time t0 = absl::FromUnixSeconds(1767225600);
  // Set A is created first but prepares "pool-7" after set B released it.
  ASSERT_TRUE((*c)->RecordSetCreated(SetId(1), 0, t0).ok());
  ASSERT_TRUE((*c)->RecordSetCreated(SetId(2), 0, t0).ok());
  ASSERT_TRUE((*c)->RecordPrepareStarted(SetId(2), Lun(1)).ok());
  ASSERT_TRUE((*c)->RecordTargetPrepared(SetId(2), Lun(1), "pool-7").ok());
  ASSERT_TRUE((*c)->RecordTargetReleased("pool-7").ok());
  ASSERT_TRUE((*c)->RecordPrepareStarted(SetId(1), Lun(1)).ok());
  ASSERT_TRUE((*c)->RecordTargetPrepared(SetId(1), Lun(1), "pool-7").ok());
  const auto before = (*c)->Sets();
  ASSERT_TRUE((*c)->Compact().ok());
  c->reset();
  auto reopened = Catalog::Open(Options());
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ(DiffSets((*reopened)->Sets(), before), "");
  EXPECT_EQ((*reopened)->FindTarget("pool-7")->set_id, SetId(1));
  EXPECT_EQ((*reopened)->FindTarget("pool-7")->state, CatalogTarget::State::kPrepared);
}

TEST_F(CatalogCompactionTest, RunsAfterAppendsWhenMostOfTheJournalIsDead) {
  auto c = Catalog::Open(Options(/*min_bytes=*/8 * 1024));
  ASSERT_TRUE(c.ok());
  Fill(**c, 120);
  // Without compaction the journal would be ~120 * 1.3 KiB; dead records are
  // dropped whenever they exceed half of a journal above 8 KiB.
  EXPECT_LT(FileSize(), 60u * 1024);
  const auto before = (*c)->Sets();
  EXPECT_EQ(before.size(), 30u);
  c->reset();
  auto reopened = Catalog::Open(Options());
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(DiffSets((*reopened)->Sets(), before), "");
}

TEST_F(CatalogCompactionTest, RunsAtOpen) {
  std::uint64_t size_before = 0;
  std::vector<CatalogSet> before;
  {
    auto c = Catalog::Open(Options());
    ASSERT_TRUE(c.ok());
    Fill(**c, 60);
    before = (*c)->Sets();
    size_before = FileSize();
  }
  auto c = Catalog::Open(Options(/*min_bytes=*/1024));
  ASSERT_TRUE(c.ok());
  EXPECT_LT((*c)->load_report().file_bytes, size_before / 2);
  EXPECT_EQ((*c)->load_report().file_bytes, FileSize());
  EXPECT_EQ(DiffSets((*c)->Sets(), before), "");
}

TEST_F(CatalogCompactionTest, LiveHistoryConvergesToImagesAndImagesAreNotRewritten) {
  auto c = Catalog::Open(Options(/*min_bytes=*/1024));
  ASSERT_TRUE(c.ok());
  const absl::Time t0 = absl::FromUnixSeconds(1767225600);
  // No set is forgotten: only the history trigger (journal > 2x its images) runs.
  for (std::uint32_t i = 0; i < 40; ++i) ASSERT_TRUE(AddCompletedSet(**c, i + 1, i, 1, t0).ok());
  const auto before = (*c)->Sets();
  const std::uint64_t automatic = FileSize();
  ASSERT_TRUE((*c)->Compact().ok());
  const std::uint64_t images = FileSize();
  EXPECT_LE(automatic, 2 * images + 4096);  // the trigger kept the journal near its images
  const std::string bytes = ReadBytes(Path());
  c->reset();
  c = Catalog::Open(Options(/*min_bytes=*/1024));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->load_report().records, 40u);  // one SetImage per set
  EXPECT_EQ(ReadBytes(Path()), bytes);          // images are not rewritten at Open
  EXPECT_EQ(DiffSets((*c)->Sets(), before), "");
}

// Every CatalogSet field, in every target state, through Compact() (one
// SetImage per set) and a reopen.
TEST_F(CatalogCompactionTest, SetImagesRoundTripEveryField) {
  auto c = Catalog::Open(Options());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(WriteEveryRecordType(**c).ok());  // exposed, flags, released, ended prepare, preparing set
  Fill(**c, 12);
  const absl::Time t0 = absl::FromUnixSeconds(1767225600);
  ASSERT_TRUE((*c)->RecordSetCreated(SetId(50), -3, t0 + absl::Hours(1)).ok());
  ASSERT_TRUE((*c)->RecordSnapshotAdded(SetId(50), SnapId(50)).ok());
  ASSERT_TRUE((*c)->RecordPrepareStarted(SetId(50), Lun(60)).ok());
  ASSERT_TRUE((*c)->RecordTargetPrepared(SetId(50), Lun(60), "t-50").ok());
  ASSERT_TRUE((*c)->RecordTargetExposed("t-50", true).ok());
  ASSERT_TRUE((*c)->RecordTargetFlags("t-50", kTargetPostRecovery, 0).ok());
  ASSERT_TRUE((*c)->RecordSetState(SetId(50), SetState::kAborted).ok());
  const auto before = (*c)->Sets();
  const auto by_identity = (*c)->FindTargetByIdentity(TargetLun(1));
  const auto latest = (*c)->FindLatestTargetForSource(Lun(0));
  ASSERT_TRUE(by_identity && latest);
  ASSERT_TRUE((*c)->Compact().ok());
  EXPECT_EQ(DiffSets((*c)->Sets(), before), "");
  c->reset();
  auto reopened = Catalog::Open(Options());
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ((*reopened)->load_report().records, before.size());
  EXPECT_EQ(DiffSets((*reopened)->Sets(), before), "");
  ASSERT_TRUE((*reopened)->FindTargetByIdentity(TargetLun(1)).has_value());
  EXPECT_EQ(DiffTargets(*(*reopened)->FindTargetByIdentity(TargetLun(1)), *by_identity), "");
  ASSERT_TRUE((*reopened)->FindLatestTargetForSource(Lun(0)).has_value());
  EXPECT_EQ(DiffTargets(*(*reopened)->FindLatestTargetForSource(Lun(0)), *latest), "");
  EXPECT_TRUE((*reopened)->FindTarget("t-50")->exposed);
  EXPECT_EQ((*reopened)->FindTarget("target-2")->state, CatalogTarget::State::kReleased);
  EXPECT_EQ((*reopened)->LiveTargets().size(), 1u + 3u * 2u + 1u);
}

TEST_F(CatalogCompactionTest, AppendsAfterImagesReplay) {
  auto c = Catalog::Open(Options());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(WriteEveryRecordType(**c).ok());
  Fill(**c, 8);
  ASSERT_TRUE((*c)->Compact().ok());
  const absl::Time t0 = absl::FromUnixSeconds(1767225600);
  // Every kind of append on sets that came from images, and new sets.
  ASSERT_TRUE((*c)->RecordTargetPrepared(SetId(3), Lun(4), "target-4").ok());
  ASSERT_TRUE((*c)->RecordTargetDescribed("target-4", TargetLun(4)).ok());
  ASSERT_TRUE((*c)->RecordSnapshotAdded(SetId(3), SnapId(33)).ok());
  ASSERT_TRUE((*c)->RecordPrepareStarted(SetId(3), Lun(5)).ok());
  ASSERT_TRUE((*c)->RecordPrepareEnded(SetId(3), Lun(5)).ok());
  ASSERT_TRUE(CompleteSet(**c, SetId(3)).ok());
  ASSERT_TRUE((*c)->RecordTargetExposed("target-1", false).ok());
  ASSERT_TRUE((*c)->RecordTargetFlags("target-1", kTargetPreRecovery, kTargetMasked).ok());
  ASSERT_TRUE((*c)->RecordTargetReleased("t-1000-0").ok());
  ASSERT_TRUE((*c)->RecordTargetReleased("t-1000-1").ok());
  ASSERT_TRUE((*c)->ForgetSet(SetId(1000)).ok());
  ASSERT_TRUE(AddCompletedSet(**c, 70, 70, 2, t0 + absl::Hours(2)).ok());
  const auto before = (*c)->Sets();
  const auto latest = (*c)->FindLatestTargetForSource(Lun(70));
  ASSERT_TRUE(latest.has_value());
  c->reset();
  auto reopened = Catalog::Open(Options());
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ(DiffSets((*reopened)->Sets(), before), "");
  EXPECT_FALSE((*reopened)->FindSet(SetId(1000)).has_value());
  ASSERT_TRUE((*reopened)->FindTargetByIdentity(TargetLun(4)).has_value());
  EXPECT_EQ((*reopened)->FindTargetByIdentity(TargetLun(4))->target_id, "target-4");
  ASSERT_TRUE((*reopened)->FindLatestTargetForSource(Lun(70)).has_value());
  EXPECT_EQ(DiffTargets(*(*reopened)->FindLatestTargetForSource(Lun(70)), *latest), "");
  // And a second compaction of that mix gives the same sets again.
  ASSERT_TRUE((*reopened)->Compact().ok());
  reopened->reset();
  auto again = Catalog::Open(Options());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(DiffSets((*again)->Sets(), before), "");
}

TEST_F(CatalogCompactionTest, DamagedImageIsVetoedLikeAnyRecord) {
  {
    auto c = Catalog::Open(Options());
    ASSERT_TRUE(c.ok());
    Fill(**c, 12);  // three live sets -> three images
    ASSERT_TRUE((*c)->Compact().ok());
  }
  const std::string good = ReadBytes(Path());
  const std::uint32_t first = static_cast<std::uint32_t>(static_cast<unsigned char>(good[16])) |
                              (static_cast<std::uint32_t>(static_cast<unsigned char>(good[17])) << 8);
  ASSERT_EQ(static_cast<unsigned char>(good[16 + 8]), 12u);  // SetImage
  ASSERT_LT(16 + 8 + first, good.size());
  for (const size_t at : {size_t{16 + 8 + 20}, size_t{16 + 8 + first / 2}, size_t{16 + 8 + first - 1}, size_t{16 + 2}}) {
    SCOPED_TRACE(at);
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x40);
    WriteBytes(Path(), bad);
    auto c = Catalog::Open(Options());
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(GetErrorCode(c.status()), ErrorCode::kVeto) << c.status();
    EXPECT_THAT(std::string(c.status().message()), ::testing::HasSubstr("offset 16"));
    EXPECT_EQ(ReadBytes(Path()), bad);  // the file is kept as it was
  }
}

TEST_F(CatalogCompactionTest, TheLockSurvivesTheRename) {
  auto c = Catalog::Open(Options());
  ASSERT_TRUE(c.ok());
  Fill(**c, 8);
  ASSERT_TRUE((*c)->Compact().ok());
  // The lock lives on "<path>.lock", which compaction never replaces.
  EXPECT_EQ(GetErrorCode(Catalog::Open(Options()).status()), ErrorCode::kBadState);
  ASSERT_TRUE((*c)->Compact().ok());
  EXPECT_EQ(GetErrorCode(Catalog::Open(Options()).status()), ErrorCode::kBadState);
}

}  // namespace
}  // namespace hwsnap
