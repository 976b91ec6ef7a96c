// ScsiBackend across a restart (issue 8): the first process's backend and
// strategy are dropped, a second pair is built over the same fake array
// (FakeArrayStorage shared by both FakeArrayControls, the same FakeLunSet),
// and RestoreTarget hands it the catalog's records. Covered: committed and
// exposed targets answer Describe (without storage I/O when the identity is
// recorded), Expose, Mask and Release; import matching finds them; unknown or
// released targets are kObjectNotFound; malformed or colliding records are
// kInvalidArgument and leave nothing held; a restored uncommitted target can
// only be released; ListTargets lists the storage; a strategy without Adopt
// answers kNotSupported.
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/time/time.h"
#include "fake_array.h"
#include "hwsnap/scsi/lun_reader.h"
#include "hwsnap/scsi/scsi_backend.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi::testing {
namespace {

ErrorCode CodeOf(const absl::Status& s) { return GetErrorCode(s); }
absl::Time Soon() { return absl::Now() + absl::Seconds(5); }

// One array (LUNs + target storage) and a "process": a backend + strategy
// over it that Restart() replaces.
struct RestartRig {
  RestartRig() {
    for (std::uint32_t seed : {1u, 2u}) addresses.push_back(luns.AddLun(seed));
    storage = std::make_shared<FakeArrayStorage>();
    Restart();
  }

  void Restart() {
    backend.reset();
    control = std::make_shared<FakeArrayControl>(&luns, storage);
    ScsiBackendOptions options;
    options.source_addresses = addresses;
    options.open_transport = luns.Opener();
    backend = std::make_shared<ScsiBackend>(options, control);
  }

  LunIdentity HostView(const std::string& address) {
    auto transport = luns.Opener()(address);
    EXPECT_TRUE(transport.ok()) << transport.status();
    absl::StatusOr<ScsiLunInfo> info = ReadLunInfo(**transport);
    EXPECT_TRUE(info.ok()) << info.status();
    return info.ok() ? info->identity : LunIdentity{};
  }

  // A committed target of source `index`, and what the catalog records of it.
  RestoredTarget Committed(int index, bool describe = true) {
    RestoredTarget record;
    record.source = HostView(addresses[static_cast<std::size_t>(index)]);
    absl::StatusOr<TargetId> id = backend->PrepareTarget(record.source, CancelToken());
    EXPECT_TRUE(id.ok()) << id.status();
    record.id = id.ok() ? *id : "";
    EXPECT_TRUE(backend->CommitTargets({record.id}, Soon()).ok());
    record.committed = true;
    if (describe) {
      absl::StatusOr<LunIdentity> identity = backend->DescribeTarget(record.id);
      EXPECT_TRUE(identity.ok()) << identity.status();
      if (identity.ok()) record.identity = *identity;
    }
    return record;
  }

  FakeLunSet luns;
  std::vector<std::string> addresses;
  std::shared_ptr<FakeArrayStorage> storage;
  std::shared_ptr<FakeArrayControl> control;
  std::shared_ptr<ScsiBackend> backend;
};

TEST(ScsiBackendRestoreTest, RestartedBackendServesTheEarlierTargets) {
  RestartRig rig;
  RestoredTarget first = rig.Committed(0);
  RestoredTarget second = rig.Committed(1);
  ASSERT_TRUE(rig.backend->ExposeTarget(second.id).ok());
  second.exposed = true;

  rig.Restart();
  // Before the catalog hands them back the new process knows nothing.
  EXPECT_EQ(CodeOf(rig.backend->DescribeTarget(first.id).status()), ErrorCode::kObjectNotFound);
  EXPECT_EQ(CodeOf(rig.backend->ExposeTarget(first.id)), ErrorCode::kObjectNotFound);

  ASSERT_TRUE(rig.backend->RestoreTarget(first).ok());
  ASSERT_TRUE(rig.backend->RestoreTarget(second).ok());
  EXPECT_TRUE(rig.control->Holds(first.id));
  EXPECT_TRUE(rig.control->Holds(second.id));

  // Described from the record: no LUN is opened.
  const int opens = rig.luns.opens();
  absl::StatusOr<LunIdentity> described = rig.backend->DescribeTarget(first.id);
  ASSERT_TRUE(described.ok()) << described.status();
  EXPECT_EQ(*described, *first.identity);
  EXPECT_EQ(rig.luns.opens(), opens);

  // Import (LocateLuns / FillInLunInfo) matches the restored snapshot LUN.
  absl::StatusOr<LunSupport> support = rig.backend->IdentifyLun(*first.identity);
  ASSERT_TRUE(support.ok()) << support.status();
  EXPECT_TRUE(support->supported) << support->reason;

  ASSERT_TRUE(rig.backend->ExposeTarget(first.id).ok());
  EXPECT_TRUE(rig.control->IsExposed(first.id));
  EXPECT_EQ(CodeOf(rig.backend->CommitTargets({first.id}, Soon())), ErrorCode::kBadState);
  ASSERT_TRUE(rig.backend->MaskTarget(second.id).ok());
  EXPECT_FALSE(rig.control->IsExposed(second.id));
  ASSERT_TRUE(rig.backend->ExposeTarget(second.id).ok());  // shown again

  // A new prepare of this process gets a name of its own.
  absl::StatusOr<TargetId> fresh = rig.backend->PrepareTarget(first.source, CancelToken());
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_NE(*fresh, first.id);
  EXPECT_NE(*fresh, second.id);

  for (const TargetId& id : {first.id, second.id, *fresh}) {
    ASSERT_TRUE(rig.backend->ReleaseTarget(id).ok()) << id;
    EXPECT_TRUE(rig.backend->ReleaseTarget(id).ok()) << id;  // idempotent
  }
  EXPECT_TRUE(rig.control->ListTargets()->empty());
}

TEST(ScsiBackendRestoreTest, RecordWithoutIdentityIsDescribedFromTheStorage) {
  RestartRig rig;
  RestoredTarget record = rig.Committed(0);
  const LunIdentity identity = *record.identity;
  record.identity.reset();
  rig.Restart();
  ASSERT_TRUE(rig.backend->RestoreTarget(record).ok());
  absl::StatusOr<LunIdentity> described = rig.backend->DescribeTarget(record.id);
  ASSERT_TRUE(described.ok()) << described.status();
  EXPECT_TRUE(described->SameLunAs(identity));
  EXPECT_FALSE(described->SameLunAs(record.source));
}

TEST(ScsiBackendRestoreTest, TargetsTheStorageNoLongerHasAreNotFound) {
  RestartRig rig;
  RestoredTarget record = rig.Committed(0);
  RestoredTarget uncommitted;
  uncommitted.source = record.source;
  uncommitted.id = *rig.backend->PrepareTarget(record.source, CancelToken());
  rig.Restart();

  RestoredTarget unknown = record;
  unknown.id = "fake-snap-999";
  unknown.identity.reset();
  EXPECT_EQ(CodeOf(rig.backend->RestoreTarget(unknown)), ErrorCode::kObjectNotFound);
  EXPECT_EQ(CodeOf(rig.backend->ExposeTarget(unknown.id)), ErrorCode::kObjectNotFound);
  EXPECT_EQ(CodeOf(rig.backend->ReleaseTarget(unknown.id)), ErrorCode::kObjectNotFound);

  // Recorded committed, but the storage holds no snapshot for it.
  RestoredTarget claims_committed = uncommitted;
  claims_committed.committed = true;
  EXPECT_EQ(CodeOf(rig.backend->RestoreTarget(claims_committed)), ErrorCode::kObjectNotFound);
  EXPECT_FALSE(rig.control->Holds(uncommitted.id));

  // Released by this process: gone, also for a second restore.
  ASSERT_TRUE(rig.backend->RestoreTarget(record).ok());
  ASSERT_TRUE(rig.backend->ReleaseTarget(record.id).ok());
  EXPECT_EQ(CodeOf(rig.backend->RestoreTarget(record)), ErrorCode::kObjectNotFound);
}

TEST(ScsiBackendRestoreTest, RestoredUncommittedTargetCanOnlyBeReleased) {
  RestartRig rig;
  RestoredTarget record;
  record.source = rig.HostView(rig.addresses[0]);
  record.id = *rig.backend->PrepareTarget(record.source, CancelToken());
  rig.Restart();
  ASSERT_TRUE(rig.backend->RestoreTarget(record).ok());
  EXPECT_EQ(CodeOf(rig.backend->CommitTargets({record.id}, Soon())), ErrorCode::kBadState);
  EXPECT_EQ(CodeOf(rig.backend->DescribeTarget(record.id).status()), ErrorCode::kBadState);
  EXPECT_EQ(CodeOf(rig.backend->ExposeTarget(record.id)), ErrorCode::kBadState);
  EXPECT_EQ(CodeOf(rig.backend->MaskTarget(record.id)), ErrorCode::kBadState);
  EXPECT_EQ(rig.control->commit_calls(), 0);
  ASSERT_TRUE(rig.backend->ReleaseTarget(record.id).ok());
  EXPECT_TRUE(rig.control->ListTargets()->empty());
}

TEST(ScsiBackendRestoreTest, MalformedOrCollidingRecordsAreRefused) {
  RestartRig rig;
  RestoredTarget first = rig.Committed(0);
  RestoredTarget second = rig.Committed(1);
  rig.Restart();
  auto refused = [&](const RestoredTarget& record, const char* why) {
    EXPECT_EQ(CodeOf(rig.backend->RestoreTarget(record)), ErrorCode::kInvalidArgument) << why;
    EXPECT_FALSE(rig.control->Holds(record.id)) << why;
  };

  RestoredTarget r = first;
  r.id.clear();
  refused(r, "empty id");
  r = first;
  r.exposed = true;
  r.committed = false;
  r.identity.reset();
  refused(r, "exposed but not committed");
  r = first;
  r.committed = false;
  refused(r, "identity of an uncommitted target");
  r = first;
  r.identity->designators[0].bytes.resize(5);
  refused(r, "malformed identity");
  r = first;
  r.source.designators[0].bytes.resize(5);
  refused(r, "malformed source");
  r = first;
  for (Designator& d : r.identity->designators) d.association = Association::kTargetPort;
  refused(r, "identity without a unique designator");
  r = first;
  r.identity = first.source;
  refused(r, "the identity of its own source");
  r = first;
  r.identity = rig.HostView(rig.addresses[1]);
  refused(r, "the identity of another source LUN");

  ASSERT_TRUE(rig.backend->RestoreTarget(first).ok());
  r = second;
  r.identity = first.identity;
  refused(r, "the identity of another live target");
  ASSERT_TRUE(rig.backend->RestoreTarget(second).ok());

  // Restoring again in the same state is a no-op; in another state, refused.
  EXPECT_TRUE(rig.backend->RestoreTarget(first).ok());
  r = first;
  r.committed = false;
  r.identity.reset();
  EXPECT_EQ(CodeOf(rig.backend->RestoreTarget(r)), ErrorCode::kInvalidArgument);
}

TEST(ScsiBackendRestoreTest, ListTargetsListsEverythingTheStorageHolds) {
  RestartRig rig;
  RestoredTarget record = rig.Committed(0);
  rig.control->AddOrphan("fake-snap-orphan");  // no catalog knows it
  rig.Restart();
  absl::StatusOr<std::vector<TargetId>> listed = rig.backend->ListTargets();
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(*listed, (std::vector<TargetId>{record.id, "fake-snap-orphan"}));
  ASSERT_TRUE(rig.backend->ReleaseTarget("fake-snap-orphan").ok());  // the core reclaims it
  EXPECT_EQ(*rig.backend->ListTargets(), std::vector<TargetId>{record.id});
}

TEST(ScsiBackendRestoreTest, StrategyWithoutAdoptSaysNotSupported) {
  RestartRig rig;
  RestoredTarget record = rig.Committed(0);
  rig.Restart();
  rig.control->adopt_supported = false;
  EXPECT_EQ(CodeOf(rig.backend->RestoreTarget(record)), ErrorCode::kNotSupported);
  EXPECT_EQ(CodeOf(rig.backend->DescribeTarget(record.id).status()), ErrorCode::kObjectNotFound);
  // Release still reclaims it through the strategy's list.
  EXPECT_TRUE(rig.backend->ReleaseTarget(record.id).ok());

  RestoredTarget other = rig.Committed(1);
  EXPECT_EQ(CodeOf(rig.backend->MaskTarget(other.id)), ErrorCode::kNotSupported);
  rig.Restart();
  rig.control->adopt_error = BackendFailureError("array unreachable");
  EXPECT_EQ(CodeOf(rig.backend->RestoreTarget(other)), ErrorCode::kBackendFailure);
}

}  // namespace
}  // namespace hwsnap::scsi::testing
