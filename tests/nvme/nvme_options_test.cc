// ParseNvmeOptions: every option lands in the right field, and every way to
// misconfigure the "nvme" backend is refused with kInvalidArgument and a
// message naming the option, before anything touches a device.
#include "hwsnap/nvme/nvme_options.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "hwsnap/status.h"

namespace hwsnap::nvme {
namespace {

BackendRequest Request(std::map<std::string, std::string> options, int luns = 0) {
  BackendRequest request;
  request.luns = luns;
  request.options = std::move(options);
  return request;
}

// The minimal valid options plus `extra` (which may override them).
BackendRequest With(std::map<std::string, std::string> extra, int luns = 0) {
  std::map<std::string, std::string> options = {{"controller", "/dev/nvme0"}, {"namespaces", "1"}};
  for (auto& [key, value] : extra) options[key] = value;
  return Request(std::move(options), luns);
}

// The parse fails with kInvalidArgument and a message containing `needle`.
void ExpectRefused(const BackendRequest& request, const std::string& needle) {
  absl::StatusOr<NvmeSessionConfig> config = ParseNvmeOptions(request);
  ASSERT_FALSE(config.ok()) << "accepted: " << needle;
  EXPECT_EQ(GetErrorCode(config.status()), ErrorCode::kInvalidArgument) << config.status();
  EXPECT_NE(config.status().message().find(needle), absl::string_view::npos)
      << "wanted '" << needle << "' in: " << config.status();
}

TEST(NvmeOptionsTest, DefaultsWithTheRequiredOptionsOnly) {
  absl::StatusOr<NvmeSessionConfig> config = ParseNvmeOptions(With({}));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->controller, "/dev/nvme0");
  EXPECT_EQ(config->namespaces, std::vector<std::uint32_t>({1}));
  EXPECT_EQ(config->strategy, NvmeSnapshotStrategy::kNamespaceCopy);
  EXPECT_TRUE(config->pool.empty());
  EXPECT_EQ(config->allocation, TargetAllocation::kAuto);
  EXPECT_EQ(config->copy, CopyEngine::kAuto);
  EXPECT_TRUE(config->zero_on_provision);
  EXPECT_EQ(config->identity.eui64, IdentityMapping().eui64);
  EXPECT_EQ(config->identity.serial, IdentityMapping().serial);
  EXPECT_FALSE(config->capacity.has_value());
  EXPECT_EQ(config->max_parallel_prepares, 4);
  EXPECT_EQ(config->chunk_blocks, 256u);
  EXPECT_EQ(config->command_timeout, absl::Seconds(10));
}

TEST(NvmeOptionsTest, EveryOptionLandsInItsField) {
  absl::StatusOr<NvmeSessionConfig> config = ParseNvmeOptions(Request(
      {{"controller", "/dev/nvme3"},
       {"namespaces", "1-4, 7"},
       {"strategy", "ns-copy"},
       {"pool", "10-12,20"},
       {"allocation", "pool"},
       {"copy", "host"},
       {"zero", "false"},
       {"identity", "eui64:scsi-name,serial:translation,vendor:pci-vid"},
       {"capacity", "6"},
       {"parallel-prepares", "2"},
       {"chunk-blocks", "1024"},
       {"command-timeout-ms", "2500"}},
      5));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->controller, "/dev/nvme3");
  EXPECT_EQ(config->namespaces, std::vector<std::uint32_t>({1, 2, 3, 4, 7}));
  EXPECT_EQ(config->pool, std::vector<std::uint32_t>({10, 11, 12, 20}));
  EXPECT_EQ(config->allocation, TargetAllocation::kPool);
  EXPECT_EQ(config->copy, CopyEngine::kHost);
  EXPECT_FALSE(config->zero_on_provision);
  EXPECT_EQ(config->identity.eui64, DesignatorForm::kScsiNameString);
  EXPECT_EQ(config->identity.serial, SerialSource::kTranslationNguidEui64);
  EXPECT_EQ(config->identity.vendor, VendorSource::kPciVendorId);
  EXPECT_EQ(config->capacity, 6);
  EXPECT_EQ(config->max_parallel_prepares, 2);
  EXPECT_EQ(config->chunk_blocks, 1024u);
  EXPECT_EQ(config->command_timeout, absl::Milliseconds(2500));
}

TEST(NvmeOptionsTest, EachChoiceOfEachEnumeratedOption) {
  const std::pair<const char*, TargetAllocation> allocations[] = {
      {"auto", TargetAllocation::kAuto}, {"create", TargetAllocation::kCreate}, {"pool", TargetAllocation::kPool}};
  for (const auto& [text, value] : allocations) {
    std::map<std::string, std::string> extra = {{"allocation", text}};
    if (value == TargetAllocation::kPool) extra["pool"] = "9";
    absl::StatusOr<NvmeSessionConfig> config = ParseNvmeOptions(With(extra));
    ASSERT_TRUE(config.ok()) << text << ": " << config.status();
    EXPECT_EQ(config->allocation, value) << text;
  }
  const std::pair<const char*, CopyEngine> engines[] = {
      {"auto", CopyEngine::kAuto}, {"device", CopyEngine::kDevice}, {"host", CopyEngine::kHost}};
  for (const auto& [text, value] : engines) {
    absl::StatusOr<NvmeSessionConfig> config = ParseNvmeOptions(With({{"copy", text}}));
    ASSERT_TRUE(config.ok()) << text << ": " << config.status();
    EXPECT_EQ(config->copy, value) << text;
  }
  for (const char* yes : {"true", "1", "yes"}) {
    absl::StatusOr<NvmeSessionConfig> config = ParseNvmeOptions(With({{"zero", yes}}));
    ASSERT_TRUE(config.ok()) << yes;
    EXPECT_TRUE(config->zero_on_provision) << yes;
  }
  for (const char* no : {"false", "0", "no"}) {
    absl::StatusOr<NvmeSessionConfig> config = ParseNvmeOptions(With({{"zero", no}}));
    ASSERT_TRUE(config.ok()) << no;
    EXPECT_FALSE(config->zero_on_provision) << no;
  }
  // The auto allocation may fall back to a pool.
  absl::StatusOr<NvmeSessionConfig> fallback = ParseNvmeOptions(With({{"pool", "5-6"}}));
  ASSERT_TRUE(fallback.ok()) << fallback.status();
  EXPECT_EQ(fallback->pool.size(), 2u);
}

TEST(NvmeOptionsTest, ControllerAddressForms) {
  for (const char* address : {"/dev/nvme0", "/dev/nvme12", "/dev/nvme0n1", "/dev/ng1n2", "\\\\.\\PhysicalDrive3"}) {
    absl::StatusOr<NvmeSessionConfig> config = ParseNvmeOptions(With({{"controller", address}}));
    ASSERT_TRUE(config.ok()) << address << ": " << config.status();
  }
}

TEST(NvmeOptionsTest, CapacityFromTheRequestUnlessGiven) {
  BackendRequest request = With({});
  request.capacity = 5;
  absl::StatusOr<NvmeSessionConfig> config = ParseNvmeOptions(request);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->capacity, 5);
  request.options["capacity"] = "3";
  config = ParseNvmeOptions(request);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->capacity, 3);
  request.options.erase("capacity");
  request.capacity = 0;
  ExpectRefused(request, "capacity 0");
}

TEST(NvmeOptionsTest, NsidLists) {
  EXPECT_EQ(*ParseNsidList("7"), std::vector<std::uint32_t>({7}));
  EXPECT_EQ(*ParseNsidList(" 3 , 1-2 "), std::vector<std::uint32_t>({3, 1, 2}));
  EXPECT_EQ(*ParseNsidList("5-5"), std::vector<std::uint32_t>({5}));
  EXPECT_EQ(*ParseNsidList("4294967294"), std::vector<std::uint32_t>({0xfffffffeu}));
  EXPECT_EQ(ParseNsidList("1-4096")->size(), 4096u);
  for (const char* bad : {"", " ", "1,", ",1", "1,,2", "0", "4294967295", "-1", "1-", "-", "4-1", "1-2-3", "a",
                          "1.5", "+1", "1-4097", "1,1", "1-3,2", "99999999999999999999"}) {
    absl::StatusOr<std::vector<std::uint32_t>> nsids = ParseNsidList(bad);
    EXPECT_FALSE(nsids.ok()) << "'" << bad << "' accepted";
    EXPECT_EQ(GetErrorCode(nsids.status()), ErrorCode::kInvalidArgument) << bad;
  }
  EXPECT_NE(ParseNsidList("4-1").status().message().find("backwards"), absl::string_view::npos);
  EXPECT_NE(ParseNsidList("1,1").status().message().find("twice"), absl::string_view::npos);
}

TEST(NvmeOptionsTest, EveryMistakeNamesTheOption) {
  ExpectRefused(Request({}), "no controller");
  ExpectRefused(Request({{"namespaces", "1"}}), "controller=");
  ExpectRefused(Request({{"controller", "/dev/nvme0"}}), "namespaces=");
  ExpectRefused(With({{"colour", "blue"}}), "no option 'colour'");
  ExpectRefused(With({{"colour", "blue"}}), "command-timeout-ms");  // the known ones are listed
  ExpectRefused(With({{"controller", ""}}), "controller=''");
  ExpectRefused(With({{"controller", "/dev/sda"}}), "controller='/dev/sda'");
  ExpectRefused(With({{"controller", "/dev/nvme0n1p1"}}), "controller='/dev/nvme0n1p1'");
  ExpectRefused(With({{"controller", "nvme0"}}), "controller='nvme0'");
  ExpectRefused(With({{"namespaces", "0"}}), "namespaces='0'");
  ExpectRefused(With({{"namespaces", "3-1"}}), "namespaces='3-1'");
  ExpectRefused(With({{"namespaces", "1,x"}}), "namespaces='1,x'");
  ExpectRefused(With({{"namespaces", ""}}), "namespaces=''");
  ExpectRefused(With({{"strategy", "snapshot"}}), "strategy='snapshot'");
  ExpectRefused(With({{"strategy", "snapshot"}}), "ns-copy");
  ExpectRefused(With({{"pool", "1"}}), "both a source");
  ExpectRefused(With({{"pool", "2-x"}}), "pool='2-x'");
  ExpectRefused(With({{"allocation", "magic"}}), "allocation='magic'");
  ExpectRefused(With({{"allocation", "pool"}}), "allocation=pool needs pool=");
  ExpectRefused(With({{"allocation", "create"}, {"pool", "9"}}), "allocation=create");
  ExpectRefused(With({{"copy", "teleport"}}), "copy='teleport'");
  ExpectRefused(With({{"zero", "maybe"}}), "zero='maybe'");
  ExpectRefused(With({{"identity", "colour:blue"}}), "identity='colour:blue'");
  ExpectRefused(With({{"identity", "eui64:nonsense"}}), "identity='eui64:nonsense'");
  ExpectRefused(With({{"identity", "eui64:omit,nguid:omit,uuid:omit"}}), "omits every namespace id");
  ExpectRefused(With({{"capacity", "0"}}), "capacity='0'");
  ExpectRefused(With({{"capacity", "many"}}), "capacity='many'");
  ExpectRefused(With({{"parallel-prepares", "-1"}}), "parallel-prepares='-1'");
  ExpectRefused(With({{"parallel-prepares", "2000"}}), "parallel-prepares='2000'");
  ExpectRefused(With({{"chunk-blocks", "0"}}), "chunk-blocks='0'");
  ExpectRefused(With({{"chunk-blocks", "65537"}}), "chunk-blocks='65537'");
  ExpectRefused(With({{"command-timeout-ms", "0"}}), "command-timeout-ms='0'");
  ExpectRefused(With({{"command-timeout-ms", "1s"}}), "command-timeout-ms='1s'");
  ExpectRefused(With({{"namespaces", "1-2"}}, 3), "3 LUNs requested but namespaces= names only 2");
  ExpectRefused(With({}, -1), "negative");
}

}  // namespace
}  // namespace hwsnap::nvme
