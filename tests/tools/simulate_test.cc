// Tests of `hwsnapctl simulate` run in-process (RunSimulation): the full VSS
// sequence, aborts after every step and racing EndPrepare, injected faults,
// option validation and the JSON document. After every run, nothing may be
// left on the mock array.
#include <algorithm>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "absl/time/time.h"
#include "hwsnap/backend_registry.h"
#include "hwsnap/logging.h"
#include "hwsnap/mock/mock_backend.h"
#include "hwsnap/status.h"
#include "hwsnapctl/simulate.h"

namespace hwsnap::tools {
namespace {

using ::testing::HasSubstr;

class SimulateTest : public ::testing::Test {
 protected:
  // The timeline is the output under test; the provider's own log would only
  // add noise (and its asynchronous worker, in uninstrumented spdlog, draws
  // ThreadSanitizer reports at exit).
  void SetUp() override { SetLogLevel(spdlog::level::off); }

  // Runs the simulation; fails the test if the options were refused.
  SimulationReport Run(const SimulationOptions& options) {
    output_.str("");
    absl::StatusOr<SimulationReport> report = RunSimulation(options, output_);
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *std::move(report) : SimulationReport{};
  }

  static int Count(const SimulationReport& report, Step step) {
    return static_cast<int>(std::count_if(report.calls.begin(), report.calls.end(),
                                          [&](const CallRecord& c) { return c.step == step; }));
  }

  static const CallRecord* Find(const SimulationReport& report, Step step) {
    for (const CallRecord& c : report.calls) {
      if (c.step == step) return &c;
    }
    return nullptr;
  }

  static void ExpectClean(const SimulationReport& report) {
    EXPECT_EQ(report.targets_leaked, 0);
    EXPECT_TRUE(report.pending_releases.empty());
    EXPECT_TRUE(report.problems.empty()) << ::testing::PrintToString(report.problems);
    EXPECT_EQ(report.ExitCode(), 0);
  }

  std::ostringstream output_;
};

TEST_F(SimulateTest, FullSequenceWith64LunsCompletes) {
  SimulationOptions options;
  options.luns = 64;
  const SimulationReport report = Run(options);

  EXPECT_EQ(report.outcome, SimulationReport::Outcome::kCompleted) << output_.str();
  EXPECT_FALSE(report.outcome_step.has_value());
  for (const CallRecord& call : report.calls) {
    EXPECT_TRUE(call.status.ok()) << StepMethod(call.step) << " " << call.detail << ": " << call.status;
  }
  EXPECT_EQ(Count(report, Step::kAreLunsSupported), 1);
  EXPECT_EQ(Count(report, Step::kFillInLunInfo), 64);
  EXPECT_EQ(Count(report, Step::kBeginPrepare), 8);  // min(luns, 8) snapshots
  for (Step step : {Step::kEndPrepare, Step::kPreCommit, Step::kCommit, Step::kPostCommit, Step::kPreFinalCommit,
                    Step::kPostFinalCommit, Step::kGetTargetLuns, Step::kLocateLuns}) {
    EXPECT_EQ(Count(report, step), 1) << StepName(step);
  }
  EXPECT_EQ(Count(report, Step::kFillInTargetLunInfo), 64);
  EXPECT_EQ(Count(report, Step::kOnLunEmpty), 64);
  EXPECT_EQ(Count(report, Step::kAbort), 0);

  // The calls come in VSS order.
  std::vector<Step> order;
  for (const CallRecord& call : report.calls) {
    if (order.empty() || order.back() != call.step) order.push_back(call.step);
  }
  EXPECT_EQ(order, (std::vector<Step>{Step::kAreLunsSupported, Step::kFillInLunInfo, Step::kBeginPrepare,
                                      Step::kEndPrepare, Step::kPreCommit, Step::kCommit, Step::kPostCommit,
                                      Step::kPreFinalCommit, Step::kPostFinalCommit, Step::kGetTargetLuns,
                                      Step::kLocateLuns, Step::kFillInTargetLunInfo, Step::kOnLunEmpty}));

  EXPECT_EQ(report.luns, 64);
  EXPECT_EQ(report.snapshots, 8);
  EXPECT_EQ(report.targets_created, 64);
  EXPECT_EQ(report.targets_released, 64);
  ExpectClean(report);
  EXPECT_THAT(output_.str(), HasSubstr("EndPrepareSnapshots"));
  EXPECT_THAT(output_.str(), HasSubstr("completed"));
}

TEST_F(SimulateTest, AbortAfterEveryStepLeavesNothing) {
  for (Step step : AbortableSteps()) {
    SCOPED_TRACE(std::string(StepName(step)));
    SimulationOptions options;
    options.luns = 8;
    options.snapshots = 3;
    options.abort_after = std::string(StepName(step));
    const SimulationReport report = Run(options);

    EXPECT_EQ(report.outcome, SimulationReport::Outcome::kAborted) << output_.str();
    ASSERT_TRUE(report.outcome_step.has_value());
    EXPECT_EQ(*report.outcome_step, step);
    const CallRecord* abort = Find(report, Step::kAbort);
    ASSERT_NE(abort, nullptr);
    EXPECT_EQ(Count(report, Step::kAbort), 1);
    // Nothing of the sequence runs after the abort except, for a completed
    // set (whose targets belong to the requester), OnLunEmpty.
    bool after_abort = false;
    for (const CallRecord& call : report.calls) {
      if (after_abort) {
        EXPECT_TRUE(call.step == Step::kOnLunEmpty || call.step == Step::kGetTargetLuns) << StepMethod(call.step);
      }
      if (call.step == Step::kAbort) after_abort = true;
    }
    if (step == Step::kAreLunsSupported) {
      EXPECT_EQ(GetErrorCode(abort->status), ErrorCode::kObjectNotFound) << abort->status;
    } else if (step == Step::kPostFinalCommit) {
      EXPECT_EQ(GetErrorCode(abort->status), ErrorCode::kBadState) << abort->status;
      EXPECT_EQ(Count(report, Step::kOnLunEmpty), 8);
    } else {
      EXPECT_TRUE(abort->status.ok()) << abort->status;
    }
    ExpectClean(report);
  }
}

TEST_F(SimulateTest, AbortDuringLongEndPrepareReturnsPromptly) {
  SimulationOptions options;
  options.luns = 16;
  options.prepare_latency = absl::Seconds(30);
  options.abort_delay = absl::Milliseconds(50);
  options.progress_interval = absl::Milliseconds(20);
  const SimulationReport report = Run(options);

  EXPECT_EQ(report.outcome, SimulationReport::Outcome::kAborted) << output_.str();
  ASSERT_TRUE(report.outcome_step.has_value());
  EXPECT_EQ(*report.outcome_step, Step::kEndPrepare);
  EXPECT_TRUE(report.abort_raced_end_prepare);

  const CallRecord* end_prepare = Find(report, Step::kEndPrepare);
  ASSERT_NE(end_prepare, nullptr);
  EXPECT_EQ(GetErrorCode(end_prepare->status), ErrorCode::kCancelled) << end_prepare->status;
  EXPECT_GE(end_prepare->duration, absl::Milliseconds(45));
  EXPECT_LT(end_prepare->duration, absl::Seconds(5)) << "EndPrepare waited for the 30 s prepares";
  const CallRecord* abort = Find(report, Step::kAbort);
  ASSERT_NE(abort, nullptr);
  EXPECT_TRUE(abort->from_abort_thread);
  EXPECT_TRUE(abort->status.ok()) << abort->status;
  ASSERT_TRUE(report.end_prepare_return_after_abort.has_value());
  EXPECT_LT(*report.end_prepare_return_after_abort, absl::Seconds(1));
  EXPECT_LT(report.total, absl::Seconds(10));
  // The wait was long enough for progress lines.
  EXPECT_THAT(output_.str(), HasSubstr("LUNs prepared"));
  ExpectClean(report);
}

TEST_F(SimulateTest, AbortDelayLongerThanPrepareDoesNotFire) {
  SimulationOptions options;
  options.luns = 4;
  options.abort_delay = absl::Seconds(30);
  const SimulationReport report = Run(options);
  EXPECT_EQ(report.outcome, SimulationReport::Outcome::kCompleted) << output_.str();
  EXPECT_EQ(Count(report, Step::kAbort), 0);
  EXPECT_LT(report.total, absl::Seconds(10)) << "the abort thread held the run";
  ExpectClean(report);
}

TEST_F(SimulateTest, InjectedInsufficientStorageFailsEndPrepare) {
  SimulationOptions options;
  options.luns = 8;
  // LUN 3 belongs to the second (last) of two snapshots, so its failure can
  // only surface in EndPrepareSnapshots, whatever the timing of the prepares.
  options.snapshots = 2;
  options.faults = {"prepare:3:error:insufficient-storage"};
  const SimulationReport report = Run(options);

  EXPECT_EQ(report.outcome, SimulationReport::Outcome::kFailed) << output_.str();
  ASSERT_TRUE(report.outcome_step.has_value());
  EXPECT_EQ(*report.outcome_step, Step::kEndPrepare);
  EXPECT_EQ(GetErrorCode(report.failure), ErrorCode::kInsufficientStorage) << report.failure;
  const CallRecord* abort = Find(report, Step::kAbort);
  ASSERT_NE(abort, nullptr) << "VSS aborts a set whose EndPrepare failed";
  EXPECT_TRUE(abort->status.ok()) << abort->status;
  ExpectClean(report);  // an injected fault that ended cleanly is "as requested"
}

TEST_F(SimulateTest, CapacitySmallerThanLunCountIsInsufficientStorage) {
  SimulationOptions options;
  options.luns = 8;
  options.capacity = 5;
  const SimulationReport report = Run(options);

  EXPECT_EQ(report.outcome, SimulationReport::Outcome::kFailed) << output_.str();
  EXPECT_EQ(GetErrorCode(report.failure), ErrorCode::kInsufficientStorage) << report.failure;
  ExpectClean(report);
}

TEST_F(SimulateTest, ReleaseThatKeepsFailingIsReportedAsLeak) {
  SimulationOptions options;
  options.luns = 4;
  options.faults = {"release:0:error:backend-failure"};
  const SimulationReport report = Run(options);

  EXPECT_EQ(report.outcome, SimulationReport::Outcome::kFailed) << output_.str();
  ASSERT_TRUE(report.outcome_step.has_value());
  EXPECT_EQ(*report.outcome_step, Step::kOnLunEmpty);
  EXPECT_EQ(report.targets_leaked, 1);
  EXPECT_FALSE(report.problems.empty());
  EXPECT_EQ(report.ExitCode(), 1);
}

TEST_F(SimulateTest, InvalidOptionsAreRefused) {
  struct Case {
    const char* what;
    SimulationOptions options;
    const char* message;
  };
  std::vector<Case> cases;
  {
    SimulationOptions o;
    o.luns = 0;
    cases.push_back({"zero LUNs", o, "--luns"});
  }
  {
    SimulationOptions o;
    o.luns = 1025;
    cases.push_back({"too many LUNs", o, "--luns"});
  }
  {
    SimulationOptions o;
    o.luns = 4;
    o.snapshots = 5;
    cases.push_back({"more snapshots than LUNs", o, "--snapshots"});
  }
  {
    SimulationOptions o;
    o.abort_after = "lunch";
    cases.push_back({"unknown step", o, "pre-final-commit"});
  }
  {
    SimulationOptions o;
    o.faults = {"prepare:zz:explode"};
    cases.push_back({"bad fault spec", o, "--fault=prepare:zz:explode"});
  }
  {
    SimulationOptions o;
    o.luns = 4;
    o.faults = {"prepare:7:error:veto"};
    cases.push_back({"fault on a LUN that does not exist", o, "--fault"});
  }
  {
    SimulationOptions o;
    o.backend = "tape";
    cases.push_back({"unknown backend", o, "mock"});
  }
  {
    SimulationOptions o;
    o.progress_interval = absl::ZeroDuration();
    cases.push_back({"zero progress interval", o, "--progress-interval"});
  }
  for (const Case& c : cases) {
    std::ostringstream out;
    absl::StatusOr<SimulationReport> report = RunSimulation(c.options, out);
    ASSERT_FALSE(report.ok()) << c.what;
    EXPECT_EQ(GetErrorCode(report.status()), ErrorCode::kInvalidArgument) << c.what << ": " << report.status();
    EXPECT_THAT(std::string(report.status().message()), HasSubstr(c.message)) << c.what;
    EXPECT_TRUE(out.str().empty()) << c.what << ": nothing runs for refused options";
  }
}

TEST_F(SimulateTest, JsonOutputIsOneValidDocumentListingEveryCall) {
  SimulationOptions options;
  options.luns = 6;
  options.json = true;
  const SimulationReport report = Run(options);

  nlohmann::json doc;
  ASSERT_NO_THROW(doc = nlohmann::json::parse(output_.str())) << output_.str();
  ASSERT_TRUE(doc.is_object());
  ASSERT_TRUE(doc["calls"].is_array());
  ASSERT_EQ(doc["calls"].size(), report.calls.size());
  for (size_t i = 0; i < report.calls.size(); ++i) {
    const nlohmann::json& call = doc["calls"][i];
    for (const char* key : {"step", "start_ms", "duration_ms", "code", "message"}) {
      EXPECT_TRUE(call.contains(key)) << key << " missing in call " << i;
    }
    EXPECT_EQ(call["step"], std::string(StepName(report.calls[i].step)));
    EXPECT_EQ(call["code"], "ok");
    EXPECT_GE(call["start_ms"].get<double>(), 0.0);
  }
  EXPECT_EQ(doc["outcome"], "completed");
  EXPECT_EQ(doc["set_id"], report.set_id.ToString());
  EXPECT_EQ(doc["luns"], 6);
  EXPECT_EQ(doc["snapshots"], 6);
  EXPECT_EQ(doc["targets_leaked"], 0);
  EXPECT_EQ(doc["pending_releases"], 0);
  EXPECT_GT(doc["total_ms"].get<double>(), 0.0);
  // AreLunsSupported, 6 FillInLunInfo, 6 BeginPrepare, EndPrepare..PostFinalCommit (6),
  // GetTargetLuns, LocateLuns, 6 FillInLunInfo on targets, 6 OnLunEmpty.
  EXPECT_EQ(doc["calls"].size(), 33u);
}

TEST_F(SimulateTest, JsonOutputOfAFailureNamesStepAndCode) {
  SimulationOptions options;
  options.luns = 4;
  options.json = true;
  options.faults = {"prepare:3:error:veto"};  // the last snapshot's LUN: fails in EndPrepare
  const SimulationReport report = Run(options);
  nlohmann::json doc;
  ASSERT_NO_THROW(doc = nlohmann::json::parse(output_.str())) << output_.str();
  EXPECT_EQ(doc["outcome"], "failed");
  EXPECT_EQ(doc["outcome_step"], "end-prepare");
  EXPECT_EQ(doc["failure"]["code"], "veto");
  EXPECT_EQ(doc["calls"].back()["step"], "abort");
  EXPECT_EQ(doc["targets_leaked"], 0);
  EXPECT_EQ(report.ExitCode(), 0);
}

// A backend registered from outside (as a vendor's own hwsnapctl would) is
// driven by name through the whole sequence; unknown names list what exists.
TEST_F(SimulateTest, BackendFromACallersRegistryRunsTheWholeSequence) {
  BackendRegistry registry;
  int created = 0;
  ASSERT_TRUE(registry.Register("vendor", "a mock standing in for a vendor's array",
                                [&created](const BackendRequest& request) -> absl::StatusOr<BackendSession> {
                                  ++created;
                                  auto mock = std::make_shared<MockBackend>();
                                  BackendSession session;
                                  for (int i = 0; i < request.luns + 2; ++i) {
                                    session.source_luns.push_back(mock->AddSourceLun());
                                  }
                                  session.live_targets = [mock] { return mock->LiveTargetCount(); };
                                  session.backend = mock;
                                  return session;
                                })
                  .ok());
  EXPECT_THAT(KnownBackends(&registry), ::testing::ElementsAre("vendor"));
  SimulationOptions options;
  options.registry = &registry;
  options.backend = "vendor";
  options.luns = 6;
  const SimulationReport report = Run(options);
  EXPECT_EQ(created, 1);
  EXPECT_EQ(report.outcome, SimulationReport::Outcome::kCompleted) << output_.str();
  EXPECT_EQ(report.targets_created, 6);  // exactly --luns of the LUNs offered
  ExpectClean(report);

  options.backend = "mock";  // not in this registry
  const auto unknown = RunSimulation(options, output_);
  EXPECT_EQ(GetErrorCode(unknown.status()), ErrorCode::kInvalidArgument);
  EXPECT_THAT(std::string(unknown.status().message()), HasSubstr("vendor"));
}

TEST(SimulateStepsTest, AbortableStepsParseAndListTheValidNames) {
  for (Step step : AbortableSteps()) {
    absl::StatusOr<Step> parsed = ParseAbortableStep(StepName(step));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, step);
  }
  EXPECT_EQ(AbortableSteps().size(), 8u);
  absl::StatusOr<Step> bad = ParseAbortableStep("on-lun-empty");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("are-luns-supported"));
}

}  // namespace
}  // namespace hwsnap::tools
