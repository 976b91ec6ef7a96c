// Tests of hwsnap/scsi/tgt_daemon.h and tgt_admin.h against a real tgtd:
// start/stop leaves no process, socket or file; two daemons run side by side;
// targets, LUNs, parameters and ACLs round-trip through `show`; tgtadm's
// errors map to the documented codes. Skips without root or tgt.
#include "hwsnap/scsi/tgt_daemon.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "hwsnap/scsi/tgt_admin.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi {
namespace {

constexpr char kIqn[] = "iqn.2026-12.invalid.hwsnap:daemon-test";

class TgtDaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!TgtAvailable(&why)) GTEST_SKIP() << "tgt tests skipped: " << why;
  }
};

bool ProcessAlive(pid_t pid) {
  // A zombie still has /proc/<pid>; read its state to tell.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return false;
  std::string pid_text, comm, state;
  stat >> pid_text >> comm >> state;
  return state != "Z" && state != "X";
}

TEST_F(TgtDaemonTest, StartStopLeavesNothingBehind) {
  auto daemon = TgtDaemon::Start();
  ASSERT_TRUE(daemon.ok()) << daemon.status();
  const pid_t pid = (*daemon)->pid();
  const int control_id = (*daemon)->control_id();
  const std::filesystem::path work_dir = (*daemon)->work_dir();
  EXPECT_TRUE(ProcessAlive(pid));
  EXPECT_TRUE(std::filesystem::is_directory(work_dir));
  EXPECT_EQ((*daemon)->portal(), "127.0.0.1:" + std::to_string((*daemon)->port()));

  auto portals = (*daemon)->admin().ShowPortals();
  ASSERT_TRUE(portals.ok()) << portals.status();
  ASSERT_EQ(portals->size(), 1u);
  EXPECT_EQ((*portals)[0], (*daemon)->portal() + ",1");

  auto tid = (*daemon)->AddTarget(kIqn);
  ASSERT_TRUE(tid.ok()) << tid.status();
  auto lun = (*daemon)->AddFileBackedLun(*tid, 1, 4 << 20);
  ASSERT_TRUE(lun.ok()) << lun.status();
  EXPECT_TRUE(std::filesystem::exists(lun->backing_file));

  ASSERT_TRUE((*daemon)->Stop().ok());
  EXPECT_TRUE((*daemon)->stopped());
  EXPECT_FALSE(std::filesystem::exists("/proc/" + std::to_string(pid)));
  EXPECT_FALSE(std::filesystem::exists(work_dir));
  EXPECT_FALSE(std::filesystem::exists("/var/run/tgtd/socket." + std::to_string(control_id)));
  EXPECT_FALSE(std::filesystem::exists("/var/run/tgtd/socket." + std::to_string(control_id) + ".lock"));
  EXPECT_TRUE((*daemon)->Stop().ok());  // idempotent
  // The control id no longer answers.
  EXPECT_FALSE(TgtAdmin(control_id, absl::Seconds(5)).ShowSystem().ok());
}

TEST_F(TgtDaemonTest, DestructorStopsTheDaemon) {
  pid_t pid;
  std::filesystem::path work_dir;
  {
    auto daemon = TgtDaemon::Start();
    ASSERT_TRUE(daemon.ok()) << daemon.status();
    pid = (*daemon)->pid();
    work_dir = (*daemon)->work_dir();
    ASSERT_TRUE((*daemon)->AddTarget(kIqn).ok());
  }
  EXPECT_FALSE(std::filesystem::exists("/proc/" + std::to_string(pid)));
  EXPECT_FALSE(std::filesystem::exists(work_dir));
}

TEST_F(TgtDaemonTest, TwoDaemonsSideBySide) {
  std::unique_ptr<TgtDaemon> a, b;
  std::thread ta([&a] { auto d = TgtDaemon::Start(); if (d.ok()) a = std::move(*d); });
  std::thread tb([&b] { auto d = TgtDaemon::Start(); if (d.ok()) b = std::move(*d); });
  ta.join();
  tb.join();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a->control_id(), b->control_id());
  EXPECT_NE(a->port(), b->port());
  EXPECT_NE(a->work_dir(), b->work_dir());
  ASSERT_TRUE(a->AddTarget("iqn.2026-12.invalid.hwsnap:a").ok());
  auto targets_b = b->admin().ShowTargets();
  ASSERT_TRUE(targets_b.ok()) << targets_b.status();
  EXPECT_TRUE(targets_b->empty());  // each daemon holds only its own targets
  EXPECT_TRUE(a->Stop().ok());
  EXPECT_TRUE(b->admin().ShowSystem().ok());  // b unaffected
  EXPECT_TRUE(b->Stop().ok());
}

TEST_F(TgtDaemonTest, ExplicitControlIdInUseIsRefused) {
  auto a = TgtDaemon::Start();
  ASSERT_TRUE(a.ok()) << a.status();
  TgtDaemonOptions options;
  options.control_id = (*a)->control_id();
  auto b = TgtDaemon::Start(options);
  EXPECT_EQ(GetErrorCode(b.status()), ErrorCode::kBadState) << b.status();
  options.control_id = 0;
  options.port = (*a)->port();
  b = TgtDaemon::Start(options);
  EXPECT_EQ(GetErrorCode(b.status()), ErrorCode::kBadState) << b.status();
}

TEST_F(TgtDaemonTest, AdminRoundTripsThroughShow) {
  auto daemon = TgtDaemon::Start();
  ASSERT_TRUE(daemon.ok()) << daemon.status();
  TgtAdmin& admin = (*daemon)->admin();
  auto tid = (*daemon)->AddTarget(kIqn);
  ASSERT_TRUE(tid.ok()) << tid.status();
  auto lun1 = (*daemon)->AddFileBackedLun(*tid, 1, 8 << 20);
  auto lun2 = (*daemon)->AddFileBackedLun(*tid, 2, 8 << 20);
  ASSERT_TRUE(lun1.ok()) << lun1.status();
  ASSERT_TRUE(lun2.ok()) << lun2.status();
  EXPECT_NE(lun1->scsi_id, lun2->scsi_id);
  EXPECT_NE(lun1->scsi_sn, lun2->scsi_sn);
  EXPECT_EQ(lun1->address, "iscsi://" + (*daemon)->portal() + "/" + kIqn + "/1");

  TgtLunParams params;
  params.readonly = true;
  params.vendor_id = "HWSNAP";
  ASSERT_TRUE(admin.UpdateLunParams(*tid, 2, params).ok());
  ASSERT_TRUE(admin.BindInitiatorName(*tid, "iqn.2026-12.invalid.hwsnap:host").ok());

  auto targets = admin.ShowTargets();
  ASSERT_TRUE(targets.ok()) << targets.status();
  const TgtTarget* t = FindTargetByName(*targets, kIqn);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->tid, *tid);
  ASSERT_NE(t->FindLun(1), nullptr);
  EXPECT_EQ(t->FindLun(1)->backing_store_path, lun1->backing_file.string());
  EXPECT_EQ(t->FindLun(1)->backing_store_type, "rdwr");
  EXPECT_EQ(t->FindLun(1)->scsi_id, lun1->scsi_id);
  EXPECT_EQ(t->FindLun(1)->scsi_sn, lun1->scsi_sn);
  EXPECT_EQ(t->FindLun(1)->size_mb, 8u);
  EXPECT_FALSE(t->FindLun(1)->readonly);
  ASSERT_NE(t->FindLun(2), nullptr);
  EXPECT_TRUE(t->FindLun(2)->readonly);
  EXPECT_TRUE(t->HasAcl("127.0.0.1"));
  EXPECT_TRUE(t->HasAcl("iqn.2026-12.invalid.hwsnap:host"));

  ASSERT_TRUE(admin.UnbindInitiatorName(*tid, "iqn.2026-12.invalid.hwsnap:host").ok());
  ASSERT_TRUE(admin.DeleteLun(*tid, 2).ok());
  targets = admin.ShowTargets();
  ASSERT_TRUE(targets.ok());
  t = FindTargetByName(*targets, kIqn);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->FindLun(2), nullptr);
  EXPECT_FALSE(t->HasAcl("iqn.2026-12.invalid.hwsnap:host"));
}

TEST_F(TgtDaemonTest, TgtadmErrorsMapToDomainCodes) {
  auto daemon = TgtDaemon::Start();
  ASSERT_TRUE(daemon.ok()) << daemon.status();
  TgtAdmin& admin = (*daemon)->admin();
  auto tid = (*daemon)->AddTarget(kIqn);
  ASSERT_TRUE(tid.ok());

  absl::Status s = admin.DeleteTarget(99, true);
  EXPECT_EQ(GetErrorCode(s), ErrorCode::kObjectNotFound) << s;
  EXPECT_NE(s.message().find("can't find the target"), absl::string_view::npos) << s;
  EXPECT_NE(s.message().find("--op delete"), absl::string_view::npos) << s;  // names the command
  EXPECT_EQ(GetErrorCode(admin.DeleteLun(*tid, 7)), ErrorCode::kObjectNotFound);
  EXPECT_EQ(GetErrorCode(admin.UnbindInitiatorAddress(*tid, "10.9.9.9")), ErrorCode::kObjectNotFound);
  EXPECT_EQ(GetErrorCode(admin.NewTarget(*tid, "iqn.x:other")), ErrorCode::kBadState);
  EXPECT_EQ(GetErrorCode((*daemon)->AddTarget(kIqn).status()), ErrorCode::kBadState);
  EXPECT_EQ(GetErrorCode(admin.BindInitiatorAddress(*tid, "127.0.0.1")), ErrorCode::kBadState);
  s = admin.NewLun(*tid, 3, "/nonexistent/hwsnap.img");
  EXPECT_EQ(GetErrorCode(s), ErrorCode::kBackendFailure) << s;
  EXPECT_EQ(GetErrorCode(admin.UpdateLunParams(*tid, 1, {})), ErrorCode::kInvalidArgument);
  TgtLunParams evil;
  evil.scsi_sn = "a,readonly=0";
  EXPECT_EQ(GetErrorCode(admin.UpdateLunParams(*tid, 1, evil)), ErrorCode::kInvalidArgument);
  EXPECT_EQ(GetErrorCode((*daemon)->AddFileBackedLun(77, 1, 4096).status()), ErrorCode::kObjectNotFound);
  // A control id nobody serves: the daemon does not answer.
  s = TgtAdmin(64999, absl::Seconds(5)).ShowSystem().status();
  EXPECT_EQ(GetErrorCode(s), ErrorCode::kBackendFailure) << s;
}

}  // namespace
}  // namespace hwsnap::scsi
