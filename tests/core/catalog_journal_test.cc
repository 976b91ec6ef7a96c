// Tests of hwsnap/catalog.h: recording, reopening, queries, input checks,
// read-only mode and the lock between processes. Compaction and damaged
// files have their own suites (catalog_compaction_test, catalog_corruption_test).
#include "hwsnap/catalog.h"

#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "fuzz/catalog_sample.h"
#include "hwsnap/status.h"

namespace hwsnap {
namespace {

using ::testing::HasSubstr;
using namespace catalog_sample;  // NOLINT

class CatalogJournalTest : public ::testing::Test {
 protected:
  CatalogJournalTest() : dir_("catalog-journal") {}
  std::string Path() const { return dir_.File("state/nested/catalog.hwsnap"); }
  CatalogOptions Options(bool read_only = false) const {
    CatalogOptions o;
    o.path = Path();
    o.read_only = read_only;
    return o;
  }
  std::unique_ptr<Catalog> OpenOrDie(bool read_only = false) {
    auto c = Catalog::Open(Options(read_only));
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? std::move(*c) : nullptr;
  }
  ScratchDir dir_;
};

TEST_F(CatalogJournalTest, CreatesDirectoryAndEmptyJournal) {
  auto c = OpenOrDie();
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->load_report().created);
  EXPECT_EQ(c->load_report().records, 0u);
  EXPECT_EQ(c->load_report().file_bytes, 16u);  // the header alone
  EXPECT_EQ(ReadBytes(Path()).size(), 16u);
  EXPECT_TRUE(c->Sets().empty());
  c.reset();
  c = OpenOrDie();
  EXPECT_FALSE(c->load_report().created);
}

TEST_F(CatalogJournalTest, EmptyPathIsInvalid) {
  EXPECT_EQ(GetErrorCode(Catalog::Open(CatalogOptions()).status()), ErrorCode::kInvalidArgument);
}

TEST_F(CatalogJournalTest, EveryRecordTypeRoundTripsThroughReopen) {
  auto c = OpenOrDie();
  ASSERT_TRUE(WriteEveryRecordType(*c).ok());
  const std::vector<CatalogSet> before = c->Sets();

  // What was recorded, as the index holds it.
  ASSERT_EQ(before.size(), 2u);  // set 2 was forgotten
  const CatalogSet& s1 = before[0];
  EXPECT_EQ(s1.id, SetId(1));
  EXPECT_EQ(s1.context, 0x1d);
  EXPECT_EQ(s1.state, SetState::kCompleted);
  EXPECT_EQ(s1.created, absl::FromUnixSeconds(1767225600));
  EXPECT_GE(s1.updated, s1.created);
  EXPECT_EQ(s1.snapshots, (std::vector<SnapshotId>{SnapId(1), SnapId(2)}));
  ASSERT_EQ(s1.targets.size(), 3u);
  EXPECT_EQ(s1.targets[0].source, Lun(1));
  EXPECT_EQ(s1.targets[0].target_id, "target-1");
  EXPECT_EQ(s1.targets[0].state, CatalogTarget::State::kDescribed);
  ASSERT_TRUE(s1.targets[0].identity.has_value());
  EXPECT_EQ(*s1.targets[0].identity, TargetLun(1));
  EXPECT_TRUE(s1.targets[0].exposed);
  EXPECT_EQ(s1.targets[0].flags, static_cast<std::uint32_t>(kTargetMasked));
  EXPECT_EQ(s1.targets[1].state, CatalogTarget::State::kReleased);
  EXPECT_EQ(s1.targets[1].target_id, "target-2");
  EXPECT_EQ(s1.targets[2].state, CatalogTarget::State::kReleased);  // prepare ended
  EXPECT_TRUE(s1.targets[2].target_id.empty());
  EXPECT_EQ(s1.LiveTargets(), 1);
  const CatalogSet& s3 = before[1];
  EXPECT_EQ(s3.id, SetId(3));
  EXPECT_EQ(s3.state, SetState::kPreparing);
  ASSERT_EQ(s3.targets.size(), 1u);
  EXPECT_EQ(s3.targets[0].state, CatalogTarget::State::kPreparing);
  EXPECT_FALSE(c->FindSet(SetId(2)).has_value());

  // Restart: close and reopen gives the identical state.
  const std::uint64_t bytes = ReadBytes(Path()).size();
  c.reset();
  c = OpenOrDie();
  EXPECT_EQ(DiffSets(c->Sets(), before), "");
  EXPECT_EQ(c->load_report().records, 29u);  // CompleteSet skips kPrepared (already recorded)
  EXPECT_EQ(c->load_report().file_bytes, bytes);
  EXPECT_EQ(c->load_report().sets, 2u);
  EXPECT_EQ(c->load_report().live_targets, 1u);
  EXPECT_EQ(c->load_report().torn_tail_bytes, 0u);

  // And the reopened catalog keeps recording where it left off.
  ASSERT_TRUE(c->RecordTargetPrepared(SetId(3), Lun(4), "target-4").ok());
  c.reset();
  c = OpenOrDie();
  ASSERT_TRUE(c->FindTarget("target-4").has_value());
  EXPECT_EQ(c->FindTarget("target-4")->state, CatalogTarget::State::kPrepared);
}

TEST_F(CatalogJournalTest, TimesAreKeptToTheMicrosecond) {
  auto c = OpenOrDie();
  const absl::Time when = absl::FromUnixNanos(1767225600123456789);
  ASSERT_TRUE(c->RecordSetCreated(SetId(9), 0, when).ok());
  EXPECT_EQ(c->FindSet(SetId(9))->created, absl::FromUnixMicros(1767225600123456));
  c.reset();
  c = OpenOrDie();
  EXPECT_EQ(c->FindSet(SetId(9))->created, absl::FromUnixMicros(1767225600123456));
}

TEST_F(CatalogJournalTest, FindTargetByIdentitySkipsReleasedAndUndescribedTargets) {
  auto c = OpenOrDie();
  ASSERT_TRUE(WriteEveryRecordType(*c).ok());
  auto found = c->FindTargetByIdentity(TargetLun(1));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->target_id, "target-1");
  EXPECT_EQ(found->set_id, SetId(1));
  // Released: the backend may hand the same identity to a new target.
  EXPECT_FALSE(c->FindTargetByIdentity(TargetLun(2)).has_value());
  // By id, a released target is still known.
  ASSERT_TRUE(c->FindTarget("target-2").has_value());
  EXPECT_EQ(c->FindTarget("target-2")->state, CatalogTarget::State::kReleased);
  // A source identity is not a target identity.
  EXPECT_FALSE(c->FindTargetByIdentity(Lun(1)).has_value());
  // Matching needs a shared *unique* designator: other fields do not matter.
  LunIdentity query = TargetLun(1);
  query.serial_number = "other";
  query.vendor_id = "OTHER";
  EXPECT_TRUE(c->FindTargetByIdentity(query).has_value());
  LunIdentity only_port;
  only_port.designators.push_back(TargetLun(1).designators[1]);  // non-unique
  EXPECT_FALSE(c->FindTargetByIdentity(only_port).has_value());
  // Prepared but not described yet: nothing to match.
  ASSERT_TRUE(c->RecordTargetPrepared(SetId(3), Lun(4), "target-4").ok());
  EXPECT_FALSE(c->FindTargetByIdentity(TargetLun(4)).has_value());
  ASSERT_TRUE(c->RecordTargetDescribed("target-4", TargetLun(4)).ok());
  EXPECT_EQ(c->FindTargetByIdentity(TargetLun(4))->target_id, "target-4");
  // A pool identity reused after release finds the new target, also after reopen.
  ASSERT_TRUE(c->RecordTargetReleased("target-4").ok());
  EXPECT_FALSE(c->FindTargetByIdentity(TargetLun(4)).has_value());
  ASSERT_TRUE(c->RecordSetCreated(SetId(5), 0, absl::Now()).ok());
  ASSERT_TRUE(c->RecordPrepareStarted(SetId(5), Lun(4)).ok());
  ASSERT_TRUE(c->RecordTargetPrepared(SetId(5), Lun(4), "target-5").ok());
  ASSERT_TRUE(c->RecordTargetDescribed("target-5", TargetLun(4)).ok());
  EXPECT_EQ(c->FindTargetByIdentity(TargetLun(4))->target_id, "target-5");
  c.reset();
  c = OpenOrDie();
  EXPECT_EQ(c->FindTargetByIdentity(TargetLun(4))->target_id, "target-5");
  EXPECT_FALSE(c->FindTargetByIdentity(TargetLun(2)).has_value());
}

TEST_F(CatalogJournalTest, LatestTargetForSourceIsTheNewestCompletedSet) {
  auto c = OpenOrDie();
  const absl::Time t0 = absl::FromUnixSeconds(1767225600);
  ASSERT_TRUE(AddCompletedSet(*c, 10, 1, 2, t0).ok());
  ASSERT_TRUE(AddCompletedSet(*c, 11, 1, 1, t0 + absl::Hours(1)).ok());
  auto latest = c->FindLatestTargetForSource(Lun(1));
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->set_id, SetId(11));
  EXPECT_EQ(latest->target_id, "t-11-1");
  EXPECT_EQ(c->FindLatestTargetForSource(Lun(2))->set_id, SetId(10));
  EXPECT_FALSE(c->FindLatestTargetForSource(Lun(3)).has_value());

  // A newer set that is not completed (or aborted) does not count.
  ASSERT_TRUE(c->RecordSetCreated(SetId(12), 0, t0 + absl::Hours(2)).ok());
  ASSERT_TRUE(c->RecordPrepareStarted(SetId(12), Lun(1)).ok());
  ASSERT_TRUE(c->RecordTargetPrepared(SetId(12), Lun(1), "t-12-1").ok());
  ASSERT_TRUE(c->RecordTargetDescribed("t-12-1", TargetLun(12001)).ok());
  EXPECT_EQ(c->FindLatestTargetForSource(Lun(1))->set_id, SetId(11));
  ASSERT_TRUE(c->RecordSetState(SetId(12), SetState::kAborted).ok());
  EXPECT_EQ(c->FindLatestTargetForSource(Lun(1))->set_id, SetId(11));

  // Releasing the newest target falls back to the older set's.
  ASSERT_TRUE(c->RecordTargetReleased("t-11-1").ok());
  EXPECT_EQ(c->FindLatestTargetForSource(Lun(1))->set_id, SetId(10));
  c.reset();
  c = OpenOrDie();
  EXPECT_EQ(c->FindLatestTargetForSource(Lun(1))->set_id, SetId(10));
  EXPECT_EQ(c->LiveTargets().size(), 3u);  // t-10-1, t-10-2, t-12-1 (aborted set, not released yet)
}

TEST_F(CatalogJournalTest, InvalidInputsAreRefusedAndChangeNothing) {
  auto c = OpenOrDie();
  ASSERT_TRUE(WriteEveryRecordType(*c).ok());
  const std::vector<CatalogSet> before = c->Sets();
  const std::string bytes = ReadBytes(Path());
  const SnapshotSetId nil;
  const SnapshotSetId unknown = SetId(77);

  auto code = [](const absl::Status& s) { return GetErrorCode(s); };
  EXPECT_EQ(code(c->RecordSetCreated(nil, 0, absl::Now())), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(c->RecordSetCreated(SetId(1), 0, absl::Now())), ErrorCode::kBadState);  // exists
  EXPECT_EQ(code(c->RecordSnapshotAdded(nil, SnapId(5))), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(c->RecordSnapshotAdded(SetId(3), SnapshotId())), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(c->RecordSnapshotAdded(unknown, SnapId(5))), ErrorCode::kObjectNotFound);
  EXPECT_EQ(code(c->RecordSnapshotAdded(SetId(1), SnapId(5))), ErrorCode::kBadState);  // final set
  EXPECT_EQ(code(c->RecordPrepareStarted(unknown, Lun(5))), ErrorCode::kObjectNotFound);
  EXPECT_EQ(code(c->RecordPrepareStarted(SetId(3), Lun(4))), ErrorCode::kBadState);  // already preparing
  LunIdentity no_unique = Lun(5);
  no_unique.designators.erase(no_unique.designators.begin());
  EXPECT_EQ(code(c->RecordPrepareStarted(SetId(3), no_unique)), ErrorCode::kInvalidArgument);
  LunIdentity malformed = Lun(5);
  malformed.designators[0].bytes.resize(5);  // NAA is 8 or 16 bytes
  EXPECT_EQ(code(c->RecordPrepareStarted(SetId(3), malformed)), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(c->RecordTargetPrepared(SetId(3), Lun(4), "")), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(c->RecordTargetPrepared(nil, Lun(4), "x")), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(c->RecordTargetPrepared(unknown, Lun(4), "x")), ErrorCode::kObjectNotFound);
  EXPECT_EQ(code(c->RecordTargetPrepared(SetId(3), Lun(9), "x")), ErrorCode::kObjectNotFound);  // never started
  EXPECT_EQ(code(c->RecordTargetPrepared(SetId(3), Lun(4), "target-1")), ErrorCode::kBadState);  // id alive
  EXPECT_EQ(code(c->RecordTargetPrepared(SetId(3), Lun(4), std::string(1025, 'x'))), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(c->RecordPrepareEnded(SetId(1), Lun(1))), ErrorCode::kBadState);  // not preparing
  EXPECT_EQ(code(c->RecordTargetDescribed("", TargetLun(1))), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(c->RecordTargetDescribed("nope", TargetLun(1))), ErrorCode::kObjectNotFound);
  EXPECT_EQ(code(c->RecordTargetDescribed("target-2", TargetLun(2))), ErrorCode::kBadState);  // released
  EXPECT_EQ(code(c->RecordSetState(nil, SetState::kFailed)), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(c->RecordSetState(unknown, SetState::kFailed)), ErrorCode::kObjectNotFound);
  EXPECT_EQ(code(c->RecordSetState(SetId(1), SetState::kFailed)), ErrorCode::kBadState);  // final
  EXPECT_EQ(code(c->RecordTargetExposed("nope", true)), ErrorCode::kObjectNotFound);
  EXPECT_EQ(code(c->RecordTargetExposed("target-2", true)), ErrorCode::kBadState);
  EXPECT_EQ(code(c->RecordTargetFlags("", kTargetMasked, 0)), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(c->RecordTargetFlags("target-2", kTargetMasked, 0)), ErrorCode::kBadState);
  EXPECT_EQ(code(c->RecordTargetReleased("nope")), ErrorCode::kObjectNotFound);
  EXPECT_EQ(code(c->ForgetSet(nil)), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(c->ForgetSet(unknown)), ErrorCode::kObjectNotFound);
  EXPECT_EQ(code(c->ForgetSet(SetId(1))), ErrorCode::kBadState);  // a live target
  EXPECT_EQ(code(c->ForgetSet(SetId(3))), ErrorCode::kBadState);  // not final

  // Repeating what is already recorded is accepted and writes nothing.
  EXPECT_TRUE(c->RecordTargetReleased("target-2").ok());
  EXPECT_TRUE(c->RecordSetState(SetId(1), SetState::kCompleted).ok());
  EXPECT_TRUE(c->RecordTargetExposed("target-1", true).ok());
  EXPECT_TRUE(c->RecordTargetFlags("target-1", kTargetMasked, 0).ok());

  EXPECT_EQ(DiffSets(c->Sets(), before), "");
  EXPECT_EQ(ReadBytes(Path()), bytes);
}

TEST_F(CatalogJournalTest, ReadOnlyLoadsButRefusesToRecord) {
  {
    auto c = OpenOrDie();
    ASSERT_TRUE(WriteEveryRecordType(*c).ok());
  }
  const std::string bytes = ReadBytes(Path());
  auto ro = OpenOrDie(/*read_only=*/true);
  ASSERT_NE(ro, nullptr);
  EXPECT_EQ(ro->Sets().size(), 2u);
  EXPECT_EQ(GetErrorCode(ro->RecordSetCreated(SetId(40), 0, absl::Now())), ErrorCode::kBadState);
  EXPECT_EQ(GetErrorCode(ro->RecordSetState(SetId(3), SetState::kAborted)), ErrorCode::kBadState);
  EXPECT_EQ(GetErrorCode(ro->RecordTargetReleased("target-1")), ErrorCode::kBadState);
  EXPECT_EQ(GetErrorCode(ro->ForgetSet(SetId(1))), ErrorCode::kBadState);
  EXPECT_EQ(GetErrorCode(ro->Compact()), ErrorCode::kBadState);
  EXPECT_EQ(ro->Sets().size(), 2u);
  EXPECT_EQ(ReadBytes(Path()), bytes);
}

TEST_F(CatalogJournalTest, ReadOnlyOfAMissingCatalogIsNotFoundAndCreatesNothing) {
  auto ro = Catalog::Open(Options(/*read_only=*/true));
  EXPECT_EQ(GetErrorCode(ro.status()), ErrorCode::kObjectNotFound);
  EXPECT_FALSE(std::filesystem::exists(Path()));
}

TEST_F(CatalogJournalTest, SecondWriterIsRefusedNamingThePath) {
  auto first = OpenOrDie();
  ASSERT_NE(first, nullptr);
  auto second = Catalog::Open(Options());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(GetErrorCode(second.status()), ErrorCode::kBadState);
  EXPECT_THAT(second.status().message(), HasSubstr(Path()));
  EXPECT_THAT(second.status().message(), HasSubstr("in use by another process"));
  // Documented choice: a reader is refused while a writer holds the catalog
  // (it could see a half-written record); `hwsnapctl catalog verify` uses
  // Catalog::Verify, which takes no lock.
  auto reader = Catalog::Open(Options(/*read_only=*/true));
  EXPECT_EQ(GetErrorCode(reader.status()), ErrorCode::kBadState);
  EXPECT_TRUE(Catalog::Verify(Path()).ok());
  // The lock goes with the object.
  first.reset();
  EXPECT_NE(OpenOrDie(), nullptr);
}

TEST_F(CatalogJournalTest, ReadersShareButExcludeAWriter) {
  { ASSERT_NE(OpenOrDie(), nullptr); }
  auto r1 = OpenOrDie(true);
  auto r2 = OpenOrDie(true);
  ASSERT_NE(r1, nullptr);
  ASSERT_NE(r2, nullptr);
  EXPECT_EQ(GetErrorCode(Catalog::Open(Options()).status()), ErrorCode::kBadState);
  r1.reset();
  EXPECT_EQ(GetErrorCode(Catalog::Open(Options()).status()), ErrorCode::kBadState);
  r2.reset();
  EXPECT_NE(OpenOrDie(), nullptr);
  EXPECT_TRUE(std::filesystem::exists(Path() + ".lock"));
}

TEST_F(CatalogJournalTest, ConcurrentRecordersAllLand) {
  auto c = OpenOrDie();
  constexpr int kThreads = 4, kSetsEach = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&c, t] {
      for (int i = 0; i < kSetsEach; ++i) {
        const auto n = static_cast<std::uint32_t>(100 + t * kSetsEach + i);
        EXPECT_TRUE(AddCompletedSet(*c, n, n, 1, absl::Now()).ok());
        EXPECT_TRUE(c->FindLatestTargetForSource(Lun(n)).has_value());
        (void)c->Sets();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const auto before = c->Sets();
  EXPECT_EQ(before.size(), static_cast<size_t>(kThreads * kSetsEach));
  c.reset();
  c = OpenOrDie();
  EXPECT_EQ(DiffSets(c->Sets(), before), "");
}

#ifdef _WIN32
// Windows has no setenv; the default follows %ProgramData%.
TEST_F(CatalogJournalTest, DefaultPathFollowsProgramData) {
  const char* saved = std::getenv("ProgramData");
  const std::string saved_value = saved ? saved : "";
  ASSERT_EQ(_putenv_s("ProgramData", "D:\\Data"), 0);
  EXPECT_EQ(Catalog::DefaultPath(), "D:\\Data\\hwsnap\\catalog.hwsnap");
  ASSERT_EQ(_putenv_s("ProgramData", ""), 0);  // removes it
  EXPECT_EQ(Catalog::DefaultPath(), "C:\\ProgramData\\hwsnap\\catalog.hwsnap");
  if (saved) _putenv_s("ProgramData", saved_value.c_str());
}
#else
TEST_F(CatalogJournalTest, DefaultPathFollowsStateDirectory) {
  const char* saved = std::getenv("STATE_DIRECTORY");
  const std::string saved_value = saved ? saved : "";
  setenv("STATE_DIRECTORY", "/run/state/hwsnap:/other", 1);
  EXPECT_EQ(Catalog::DefaultPath(), "/run/state/hwsnap/catalog.hwsnap");
  unsetenv("STATE_DIRECTORY");
  EXPECT_EQ(Catalog::DefaultPath(), "/var/lib/hwsnap/catalog.hwsnap");
  if (saved) setenv("STATE_DIRECTORY", saved_value.c_str(), 1);
}
#endif

TEST(CatalogNames, TargetStatesHaveStableNames) {
  EXPECT_STREQ(CatalogTargetStateName(CatalogTarget::State::kPreparing), "preparing");
  EXPECT_STREQ(CatalogTargetStateName(CatalogTarget::State::kPrepared), "prepared");
  EXPECT_STREQ(CatalogTargetStateName(CatalogTarget::State::kDescribed), "described");
  EXPECT_STREQ(CatalogTargetStateName(CatalogTarget::State::kReleased), "released");
}

}  // namespace
}  // namespace hwsnap

namespace hwsnap {
namespace {

// Writes the fuzzer's seed corpus (tests/core/fuzz/corpus) when
// HWSNAP_WRITE_CATALOG_CORPUS names a directory; otherwise checks that the
// committed seeds still load (the format has not drifted from them).
TEST(CatalogSeedCorpus, SeedsAreValidCatalogs) {
  using namespace catalog_sample;  // NOLINT
  const char* out = std::getenv("HWSNAP_WRITE_CATALOG_CORPUS");
  if (out != nullptr && *out != '\0') {
    ScratchDir dir("catalog-corpus");
    CatalogOptions o;
    o.path = dir.File("every-record-type.hwsnap");
    o.sync = false;
    {
      auto c = Catalog::Open(o);
      ASSERT_TRUE(c.ok());
      ASSERT_TRUE(WriteEveryRecordType(**c).ok());
    }
    std::filesystem::copy_file(o.path, std::string(out) + "/every-record-type.hwsnap",
                               std::filesystem::copy_options::overwrite_existing);
    o.path = dir.File("three-sets.hwsnap");
    {
      auto c = Catalog::Open(o);
      ASSERT_TRUE(c.ok());
      for (std::uint32_t i = 0; i < 3; ++i) ASSERT_TRUE(AddCompletedSet(**c, i + 1, i * 2, 2, absl::FromUnixSeconds(1767225600)).ok());
      ASSERT_TRUE((*c)->Compact().ok());
    }
    std::filesystem::copy_file(o.path, std::string(out) + "/three-sets-compacted.hwsnap",
                               std::filesystem::copy_options::overwrite_existing);
    o.path = dir.File("empty.hwsnap");
    { ASSERT_TRUE(Catalog::Open(o).ok()); }
    std::filesystem::copy_file(o.path, std::string(out) + "/empty.hwsnap",
                               std::filesystem::copy_options::overwrite_existing);
  }
  const std::filesystem::path corpus = std::filesystem::path(HWSNAP_CATALOG_CORPUS_DIR);
  int seeds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(corpus)) {
    if (entry.path().extension() != ".hwsnap") continue;
    ++seeds;
    auto report = Catalog::Verify(entry.path().string());
    EXPECT_TRUE(report.ok()) << entry.path() << ": " << report.status();
  }
  EXPECT_GE(seeds, 3);
}

}  // namespace
}  // namespace hwsnap
