// Tests of AdminEventLog, the reporter the COM object calls (platform-neutral; also under TSan).
//
// This file exists to prove the reporter's contract on its own: a report
// outside the freeze window is written at once as the AdminEventText
// sentence (nothing else on the line), one inside it waits for
// LeaveFreezeWindow, a new set closes an abandoned window, and reports from
// several threads while a set freezes and thaws all arrive.
#include "hwsnap/windows/admin_event_log.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "admin_event_capture_sink.h"
#include "hwsnap/ids.h"
#include "hwsnap/status.h"
#include "hwsnap/windows/vss_results.h"

namespace hwsnap {
namespace windows {
namespace {

using ::testing::HasSubstr;

AdminEventFacts VetoFacts(VssMethod method, const SnapshotSetId& set, absl::string_view reason) {
  AdminEventFacts facts;
  facts.method = method;
  facts.status = VetoError(reason, "Pause replication on the array, then run the backup again.");
  facts.result = MapStatusToResult(method, facts.status);
  facts.set_id = set;
  return facts;
}

TEST(AdminEventLogTest, ReportOutsideTheWindowIsWrittenAtOnceAsTheSentence) {
  auto capture = std::make_shared<CaptureSink>();
  AdminEventLog log(capture);
  const AdminEventFacts facts = VetoFacts(VssMethod::kEndPrepareSnapshots, SnapshotSetId::Random(), "replicating");
  log.Report(facts);
  const auto entries = capture->entries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].level, spdlog::level::err);
  EXPECT_EQ(entries[0].text, AdminEventText(facts));
  EXPECT_EQ(entries[0].formatted, AdminEventText(facts));  // no time stamp, level or line end added
  EXPECT_THAT(entries[0].text, HasSubstr("Pause replication on the array"));
}

TEST(AdminEventLogTest, ReportInsideTheWindowWaitsForLeave) {
  auto capture = std::make_shared<CaptureSink>();
  AdminEventLog log(capture);
  const SnapshotSetId set = SnapshotSetId::Random();
  log.EnterFreezeWindow(set);
  EXPECT_EQ(log.frozen_set(), set);
  log.Report(VetoFacts(VssMethod::kCommitSnapshots, set, "commit refused"));
  log.Poll();
  EXPECT_EQ(capture->size(), 0u);
  log.LeaveFreezeWindow("PostCommitSnapshots returned");
  EXPECT_FALSE(log.frozen_set().has_value());
  ASSERT_EQ(capture->size(), 1u);
  EXPECT_THAT(capture->texts()[0], HasSubstr("commit refused"));
}

TEST(AdminEventLogTest, LeavingForAnotherSetKeepsTheWindowOpen) {
  auto capture = std::make_shared<CaptureSink>();
  AdminEventLog log(capture);
  const SnapshotSetId set = SnapshotSetId::Random();
  log.EnterFreezeWindow(set);
  log.Report(VetoFacts(VssMethod::kCommitSnapshots, set, "commit refused"));
  log.LeaveFreezeWindow(SnapshotSetId::Random(), "AbortSnapshots of a stale set returned");
  EXPECT_EQ(capture->size(), 0u);
  EXPECT_EQ(log.frozen_set(), set);
  log.LeaveFreezeWindow(set, "AbortSnapshots returned");
  EXPECT_EQ(capture->size(), 1u);
  EXPECT_FALSE(log.frozen_set().has_value());
}

TEST(AdminEventLogTest, AStrayPreCommitDoesNotTakeOverTheWindow) {
  auto capture = std::make_shared<CaptureSink>();
  AdminEventLog log(capture);
  const SnapshotSetId set = SnapshotSetId::Random();
  EXPECT_TRUE(log.EnterFreezeWindow(set));
  EXPECT_FALSE(log.EnterFreezeWindow(set)) << "already open";
  EXPECT_FALSE(log.EnterFreezeWindow(SnapshotSetId::Random())) << "a stray set id does not take over";
  EXPECT_EQ(log.frozen_set(), set);
  log.Report(VetoFacts(VssMethod::kCommitSnapshots, set, "commit refused"));
  log.LeaveFreezeWindow(set, "PostCommitSnapshots returned");
  EXPECT_EQ(capture->size(), 1u) << "the real set's PostCommit ends the window";
  EXPECT_FALSE(log.frozen_set().has_value());
}

TEST(AdminEventLogTest, ANewSetClosesTheWindowOfAnAbandonedOne) {
  auto capture = std::make_shared<CaptureSink>();
  AdminEventLog log(capture);
  const SnapshotSetId old_set = SnapshotSetId::Random();
  log.EnterFreezeWindow(old_set);
  log.Report(VetoFacts(VssMethod::kCommitSnapshots, old_set, "commit refused"));
  log.NoteSetBegan(old_set);  // the same set: nothing ends
  EXPECT_EQ(capture->size(), 0u);
  log.NoteSetBegan(SnapshotSetId::Random());
  EXPECT_EQ(capture->size(), 1u);
  EXPECT_FALSE(log.frozen_set().has_value());
  log.NoteSetBegan(SnapshotSetId::Random());  // closed already: harmless
  EXPECT_EQ(capture->size(), 1u);
}

TEST(AdminEventLogTest, SafetyTimeoutThroughPoll) {
  auto capture = std::make_shared<CaptureSink>();
  std::atomic<long long> now_ms{0};
  FreezeWindowGateOptions options;
  options.now = [&] { return std::chrono::steady_clock::time_point(std::chrono::milliseconds(now_ms.load())); };
  AdminEventLog log(capture, options);
  const SnapshotSetId set = SnapshotSetId::Random();
  log.EnterFreezeWindow(set);
  log.Report(VetoFacts(VssMethod::kCommitSnapshots, set, "commit refused"));
  now_ms = 71000;
  EXPECT_EQ(capture->size(), 0u);
  log.Poll();
  EXPECT_EQ(capture->size(), 1u);
  EXPECT_FALSE(log.frozen_set().has_value());
}

TEST(AdminEventLogTest, AFailingSinkNeverThrowsOutOfReport) {
  auto capture = std::make_shared<CaptureSink>();
  AdminEventLog log(capture);
  capture->FailNextWrites(1);
  log.Report(VetoFacts(VssMethod::kEndPrepareSnapshots, SnapshotSetId::Random(), "x"));
  EXPECT_EQ(log.gate().write_failures(), 1u);
  log.Report(VetoFacts(VssMethod::kEndPrepareSnapshots, SnapshotSetId::Random(), "y"));
  EXPECT_EQ(capture->size(), 1u);
}

TEST(AdminEventLogTest, ConcurrentReportsWhileSetsFreezeAndThaw) {
  auto capture = std::make_shared<CaptureSink>();
  FreezeWindowGateOptions options;
  options.capacity = 10000;
  AdminEventLog log(capture, options);
  constexpr int kThreads = 3;
  constexpr int kPerThread = 100;
  std::atomic<bool> stop{false};
  std::thread vss([&] {
    while (!stop.load()) {
      const SnapshotSetId set = SnapshotSetId::Random();
      log.NoteSetBegan(set);
      log.EnterFreezeWindow(set);
      log.Poll();
      log.LeaveFreezeWindow("PostCommitSnapshots returned");
    }
  });
  std::vector<std::thread> reporters;
  for (int t = 0; t < kThreads; ++t) {
    reporters.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        log.Report(VetoFacts(VssMethod::kEndPrepareSnapshots, SnapshotSetId::Random(), "busy"));
      }
    });
  }
  for (auto& r : reporters) r.join();
  stop = true;
  vss.join();
  log.LeaveFreezeWindow("test over");
  EXPECT_EQ(capture->size(), static_cast<std::size_t>(kThreads * kPerThread));
}

}  // namespace
}  // namespace windows
}  // namespace hwsnap
