// The "nvme" registry entry: registered once, options refused by the
// registry's Create before any device is touched, and — this host has no NVMe
// controller — a session on an absent device fails cleanly, naming it.
#include "hwsnap/nvme/nvme_registration.h"

#include <filesystem>
#include <map>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "hwsnap/lun_identity.h"
#include "hwsnap/status.h"

namespace hwsnap::nvme {
namespace {

BackendRequest Request(std::map<std::string, std::string> options, int luns = 0) {
  BackendRequest request;
  request.luns = luns;
  request.options = std::move(options);
  return request;
}

// A controller device that does not exist here ("" when every name is taken).
std::string AbsentController() {
  for (int n = 0; n < 100; ++n) {
    std::string path = absl::StrCat("/dev/nvme", n);
    std::error_code error;
    if (!std::filesystem::exists(path, error)) return path;
  }
  return "";
}

TEST(NvmeRegistrationTest, RegistersOnceAsNvme) {
  BackendRegistry registry;
  ASSERT_TRUE(RegisterNvmeBackend(registry).ok());
  EXPECT_EQ(GetErrorCode(RegisterNvmeBackend(registry)), ErrorCode::kInvalidArgument);
  ASSERT_EQ(registry.Names(), std::vector<std::string>({"nvme"}));
  EXPECT_NE(registry.Description("nvme").find("NVMe"), std::string::npos);
}

TEST(NvmeRegistrationTest, RegistryRefusesBadOptionsBeforeTouchingADevice) {
  BackendRegistry registry;
  ASSERT_TRUE(RegisterNvmeBackend(registry).ok());
  const std::pair<std::map<std::string, std::string>, std::string> cases[] = {
      {{{"controller", "/dev/nvme0"}, {"namespaces", "1"}, {"colour", "blue"}}, "no option 'colour'"},
      {{{"namespaces", "1"}}, "no controller"},
      {{{"controller", "/dev/nvme0"}}, "no source namespaces"},
      {{{"controller", "/dev/nvme0"}, {"namespaces", "1"}, {"strategy", "pigeon"}}, "strategy='pigeon'"},
      {{{"controller", "/dev/nvme0"}, {"namespaces", "1"}, {"allocation", "pool"}}, "needs pool="},
  };
  for (const auto& [options, needle] : cases) {
    absl::StatusOr<BackendSession> session = registry.Create("nvme", Request(options, 1));
    ASSERT_FALSE(session.ok()) << needle;
    EXPECT_EQ(GetErrorCode(session.status()), ErrorCode::kInvalidArgument) << session.status();
    EXPECT_NE(session.status().message().find(needle), absl::string_view::npos) << session.status();
  }
}

TEST(NvmeRegistrationTest, AnAbsentControllerFailsCleanlyNamingTheDevice) {
  const std::string device = AbsentController();
  if (device.empty()) GTEST_SKIP() << "every /dev/nvmeN name is taken on this host";
  BackendRegistry registry;
  ASSERT_TRUE(RegisterNvmeBackend(registry).ok());
  // A host that asks for LUNs (hwsnapctl) reads the namespaces at once.
  absl::StatusOr<BackendSession> session =
      registry.Create("nvme", Request({{"controller", device}, {"namespaces", "1-2"}}, 2));
  ASSERT_FALSE(session.ok());
  EXPECT_TRUE(HasErrorCode(session.status())) << session.status();
  EXPECT_NE(GetErrorCode(session.status()), ErrorCode::kInvalidArgument) << session.status();
  EXPECT_NE(session.status().message().find(device), absl::string_view::npos) << session.status();
}

TEST(NvmeRegistrationTest, AProviderHostLoadsWithoutTheDeviceAndFailsOnUse) {
  const std::string device = AbsentController();
  if (device.empty()) GTEST_SKIP() << "every /dev/nvmeN name is taken on this host";
  BackendRegistry registry;
  ASSERT_TRUE(RegisterNvmeBackend(registry).ok());
  // The DLL asks for no LUNs: the session loads, identities are read on use.
  absl::StatusOr<BackendSession> session =
      registry.Create("nvme", Request({{"controller", device}, {"namespaces", "1"}, {"capacity", "2"}}, 0));
  ASSERT_TRUE(session.ok()) << session.status();
  ASSERT_NE(session->backend, nullptr);
  EXPECT_EQ(session->backend->Name(), "nvme");
  EXPECT_EQ(session->backend->Capabilities().max_parallel_prepares, 4);
  EXPECT_TRUE(session->source_luns.empty());
  LunIdentity lun;
  lun.bus_type = BusType::kNvme;
  lun.vendor_id = "NVMe";
  lun.product_id = "SOMEONE ELSE";
  Designator eui;
  eui.type = DesignatorType::kEui64;
  eui.bytes = {0x00, 0x25, 0x38, 0x00, 0x00, 0x00, 0x00, 0x01};
  lun.designators.push_back(eui);
  absl::StatusOr<LunSupport> support = session->backend->IdentifyLun(lun);
  ASSERT_FALSE(support.ok());
  EXPECT_EQ(GetErrorCode(support.status()), ErrorCode::kBackendFailure) << support.status();
  EXPECT_NE(support.status().message().find(device), absl::string_view::npos) << support.status();
  // Releasing an id this run never made asks the storage (orphan reclaim):
  // not found, or a failure the core keeps for reclaim — never a crash.
  const absl::Status release = session->backend->ReleaseTarget("ns-copy-never-made");
  EXPECT_TRUE(GetErrorCode(release) == ErrorCode::kObjectNotFound ||
              GetErrorCode(release) == ErrorCode::kBackendFailure)
      << release;
  ASSERT_TRUE(session->live_targets != nullptr);
  EXPECT_LE(session->live_targets(), 0);
}

}  // namespace
}  // namespace hwsnap::nvme
