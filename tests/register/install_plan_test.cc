// Tests of hwsnap-register's plan and runner against a fake machine: step
// order, dry-run, unregister-then-register over existing and half-removed
// installations, rollback in reverse on every possible failing step,
// tolerance of missing pieces, role members from SIDs, remedies.
#include "hwsnap/register/install_plan.h"

#include <algorithm>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "recording_system_actions.h"

namespace hwsnap {
namespace installer {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using testing::RecordingSystemActions;

constexpr char kDll[] = "C:\\Program Files\\hwsnap\\hwsnap_vss.dll";
constexpr char kConfig[] = "C:\\ProgramData\\hwsnap\\hwsnap.conf";

InstallSettings TestSettings() {
  InstallSettings s;
  s.dll_path = kDll;
  s.config_path = kConfig;
  s.provider_name = "hwsnap VSS Hardware Provider";
  s.provider_id = "{D493FBFD-C567-4007-833C-2A236AD9C962}";
  s.provider_clsid = "{7B841816-E71D-4E70-A493-220DF9F3884D}";
  s.provider_version = "0.1.0";
  s.event_source = "hwsnap";
  s.config_registry_key = "SOFTWARE\\hwsnap";
  s.config_registry_value = "ConfigFile";
  return s;
}

const std::vector<std::string> kStepOrder = {"com-registration", "config-file",        "config-location",
                                             "event-source",     "complus-application", "complus-role",
                                             "complus-component", "vss-provider"};

// The actions a register run calls after its cleanup phase, on a clean machine.
const std::vector<std::string> kApplyActions = {
    "RegisterComServer",       "CreateFileIfAbsent",  "SetConfigFileLocation",  "AddEventSource",
    "CreateComPlusApplication", "AccountNameForSid",  "AccountNameForSid",      "AddComPlusRole",
    "InstallComPlusComponent", "UnregisterProvider",  "RegisterHardwareProvider"};

// The actions of the cleanup phase / unregister, in order.
const std::vector<std::string> kRemoveActions = {"UnregisterProvider", "RemoveComPlusApplication",
                                                 "RemoveEventSource", "RemoveConfigFileLocation",
                                                 "UnregisterComServer"};

std::vector<std::string> StepIds(const InstallPlan& plan) {
  std::vector<std::string> ids;
  for (const InstallStep& step : plan.steps) ids.push_back(step.id);
  return ids;
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

std::vector<std::string> Slice(const std::vector<std::string>& v, std::size_t from, std::size_t count) {
  return std::vector<std::string>(v.begin() + static_cast<long>(from),
                                  v.begin() + static_cast<long>(std::min(v.size(), from + count)));
}

RunResult Register(RecordingSystemActions& fake, std::ostream& log) {
  InstallPlan plan = BuildInstallPlan(TestSettings());
  return RunRegister(plan, fake, log, RunMode::kApply);
}

RunResult Unregister(RecordingSystemActions& fake, std::ostream& log) {
  InstallPlan plan = BuildInstallPlan(TestSettings());
  return RunUnregister(plan, fake, log, RunMode::kApply);
}

TEST(InstallPlanTest, StepsAreInInstallOrder) {
  EXPECT_THAT(StepIds(BuildInstallPlan(TestSettings())), ElementsAreArray(kStepOrder));
}

TEST(InstallPlanTest, RegisterOnCleanMachineCleansUpThenAppliesEveryStepInOrder) {
  RecordingSystemActions fake;
  std::ostringstream log;
  const RunResult result = Register(fake, log);
  ASSERT_TRUE(result.status.ok()) << result.status;
  EXPECT_EQ(result.ExitCode(), 0);
  const std::vector<std::string> actions = fake.Actions();
  ASSERT_EQ(actions.size(), kRemoveActions.size() + kApplyActions.size());
  EXPECT_THAT(Slice(actions, 0, kRemoveActions.size()), ElementsAreArray(kRemoveActions));
  EXPECT_THAT(Slice(actions, kRemoveActions.size(), kApplyActions.size()), ElementsAreArray(kApplyActions));
  EXPECT_TRUE(fake.machine.FullyInstalled());
  // One log line per step and phase, each naming its step.
  for (const std::string& id : kStepOrder) {
    EXPECT_THAT(log.str(), HasSubstr("cleanup [")) << id;
    EXPECT_THAT(log.str(), HasSubstr(id + ": ")) << id;
  }
  EXPECT_THAT(log.str(), HasSubstr("register [8/8] vss-provider: "));
}

TEST(InstallPlanTest, RegisterPassesTheSettingsThrough) {
  RecordingSystemActions fake;
  std::ostringstream log;
  ASSERT_TRUE(Register(fake, log).status.ok());
  ASSERT_TRUE(fake.machine.vss_provider.has_value());
  const VssProviderSpec& vss = *fake.machine.vss_provider;
  EXPECT_EQ(vss.provider_id, "{D493FBFD-C567-4007-833C-2A236AD9C962}");
  EXPECT_EQ(vss.class_id, "{7B841816-E71D-4E70-A493-220DF9F3884D}");
  EXPECT_EQ(vss.name, "hwsnap VSS Hardware Provider");
  EXPECT_EQ(vss.version, "0.1.0");
  EXPECT_EQ(vss.version_id, VersionIdFor("0.1.0"));
  EXPECT_EQ(fake.machine.config_location, kConfig);
  EXPECT_EQ(fake.machine.event_source_message_file, kDll);
  ASSERT_TRUE(fake.machine.application_spec.has_value());
  const ComPlusApplicationSpec& app = *fake.machine.application_spec;
  EXPECT_EQ(app.name, "hwsnap VSS Hardware Provider");
  EXPECT_EQ(app.identity, "nt authority\\system");
  EXPECT_EQ(app.activation, 1);  // server application: out of process
  EXPECT_TRUE(app.access_checks_enabled);
  EXPECT_EQ(app.shutdown_after_minutes, 3);
  EXPECT_EQ(fake.calls.back().args,
            absl::StrJoin({std::string("{D493FBFD-C567-4007-833C-2A236AD9C962}"),
                           std::string("{7B841816-E71D-4E70-A493-220DF9F3884D}"),
                           std::string("hwsnap VSS Hardware Provider"), std::string("0.1.0"),
                           VersionIdFor("0.1.0")},
                          "|"));
}

TEST(InstallPlanTest, DryRunPrintsEveryStepAndCallsNothing) {
  for (const bool do_register : {true, false}) {
    RecordingSystemActions fake;
    std::ostringstream log;
    InstallPlan plan = BuildInstallPlan(TestSettings());
    const RunResult result = do_register ? RunRegister(plan, fake, log, RunMode::kDryRun)
                                         : RunUnregister(plan, fake, log, RunMode::kDryRun);
    EXPECT_TRUE(result.status.ok());
    EXPECT_THAT(fake.calls, IsEmpty());
    EXPECT_TRUE(fake.machine.NothingInstalled());
    for (const InstallStep& step : plan.steps) {
      if (do_register) {
        EXPECT_THAT(log.str(), HasSubstr(step.id + ": " + step.description));
      }
      EXPECT_THAT(log.str(), HasSubstr(step.id + ": " + step.removal_description));
    }
    for (const std::string& line : Lines(log.str())) {
      EXPECT_TRUE(absl::StartsWith(line, "dry-run: ")) << line;
    }
  }
}

TEST(InstallPlanTest, DryRunDescribesTheImportantDetails) {
  RecordingSystemActions fake;
  std::ostringstream log;
  InstallPlan plan = BuildInstallPlan(TestSettings());
  RunRegister(plan, fake, log, RunMode::kDryRun);
  const std::string text = log.str();
  EXPECT_THAT(text, HasSubstr("VSS_PROV_HARDWARE"));
  EXPECT_THAT(text, HasSubstr("{D493FBFD-C567-4007-833C-2A236AD9C962}"));
  EXPECT_THAT(text, HasSubstr("S-1-5-32-544"));
  EXPECT_THAT(text, HasSubstr("nt authority\\system"));
  EXPECT_THAT(text, HasSubstr("EventLog\\Application\\hwsnap"));
  EXPECT_THAT(text, HasSubstr("TypesSupported = 7"));
  EXPECT_THAT(text, HasSubstr("HKLM\\SOFTWARE\\hwsnap ConfigFile = C:\\ProgramData\\hwsnap\\hwsnap.conf"));
}

TEST(InstallPlanTest, RegisterOverExistingInstallationUnregistersFirst) {
  RecordingSystemActions fake;
  std::ostringstream log;
  ASSERT_TRUE(Register(fake, log).status.ok());
  fake.ClearCalls();

  const RunResult again = Register(fake, log);
  ASSERT_TRUE(again.status.ok()) << again.status;
  const std::vector<std::string> actions = fake.Actions();
  EXPECT_THAT(Slice(actions, 0, kRemoveActions.size()), ElementsAreArray(kRemoveActions));
  EXPECT_THAT(Slice(actions, kRemoveActions.size(), kApplyActions.size()), ElementsAreArray(kApplyActions));
  EXPECT_TRUE(fake.machine.FullyInstalled());
  EXPECT_THAT(log.str(), HasSubstr(": removed"));
}

// Every combination of leftovers an interrupted install or uninstall can
// leave: register must succeed over each and end fully installed.
TEST(InstallPlanTest, RegisterOverEveryHalfRemovedInstallationSucceeds) {
  for (int mask = 0; mask < (1 << 6); ++mask) {
    RecordingSystemActions fake;
    fake.machine.com_class = (mask & 1) != 0;
    if ((mask & 2) != 0) fake.machine.config_location = "C:\\old\\hwsnap.conf";
    if ((mask & 4) != 0) fake.machine.event_source_message_file = "C:\\old\\hwsnap_vss.dll";
    if ((mask & 8) != 0) {
      fake.machine.complus_application = true;  // e.g. without role or component
      fake.machine.complus_component = (mask & 16) != 0;
    }
    if ((mask & 32) != 0) fake.machine.vss_provider = VssProviderSpec{};
    std::ostringstream log;
    const RunResult result = Register(fake, log);
    ASSERT_TRUE(result.status.ok()) << "leftovers " << mask << ": " << result.status << "\n" << log.str();
    EXPECT_TRUE(fake.machine.FullyInstalled()) << mask;
    EXPECT_EQ(fake.machine.config_location, kConfig) << mask;
    EXPECT_EQ(fake.machine.vss_provider->version, "0.1.0") << mask;
  }
}

TEST(InstallPlanTest, CleanupFailureIsOnlyAWarningAndTheBlockedStepReportsIt) {
  RecordingSystemActions fake;
  std::ostringstream log;
  ASSERT_TRUE(Register(fake, log).status.ok());
  // The old COM+ application cannot be removed: creating it again then fails.
  fake.FailOn("RemoveComPlusApplication", WithHresult(absl::InternalError("catalog busy"), 0x8011044Au));
  std::ostringstream again;
  const RunResult result = Register(fake, again);
  EXPECT_FALSE(result.status.ok());
  EXPECT_EQ(result.failed_step, "complus-application");
  EXPECT_THAT(again.str(), HasSubstr("warning: could not remove the old complus-application"));
}

struct FailureCase {
  std::string action;      // the SystemActions method that fails
  std::string step;        // the step that then fails
  std::size_t step_index;  // its index in kStepOrder
};

void PrintTo(const FailureCase& c, std::ostream* os) { *os << c.action << " fails"; }

class RollbackTest : public ::testing::TestWithParam<FailureCase> {};

// A failing step undoes itself and every earlier step, newest first, and the
// machine ends as it began.
TEST_P(RollbackTest, FailingStepRollsBackEverythingInReverse) {
  const FailureCase& c = GetParam();
  RecordingSystemActions fake;
  fake.FailOn(c.action, WithHresult(absl::UnknownError("injected failure"), 0x80004005u));
  std::ostringstream log;
  const RunResult result = Register(fake, log);

  ASSERT_FALSE(result.status.ok());
  EXPECT_EQ(result.failed_step, c.step);
  EXPECT_EQ(result.ExitCode(), 1) << log.str();
  EXPECT_THAT(result.failed_undos, IsEmpty());
  EXPECT_THAT(std::string(result.status.message()), HasSubstr("register failed at step " + c.step));
  EXPECT_THAT(std::string(result.status.message()), HasSubstr("HRESULT 0x80004005"));
  EXPECT_THAT(std::string(result.status.message()), HasSubstr("Remedy: "));
  EXPECT_THAT(std::string(result.status.message()), HasSubstr("Every change was rolled back."));
  EXPECT_EQ(GetHresult(result.status), 0x80004005u);
  EXPECT_TRUE(fake.machine.NothingInstalled()) << log.str();
  EXPECT_THAT(fake.machine.files, IsEmpty()) << "a config file this run created must be removed again";

  // The rollback lines name the failed step and then the earlier ones, newest first.
  std::vector<std::string> rolled_back;
  for (const std::string& line : Lines(log.str())) {
    if (!absl::StartsWith(line, "rollback [")) continue;
    const std::size_t start = line.find("] ") + 2;
    rolled_back.push_back(line.substr(start, line.find(':') - start));
  }
  std::vector<std::string> expected;
  for (std::size_t i = c.step_index + 1; i-- > 0;) {
    const std::string& id = kStepOrder[i];
    if (id == "complus-role" || id == "complus-component") continue;  // go with the application
    expected.push_back(id);
  }
  EXPECT_EQ(rolled_back, expected) << log.str();
  // Nothing after the failed step was attempted.
  const auto failed_at = std::find_if(fake.calls.rbegin(), fake.calls.rend(),
                                      [&](const testing::RecordedCall& call) { return call.action == c.action; });
  for (auto it = fake.calls.rbegin(); it != failed_at; ++it) {
    EXPECT_THAT(it->action, ::testing::AnyOf(HasSubstr("Unregister"), HasSubstr("Remove")));
  }
}

INSTANTIATE_TEST_SUITE_P(
    EveryStep, RollbackTest,
    ::testing::Values(FailureCase{"RegisterComServer", "com-registration", 0},
                      FailureCase{"CreateFileIfAbsent", "config-file", 1},
                      FailureCase{"SetConfigFileLocation", "config-location", 2},
                      FailureCase{"AddEventSource", "event-source", 3},
                      FailureCase{"CreateComPlusApplication", "complus-application", 4},
                      FailureCase{"AccountNameForSid", "complus-role", 5},
                      FailureCase{"AddComPlusRole", "complus-role", 5},
                      FailureCase{"InstallComPlusComponent", "complus-component", 6},
                      FailureCase{"RegisterHardwareProvider", "vss-provider", 7}),
    [](const ::testing::TestParamInfo<FailureCase>& param_info) { return param_info.param.action; });

TEST(InstallPlanTest, RollbackKeepsAnAdministratorsConfigFile) {
  RecordingSystemActions fake;
  fake.machine.files[kConfig] = "backend = acme\n";
  fake.FailOn("RegisterHardwareProvider", absl::UnknownError("injected"));
  std::ostringstream log;
  ASSERT_FALSE(Register(fake, log).status.ok());
  EXPECT_EQ(fake.machine.files[kConfig], "backend = acme\n");
  for (const testing::RecordedCall& call : fake.calls) EXPECT_NE(call.action, "RemoveFile");
}

TEST(InstallPlanTest, FailedRollbackIsReportedWithExitCode3) {
  RecordingSystemActions fake;
  fake.FailOn("InstallComPlusComponent", absl::UnknownError("injected"));
  fake.FailOn("RemoveEventSource", absl::PermissionDeniedError("registry says no"));
  std::ostringstream log;
  const RunResult result = Register(fake, log);
  EXPECT_EQ(result.failed_step, "complus-component");
  EXPECT_THAT(result.failed_undos, ElementsAre("event-source"));
  EXPECT_EQ(result.ExitCode(), 3);
  EXPECT_THAT(std::string(result.status.message()), HasSubstr("Rollback incomplete"));
  // The steps before and after the stuck one were still undone.
  EXPECT_FALSE(fake.machine.complus_application);
  EXPECT_FALSE(fake.machine.config_location.has_value());
  EXPECT_FALSE(fake.machine.com_class);
}

TEST(InstallPlanTest, ConfigFileIsCreatedWhenAbsentAndNeverOverwritten) {
  RecordingSystemActions fake;
  std::ostringstream log;
  ASSERT_TRUE(Register(fake, log).status.ok());
  ASSERT_EQ(fake.machine.files.count(kConfig), 1u);
  EXPECT_EQ(fake.machine.files[kConfig], DefaultConfigFileContent(TestSettings()));

  fake.machine.files[kConfig] = "backend = acme\nbackend.pool = gold\n";
  ASSERT_TRUE(Register(fake, log).status.ok());
  EXPECT_EQ(fake.machine.files[kConfig], "backend = acme\nbackend.pool = gold\n");
  ASSERT_TRUE(Unregister(fake, log).status.ok());
  EXPECT_EQ(fake.machine.files[kConfig], "backend = acme\nbackend.pool = gold\n") << "unregister keeps it";
}

TEST(InstallPlanTest, DefaultConfigFileExplainsEveryKeyAndSelectsNoBackend) {
  const std::string content = DefaultConfigFileContent(TestSettings());
  for (const char* key : {"backend ", "log_level", "log_directory", "log_max_bytes", "log_max_files",
                          "backend.<option>"}) {
    EXPECT_THAT(content, HasSubstr(key));
  }
  int settings = 0;
  for (const std::string& line : Lines(content)) {
    if (absl::StartsWith(line, "#")) continue;
    ++settings;
    EXPECT_EQ(line, "backend = none\r");
  }
  EXPECT_EQ(settings, 1) << "everything but `backend = none` is a comment";
}

TEST(InstallPlanTest, UnregisterRemovesEverythingInReverseOrder) {
  RecordingSystemActions fake;
  std::ostringstream log;
  ASSERT_TRUE(Register(fake, log).status.ok());
  fake.ClearCalls();
  std::ostringstream out;
  const RunResult result = Unregister(fake, out);
  ASSERT_TRUE(result.status.ok()) << result.status;
  EXPECT_THAT(fake.Actions(), ElementsAreArray(kRemoveActions));
  EXPECT_TRUE(fake.machine.NothingInstalled());
  EXPECT_THAT(out.str(), HasSubstr("unregister [1/8] vss-provider: unregister VSS provider"));
  EXPECT_THAT(out.str(), HasSubstr(": removed"));
}

TEST(InstallPlanTest, UnregisterToleratesMissingPieces) {
  RecordingSystemActions fake;  // nothing installed at all
  std::ostringstream log;
  const RunResult result = Unregister(fake, log);
  ASSERT_TRUE(result.status.ok()) << result.status;
  EXPECT_EQ(result.ExitCode(), 0);
  EXPECT_THAT(fake.Actions(), ElementsAreArray(kRemoveActions));
  EXPECT_THAT(log.str(), HasSubstr("already absent"));
  EXPECT_THAT(log.str(), Not(HasSubstr("FAILED")));

  // Half-removed: only the COM+ application is left.
  fake.machine.complus_application = true;
  const RunResult again = Unregister(fake, log);
  ASSERT_TRUE(again.status.ok());
  EXPECT_TRUE(fake.machine.NothingInstalled());
}

TEST(InstallPlanTest, UnregisterCarriesOnPastAFailureAndReportsIt) {
  RecordingSystemActions fake;
  std::ostringstream log;
  ASSERT_TRUE(Register(fake, log).status.ok());
  fake.FailOn("RemoveComPlusApplication", absl::PermissionDeniedError("access denied"));
  const RunResult result = Unregister(fake, log);
  EXPECT_FALSE(result.status.ok());
  EXPECT_EQ(result.ExitCode(), 3);
  EXPECT_THAT(result.failed_undos, ElementsAre("complus-application"));
  EXPECT_THAT(std::string(result.status.message()), HasSubstr("complus-application"));
  // Everything else was still removed.
  EXPECT_FALSE(fake.machine.vss_provider.has_value());
  EXPECT_FALSE(fake.machine.event_source_message_file.has_value());
  EXPECT_FALSE(fake.machine.config_location.has_value());
  EXPECT_FALSE(fake.machine.com_class);
}

TEST(InstallPlanTest, RoleMembersAreLookedUpBySidNeverByEnglishName) {
  RecordingSystemActions fake;
  fake.accounts = {{"S-1-5-32-544", "VORDEFINIERT\\Administratoren"}, {"S-1-5-18", "NT-AUTORITÄT\\SYSTEM"}};
  std::ostringstream log;
  ASSERT_TRUE(Register(fake, log).status.ok());
  EXPECT_THAT(fake.machine.role_members, ElementsAre("VORDEFINIERT\\Administratoren", "NT-AUTORITÄT\\SYSTEM"));
  std::vector<std::string> looked_up;
  for (const testing::RecordedCall& call : fake.calls) {
    if (call.action == "AccountNameForSid") looked_up.push_back(call.args);
    // No call anywhere names the English group.
    EXPECT_THAT(call.args, Not(HasSubstr("Administrators"))) << call.action;
  }
  EXPECT_THAT(looked_up, ElementsAre("S-1-5-32-544", "S-1-5-18"));
}

TEST(InstallPlanTest, UnknownSidFailsTheRoleStepWithTheSidInTheMessage) {
  RecordingSystemActions fake;
  fake.accounts.erase("S-1-5-32-544");
  std::ostringstream log;
  const RunResult result = Register(fake, log);
  EXPECT_EQ(result.failed_step, "complus-role");
  EXPECT_THAT(std::string(result.status.message()), HasSubstr("S-1-5-32-544"));
  EXPECT_TRUE(fake.machine.NothingInstalled());
}

TEST(InstallPlanTest, RemediesForWellKnownHresults) {
  const InstallPlan plan = BuildInstallPlan(TestSettings());
  const auto step = [&](const std::string& id) -> const InstallStep& {
    return *std::find_if(plan.steps.begin(), plan.steps.end(), [&](const InstallStep& s) { return s.id == id; });
  };
  const absl::Status denied = WithHresult(absl::UnknownError("x"), 0x80070005u);
  EXPECT_THAT(RemedyFor(step("event-source"), denied), HasSubstr("elevated"));
  EXPECT_THAT(RemedyFor(step("vss-provider"), absl::PermissionDeniedError("x")), HasSubstr("elevated"));
  const absl::Status invalid = WithHresult(absl::InvalidArgumentError("x"), 0x80070057u);
  EXPECT_THAT(RemedyFor(step("vss-provider"), invalid), HasSubstr("Windows Server"));
  const absl::Status no_class = WithHresult(absl::UnavailableError("x"), 0x80040154u);
  EXPECT_THAT(RemedyFor(step("complus-application"), no_class), HasSubstr("COM+"));
  EXPECT_THAT(RemedyFor(step("vss-provider"), no_class), HasSubstr("Volume Shadow Copy"));
  EXPECT_EQ(RemedyFor(step("config-file"), absl::UnknownError("x")), step("config-file").remedy);
}

TEST(InstallPlanTest, HresultPayloadRoundTrips) {
  EXPECT_EQ(GetHresult(absl::UnknownError("x")), std::nullopt);
  EXPECT_EQ(GetHresult(WithHresult(absl::UnknownError("x"), 0x80042304u)), 0x80042304u);
  EXPECT_EQ(GetHresult(WithHresult(absl::UnknownError("x"), 0u)), 0u);
}

TEST(InstallPlanTest, VersionIdIsAStableGuidPerVersion) {
  const std::string id = VersionIdFor("0.1.0");
  EXPECT_EQ(id, VersionIdFor("0.1.0"));
  EXPECT_NE(id, VersionIdFor("0.1.1"));
  ASSERT_EQ(id.size(), 38u);
  EXPECT_EQ(id.front(), '{');
  EXPECT_EQ(id.back(), '}');
  for (const std::size_t dash : {9u, 14u, 19u, 24u}) EXPECT_EQ(id[dash], '-') << id;
  EXPECT_EQ(id[15], '8') << "version nibble";
  EXPECT_THAT(std::string("89AB"), HasSubstr(std::string(1, id[20]))) << "variant";
  std::set<std::string> distinct;
  for (int i = 0; i < 100; ++i) distinct.insert(VersionIdFor("1." + std::to_string(i)));
  EXPECT_EQ(distinct.size(), 100u);
}

TEST(InstallPlanTest, GivenVersionIdIsKept) {
  InstallSettings s = TestSettings();
  s.provider_version_id = "{00000000-0000-0000-0000-000000000001}";
  EXPECT_EQ(BuildInstallPlan(s).settings.provider_version_id, "{00000000-0000-0000-0000-000000000001}");
}

}  // namespace
}  // namespace installer
}  // namespace hwsnap
