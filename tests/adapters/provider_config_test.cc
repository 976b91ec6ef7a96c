// Tests of the provider DLL's configuration: the file format, environment
// overrides and backend selection (hwsnap/windows/provider_config.h,
// configured_backend.h). Platform-neutral: runs on Linux and under Wine.
#include "hwsnap/windows/provider_config.h"

#include <map>
#include <memory>
#include <optional>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hwsnap/backend_registry.h"
#include "hwsnap/cancel_token.h"
#include "hwsnap/mock/mock_backend.h"
#include "hwsnap/mock/mock_registration.h"
#include "hwsnap/status.h"
#include "hwsnap/windows/configured_backend.h"

namespace hwsnap {
namespace windows {
namespace {

using ::testing::HasSubstr;

EnvironmentLookup FakeEnvironment(std::map<std::string, std::string> variables) {
  return [variables = std::move(variables)](absl::string_view name) -> std::optional<std::string> {
    auto it = variables.find(std::string(name));
    if (it == variables.end()) return std::nullopt;
    return it->second;
  };
}

TEST(ProviderConfigTest, DefaultsSelectNoBackend) {
  absl::StatusOr<ProviderConfig> config = ParseProviderConfig("", "empty.conf");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->backend, kNoBackend);
  EXPECT_TRUE(config->backend_options.empty());
  EXPECT_EQ(config->log_level, "info");
  EXPECT_TRUE(config->log_directory.empty());
  EXPECT_EQ(config->log_max_files, 5);
  EXPECT_TRUE(config->catalog.empty()) << "empty: the platform's default catalog";
}

TEST(ProviderConfigTest, ParsesEveryKeyWithCommentsQuotesBomAndCrlf) {
  const std::string text =
      "\xEF\xBB\xBF# hwsnap provider configuration\r\n"
      "; another comment style\r\n"
      "\r\n"
      "backend = mock            # the test array\r\n"
      "backend.prepare-ms=250\r\n"
      "backend.fault = prepare:hang\r\n"
      "log_level = debug\r\n"
      "log_directory = \"D:\\logs\\hwsnap dir\"\r\n"
      "log_max_bytes = 1048576\r\n"
      "log_max_files = 3\r\n"
      "catalog = \"E:\\hwsnap state\\catalog.hwsnap\"\r\n";
  absl::StatusOr<ProviderConfig> config = ParseProviderConfig(text, "C:\\ProgramData\\hwsnap\\hwsnap.conf");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->backend, "mock");
  EXPECT_EQ(config->backend_options, (std::map<std::string, std::string>{{"prepare-ms", "250"},
                                                                          {"fault", "prepare:hang"}}));
  EXPECT_EQ(config->log_level, "debug");
  EXPECT_EQ(config->log_directory, "D:\\logs\\hwsnap dir");
  EXPECT_EQ(config->log_max_bytes, 1048576u);
  EXPECT_EQ(config->log_max_files, 3);
  EXPECT_EQ(config->catalog, "E:\\hwsnap state\\catalog.hwsnap");
  EXPECT_THAT(DescribeProviderConfig(*config), HasSubstr("catalog=E:\\hwsnap state"));
  EXPECT_THAT(DescribeProviderConfig(*config), HasSubstr("hwsnap.conf"));
  EXPECT_THAT(DescribeProviderConfig(*config), HasSubstr("prepare-ms=250"));
}

TEST(ProviderConfigTest, BadLinesAreInvalidArgumentsNamingFileLineAndKey) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"backend mock", "line 1: expected 'key = value'"},
      {"\n\nbackend = mock\nbackend = none", "line 4: 'backend' is set twice"},
      {"= mock", "key is missing"},
      {"colour = blue", "unknown key 'colour'"},
      {"backend = Mock Array", "backend name"},
      {"backend =", "backend name"},
      {"backend. = 1", "backend option names"},
      {"backend.Prepare = 1", "backend option names"},
      {"log_level = verbose", "expected one of trace"},
      {"log_directory = ", "expected a directory"},
      {"log_max_bytes = 12", "65536"},
      {"log_max_bytes = lots", "65536"},
      {"log_max_files = 0", "from 1 to 100"},
      {"log_max_files = -3", "from 1 to 100"},
      {"backend.fault = a\x01z", "control characters"},
      {"catalog = ", "path of the catalog"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<ProviderConfig> config = ParseProviderConfig(c.text, "my.conf");
    ASSERT_FALSE(config.ok()) << "accepted: " << c.text;
    EXPECT_EQ(GetErrorCode(config.status()), ErrorCode::kInvalidArgument) << config.status();
    EXPECT_THAT(std::string(config.status().message()), HasSubstr(c.message)) << c.text;
    EXPECT_THAT(std::string(config.status().message()), HasSubstr("my.conf")) << "names the file";
  }
}

TEST(ProviderConfigTest, OversizedFileIsRefused) {
  const std::string text(70 * 1024, '#');
  EXPECT_EQ(GetErrorCode(ParseProviderConfig(text, "big.conf").status()), ErrorCode::kInvalidArgument);
}

TEST(ProviderConfigTest, EnvironmentOverridesTheFile) {
  absl::StatusOr<ProviderConfig> config =
      ParseProviderConfig("backend = none\nbackend.prepare-ms = 5\nlog_level = warn\n", "file.conf");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_TRUE(ApplyEnvironmentOverrides(FakeEnvironment({{"HWSNAP_BACKEND", "mock"},
                                                         {"HWSNAP_MOCK_PREPARE_MS", "300"},
                                                         {"HWSNAP_MOCK_FAULT", "prepare:insufficient-storage"},
                                                         {"HWSNAP_LOG_LEVEL", "trace"},
                                                         {"HWSNAP_LOG_DIR", "C:\\temp\\logs"},
                                                         {"HWSNAP_CATALOG", "C:\\temp\\catalog.hwsnap"}}),
                                        *config)
                  .ok());
  EXPECT_EQ(config->backend, "mock");
  EXPECT_EQ(config->backend_options.at("prepare-ms"), "300");
  EXPECT_EQ(config->backend_options.at("fault"), "prepare:insufficient-storage");
  EXPECT_EQ(config->log_level, "trace");
  EXPECT_EQ(config->log_directory, "C:\\temp\\logs");
  EXPECT_EQ(config->catalog, "C:\\temp\\catalog.hwsnap");
  EXPECT_THAT(DescribeProviderConfig(*config), HasSubstr("file.conf + environment"));
}

TEST(ProviderConfigTest, NoVariablesChangeNothing) {
  ProviderConfig config;
  ASSERT_TRUE(ApplyEnvironmentOverrides(FakeEnvironment({}), config).ok());
  EXPECT_EQ(config.backend, kNoBackend);
  EXPECT_TRUE(config.origins.empty());
}

TEST(ProviderConfigTest, ABadVariableIsNamedAndLeavesTheConfigUnchanged) {
  ProviderConfig config;
  const absl::Status status = ApplyEnvironmentOverrides(
      FakeEnvironment({{"HWSNAP_BACKEND", "mock"}, {"HWSNAP_LOG_LEVEL", "loud"}}), config);
  EXPECT_EQ(GetErrorCode(status), ErrorCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("HWSNAP_LOG_LEVEL"));
  EXPECT_EQ(config.backend, kNoBackend) << "all or nothing";
}

class ConfiguredBackendTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(RegisterMockBackend(registry_).ok()); }
  BackendRegistry registry_;
};

TEST_F(ConfiguredBackendTest, NoneSupportsNoLunAndSaysHowToFixIt) {
  ProviderConfig config;
  absl::StatusOr<std::shared_ptr<Backend>> backend = CreateConfiguredBackend(config, registry_);
  ASSERT_TRUE(backend.ok()) << backend.status();
  const LunIdentity lun = MockBackend().AddSourceLun();
  absl::StatusOr<LunSupport> support = (*backend)->IdentifyLun(lun);
  ASSERT_TRUE(support.ok()) << support.status();
  EXPECT_FALSE(support->supported);
  EXPECT_THAT(support->reason, HasSubstr("set 'backend'"));
  EXPECT_EQ(GetErrorCode((*backend)->PrepareTarget(lun, CancelToken()).status()), ErrorCode::kNotSupported);
  EXPECT_EQ(GetErrorCode((*backend)->ReleaseTarget("t")), ErrorCode::kNotSupported);
}

TEST_F(ConfiguredBackendTest, MockFromTheEnvironmentAdoptsTheHostsLunsAndInjectsFaults) {
  ProviderConfig config;
  ASSERT_TRUE(ApplyEnvironmentOverrides(
                  FakeEnvironment({{"HWSNAP_BACKEND", "mock"}, {"HWSNAP_MOCK_FAULT", "prepare:insufficient-storage"}}),
                  config)
                  .ok());
  absl::StatusOr<std::shared_ptr<Backend>> backend = CreateConfiguredBackend(config, registry_);
  ASSERT_TRUE(backend.ok()) << backend.status();
  const LunIdentity host_lun = MockBackend().AddSourceLun();
  absl::StatusOr<LunSupport> support = (*backend)->IdentifyLun(host_lun);
  ASSERT_TRUE(support.ok()) << support.status();
  EXPECT_TRUE(support->supported) << "the DLL's mock supports any LUN with a unique designator";
  EXPECT_EQ(GetErrorCode((*backend)->PrepareTarget(host_lun, CancelToken()).status()),
            ErrorCode::kInsufficientStorage);
}

TEST_F(ConfiguredBackendTest, AnExplicitAdoptSettingIsKept) {
  ProviderConfig config;
  config.backend = "mock";
  config.backend_options["adopt-luns"] = "false";
  absl::StatusOr<std::shared_ptr<Backend>> backend = CreateConfiguredBackend(config, registry_);
  ASSERT_TRUE(backend.ok()) << backend.status();
  absl::StatusOr<LunSupport> support = (*backend)->IdentifyLun(MockBackend().AddSourceLun());
  ASSERT_TRUE(support.ok());
  EXPECT_FALSE(support->supported);
}

TEST_F(ConfiguredBackendTest, UnknownBackendOrBadOptionFallsBackToNoneWithTheReason) {
  ProviderConfig unknown;
  unknown.backend = "acme";
  EXPECT_EQ(GetErrorCode(CreateConfiguredBackend(unknown, registry_).status()), ErrorCode::kObjectNotFound);
  std::shared_ptr<Backend> none = CreateConfiguredBackendOrNone(unknown, registry_);
  ASSERT_NE(none, nullptr);
  EXPECT_EQ(none->Name(), kNoBackend);
  absl::StatusOr<LunSupport> support = none->IdentifyLun(MockBackend().AddSourceLun());
  ASSERT_TRUE(support.ok());
  EXPECT_FALSE(support->supported);
  EXPECT_THAT(support->reason, HasSubstr("acme"));

  ProviderConfig bad_option;
  bad_option.backend = "mock";
  bad_option.backend_options["prepare-ms"] = "soon";
  EXPECT_EQ(GetErrorCode(CreateConfiguredBackend(bad_option, registry_).status()), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CreateConfiguredBackendOrNone(bad_option, registry_)->Name(), kNoBackend);
}

}  // namespace
}  // namespace windows
}  // namespace hwsnap
