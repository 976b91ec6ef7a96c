// Tests of ScsiBackend's own logic over a fake array (fake_array.h): LUN
// matching and refusal, the target state machine, rollback on cancellation,
// classification of strategy failures, orphan reclaim; then the whole backend
// conformance suite over the same fakes. The same backend against a real tgt
// target is tested in scsi_backend_tgt_test.cc.
#include "hwsnap/scsi/scsi_backend.h"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/time/time.h"
#include "fake_array.h"
#include "hwsnap/conformance/backend_conformance.h"
#include "hwsnap/scsi/lun_reader.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi::testing {
namespace {

// A backend over a fake array with `n` source LUNs (seeds 1..n).
struct FakeRig {
  explicit FakeRig(int n = 2) {
    for (int i = 1; i <= n; ++i) addresses.push_back(luns.AddLun(static_cast<std::uint32_t>(i)));
    control = std::make_shared<FakeArrayControl>(&luns);
    ScsiBackendOptions options;
    options.source_addresses = addresses;
    options.open_transport = luns.Opener();
    backend = std::make_shared<ScsiBackend>(options, control);
  }

  // The identity a host reports for `address` (read like Windows would).
  LunIdentity HostView(const std::string& address) {
    auto transport = luns.Opener()(address);
    EXPECT_TRUE(transport.ok()) << transport.status();
    absl::StatusOr<ScsiLunInfo> info = ReadLunInfo(**transport);
    EXPECT_TRUE(info.ok()) << info.status();
    return info->identity;
  }

  FakeLunSet luns;
  std::vector<std::string> addresses;
  std::shared_ptr<FakeArrayControl> control;
  std::shared_ptr<ScsiBackend> backend;
};

ErrorCode CodeOf(const absl::Status& s) { return GetErrorCode(s); }

absl::Time Soon() { return absl::Now() + absl::Seconds(5); }

TEST(ScsiBackendTest, IdentifiesItsOwnLunWithTheStoragesIdentity) {
  FakeRig rig;
  const LunIdentity host_view = rig.HostView(rig.addresses[0]);
  absl::StatusOr<LunSupport> support = rig.backend->IdentifyLun(host_view);
  ASSERT_TRUE(support.ok()) << support.status();
  EXPECT_TRUE(support->supported) << support->reason;
  EXPECT_EQ(support->identity, host_view);
  EXPECT_EQ(support->identity.vendor_id, "IET");
  EXPECT_EQ(support->identity.bus_type, BusType::kIscsi);
  EXPECT_EQ(support->identity.serial_number, "sn1");
}

TEST(ScsiBackendTest, MatchesByUniqueDesignatorNotByStrings) {
  FakeRig rig;
  LunIdentity reported = rig.HostView(rig.addresses[1]);
  reported.vendor_id = "OTHER";        // VSS matches on designators only
  reported.serial_number = "whatever";
  absl::StatusOr<LunSupport> support = rig.backend->IdentifyLun(reported);
  ASSERT_TRUE(support.ok());
  EXPECT_TRUE(support->supported);
  EXPECT_EQ(support->identity.serial_number, "sn2");  // the storage's view wins
}

TEST(ScsiBackendTest, ForeignLunIsUnsupportedWithAReason) {
  FakeRig rig;
  FakeLunSet elsewhere;
  const std::string foreign = elsewhere.AddLun(999);
  auto transport = elsewhere.Opener()(foreign);
  ASSERT_TRUE(transport.ok());
  absl::StatusOr<ScsiLunInfo> info = ReadLunInfo(**transport);
  ASSERT_TRUE(info.ok());
  absl::StatusOr<LunSupport> support = rig.backend->IdentifyLun(info->identity);
  ASSERT_TRUE(support.ok()) << support.status();
  EXPECT_FALSE(support->supported);
  EXPECT_NE(support->reason.find("not one of the LUNs"), std::string::npos) << support->reason;
  EXPECT_EQ(CodeOf(rig.backend->PrepareTarget(info->identity, CancelToken()).status()), ErrorCode::kNotSupported);
  EXPECT_TRUE(rig.control->ListTargets()->empty());
}

TEST(ScsiBackendTest, MalformedLunDescriptionIsInvalidArgument) {
  FakeRig rig;
  LunIdentity bad = rig.HostView(rig.addresses[0]);
  bad.designators[0].bytes.resize(5);  // an NAA designator of 5 bytes
  EXPECT_EQ(CodeOf(rig.backend->IdentifyLun(bad).status()), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(rig.backend->PrepareTarget(bad, CancelToken()).status()), ErrorCode::kInvalidArgument);
}

TEST(ScsiBackendTest, LunWithoutUniqueDesignatorIsRefused) {
  FakeLunSet luns;
  const std::string plain = luns.AddLun(7, /*unique=*/false);
  auto control = std::make_shared<FakeArrayControl>(&luns);
  ScsiBackendOptions options;
  options.source_addresses = {plain};
  options.open_transport = luns.Opener();
  ScsiBackend backend(options, control);
  auto transport = luns.Opener()(plain);
  ASSERT_TRUE(transport.ok());
  absl::StatusOr<ScsiLunInfo> info = ReadLunInfo(**transport);
  ASSERT_TRUE(info.ok());
  ASSERT_FALSE(info->identity.HasUniqueDesignator());
  absl::StatusOr<LunSupport> support = backend.IdentifyLun(info->identity);
  ASSERT_TRUE(support.ok());
  EXPECT_FALSE(support->supported);
  EXPECT_NE(support->reason.find("unique"), std::string::npos) << support->reason;
}

TEST(ScsiBackendTest, StrategyRefusalIsUnsupportedAndPrepareNotSupported) {
  FakeRig rig;
  rig.control->refused.insert(rig.addresses[0]);
  const LunIdentity lun = rig.HostView(rig.addresses[0]);
  absl::StatusOr<LunSupport> support = rig.backend->IdentifyLun(lun);
  ASSERT_TRUE(support.ok());
  EXPECT_FALSE(support->supported);
  EXPECT_EQ(support->reason, "the fake array refuses this LUN");
  EXPECT_EQ(CodeOf(rig.backend->PrepareTarget(lun, CancelToken()).status()), ErrorCode::kNotSupported);
}

TEST(ScsiBackendTest, UnreachableSourceIsABackendFailureNotForeign) {
  FakeRig rig;
  const LunIdentity second = rig.HostView(rig.addresses[1]);
  rig.luns.SetUnreachable(rig.addresses[0], BackendFailureError("link down"));
  // The LUN asked about could be the unreadable one: no verdict of "foreign".
  FakeLunSet elsewhere;
  auto transport = elsewhere.Opener()(elsewhere.AddLun(555));
  ASSERT_TRUE(transport.ok());
  absl::StatusOr<ScsiLunInfo> foreign = ReadLunInfo(**transport);
  ASSERT_TRUE(foreign.ok());
  absl::StatusOr<LunSupport> support = rig.backend->IdentifyLun(foreign->identity);
  EXPECT_EQ(CodeOf(support.status()), ErrorCode::kBackendFailure);
  EXPECT_NE(support.status().message().find("link down"), absl::string_view::npos) << support.status();
  // A readable LUN is still found.
  absl::StatusOr<LunSupport> found = rig.backend->IdentifyLun(second);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_TRUE(found->supported);
  // Once the link is back, the first LUN is identified.
  rig.luns.SetUnreachable(rig.addresses[0], absl::OkStatus());
  absl::StatusOr<LunSupport> back = rig.backend->IdentifyLun(rig.HostView(rig.addresses[0]));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->supported);
}

TEST(ScsiBackendTest, ReadFailuresReachTheCallerOnlyAsCodesItsMethodMayReturn) {
  FakeRig rig;
  // A LUN read that says "not found" (no LUN at that address) or times out
  // must not leak out of IdentifyLun/PrepareTarget as kObjectNotFound or
  // kDeadlineExceeded: neither method may return those.
  FakeLunSet elsewhere;
  auto transport = elsewhere.Opener()(elsewhere.AddLun(556));
  ASSERT_TRUE(transport.ok());
  const LunIdentity foreign = ReadLunInfo(**transport)->identity;
  for (const absl::Status& error : {ObjectNotFoundError("no LUN at this address"),
                                    DeadlineExceededError("login timed out")}) {
    FakeRig fresh;  // nothing cached yet
    fresh.luns.SetUnreachable(fresh.addresses[0], error);
    absl::Status identify = fresh.backend->IdentifyLun(foreign).status();
    EXPECT_EQ(CodeOf(identify), ErrorCode::kBackendFailure) << identify;
    EXPECT_NE(identify.message().find(error.message()), absl::string_view::npos) << identify;
    absl::Status prepare = fresh.backend->PrepareTarget(foreign, CancelToken()).status();
    EXPECT_EQ(CodeOf(prepare), ErrorCode::kBackendFailure) << prepare;
  }
}

TEST(ScsiBackendTest, StrategyCodesOutsideTheMethodsListBecomeBackendFailure) {
  FakeRig rig;
  rig.control->provision_error = ObjectNotFoundError("tgtadm: can't find the target");
  EXPECT_EQ(CodeOf(rig.backend->PrepareTarget(rig.HostView(rig.addresses[0]), CancelToken()).status()),
            ErrorCode::kBackendFailure);
  rig.control->provision_error = absl::OkStatus();
  absl::StatusOr<TargetId> a = rig.backend->PrepareTarget(rig.HostView(rig.addresses[0]), CancelToken());
  ASSERT_TRUE(a.ok());
  rig.control->commit_error = NotSupportedError("EXTENDED COPY: ILLEGAL REQUEST");
  EXPECT_EQ(CodeOf(rig.backend->CommitTargets({*a}, Soon())), ErrorCode::kBackendFailure);
}

TEST(ScsiBackendTest, SourceIdentityIsReadOnceAndCached) {
  FakeRig rig;
  const LunIdentity lun = rig.HostView(rig.addresses[0]);
  const int before = rig.luns.opens();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(rig.backend->IdentifyLun(lun).ok());
  EXPECT_LE(rig.luns.opens() - before, 1);
}

TEST(ScsiBackendTest, FullLifecycle) {
  FakeRig rig;
  const LunIdentity lun = rig.HostView(rig.addresses[0]);
  absl::StatusOr<TargetId> target = rig.backend->PrepareTarget(lun, CancelToken());
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ(CodeOf(rig.backend->DescribeTarget(*target).status()), ErrorCode::kBadState);
  EXPECT_EQ(CodeOf(rig.backend->ExposeTarget(*target)), ErrorCode::kBadState);
  ASSERT_TRUE(rig.backend->CommitTargets({*target}, Soon()).ok());
  EXPECT_EQ(CodeOf(rig.backend->CommitTargets({*target}, Soon())), ErrorCode::kBadState);

  absl::StatusOr<LunIdentity> described = rig.backend->DescribeTarget(*target);
  ASSERT_TRUE(described.ok()) << described.status();
  EXPECT_TRUE(described->HasUniqueDesignator());
  EXPECT_FALSE(described->SameLunAs(lun));
  EXPECT_EQ(*rig.backend->DescribeTarget(*target), *described);  // stable

  ASSERT_TRUE(rig.backend->ExposeTarget(*target).ok());
  ASSERT_TRUE(rig.backend->ExposeTarget(*target).ok());  // idempotent
  EXPECT_TRUE(rig.control->IsExposed(*target));

  ASSERT_TRUE(rig.backend->ReleaseTarget(*target).ok());
  ASSERT_TRUE(rig.backend->ReleaseTarget(*target).ok());  // idempotent
  EXPECT_TRUE(rig.control->ListTargets()->empty());
  EXPECT_EQ(CodeOf(rig.backend->DescribeTarget(*target).status()), ErrorCode::kObjectNotFound);
  EXPECT_EQ(CodeOf(rig.backend->ExposeTarget(*target)), ErrorCode::kObjectNotFound);
  EXPECT_EQ(CodeOf(rig.backend->CommitTargets({*target}, Soon())), ErrorCode::kObjectNotFound);
}

TEST(ScsiBackendTest, CommittedTargetIsSupportedOnImport) {
  FakeRig rig;
  absl::StatusOr<TargetId> target = rig.backend->PrepareTarget(rig.HostView(rig.addresses[0]), CancelToken());
  ASSERT_TRUE(target.ok());
  ASSERT_TRUE(rig.backend->CommitTargets({*target}, Soon()).ok());
  // VSS asks about the snapshot LUN as the host sees it after import,
  // whether or not DescribeTarget ran first.
  absl::StatusOr<std::string> address = rig.control->TargetAddress(*target);
  ASSERT_TRUE(address.ok());
  const LunIdentity imported = rig.HostView(*address);
  absl::StatusOr<LunSupport> support = rig.backend->IdentifyLun(imported);
  ASSERT_TRUE(support.ok()) << support.status();
  EXPECT_TRUE(support->supported) << support->reason;
  EXPECT_EQ(support->identity, *rig.backend->DescribeTarget(*target));
  // Once released it is foreign.
  ASSERT_TRUE(rig.backend->ReleaseTarget(*target).ok());
  support = rig.backend->IdentifyLun(imported);
  ASSERT_TRUE(support.ok());
  EXPECT_FALSE(support->supported);
}

TEST(ScsiBackendTest, CommitChecksEveryTargetBeforeTouchingAny) {
  FakeRig rig;
  absl::StatusOr<TargetId> a = rig.backend->PrepareTarget(rig.HostView(rig.addresses[0]), CancelToken());
  absl::StatusOr<TargetId> b = rig.backend->PrepareTarget(rig.HostView(rig.addresses[1]), CancelToken());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(CodeOf(rig.backend->CommitTargets({*a, "no-such-target"}, Soon())), ErrorCode::kObjectNotFound);
  EXPECT_EQ(CodeOf(rig.backend->CommitTargets({*a, *a}, Soon())), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(rig.backend->CommitTargets({}, Soon())), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(rig.backend->CommitTargets({*a, *b}, absl::Now() - absl::Seconds(1))),
            ErrorCode::kDeadlineExceeded);
  EXPECT_EQ(rig.control->commit_calls(), 0);
  // Nothing was committed: the group still commits.
  EXPECT_TRUE(rig.backend->CommitTargets({*a, *b}, Soon()).ok());
}

TEST(ScsiBackendTest, StrategyCommitFailureKeepsItsCodeAndCommitsNothing) {
  FakeRig rig;
  absl::StatusOr<TargetId> a = rig.backend->PrepareTarget(rig.HostView(rig.addresses[0]), CancelToken());
  ASSERT_TRUE(a.ok());
  rig.control->commit_error = InsufficientStorageError("pool full");
  EXPECT_EQ(CodeOf(rig.backend->CommitTargets({*a}, Soon())), ErrorCode::kInsufficientStorage);
  EXPECT_EQ(CodeOf(rig.backend->DescribeTarget(*a).status()), ErrorCode::kBadState);
  rig.control->commit_error = absl::OkStatus();
  EXPECT_TRUE(rig.backend->CommitTargets({*a}, Soon()).ok());
}

TEST(ScsiBackendTest, UnclassifiedStrategyErrorsBecomeBackendFailure) {
  FakeRig rig;
  rig.control->provision_error = absl::InternalError("array said no");
  absl::Status s = rig.backend->PrepareTarget(rig.HostView(rig.addresses[0]), CancelToken()).status();
  EXPECT_TRUE(HasErrorCode(s));
  EXPECT_EQ(CodeOf(s), ErrorCode::kBackendFailure);
  EXPECT_NE(s.message().find("array said no"), absl::string_view::npos);
  rig.control->provision_error = InsufficientStorageError("no slot");
  EXPECT_EQ(CodeOf(rig.backend->PrepareTarget(rig.HostView(rig.addresses[0]), CancelToken()).status()),
            ErrorCode::kInsufficientStorage);
}

TEST(ScsiBackendTest, CancelledBeforePrepareCreatesNothing) {
  FakeRig rig;
  CancelSource cancel;
  cancel.Cancel("aborted by VSS");
  EXPECT_EQ(CodeOf(rig.backend->PrepareTarget(rig.HostView(rig.addresses[0]), cancel.token()).status()),
            ErrorCode::kCancelled);
  EXPECT_TRUE(rig.control->ListTargets()->empty());
}

TEST(ScsiBackendTest, CancelledWhileTheStrategyFinishedRollsBack) {
  FakeRig rig;
  CancelSource cancel;
  rig.control->after_provision = [&cancel] { cancel.Cancel("aborted by VSS"); };
  EXPECT_EQ(CodeOf(rig.backend->PrepareTarget(rig.HostView(rig.addresses[0]), cancel.token()).status()),
            ErrorCode::kCancelled);
  EXPECT_TRUE(rig.control->ListTargets()->empty()) << "the provisioned target must be deleted";
}

TEST(ScsiBackendTest, TargetDescribedAsItsSourceIsAFailure) {
  FakeRig rig;
  rig.control->describe_as_source = true;
  absl::StatusOr<TargetId> a = rig.backend->PrepareTarget(rig.HostView(rig.addresses[0]), CancelToken());
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(rig.backend->CommitTargets({*a}, Soon()).ok());
  absl::Status s = rig.backend->DescribeTarget(*a).status();
  EXPECT_EQ(CodeOf(s), ErrorCode::kBackendFailure);
  EXPECT_NE(s.message().find("identity of its source"), absl::string_view::npos) << s;
}

TEST(ScsiBackendTest, ReleaseReclaimsATargetLeftByAnEarlierRun) {
  FakeRig rig;
  rig.control->AddOrphan("fake-snap-from-yesterday");
  EXPECT_TRUE(rig.backend->ReleaseTarget("fake-snap-from-yesterday").ok());
  EXPECT_TRUE(rig.control->ListTargets()->empty());
  EXPECT_EQ(CodeOf(rig.backend->ReleaseTarget("never-made")), ErrorCode::kObjectNotFound);
}

TEST(ScsiBackendTest, AddSourceRejectsEmptyAndAcceptsNewLuns) {
  FakeRig rig(0);
  EXPECT_EQ(CodeOf(rig.backend->AddSource("")), ErrorCode::kInvalidArgument);
  const std::string address = rig.luns.AddLun(42);
  ASSERT_TRUE(rig.backend->AddSource(address).ok());
  ASSERT_TRUE(rig.backend->AddSource(address).ok());  // once is enough
  absl::StatusOr<std::vector<ScsiLunInfo>> sources = rig.backend->SourceLuns();
  ASSERT_TRUE(sources.ok());
  ASSERT_EQ(sources->size(), 1u);
  EXPECT_EQ((*sources)[0].identity.serial_number, "sn42");
}

}  // namespace
}  // namespace hwsnap::scsi::testing

// --- The conformance suite over the fakes. ----------------------------------

namespace hwsnap::scsi::testing {
namespace {

class FakeConformanceRig : public conformance::ConformanceRig {
 public:
  explicit FakeConformanceRig(const conformance::RigOptions& options) {
    control_ = std::make_shared<FakeArrayControl>(&luns_);
    control_->capacity = options.target_capacity;
    control_->provision_latency = options.prepare_latency;
    ScsiBackendOptions backend_options;
    backend_options.open_transport = luns_.Opener();
    backend_ = std::make_shared<ScsiBackend>(backend_options, control_);
  }
  Backend& backend() override { return *backend_; }
  LunIdentity AddSourceLun() override {
    const std::string address = luns_.AddLun(++next_seed_);
    EXPECT_TRUE(backend_->AddSource(address).ok());
    auto transport = luns_.Opener()(address);
    absl::StatusOr<ScsiLunInfo> info = ReadLunInfo(**transport);
    EXPECT_TRUE(info.ok()) << info.status();
    return info->identity;
  }
  bool TargetExists(const TargetId& target) override {
    std::vector<std::string> names = *control_->ListTargets();
    return std::find(names.begin(), names.end(), target) != names.end();
  }
  int LiveTargetCount() override { return static_cast<int>(control_->ListTargets()->size()); }

 private:
  FakeLunSet luns_;
  std::shared_ptr<FakeArrayControl> control_;
  std::shared_ptr<ScsiBackend> backend_;
  std::uint32_t next_seed_ = 0;
};

}  // namespace

struct FakeArrayFactory {
  static std::unique_ptr<conformance::ConformanceRig> Create(const conformance::RigOptions& options) {
    return std::make_unique<FakeConformanceRig>(options);
  }
};

}  // namespace hwsnap::scsi::testing

HWSNAP_INSTANTIATE_BACKEND_CONFORMANCE(ScsiOverFakeArray, hwsnap::scsi::testing::FakeArrayFactory);
