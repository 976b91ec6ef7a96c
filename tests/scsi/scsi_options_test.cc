// ParseScsiOptions: every way to misconfigure the "scsi" backend is refused
// with a message naming the option, before anything touches storage; valid
// settings land in the right fields.
#include "hwsnap/scsi/scsi_options.h"

#include <string>

#include <gtest/gtest.h>

#include "hwsnap/scsi/scsi_registration.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi {
namespace {

constexpr char kLun[] = "iscsi://127.0.0.1:3260/iqn.2026-12.invalid.acme:db/1";

BackendRequest Request(std::map<std::string, std::string> options, int luns = 0) {
  BackendRequest request;
  request.luns = luns;
  request.options = std::move(options);
  return request;
}

// The parse fails with kInvalidArgument and a message containing `needle`.
void ExpectRefused(const BackendRequest& request, const std::string& needle) {
  absl::StatusOr<ScsiSessionConfig> config = ParseScsiOptions(request);
  ASSERT_FALSE(config.ok()) << "accepted: " << needle;
  EXPECT_EQ(GetErrorCode(config.status()), ErrorCode::kInvalidArgument) << config.status();
  EXPECT_NE(config.status().message().find(needle), absl::string_view::npos) << config.status();
}

TEST(ScsiOptionsTest, ValidTgtSettings) {
  absl::StatusOr<ScsiSessionConfig> config = ParseScsiOptions(Request(
      {{"luns", std::string(kLun) + ", iscsi://127.0.0.1/iqn.2026-12.invalid.acme:db/2"},
       {"tgt-control-id", "7"},
       {"tgt-work-dir", "/srv/snapshots"},
       {"host-initiator", "iqn.1991-05.com.microsoft:backup1"},
       {"capacity", "12"},
       {"parallel-prepares", "2"}},
      2));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->strategy, SnapshotStrategy::kTgt);
  ASSERT_EQ(config->luns.size(), 2u);
  EXPECT_EQ(config->luns[1], "iscsi://127.0.0.1/iqn.2026-12.invalid.acme:db/2");
  EXPECT_EQ(config->tgt_control_id, 7);
  EXPECT_EQ(config->tgt_work_dir, "/srv/snapshots");
  EXPECT_EQ(config->host_initiator, "iqn.1991-05.com.microsoft:backup1");
  EXPECT_EQ(config->capacity, 12);
  EXPECT_EQ(config->max_parallel_prepares, 2);
}

TEST(ScsiOptionsTest, ValidXcopyAndSandboxSettings) {
  absl::StatusOr<ScsiSessionConfig> xcopy = ParseScsiOptions(
      Request({{"strategy", "xcopy"}, {"luns", "/dev/sg1"}, {"pool", "/dev/sg2,/dev/sg3"}}));
  ASSERT_TRUE(xcopy.ok()) << xcopy.status();
  EXPECT_EQ(xcopy->strategy, SnapshotStrategy::kXcopy);
  EXPECT_EQ(xcopy->pool.size(), 2u);

  BackendRequest sandbox = Request({{"tgt-sandbox", "true"}, {"lun-mib", "4"}}, 3);
  sandbox.capacity = 5;
  absl::StatusOr<ScsiSessionConfig> config = ParseScsiOptions(sandbox);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->tgt_sandbox);
  EXPECT_EQ(config->sandbox_luns, 3);
  EXPECT_EQ(config->sandbox_lun_bytes, 4u << 20);
  EXPECT_EQ(config->capacity, 5);  // from the request when no capacity= option
}

TEST(ScsiOptionsTest, EveryMistakeNamesTheOption) {
  ExpectRefused(Request({}), "no source LUNs");
  ExpectRefused(Request({{"colour", "blue"}}), "no option 'colour'");
  ExpectRefused(Request({{"luns", kLun}, {"strategy", "pigeon"}}), "strategy='pigeon'");
  ExpectRefused(Request({{"luns", "not-an-address"}}), "luns='not-an-address'");
  ExpectRefused(Request({{"luns", " , "}}), "luns=");
  ExpectRefused(Request({{"luns", kLun}, {"tgt-work-dir", "/srv"}}), "tgt-control-id");
  ExpectRefused(Request({{"luns", kLun}, {"tgt-control-id", "1"}}), "tgt-work-dir");
  ExpectRefused(Request({{"luns", kLun}, {"tgt-control-id", "-1"}}), "tgt-control-id='-1'");
  ExpectRefused(Request({{"luns", kLun}, {"strategy", "xcopy"}}), "pool=");
  ExpectRefused(Request({{"luns", kLun}, {"capacity", "0"}}), "capacity='0'");
  ExpectRefused(Request({{"luns", kLun}, {"host-initiator", "Not An IQN"}}), "host-initiator=");
  ExpectRefused(Request({{"luns", kLun}, {"tgt-portal", "nowhere"}}), "tgt-portal='nowhere'");
  ExpectRefused(Request({{"tgt-sandbox", "maybe"}}, 2), "tgt-sandbox='maybe'");
  ExpectRefused(Request({{"tgt-sandbox", "true"}}, 0), "at least one LUN");
  ExpectRefused(Request({{"tgt-sandbox", "true"}, {"luns", kLun}}, 1), "either luns");
  ExpectRefused(Request({{"tgt-sandbox", "true"}, {"strategy", "xcopy"}}, 1), "strategy=tgt");
  ExpectRefused(Request({{"luns", kLun}, {"tgt-control-id", "1"}, {"tgt-work-dir", "/s"}}, 2), "names only 1");
  ExpectRefused(Request({{"luns", kLun}}, -1), "negative");
}

TEST(ScsiOptionsTest, RegistryRefusesBadOptionsBeforeTouchingStorage) {
  BackendRegistry registry;
  ASSERT_TRUE(RegisterScsiBackend(registry).ok());
  EXPECT_EQ(GetErrorCode(RegisterScsiBackend(registry)), ErrorCode::kInvalidArgument);  // registered once
  absl::StatusOr<BackendSession> session = registry.Create("scsi", Request({{"strategy", "pigeon"}}, 1));
  EXPECT_EQ(GetErrorCode(session.status()), ErrorCode::kInvalidArgument) << session.status();
}

}  // namespace
}  // namespace hwsnap::scsi
