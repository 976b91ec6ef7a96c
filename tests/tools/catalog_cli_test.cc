// Tests of `hwsnapctl catalog list|show|verify|reclaim` and of simulate's
// durable flags (--catalog, --keep, --stop-after): in-process through
// RunCatalogCommand / RunSimulation for the content, and through the real
// hwsnapctl binary for exit codes, usage errors and a crash-like stop (POSIX).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "hwsnap/logging.h"
#include "hwsnap/mock/mock_backend.h"
#include "hwsnapctl/catalog_commands.h"
#include "hwsnapctl/simulate.h"

#ifndef _WIN32
#include <sys/wait.h>
#endif

namespace hwsnap::tools {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using Json = nlohmann::json;

class CatalogCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogLevel(spdlog::level::off);
    dir_ = fs::path(::testing::TempDir()) /
           absl::StrCat("hwsnap-catalog-cli-", ::testing::UnitTest::GetInstance()->current_test_info()->name(), "-",
                        absl::ToUnixNanos(absl::Now()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    catalog_ = (dir_ / "catalog.hwsnap").string();
    state_ = (dir_ / "array").string();
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  SimulationOptions Durable(int luns) const {
    SimulationOptions options;
    options.luns = luns;
    options.catalog_path = catalog_;
    options.backend_options["state-dir"] = state_;
    options.json = true;
    return options;
  }

  SimulationReport Simulate(const SimulationOptions& options) {
    std::ostringstream out;
    absl::StatusOr<SimulationReport> report = RunSimulation(options, out);
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *std::move(report) : SimulationReport{};
  }

  struct Result {
    int code = -1;
    std::string out, err;
    Json json;
  };

  // Runs `catalog <verb> args` in-process.
  Result Catalog(const std::string& verb, const std::vector<std::string>& args, CatalogCommandOptions options) {
    if (options.catalog_path.empty()) options.catalog_path = catalog_;
    std::ostringstream out, err;
    absl::StatusOr<int> code = RunCatalogCommand(verb, args, options, out, err);
    Result r;
    r.code = code.ok() ? *code : 2;
    r.out = out.str();
    r.err = code.ok() ? err.str() : std::string(code.status().message());
    if (options.json && !r.out.empty()) r.json = Json::parse(r.out, nullptr, /*allow_exceptions=*/false);
    return r;
  }

  CatalogCommandOptions Json_() const {
    CatalogCommandOptions options;
    options.json = true;
    options.backend_options["state-dir"] = state_;
    return options;
  }

  int ArrayTargets() const {
    MockBackendOptions options;
    options.state_directory = state_;
    return MockBackend(options).LiveTargetCount();
  }

  fs::path dir_;
  std::string catalog_, state_;
};

TEST_F(CatalogCliTest, AKeptSetIsListedShownVerifiedAndReclaimed) {
  const SimulationReport made = [&] {
    SimulationOptions options = Durable(3);
    options.keep = true;
    return Simulate(options);
  }();
  EXPECT_EQ(made.OutcomeName(), "completed");
  EXPECT_EQ(made.targets_kept, 3);
  EXPECT_EQ(made.targets_leaked, 0);
  EXPECT_TRUE(made.problems.empty()) << ::testing::PrintToString(made.problems);
  EXPECT_EQ(ArrayTargets(), 3);

  Result list = Catalog("list", {}, Json_());
  ASSERT_EQ(list.code, 0) << list.err;
  ASSERT_TRUE(list.json.is_object()) << list.out;
  EXPECT_EQ(list.json["catalog"], catalog_);
  EXPECT_EQ(list.json["ok"], true);
  ASSERT_EQ(list.json["sets"].size(), 1u);
  const Json& set = list.json["sets"][0];
  EXPECT_EQ(set["set_id"], made.set_id.ToString());
  EXPECT_EQ(set["state"], "completed");
  EXPECT_EQ(set["targets"], 3);
  EXPECT_EQ(set["targets_alive"], 3);
  EXPECT_TRUE(set["created"].is_string());
  EXPECT_EQ(list.json["targets_alive"], 3);

  Result show = Catalog("show", {made.set_id.ToString()}, Json_());
  ASSERT_EQ(show.code, 0) << show.err;
  const Json& detail = show.json["set"];
  ASSERT_EQ(detail["target_list"].size(), 3u);
  for (const Json& target : detail["target_list"]) {
    EXPECT_EQ(target["state"], "described");
    EXPECT_EQ(target["alive"], true);
    EXPECT_TRUE(target["identity"].is_object());
    EXPECT_THAT(target["target_id"].get<std::string>(), HasSubstr("-tgt-"));
    EXPECT_THAT(target["source"]["primary"].get<std::string>(), HasSubstr("naa:"));
  }

  Result text_list = Catalog("list", {}, CatalogCommandOptions{});
  EXPECT_EQ(text_list.code, 0);
  EXPECT_THAT(text_list.out, HasSubstr("1 set(s), 3 live target(s)"));
  EXPECT_THAT(text_list.out, HasSubstr(made.set_id.ToString()));
  Result text_show = Catalog("show", {made.set_id.ToString()}, CatalogCommandOptions{});
  EXPECT_THAT(text_show.out, HasSubstr("state      completed"));
  EXPECT_THAT(text_show.out, HasSubstr("identity  "));

  Result verify = Catalog("verify", {}, Json_());
  ASSERT_EQ(verify.code, 0) << verify.err;
  EXPECT_EQ(verify.json["report"]["sets"], 1);
  EXPECT_EQ(verify.json["report"]["live_targets"], 3);
  EXPECT_THAT(Catalog("verify", {}, CatalogCommandOptions{}).out, HasSubstr(": OK"));

  CatalogCommandOptions dry = Json_();
  dry.dry_run = true;
  Result would = Catalog("reclaim", {}, dry);
  ASSERT_EQ(would.code, 0) << would.err << would.out;
  EXPECT_EQ(would.json["dry_run"], true);
  EXPECT_EQ(would.json["candidates"].size(), 3u) << would.out;
  EXPECT_EQ(ArrayTargets(), 3) << "a dry run deletes nothing";

  CatalogCommandOptions young = Json_();
  young.older_than = absl::Hours(1);
  Result none = Catalog("reclaim", {}, young);
  ASSERT_EQ(none.code, 0) << none.err;
  EXPECT_EQ(none.json["candidates"].size(), 0u) << "the set is seconds old: " << none.out;
  EXPECT_EQ(ArrayTargets(), 3);

  Result reclaimed = Catalog("reclaim", {}, Json_());
  ASSERT_EQ(reclaimed.code, 0) << reclaimed.err << reclaimed.out;
  EXPECT_EQ(reclaimed.json["candidates"].size(), 3u);
  EXPECT_EQ(reclaimed.json["failed"].size(), 0u);
  EXPECT_EQ(ArrayTargets(), 0);
  EXPECT_EQ(Catalog("list", {}, Json_()).json["targets_alive"], 0);
}

TEST_F(CatalogCliTest, ADurableArrayAndCatalogCarryOverToTheNextRun) {
  SimulationOptions keep = Durable(2);
  keep.keep = true;
  const SimulationReport first = Simulate(keep);
  ASSERT_EQ(first.targets_kept, 2);
  // A second, ordinary run on the same array and catalog: the first set is
  // served again, and its kept targets are not this run's leak.
  const SimulationReport second = Simulate(Durable(2));
  EXPECT_EQ(second.OutcomeName(), "completed");
  EXPECT_EQ(second.recovered_sets_served, 1);
  EXPECT_EQ(second.targets_leaked, 0);
  EXPECT_TRUE(second.problems.empty()) << ::testing::PrintToString(second.problems);
  EXPECT_EQ(ArrayTargets(), 2);
}

TEST_F(CatalogCliTest, CommandErrorsSayWhatAndHowToFix) {
  Result missing = Catalog("list", {}, CatalogCommandOptions{});
  EXPECT_EQ(missing.code, 1);
  EXPECT_THAT(missing.err, HasSubstr(catalog_));
  EXPECT_THAT(missing.err, HasSubstr("--catalog=PATH"));

  Result missing_json = Catalog("list", {}, Json_());
  EXPECT_EQ(missing_json.code, 1);
  EXPECT_EQ(missing_json.json["ok"], false);
  EXPECT_EQ(missing_json.json["error"]["code"], "object-not-found");

  EXPECT_EQ(Catalog("show", {"not-a-guid"}, CatalogCommandOptions{}).code, 2);
  EXPECT_EQ(Catalog("show", {}, CatalogCommandOptions{}).code, 2);
  EXPECT_EQ(Catalog("list", {"extra"}, CatalogCommandOptions{}).code, 2);
  EXPECT_EQ(Catalog("explode", {}, CatalogCommandOptions{}).code, 2);

  {
    std::ofstream garbage(catalog_, std::ios::binary);
    garbage << "this is not a catalog, just some bytes that are long enough to hold a header";
  }
  Result damaged = Catalog("verify", {}, CatalogCommandOptions{});
  EXPECT_EQ(damaged.code, 1);
  EXPECT_THAT(damaged.err, HasSubstr(catalog_));
  Result damaged_list = Catalog("list", {}, Json_());
  EXPECT_EQ(damaged_list.code, 1);
  EXPECT_EQ(damaged_list.json["ok"], false);

  // Show of a set the catalog does not hold.
  fs::remove(catalog_);
  SimulationOptions keep = Durable(1);
  keep.keep = true;
  Simulate(keep);
  Result unknown = Catalog("show", {"{6B29FC40-CA47-1067-B31D-00DD010662DA}"}, CatalogCommandOptions{});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("catalog list"));
}

#ifndef _WIN32
// Runs the real hwsnapctl with `args`; stdout and stderr captured.
struct CliRun {
  int code = -1;
  std::string out, err;
};

CliRun Hwsnapctl(const fs::path& dir, const std::string& args) {
  const fs::path out = dir / "out.txt", err = dir / "err.txt";
  const std::string command =
      absl::StrCat("'", HWSNAP_HWSNAPCTL, "' ", args, " >'", out.string(), "' 2>'", err.string(), "'");
  const int status = std::system(command.c_str());
  CliRun run;
  run.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::stringstream o, e;
  o << std::ifstream(out).rdbuf();
  e << std::ifstream(err).rdbuf();
  run.out = o.str();
  run.err = e.str();
  return run;
}

TEST_F(CatalogCliTest, TheBinaryStopsMidSetAndTheNextRunRollsItBack) {
  const std::string durable = absl::StrCat("--catalog=", catalog_, " --backend-option=state-dir=", state_);
  CliRun stopped = Hwsnapctl(dir_, absl::StrCat("simulate --luns=3 --stop-after=commit ", durable));
  ASSERT_EQ(stopped.code, 0) << stopped.out << stopped.err;
  EXPECT_THAT(stopped.out, HasSubstr("--stop-after=commit: stopping here"));
  EXPECT_EQ(ArrayTargets(), 3) << "the process ended without aborting: its targets stay on the array";

  CliRun list = Hwsnapctl(dir_, absl::StrCat("catalog list --json --catalog=", catalog_));
  ASSERT_EQ(list.code, 0) << list.err;
  const Json doc = Json::parse(list.out, nullptr, false);
  ASSERT_EQ(doc["sets"].size(), 1u) << list.out;
  const std::string state = doc["sets"][0]["state"];
  EXPECT_TRUE(state != "completed" && state != "aborted" && state != "failed")
      << "recorded as in creation, not " << state;

  CliRun next = Hwsnapctl(dir_, absl::StrCat("simulate --luns=3 --json ", durable));
  ASSERT_EQ(next.code, 0) << next.out << next.err;
  const Json report = Json::parse(next.out, nullptr, false);
  EXPECT_EQ(report["recovered_sets_rolled_back"], 1) << next.out;
  EXPECT_EQ(report["targets_leaked"], 0);
  EXPECT_EQ(ArrayTargets(), 0) << "recovery released the unfinished set's targets";
}

TEST_F(CatalogCliTest, TheBinaryExitCodesAndUsageErrors) {
  EXPECT_EQ(Hwsnapctl(dir_, absl::StrCat("catalog list --catalog=", catalog_)).code, 1);
  CliRun bad_verb = Hwsnapctl(dir_, "catalog frobnicate");
  EXPECT_EQ(bad_verb.code, 2);
  EXPECT_THAT(bad_verb.err, HasSubstr("list, show, verify, reclaim"));
  CliRun misplaced = Hwsnapctl(dir_, absl::StrCat("catalog list --dry-run --catalog=", catalog_));
  EXPECT_EQ(misplaced.code, 2);
  EXPECT_THAT(misplaced.err, HasSubstr("--dry-run does not apply to 'catalog list'"));
  EXPECT_EQ(Hwsnapctl(dir_, "simulate --dry-run").code, 2);
  EXPECT_EQ(Hwsnapctl(dir_, "simulate --stop-after=nowhere").code, 2);
  EXPECT_EQ(Hwsnapctl(dir_, "catalog reclaim --older-than=soon").code, 2);
  CliRun help = Hwsnapctl(dir_, "help");
  EXPECT_EQ(help.code, 0);
  EXPECT_THAT(help.out, HasSubstr("catalog reclaim"));
  EXPECT_THAT(help.out, HasSubstr("--older-than=DURATION"));

  SimulationOptions keep = Durable(2);
  keep.keep = true;
  Simulate(keep);
  CliRun dry = Hwsnapctl(dir_, absl::StrCat("catalog reclaim --dry-run --catalog=", catalog_,
                                         " --backend-option=state-dir=", state_));
  EXPECT_EQ(dry.code, 0) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("would release (2)"));
  EXPECT_THAT(dry.out, HasSubstr("dry run: nothing was deleted"));
  EXPECT_EQ(ArrayTargets(), 2);
}
#endif

}  // namespace
}  // namespace hwsnap::tools
