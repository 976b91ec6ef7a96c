// NvmeBackend + NamespaceCopyControl across a restart (issue 8): the first
// process's backend and strategy are dropped, a second pair is built over the
// same FakeNvmeController, and RestoreTarget hands it the catalog's records.
// Covered: committed (detached) and exposed targets answer Describe without
// controller I/O, Expose, Mask and Release; the pool never hands an adopted
// namespace out again (the snapshot data survives later prepares); unknown
// targets are kObjectNotFound; malformed or colliding records are
// kInvalidArgument and leave nothing held; ListTargets lists adopted targets
// by name and no longer calls them orphans.
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/time/time.h"
#include "fake_nvme_controller.h"
#include "hwsnap/nvme/namespace_copy_control.h"
#include "hwsnap/nvme/namespace_reader.h"
#include "hwsnap/nvme/nvme_backend.h"
#include "hwsnap/status.h"

namespace hwsnap::nvme {
namespace {

using testing::FakeNamespaceSpec;
using testing::FakeNvmeController;

constexpr std::uint64_t kBlocks = 2048;

ErrorCode CodeOf(const absl::Status& s) { return GetErrorCode(s); }
absl::Time Soon() { return absl::Now() + absl::Seconds(5); }

std::vector<std::uint8_t> Pattern(std::uint8_t seed) {
  std::vector<std::uint8_t> out(kBlocks * 512);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(seed + i * 13 + i / 512);
  return out;
}

// Sources 1-2, a pool of detached namespaces 6-8 (create refused, as QEMU
// 7.2); Restart() replaces the backend and the strategy.
class NvmeRestoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FakeNvmeController::Options o;
    o.create_supported = false;
    fake_ = std::make_shared<FakeNvmeController>(o);
    fake_->AddNamespace(1);
    fake_->AddNamespace(2);
    FakeNamespaceSpec pool;
    pool.attached = false;
    for (std::uint32_t nsid = 6; nsid <= 8; ++nsid) fake_->AddNamespace(nsid, pool);
    Restart();
  }

  void Restart() {
    backend_.reset();
    NamespaceCopyOptions copy;
    copy.controller = fake_->options().address;
    copy.pool_nsids = {6, 7, 8};
    copy.open_transport = fake_->Opener();
    control_ = std::make_shared<NamespaceCopyControl>(copy);
    NvmeBackendOptions options;
    options.controller = fake_->options().address;
    options.source_nsids = {1, 2};
    options.open_transport = fake_->Opener();
    backend_ = std::make_unique<NvmeBackend>(options, control_);
  }

  LunIdentity SourceIdentity(std::uint32_t nsid) {
    std::unique_ptr<NvmeTransport> transport = fake_->NewTransport();
    absl::StatusOr<NvmeNamespaceInfo> info = ReadNamespaceInfo(*transport, nsid);
    EXPECT_TRUE(info.ok()) << info.status();
    return info.ok() ? info->identity : LunIdentity{};
  }

  // A committed, described target of source `nsid` and the catalog's record of it.
  RestoredTarget Committed(std::uint32_t nsid) {
    RestoredTarget record;
    record.source = SourceIdentity(nsid);
    absl::StatusOr<TargetId> id = backend_->PrepareTarget(record.source, CancelToken());
    EXPECT_TRUE(id.ok()) << id.status();
    record.id = id.ok() ? *id : "";
    EXPECT_TRUE(backend_->CommitTargets({record.id}, Soon()).ok());
    record.committed = true;
    absl::StatusOr<LunIdentity> identity = backend_->DescribeTarget(record.id);
    EXPECT_TRUE(identity.ok()) << identity.status();
    if (identity.ok()) record.identity = *identity;
    return record;
  }

  std::vector<TargetId> Listed() {
    absl::StatusOr<std::vector<TargetId>> listed = backend_->ListTargets();
    EXPECT_TRUE(listed.ok()) << listed.status();
    return listed.ok() ? *listed : std::vector<TargetId>{};
  }

  std::shared_ptr<FakeNvmeController> fake_;
  std::shared_ptr<NamespaceCopyControl> control_;
  std::unique_ptr<NvmeBackend> backend_;
};

TEST_F(NvmeRestoreTest, RestartedBackendServesTheEarlierTargetsAndThePoolKeepsThem) {
  const std::vector<std::uint8_t> data = Pattern(7);
  fake_->WriteBlocks(1, 0, data);
  RestoredTarget masked = Committed(1);   // ns6, detached
  RestoredTarget exposed = Committed(2);  // ns7
  ASSERT_TRUE(backend_->ExposeTarget(exposed.id).ok());
  exposed.exposed = true;
  fake_->WriteBlocks(1, 0, Pattern(99));  // the source moves on

  Restart();
  EXPECT_EQ(CodeOf(backend_->DescribeTarget(masked.id).status()), ErrorCode::kObjectNotFound);
  EXPECT_EQ(CodeOf(backend_->ExposeTarget(masked.id)), ErrorCode::kObjectNotFound);
  // Unadopted, the exposed one is an attached pool namespace nobody holds: an orphan.
  EXPECT_EQ(Listed(), std::vector<TargetId>{exposed.id});

  ASSERT_TRUE(backend_->RestoreTarget(masked).ok());
  ASSERT_TRUE(backend_->RestoreTarget(exposed).ok());
  EXPECT_EQ(Listed(), (std::vector<TargetId>{masked.id, exposed.id}));

  // Described from the record: no controller I/O.
  fake_->ClearCommandLog();
  absl::StatusOr<LunIdentity> described = backend_->DescribeTarget(masked.id);
  ASSERT_TRUE(described.ok()) << described.status();
  EXPECT_EQ(*described, *masked.identity);
  EXPECT_TRUE(fake_->CommandLog().empty());
  absl::StatusOr<LunSupport> support = backend_->IdentifyLun(*masked.identity);
  ASSERT_TRUE(support.ok()) << support.status();
  EXPECT_TRUE(support->supported) << support->reason;

  // The pool has one free namespace left (8); then none. ns6 keeps the snapshot.
  absl::StatusOr<TargetId> fresh = backend_->PrepareTarget(masked.source, CancelToken());
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_EQ(*fresh, "HWSNAP-NVME-01/ns8");
  EXPECT_EQ(CodeOf(backend_->PrepareTarget(masked.source, CancelToken()).status()),
            ErrorCode::kInsufficientStorage);
  EXPECT_EQ(fake_->ReadBlocks(6, 0, kBlocks), data);

  ASSERT_TRUE(backend_->ExposeTarget(masked.id).ok());
  EXPECT_TRUE(fake_->IsAttached(6));
  ASSERT_TRUE(backend_->MaskTarget(masked.id).ok());
  EXPECT_FALSE(fake_->IsAttached(6));
  ASSERT_TRUE(backend_->MaskTarget(exposed.id).ok());
  EXPECT_FALSE(fake_->IsAttached(7));
  EXPECT_EQ(CodeOf(backend_->MaskTarget(*fresh)), ErrorCode::kBadState);
  EXPECT_EQ(CodeOf(backend_->CommitTargets({masked.id}, Soon())), ErrorCode::kBadState);

  for (const TargetId& id : {masked.id, exposed.id, *fresh}) {
    ASSERT_TRUE(backend_->ReleaseTarget(id).ok()) << id;
    EXPECT_TRUE(backend_->ReleaseTarget(id).ok()) << id;
  }
  EXPECT_TRUE(Listed().empty());
  for (std::uint32_t nsid : {6u, 7u, 8u}) EXPECT_TRUE(fake_->AttachedControllers(nsid).empty()) << nsid;
}

TEST_F(NvmeRestoreTest, RecordWithoutIdentityIsReadFromTheController) {
  RestoredTarget record = Committed(1);
  const LunIdentity identity = *record.identity;
  record.identity.reset();
  Restart();
  ASSERT_TRUE(backend_->RestoreTarget(record).ok());
  absl::StatusOr<LunIdentity> described = backend_->DescribeTarget(record.id);
  ASSERT_TRUE(described.ok()) << described.status();
  EXPECT_TRUE(described->SameLunAs(identity));
  EXPECT_FALSE(described->SameLunAs(record.source));
}

TEST_F(NvmeRestoreTest, UnknownAndReleasedTargetsAreNotFound) {
  RestoredTarget record = Committed(1);
  Restart();
  RestoredTarget unknown = record;
  unknown.id = "HWSNAP-NVME-01/created-ns50";
  unknown.identity.reset();
  EXPECT_EQ(CodeOf(backend_->RestoreTarget(unknown)), ErrorCode::kObjectNotFound);
  EXPECT_EQ(CodeOf(backend_->ExposeTarget(unknown.id)), ErrorCode::kObjectNotFound);
  unknown.id = "OTHER-CONTROLLER/ns6";  // a configuration mistake, kept for reclaim
  EXPECT_EQ(CodeOf(backend_->RestoreTarget(unknown)), ErrorCode::kBackendFailure);

  ASSERT_TRUE(backend_->RestoreTarget(record).ok());
  ASSERT_TRUE(backend_->ReleaseTarget(record.id).ok());
  EXPECT_EQ(CodeOf(backend_->RestoreTarget(record)), ErrorCode::kObjectNotFound);
  EXPECT_TRUE(Listed().empty());
}

TEST_F(NvmeRestoreTest, MalformedOrCollidingRecordsAreRefusedAndHoldNothing) {
  RestoredTarget first = Committed(1);
  RestoredTarget second = Committed(2);
  Restart();
  auto refused = [&](const RestoredTarget& record, const char* why) {
    EXPECT_EQ(CodeOf(backend_->RestoreTarget(record)), ErrorCode::kInvalidArgument) << why;
  };
  RestoredTarget r = first;
  r.id.clear();
  refused(r, "empty id");
  r = first;
  r.committed = false;
  refused(r, "identity of an uncommitted target");
  r = first;
  r.identity.reset();
  r.committed = false;
  r.exposed = true;
  refused(r, "exposed but not committed");
  r = first;
  r.identity->designators[0].bytes.resize(3);
  refused(r, "malformed identity");
  r = first;
  r.identity->designators.clear();
  refused(r, "no unique designator");
  r = first;
  r.identity = first.source;
  refused(r, "its own source's identity");
  r = first;
  r.identity = SourceIdentity(2);
  refused(r, "another source namespace's identity");
  EXPECT_TRUE(Listed().empty()) << "a refused record must not be adopted";

  ASSERT_TRUE(backend_->RestoreTarget(first).ok());
  r = second;
  r.identity = first.identity;
  refused(r, "another live target's identity");
  ASSERT_TRUE(backend_->RestoreTarget(second).ok());
  EXPECT_TRUE(backend_->RestoreTarget(second).ok());  // again, same state: no-op
  EXPECT_EQ(Listed(), (std::vector<TargetId>{first.id, second.id}));
}

TEST_F(NvmeRestoreTest, RestoredUncommittedTargetCanOnlyBeReleased) {
  RestoredTarget record;
  record.source = SourceIdentity(1);
  record.id = *backend_->PrepareTarget(record.source, CancelToken());  // attached, uncommitted
  Restart();
  ASSERT_TRUE(backend_->RestoreTarget(record).ok());
  EXPECT_EQ(CodeOf(backend_->CommitTargets({record.id}, Soon())), ErrorCode::kBadState);
  EXPECT_EQ(CodeOf(backend_->DescribeTarget(record.id).status()), ErrorCode::kBadState);
  EXPECT_EQ(CodeOf(backend_->ExposeTarget(record.id)), ErrorCode::kBadState);
  EXPECT_EQ(Listed(), std::vector<TargetId>{record.id});
  ASSERT_TRUE(backend_->ReleaseTarget(record.id).ok());
  EXPECT_TRUE(fake_->AttachedControllers(6).empty());
  EXPECT_TRUE(Listed().empty());
}

}  // namespace
}  // namespace hwsnap::nvme
