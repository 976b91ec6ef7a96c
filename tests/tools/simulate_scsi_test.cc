// `hwsnapctl simulate --backend scsi --backend_option=tgt-sandbox=true` run
// in-process: the whole VSS sequence (prepare, commit, target identity,
// import/expose, release) and an abort while EndPrepare waits, against a
// real tgtd on 127.0.0.1 that the scsi registration starts and stops. After
// every run nothing may be left: no snapshot target, no tgtd process.
#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "absl/time/time.h"
#include "hwsnap/logging.h"
#include "hwsnap/scsi/tgt_daemon.h"
#include "hwsnap/status.h"
#include "hwsnapctl/simulate.h"

namespace hwsnap::tools {
namespace {

// tgtd processes this process started and that are still alive.
int OurTgtdProcesses() {
  int count = 0;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return -1;
  const std::string me = std::to_string(getpid());
  while (dirent* entry = readdir(proc)) {
    const std::string pid = entry->d_name;
    if (pid.empty() || !std::all_of(pid.begin(), pid.end(), ::isdigit)) continue;
    std::ifstream stat("/proc/" + pid + "/stat");
    std::string line;
    std::getline(stat, line);
    // pid (comm) state ppid ...
    const size_t close = line.rfind(')');
    if (close == std::string::npos || line.find("(tgtd)") == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    std::string state, ppid;
    rest >> state >> ppid;
    if (ppid == me && state != "Z") ++count;
  }
  closedir(proc);
  return count;
}

class SimulateScsiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogLevel(spdlog::level::off);
    std::string why;
    if (!scsi::TgtAvailable(&why)) {
      const char* ci = std::getenv("CI");
      if (ci != nullptr && std::string(ci) == "true") FAIL() << "CI must run the tgt tier, but: " << why;
      GTEST_SKIP() << why;
    }
  }

  SimulationOptions Options(int luns) {
    SimulationOptions options;
    options.backend = "scsi";
    options.backend_options["tgt-sandbox"] = "true";
    options.backend_options["lun-mib"] = "4";
    options.luns = luns;
    return options;
  }

  SimulationReport Run(const SimulationOptions& options) {
    output_.str("");
    absl::StatusOr<SimulationReport> report = RunSimulation(options, output_);
    EXPECT_TRUE(report.ok()) << report.status();
    EXPECT_EQ(OurTgtdProcesses(), 0) << "the sandbox tgtd outlived its session";
    return report.ok() ? *std::move(report) : SimulationReport{};
  }

  static int Count(const SimulationReport& report, Step step) {
    return static_cast<int>(std::count_if(report.calls.begin(), report.calls.end(),
                                          [&](const CallRecord& c) { return c.step == step; }));
  }

  std::ostringstream output_;
};

TEST_F(SimulateScsiTest, FullSequenceAgainstTgtCompletesAndLeavesNothing) {
  SimulationOptions options = Options(6);
  options.snapshots = 3;  // volumes sharing LUNs, as VSS groups them
  const SimulationReport report = Run(options);
  EXPECT_EQ(report.outcome, SimulationReport::Outcome::kCompleted) << output_.str();
  for (const CallRecord& call : report.calls) {
    EXPECT_TRUE(call.status.ok()) << StepMethod(call.step) << " " << call.detail << ": " << call.status;
  }
  EXPECT_EQ(report.backend, "scsi");
  EXPECT_EQ(Count(report, Step::kFillInTargetLunInfo), 6) << "every snapshot LUN identified on import";
  EXPECT_EQ(Count(report, Step::kOnLunEmpty), 6);
  EXPECT_EQ(report.targets_created, 6);
  EXPECT_EQ(report.targets_released, 6);
  EXPECT_EQ(report.targets_leaked, 0);
  EXPECT_TRUE(report.problems.empty()) << output_.str();
}

TEST_F(SimulateScsiTest, AbortWhileEndPrepareWaitsReleasesEveryTgtTarget) {
  SimulationOptions options = Options(4);
  options.faults = {"prepare:3:hang"};  // LUN 3's prepare waits for the abort
  options.abort_delay = absl::Milliseconds(300);
  const SimulationReport report = Run(options);
  EXPECT_EQ(report.outcome, SimulationReport::Outcome::kAborted) << output_.str();
  EXPECT_TRUE(report.abort_raced_end_prepare);
  ASSERT_TRUE(report.end_prepare_return_after_abort.has_value());
  EXPECT_LT(*report.end_prepare_return_after_abort, absl::Seconds(1));
  EXPECT_EQ(report.targets_created, 3);
  EXPECT_EQ(report.targets_released, 3);
  EXPECT_EQ(report.targets_leaked, 0);
  EXPECT_TRUE(report.problems.empty()) << output_.str();
}

TEST_F(SimulateScsiTest, FullTargetIsInsufficientStorage) {
  SimulationOptions options = Options(4);
  options.capacity = 2;  // the tgt strategy holds at most 2 snapshot targets
  const SimulationReport report = Run(options);
  EXPECT_EQ(report.outcome, SimulationReport::Outcome::kFailed) << output_.str();
  ASSERT_TRUE(report.outcome_step.has_value());
  EXPECT_EQ(*report.outcome_step, Step::kEndPrepare);
  EXPECT_EQ(GetErrorCode(report.failure), ErrorCode::kInsufficientStorage) << report.failure;
  EXPECT_EQ(report.targets_leaked, 0);
}

TEST_F(SimulateScsiTest, BadOptionsAreRefusedBeforeAnythingStarts) {
  SimulationOptions options = Options(2);
  options.backend_options["strategy"] = "carrier-pigeon";
  absl::StatusOr<SimulationReport> report = RunSimulation(options, output_);
  EXPECT_EQ(GetErrorCode(report.status()), ErrorCode::kInvalidArgument);
  EXPECT_NE(report.status().message().find("strategy"), absl::string_view::npos) << report.status();
  EXPECT_EQ(OurTgtdProcesses(), 0);
}

}  // namespace
}  // namespace hwsnap::tools
