// Tests of hwsnap/scsi/tgt_array_control.h against a real tgtd (each case
// starts its own TgtDaemon): the full prepare -> commit -> expose -> delete
// cycle with the data as of commit time, a read-only snapshot with its own
// serial and NAA, exact ACL unmasking, cancellation at every provisioning
// step, space and target limits, real ENOSPC, all-or-nothing group commits,
// concurrency, and that nothing (target, LUN, file) is left behind.
// Where the libiscsi transport is built, the snapshot is also read over iSCSI.
#include "hwsnap/scsi/tgt_array_control.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "hwsnap/cancel_token.h"
#include "hwsnap/scsi/tgt_daemon.h"
#include "hwsnap/status.h"

#ifdef HWSNAP_TGT_TEST_WITH_ISCSI
#include "hwsnap/scsi/cdb.h"
#include "hwsnap/scsi/lun_reader.h"
#include "hwsnap/scsi/scsi_transport.h"
#endif

namespace hwsnap::scsi {
namespace {

constexpr char kSourceIqn[] = "iqn.2026-12.invalid.hwsnap:source";
constexpr char kHost[] = "iqn.2026-12.invalid.hwsnap:host";
constexpr char kControl[] = "iqn.2026-12.invalid.hwsnap:initiator";
constexpr std::uint64_t kLunBytes = 4 << 20;

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void FillFile(const std::filesystem::path& path, char byte) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::string block(1 << 20, byte);
  for (std::uint64_t off = 0; off < kLunBytes; off += block.size()) {
    ASSERT_EQ(::pwrite(fd, block.data(), block.size(), static_cast<off_t>(off)),
              static_cast<ssize_t>(block.size()));
  }
  ::close(fd);
}

class TgtArrayControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!TgtAvailable(&why)) GTEST_SKIP() << "tgt tests skipped: " << why;
    auto daemon = TgtDaemon::Start();
    ASSERT_TRUE(daemon.ok()) << daemon.status();
    daemon_ = std::move(*daemon);
    auto tid = daemon_->AddTarget(kSourceIqn);
    ASSERT_TRUE(tid.ok()) << tid.status();
    source_tid_ = *tid;
    for (int lun : {1, 2}) {
      auto added = daemon_->AddFileBackedLun(source_tid_, lun, kLunBytes);
      ASSERT_TRUE(added.ok()) << added.status();
      sources_.push_back(*added);
    }
  }

  void TearDown() override {
    if (daemon_ != nullptr) {
      EXPECT_TRUE(daemon_->Stop().ok());
    }
  }

  TgtArrayControlOptions Options() const {
    TgtArrayControlOptions o = TgtArrayControlOptionsFor(*daemon_);
    o.host_initiator_name = kHost;
    o.control_initiator_name = kControl;
    o.copy_chunk_bytes = 1 << 20;
    return o;
  }

  std::unique_ptr<TgtArrayControl> Make(TgtArrayControlOptions o) {
    auto control = TgtArrayControl::Create(std::move(o));
    EXPECT_TRUE(control.ok()) << control.status();
    return control.ok() ? std::move(*control) : nullptr;
  }

  ScsiLunInfo Source(int index) const {
    ScsiLunInfo info;
    info.address = sources_[index].address;
    info.block_length = 512;
    info.block_count = kLunBytes / 512;
    return info;
  }

  const TgtTarget* Find(const std::vector<TgtTarget>& all, const std::string& name) {
    return FindTargetByName(all, name);
  }

  std::vector<TgtTarget> Show() {
    auto targets = daemon_->admin().ShowTargets();
    EXPECT_TRUE(targets.ok()) << targets.status();
    return targets.ok() ? *targets : std::vector<TgtTarget>{};
  }

  // Only the source target is left, and the snapshot dir holds no file.
  void ExpectNothingLeft(TgtArrayControl& control) {
    std::vector<TgtTarget> all = Show();
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].name, kSourceIqn);
    auto listed = control.ListTargets();
    ASSERT_TRUE(listed.ok());
    EXPECT_TRUE(listed->empty());
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(control.options().work_dir, ec)) {
      ADD_FAILURE() << "left behind: " << entry.path();
    }
  }

  std::unique_ptr<TgtDaemon> daemon_;
  int source_tid_ = 0;
  std::vector<TgtDaemonLun> sources_;
};

TEST_F(TgtArrayControlTest, CreateValidatesOptions) {
  TgtArrayControlOptions o = Options();
  o.host_initiator_name.clear();
  EXPECT_EQ(GetErrorCode(TgtArrayControl::Create(o).status()), ErrorCode::kInvalidArgument);
  o = Options();
  o.portal = "10.0.0.1:3260";
  EXPECT_EQ(GetErrorCode(TgtArrayControl::Create(o).status()), ErrorCode::kInvalidArgument);
  o = Options();
  o.control_id = 0;
  EXPECT_EQ(GetErrorCode(TgtArrayControl::Create(o).status()), ErrorCode::kInvalidArgument);
  auto control = Make(Options());
  ASSERT_NE(control, nullptr);
  EXPECT_EQ(control->Name(), "tgt");
}

TEST_F(TgtArrayControlTest, WhyCannotSnapshotExplains) {
  auto control = Make(Options());
  ASSERT_NE(control, nullptr);
  EXPECT_EQ(control->WhyCannotSnapshot(Source(0)), "");
  EXPECT_EQ(control->WhyCannotSnapshot(Source(1)), "");

  ScsiLunInfo other = Source(0);
  other.address = "/dev/sg3";
  EXPECT_NE(control->WhyCannotSnapshot(other).find("not an iSCSI address"), std::string::npos);
  other.address = "iscsi://127.0.0.1:1/" + std::string(kSourceIqn) + "/1";
  EXPECT_NE(control->WhyCannotSnapshot(other).find("not served by"), std::string::npos);
  other.address = daemon_->LunAddress("iqn.2026-12.invalid.hwsnap:nope", 1);
  EXPECT_NE(control->WhyCannotSnapshot(other).find("no target"), std::string::npos);
  other.address = daemon_->LunAddress(kSourceIqn, 9);
  EXPECT_NE(control->WhyCannotSnapshot(other).find("no disk LUN"), std::string::npos);
  other.address = daemon_->LunAddress(kSourceIqn, 0);
  EXPECT_NE(control->WhyCannotSnapshot(other).find("no disk LUN"), std::string::npos);
  // A LUN with another backing-store type.
  ASSERT_TRUE(daemon_->admin().NewLun(source_tid_, 3, "/dev/null", "null").ok());
  other.address = daemon_->LunAddress(kSourceIqn, 3);
  EXPECT_NE(control->WhyCannotSnapshot(other).find("backing store type"), std::string::npos);
  // Provision refuses what WhyCannotSnapshot refuses.
  EXPECT_EQ(GetErrorCode(control->Provision(other, CancelToken()).status()), ErrorCode::kNotSupported);
  ASSERT_TRUE(daemon_->admin().DeleteLun(source_tid_, 3).ok());
}

TEST_F(TgtArrayControlTest, FullCycleHoldsDataAsOfCommit) {
  auto control = Make(Options());
  ASSERT_NE(control, nullptr);
  FillFile(sources_[0].backing_file, 'A');

  auto target = control->Provision(Source(0), CancelToken());
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ(target->rfind("iqn.2026-12.invalid.hwsnap:snap-", 0), 0u) << *target;
  const std::filesystem::path file = control->SnapshotFile(*target);
  EXPECT_EQ(std::filesystem::file_size(file), kLunBytes);
  {
    std::vector<TgtTarget> all = Show();
    const TgtTarget* t = Find(all, *target);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->FindLun(1), nullptr);  // no LUN before commit
    EXPECT_EQ(t->acls, std::vector<std::string>{kControl});  // only the control initiator
  }
  auto listed = control->ListTargets();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(*listed, std::vector<std::string>{*target});

  ASSERT_TRUE(control->TakePointInTime({*target}, absl::Now() + absl::Seconds(30)).ok());
  FillFile(sources_[0].backing_file, 'B');  // after the point in time

  EXPECT_EQ(ReadFile(file), std::string(kLunBytes, 'A'));
  std::vector<TgtTarget> all = Show();
  const TgtTarget* t = Find(all, *target);
  ASSERT_NE(t, nullptr);
  const TgtLun* snap = t->FindLun(1);
  ASSERT_NE(snap, nullptr);
  const TgtLun* src = Find(all, kSourceIqn)->FindLun(1);
  ASSERT_NE(src, nullptr);
  EXPECT_TRUE(snap->readonly);
  EXPECT_EQ(snap->backing_store_path, file.string());
  EXPECT_EQ(snap->backing_store_type, "rdwr");
  EXPECT_FALSE(snap->scsi_sn.empty());
  EXPECT_FALSE(snap->scsi_id.empty());
  EXPECT_NE(snap->scsi_sn, src->scsi_sn);
  EXPECT_NE(snap->scsi_id, src->scsi_id);

  auto address = control->TargetAddress(*target);
  ASSERT_TRUE(address.ok());
  EXPECT_EQ(*address, "iscsi://" + daemon_->portal() + "/" + *target + "/1");

  ASSERT_TRUE(control->Expose(*target).ok());
  ASSERT_TRUE(control->Expose(*target).ok());  // idempotent
  all = Show();
  t = Find(all, *target);
  ASSERT_NE(t, nullptr);
  EXPECT_TRUE(t->HasAcl(kHost));
  EXPECT_TRUE(t->HasAcl(kControl));
  EXPECT_EQ(t->acls.size(), 2u);

  ASSERT_TRUE(control->Delete(*target).ok());
  EXPECT_FALSE(std::filesystem::exists(file));
  ASSERT_TRUE(control->Delete(*target).ok());  // already gone
  ExpectNothingLeft(*control);
  EXPECT_EQ(ReadFile(sources_[0].backing_file), std::string(kLunBytes, 'B'));  // source untouched
}

#ifdef HWSNAP_TGT_TEST_WITH_ISCSI
ScsiCommand Read16(std::uint64_t lba, std::uint32_t blocks) {
  ScsiCommand c;
  c.cdb = BuildRead16(lba, blocks);
  c.direction = DataDirection::kFromDevice;
  c.data_in_length = blocks * 512;
  c.timeout = absl::Seconds(5);
  return c;
}

TEST_F(TgtArrayControlTest, SnapshotOverIscsiHasItsOwnIdentityDataAndIsReadOnly) {
  auto control = Make(Options());
  ASSERT_NE(control, nullptr);
  FillFile(sources_[0].backing_file, 'A');
  auto target = control->Provision(Source(0), CancelToken());
  ASSERT_TRUE(target.ok()) << target.status();
  ASSERT_TRUE(control->TakePointInTime({*target}, absl::Now() + absl::Seconds(30)).ok());
  FillFile(sources_[0].backing_file, 'B');
  auto address = control->TargetAddress(*target);
  ASSERT_TRUE(address.ok());

  TransportOptions as_control;
  as_control.initiator_name = kControl;
  TransportOptions as_host;
  as_host.initiator_name = kHost;
  // The host cannot see the target before Expose.
  EXPECT_FALSE(OpenScsiTransport(*address, as_host).ok());

  auto source_transport = OpenScsiTransport(sources_[0].address, as_control);
  ASSERT_TRUE(source_transport.ok()) << source_transport.status();
  auto snap_transport = OpenScsiTransport(*address, as_control);
  ASSERT_TRUE(snap_transport.ok()) << snap_transport.status();
  auto source_info = ReadLunInfo(**source_transport);
  auto snap_info = ReadLunInfo(**snap_transport);
  ASSERT_TRUE(source_info.ok()) << source_info.status();
  ASSERT_TRUE(snap_info.ok()) << snap_info.status();
  EXPECT_TRUE(snap_info->identity.HasUniqueDesignator());
  EXPECT_FALSE(snap_info->identity.SameLunAs(source_info->identity));
  EXPECT_EQ(snap_info->capacity_bytes(), kLunBytes);

  auto data = (*snap_transport)->Execute(Read16(0, 8));
  ASSERT_TRUE(data.ok()) << data.status();
  ASSERT_EQ(data->status, kStatusGood);
  EXPECT_EQ(std::string(data->data_in.begin(), data->data_in.end()), std::string(4096, 'A'));

  ScsiCommand write;
  write.cdb = {0x8A, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0};
  write.direction = DataDirection::kToDevice;
  write.data_out.assign(512, 'Z');
  auto written = (*snap_transport)->Execute(write);
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(written->status, kStatusCheckCondition);  // read-only LUN

  ASSERT_TRUE(control->Expose(*target).ok());
  auto host_transport = OpenScsiTransport(*address, as_host);
  ASSERT_TRUE(host_transport.ok()) << host_transport.status();
  auto host_read = (*host_transport)->Execute(Read16(0, 1));
  ASSERT_TRUE(host_read.ok()) << host_read.status();
  EXPECT_EQ(host_read->status, kStatusGood);
  // Delete works while initiators are still logged in (--force).
  ASSERT_TRUE(control->Delete(*target).ok());
  host_transport->reset();
  snap_transport->reset();
  ExpectNothingLeft(*control);
}
#endif  // HWSNAP_TGT_TEST_WITH_ISCSI

TEST_F(TgtArrayControlTest, ExposeByAddress) {
  TgtArrayControlOptions o = Options();
  o.host_initiator_name.clear();
  o.host_initiator_address = "127.0.0.1";
  auto control = Make(o);
  ASSERT_NE(control, nullptr);
  auto target = control->Provision(Source(0), CancelToken());
  ASSERT_TRUE(target.ok()) << target.status();
  ASSERT_TRUE(control->TakePointInTime({*target}, absl::Now() + absl::Seconds(30)).ok());
  ASSERT_TRUE(control->Expose(*target).ok());
  ASSERT_TRUE(control->Expose(*target).ok());
  std::vector<TgtTarget> all = Show();
  ASSERT_NE(Find(all, *target), nullptr);
  EXPECT_TRUE(Find(all, *target)->HasAcl("127.0.0.1"));
  ASSERT_TRUE(control->Delete(*target).ok());
  ExpectNothingLeft(*control);
}

TEST_F(TgtArrayControlTest, CancellationAtEveryProvisionStepLeavesNothing) {
  for (const char* step : {"provision:reserved", "provision:target-created", "provision:preallocating",
                           "provision:done"}) {
    SCOPED_TRACE(step);
    CancelSource source;
    TgtArrayControlOptions o = Options();
    o.test_hook = [&source, step](absl::string_view at) {
      if (at == step) source.Cancel(std::string("cancelled at ") + step);
    };
    auto control = Make(o);
    ASSERT_NE(control, nullptr);
    auto target = control->Provision(Source(0), source.token());
    EXPECT_EQ(GetErrorCode(target.status()), ErrorCode::kCancelled) << target.status();
    ExpectNothingLeft(*control);
  }
  // Already cancelled before the call.
  CancelSource source;
  source.Cancel("aborted");
  auto control = Make(Options());
  ASSERT_NE(control, nullptr);
  EXPECT_EQ(GetErrorCode(control->Provision(Source(0), source.token()).status()), ErrorCode::kCancelled);
  ExpectNothingLeft(*control);
}

TEST_F(TgtArrayControlTest, CancellationFromAnotherThreadDuringPreallocation) {
  CancelSource source;
  std::atomic<int> chunks{0};
  TgtArrayControlOptions o = Options();
  o.copy_chunk_bytes = 64 << 10;  // 64 chunks for 4 MiB
  o.test_hook = [&](absl::string_view at) {
    if (at == "provision:preallocating" && ++chunks == 3) {
      std::thread([&source] { source.Cancel("abort from VSS"); }).join();
    }
  };
  auto control = Make(o);
  ASSERT_NE(control, nullptr);
  auto target = control->Provision(Source(0), source.token());
  EXPECT_EQ(GetErrorCode(target.status()), ErrorCode::kCancelled) << target.status();
  EXPECT_LT(chunks.load(), 10);  // stopped within a chunk of the cancel
  ExpectNothingLeft(*control);
}

TEST_F(TgtArrayControlTest, SpaceLimitAndTargetLimitGiveInsufficientStorage) {
  TgtArrayControlOptions o = Options();
  o.space_limit_bytes = kLunBytes + kLunBytes / 2;
  auto control = Make(o);
  ASSERT_NE(control, nullptr);
  auto first = control->Provision(Source(0), CancelToken());
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = control->Provision(Source(1), CancelToken());
  EXPECT_EQ(GetErrorCode(second.status()), ErrorCode::kInsufficientStorage) << second.status();
  EXPECT_EQ(control->ListTargets()->size(), 1u);
  ASSERT_TRUE(control->Delete(*first).ok());
  ExpectNothingLeft(*control);

  o = Options();
  o.max_targets = 1;
  control = Make(o);
  ASSERT_NE(control, nullptr);
  first = control->Provision(Source(0), CancelToken());
  ASSERT_TRUE(first.ok()) << first.status();
  second = control->Provision(Source(1), CancelToken());
  EXPECT_EQ(GetErrorCode(second.status()), ErrorCode::kInsufficientStorage) << second.status();
  ASSERT_TRUE(control->Delete(*first).ok());
  second = control->Provision(Source(1), CancelToken());  // the slot is free again
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_TRUE(control->Delete(*second).ok());
  ExpectNothingLeft(*control);
}

TEST_F(TgtArrayControlTest, FullFilesystemGivesInsufficientStorage) {
  const std::filesystem::path small = daemon_->work_dir() / "small-fs";
  std::filesystem::create_directories(small);
  if (::mount("hwsnap-tmpfs", small.c_str(), "tmpfs", 0, "size=1m") != 0) {
    GTEST_SKIP() << "cannot mount a small tmpfs here (needs CAP_SYS_ADMIN): " << std::strerror(errno);
  }
  TgtArrayControlOptions o = Options();
  o.work_dir = small / "snapshots";
  auto control = Make(o);
  if (control != nullptr) {
    auto target = control->Provision(Source(0), CancelToken());
    EXPECT_EQ(GetErrorCode(target.status()), ErrorCode::kInsufficientStorage) << target.status();
    ExpectNothingLeft(*control);
  }
  control.reset();
  EXPECT_EQ(::umount(small.c_str()), 0) << std::strerror(errno);
}

TEST_F(TgtArrayControlTest, SpaceVanishingDuringPreallocationGivesInsufficientStorage) {
  // statvfs sees room for the snapshot; then something else fills the
  // filesystem before preallocation: fallocate's ENOSPC must surface as
  // kInsufficientStorage and roll everything back.
  const std::filesystem::path small = daemon_->work_dir() / "small-fs";
  std::filesystem::create_directories(small);
  if (::mount("hwsnap-tmpfs", small.c_str(), "tmpfs", 0, "size=6m") != 0) {
    GTEST_SKIP() << "cannot mount a small tmpfs here (needs CAP_SYS_ADMIN): " << std::strerror(errno);
  }
  const std::filesystem::path filler = small / "filler";
  TgtArrayControlOptions o = Options();
  o.work_dir = small / "snapshots";
  o.test_hook = [&filler](absl::string_view at) {
    if (at != "provision:reserved") return;
    std::ofstream out(filler, std::ios::binary);
    out << std::string(3 << 20, 'F');
  };
  auto control = Make(o);
  if (control != nullptr) {
    auto target = control->Provision(Source(0), CancelToken());
    EXPECT_EQ(GetErrorCode(target.status()), ErrorCode::kInsufficientStorage) << target.status();
    EXPECT_NE(target.status().message().find("preallocate"), absl::string_view::npos) << target.status();
    ExpectNothingLeft(*control);
  }
  control.reset();
  std::filesystem::remove(filler);
  EXPECT_EQ(::umount(small.c_str()), 0) << std::strerror(errno);
}

TEST_F(TgtArrayControlTest, GroupCommitIsAllOrNothing) {
  std::atomic<int> luns_added{0};
  TgtArrayControlOptions o = Options();
  o.test_hook = [&luns_added](absl::string_view at) {
    if (at == "commit:lun-added") ++luns_added;
  };
  auto control = Make(o);
  ASSERT_NE(control, nullptr);
  auto a = control->Provision(Source(0), CancelToken());
  auto b = control->Provision(Source(1), CancelToken());
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();

  // An unknown member: nothing happens.
  absl::Status s = control->TakePointInTime({*a, "iqn.2026-12.invalid.hwsnap:snap-unknown"},
                                            absl::Now() + absl::Seconds(30));
  EXPECT_EQ(GetErrorCode(s), ErrorCode::kObjectNotFound) << s;

  // The second target vanished from tgt behind our back: a's LUN, already
  // added by this call, is removed again.
  std::vector<TgtTarget> all = Show();
  ASSERT_NE(Find(all, *b), nullptr);
  ASSERT_TRUE(daemon_->admin().DeleteTarget(Find(all, *b)->tid, true).ok());
  s = control->TakePointInTime({*a, *b}, absl::Now() + absl::Seconds(30));
  EXPECT_EQ(GetErrorCode(s), ErrorCode::kObjectNotFound) << s;
  EXPECT_EQ(luns_added.load(), 1);  // a's LUN was added before b failed ...
  all = Show();
  ASSERT_NE(Find(all, *a), nullptr);  // ... and removed again
  EXPECT_EQ(Find(all, *a)->FindLun(1), nullptr);

  // A past deadline: nothing committed.
  s = control->TakePointInTime({*a}, absl::Now() - absl::Seconds(1));
  EXPECT_EQ(GetErrorCode(s), ErrorCode::kDeadlineExceeded) << s;
  all = Show();
  EXPECT_EQ(Find(all, *a)->FindLun(1), nullptr);

  // After all that, a commits normally.
  ASSERT_TRUE(control->TakePointInTime({*a}, absl::Now() + absl::Seconds(30)).ok());
  all = Show();
  EXPECT_NE(Find(all, *a)->FindLun(1), nullptr);
  ASSERT_TRUE(control->Delete(*a).ok());
  ASSERT_TRUE(control->Delete(*b).ok());
  ExpectNothingLeft(*control);
}

TEST_F(TgtArrayControlTest, GroupCommitWithAMissingSourceFileCommitsNone) {
  auto control = Make(Options());
  ASSERT_NE(control, nullptr);
  auto a = control->Provision(Source(0), CancelToken());
  auto b = control->Provision(Source(1), CancelToken());
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(daemon_->admin().DeleteLun(source_tid_, 2).ok());
  std::filesystem::remove(sources_[1].backing_file);
  absl::Status s = control->TakePointInTime({*a, *b}, absl::Now() + absl::Seconds(30));
  EXPECT_FALSE(s.ok());
  std::vector<TgtTarget> all = Show();
  EXPECT_EQ(Find(all, *a)->FindLun(1), nullptr);
  EXPECT_EQ(Find(all, *b)->FindLun(1), nullptr);
  ASSERT_TRUE(control->Delete(*a).ok());
  ASSERT_TRUE(control->Delete(*b).ok());
  ExpectNothingLeft(*control);
}

TEST_F(TgtArrayControlTest, ConcurrentProvisionsGetDistinctTargets) {
  auto control = Make(Options());
  ASSERT_NE(control, nullptr);
  constexpr int kThreads = 4;
  std::vector<absl::StatusOr<std::string>> results(kThreads, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] { results[i] = control->Provision(Source(i % 2), CancelToken()); });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> names;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    names.insert(*r);
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(kThreads));
  std::vector<std::string> all(names.begin(), names.end());
  ASSERT_TRUE(control->TakePointInTime(all, absl::Now() + absl::Seconds(30)).ok());
  threads.clear();
  std::vector<absl::Status> deleted(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] { deleted[i] = control->Delete(all[i]); });
  }
  for (auto& t : threads) t.join();
  for (const auto& s : deleted) EXPECT_TRUE(s.ok()) << s;
  ExpectNothingLeft(*control);
}

TEST_F(TgtArrayControlTest, DeleteRefusesForeignTargetsAndReclaimsOrphans) {
  auto control = Make(Options());
  ASSERT_NE(control, nullptr);
  EXPECT_EQ(GetErrorCode(control->Delete(kSourceIqn)), ErrorCode::kInvalidArgument);
  EXPECT_EQ(GetErrorCode(control->Delete("iqn.2026-12.invalid.hwsnap:snap-../../etc")),
            ErrorCode::kInvalidArgument);
  ASSERT_NE(Find(Show(), kSourceIqn), nullptr);

  auto target = control->Provision(Source(0), CancelToken());
  ASSERT_TRUE(target.ok());
  ASSERT_TRUE(control->TakePointInTime({*target}, absl::Now() + absl::Seconds(30)).ok());
  ASSERT_TRUE(control->Expose(*target).ok());
  control.reset();  // "restart": a new instance knows nothing but what tgt reports

  auto again = Make(Options());
  ASSERT_NE(again, nullptr);
  auto listed = again->ListTargets();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(*listed, std::vector<std::string>{*target});
  EXPECT_TRUE(again->Expose(*target).ok());
  EXPECT_EQ(GetErrorCode(again->TakePointInTime({*target}, absl::Now() + absl::Seconds(5))),
            ErrorCode::kObjectNotFound);
  ASSERT_TRUE(again->Delete(*target).ok());
  ExpectNothingLeft(*again);
}

// A restart with the catalog's record: Adopt finds the target in `show`,
// and the new instance serves it; a target tgt no longer has, or a committed
// record without the snapshot LUN, is kObjectNotFound.
TEST_F(TgtArrayControlTest, AdoptAfterRestart) {
  auto control = Make(Options());
  ASSERT_NE(control, nullptr);
  auto committed = control->Provision(Source(0), CancelToken());
  auto provisioned = control->Provision(Source(1), CancelToken());
  ASSERT_TRUE(committed.ok() && provisioned.ok());
  ASSERT_TRUE(control->TakePointInTime({*committed}, absl::Now() + absl::Seconds(30)).ok());
  control.reset();

  auto again = Make(Options());
  ASSERT_NE(again, nullptr);
  RestoredTarget record;
  record.id = *committed;
  record.committed = true;
  ASSERT_TRUE(again->Adopt(record).ok());
  EXPECT_TRUE(again->Adopt(record).ok());  // held already
  RestoredTarget uncommitted;
  uncommitted.id = *provisioned;
  uncommitted.committed = true;  // the record claims a snapshot tgt does not have
  EXPECT_EQ(GetErrorCode(again->Adopt(uncommitted)), ErrorCode::kObjectNotFound);
  uncommitted.committed = false;
  ASSERT_TRUE(again->Adopt(uncommitted).ok());
  EXPECT_EQ(GetErrorCode(again->TakePointInTime({*provisioned}, absl::Now() + absl::Seconds(5))),
            ErrorCode::kBadState);
  RestoredTarget gone;
  gone.id = "iqn.2026-12.invalid.hwsnap:snap-0000000000000000000";
  EXPECT_EQ(GetErrorCode(again->Adopt(gone)), ErrorCode::kObjectNotFound);
  gone.id = kSourceIqn;
  EXPECT_EQ(GetErrorCode(again->Adopt(gone)), ErrorCode::kInvalidArgument);
  EXPECT_EQ(GetErrorCode(again->Mask(*committed)), ErrorCode::kNotSupported);

  ASSERT_TRUE(again->Expose(*committed).ok());
  // A new provision does not take the adopted tid (tgt derives the NAA from it).
  auto fresh = again->Provision(Source(0), CancelToken());
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  const std::vector<TgtTarget> all = Show();
  const TgtTarget* shown = Find(all, *committed);
  const TgtTarget* fresh_shown = Find(all, *fresh);
  ASSERT_NE(shown, nullptr);
  ASSERT_NE(fresh_shown, nullptr);
  EXPECT_NE(std::find(shown->acls.begin(), shown->acls.end(), kHost), shown->acls.end());
  EXPECT_GT(fresh_shown->tid, shown->tid);
  for (const std::string& target : {*committed, *provisioned, *fresh}) {
    ASSERT_TRUE(again->Delete(target).ok()) << target;
  }
  ExpectNothingLeft(*again);
}

}  // namespace
}  // namespace hwsnap::scsi
