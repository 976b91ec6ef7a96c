// Tests of ParseScsiAddress and CheckIscsiName (hwsnap/scsi/scsi_address.h):
// every accepted form, and a refusal with a message naming the wrong part for
// each way an address can be malformed.
#include "hwsnap/scsi/scsi_address.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi {
namespace {

using ::testing::HasSubstr;

constexpr char kTarget[] = "iqn.2026-12.invalid.hwsnap:src";

// The message of a refusal, after asserting that it is kInvalidArgument.
std::string Refusal(absl::string_view text) {
  absl::StatusOr<ScsiAddress> address = ParseScsiAddress(text);
  EXPECT_FALSE(address.ok()) << text << " was accepted";
  if (address.ok()) return "";
  EXPECT_EQ(GetErrorCode(address.status()), ErrorCode::kInvalidArgument) << address.status();
  return std::string(address.status().message());
}

TEST(ScsiAddressTest, ParsesIscsiAddressWithPort) {
  absl::StatusOr<ScsiAddress> a = ParseScsiAddress(
      "iscsi://127.0.0.1:3290/iqn.2026-12.invalid.hwsnap:src/1");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->kind, ScsiAddressKind::kIscsi);
  EXPECT_EQ(a->iscsi.host, "127.0.0.1");
  EXPECT_EQ(a->iscsi.port, 3290);
  EXPECT_EQ(a->iscsi.target, kTarget);
  EXPECT_EQ(a->iscsi.lun, 1u);
  EXPECT_EQ(a->iscsi.Portal(), "127.0.0.1:3290");
  EXPECT_EQ(a->ToString(), "iscsi://127.0.0.1:3290/iqn.2026-12.invalid.hwsnap:src/1");
}

TEST(ScsiAddressTest, IscsiPortDefaultsTo3260AndCanonicalFormShowsIt) {
  absl::StatusOr<ScsiAddress> a = ParseScsiAddress("iscsi://array.example.com/iqn.2001-04.com.example:disk/0");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->iscsi.host, "array.example.com");
  EXPECT_EQ(a->iscsi.port, 3260);
  EXPECT_EQ(a->iscsi.lun, 0u);
  EXPECT_EQ(a->ToString(), "iscsi://array.example.com:3260/iqn.2001-04.com.example:disk/0");
}

TEST(ScsiAddressTest, SchemeIsCaseInsensitive) {
  absl::StatusOr<ScsiAddress> a = ParseScsiAddress("ISCSI://10.0.0.2/iqn.2026-12.invalid.hwsnap:src/7");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->iscsi.lun, 7u);
}

TEST(ScsiAddressTest, AcceptsEuiAndNaaTargetNames) {
  EXPECT_TRUE(ParseScsiAddress("iscsi://h/eui.02004567A425678D/0").ok());
  EXPECT_TRUE(ParseScsiAddress("iscsi://h/naa.52004567BA64678D/0").ok());
  EXPECT_TRUE(ParseScsiAddress("iscsi://h/naa.62004567BA64678D0123456789ABCDEF/0").ok());
}

TEST(ScsiAddressTest, AcceptsLunRangeBounds) {
  EXPECT_TRUE(ParseScsiAddress("iscsi://h/iqn.2026-12.invalid.hwsnap:src/16383").ok());
  EXPECT_THAT(Refusal("iscsi://h/iqn.2026-12.invalid.hwsnap:src/16384"), HasSubstr("LUN"));
  EXPECT_THAT(Refusal("iscsi://h/iqn.2026-12.invalid.hwsnap:src/-1"), HasSubstr("LUN"));
  EXPECT_THAT(Refusal("iscsi://h/iqn.2026-12.invalid.hwsnap:src/1x"), HasSubstr("LUN"));
  EXPECT_THAT(Refusal("iscsi://h/iqn.2026-12.invalid.hwsnap:src/"), HasSubstr("missing LUN"));
  EXPECT_THAT(Refusal("iscsi://h/iqn.2026-12.invalid.hwsnap:src"), HasSubstr("missing LUN"));
  EXPECT_THAT(Refusal("iscsi://h/iqn.2026-12.invalid.hwsnap:src/99999999999999999999"),
              HasSubstr("LUN"));
}

TEST(ScsiAddressTest, RefusesBadPorts) {
  EXPECT_TRUE(ParseScsiAddress("iscsi://h:1/iqn.2026-12.invalid.hwsnap:src/0").ok());
  EXPECT_TRUE(ParseScsiAddress("iscsi://h:65535/iqn.2026-12.invalid.hwsnap:src/0").ok());
  for (const char* port : {"0", "65536", "", "x", "-1", "99999999999"}) {
    std::string text = std::string("iscsi://h:") + port + "/" + kTarget + "/0";
    EXPECT_THAT(Refusal(text), HasSubstr("port")) << text;
  }
}

TEST(ScsiAddressTest, RefusesBadHosts) {
  EXPECT_THAT(Refusal("iscsi:///iqn.2026-12.invalid.hwsnap:src/0"), HasSubstr("missing host"));
  EXPECT_THAT(Refusal("iscsi://256.1.1.1/iqn.2026-12.invalid.hwsnap:src/0"), HasSubstr("IPv4"));
  EXPECT_THAT(Refusal("iscsi://1.2.3/iqn.2026-12.invalid.hwsnap:src/0"), HasSubstr("IPv4"));
  EXPECT_THAT(Refusal("iscsi://[::1]:3260/iqn.2026-12.invalid.hwsnap:src/0"), HasSubstr("IPv6"));
  EXPECT_THAT(Refusal("iscsi://bad_host/iqn.2026-12.invalid.hwsnap:src/0"), HasSubstr("host"));
  EXPECT_THAT(Refusal("iscsi://-bad.example/iqn.2026-12.invalid.hwsnap:src/0"), HasSubstr("host"));
  EXPECT_THAT(Refusal("iscsi://a..b/iqn.2026-12.invalid.hwsnap:src/0"), HasSubstr("host"));
  EXPECT_THAT(Refusal("iscsi://user%secret@10.0.0.1/iqn.2026-12.invalid.hwsnap:src/0"),
              HasSubstr("CHAP"));
  EXPECT_THAT(Refusal("iscsi://" + std::string(300, 'a') + "/iqn.2026-12.invalid.hwsnap:src/0"),
              HasSubstr("host"));
}

TEST(ScsiAddressTest, RefusesBadTargetNames) {
  EXPECT_THAT(Refusal("iscsi://h//0"), HasSubstr("target name"));
  EXPECT_THAT(Refusal("iscsi://h/target/0"), HasSubstr("iqn., eui. or naa."));
  EXPECT_THAT(Refusal("iscsi://h/iqn.2026-13.invalid.hwsnap/0"), HasSubstr("date"));
  EXPECT_THAT(Refusal("iscsi://h/iqn.26-12.invalid/0"), HasSubstr("iqn.YYYY-MM"));
  EXPECT_THAT(Refusal("iscsi://h/iqn.2026-12.:x/0"), HasSubstr("naming authority"));
  EXPECT_THAT(Refusal("iscsi://h/iqn.2026-12.Invalid.hwsnap/0"), HasSubstr("lower-case"));
  EXPECT_THAT(Refusal("iscsi://h/iqn.2026-12.inv alid/0"), HasSubstr("lower-case"));
  EXPECT_THAT(Refusal("iscsi://h/eui.0200/0"), HasSubstr("16 hex"));
  EXPECT_THAT(Refusal("iscsi://h/eui.02004567A425678G/0"), HasSubstr("16 hex"));
  EXPECT_THAT(Refusal("iscsi://h/naa.0123/0"), HasSubstr("16 or 32"));
  EXPECT_THAT(Refusal("iscsi://h/iqn.2026-12.invalid.hwsnap:a/b/0"), HasSubstr("too many '/'"));
  EXPECT_THAT(Refusal("iscsi://h/iqn.2026-12.x:" + std::string(230, 'a') + "/0"),
              HasSubstr("223"));
}

TEST(ScsiAddressTest, ParsesLinuxDevices) {
  for (const char* path : {"/dev/sg0", "/dev/sg12", "/dev/sda", "/dev/sdab"}) {
    absl::StatusOr<ScsiAddress> a = ParseScsiAddress(path);
    ASSERT_TRUE(a.ok()) << path << ": " << a.status();
    EXPECT_EQ(a->kind, ScsiAddressKind::kLinuxDevice);
    EXPECT_EQ(a->device_path, path);
    EXPECT_EQ(a->ToString(), path);
  }
}

TEST(ScsiAddressTest, RefusesOtherLinuxDevices) {
  EXPECT_THAT(Refusal("/dev/sda1"), HasSubstr("partition"));
  EXPECT_THAT(Refusal("/dev/sg"), HasSubstr("/dev/sgN"));
  EXPECT_THAT(Refusal("/dev/sg01"), HasSubstr("/dev/sgN"));
  EXPECT_THAT(Refusal("/dev/sgx"), HasSubstr("/dev/sgN"));
  EXPECT_THAT(Refusal("/dev/sd"), HasSubstr("/dev/sdX"));
  EXPECT_THAT(Refusal("/dev/sdA"), HasSubstr("/dev/sdX"));
  EXPECT_THAT(Refusal("/dev/nvme0n1"), HasSubstr("unsupported device"));
  EXPECT_THAT(Refusal("/dev/"), HasSubstr("unsupported device"));
}

TEST(ScsiAddressTest, ParsesWindowsPhysicalDrives) {
  absl::StatusOr<ScsiAddress> a = ParseScsiAddress("\\\\.\\PhysicalDrive3");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->kind, ScsiAddressKind::kWindowsPhysicalDrive);
  EXPECT_EQ(a->drive_number, 3u);
  EXPECT_EQ(a->device_path, "\\\\.\\PhysicalDrive3");
  absl::StatusOr<ScsiAddress> lower = ParseScsiAddress("\\\\.\\physicaldrive12");
  ASSERT_TRUE(lower.ok()) << lower.status();
  EXPECT_EQ(lower->ToString(), "\\\\.\\PhysicalDrive12");
}

TEST(ScsiAddressTest, RefusesOtherWindowsDevices) {
  EXPECT_THAT(Refusal("\\\\.\\PhysicalDrive"), HasSubstr("PhysicalDriveN"));
  EXPECT_THAT(Refusal("\\\\.\\PhysicalDrive1a"), HasSubstr("PhysicalDriveN"));
  EXPECT_THAT(Refusal("\\\\.\\C:"), HasSubstr("unsupported Windows device"));
}

TEST(ScsiAddressTest, RefusesUnrecognizedTextWithBoundedEscapedMessage) {
  EXPECT_EQ(GetErrorCode(ParseScsiAddress("").status()), ErrorCode::kInvalidArgument);
  EXPECT_THAT(Refusal("http://h/x/0"), HasSubstr("expected iscsi://"));
  EXPECT_THAT(Refusal("sg0"), HasSubstr("expected iscsi://"));
  std::string garbage(5000, '\x01');
  std::string message = Refusal(garbage);
  EXPECT_LT(message.size(), 1000u);
  EXPECT_EQ(message.find('\x01'), std::string::npos);
}

TEST(ScsiAddressTest, NeverCrashesOnArbitraryBytes) {
  // Every prefix of a valid address, and of the three forms with junk bytes.
  const std::string valid = "iscsi://127.0.0.1:3290/iqn.2026-12.invalid.hwsnap:src/1";
  for (std::size_t n = 0; n <= valid.size(); ++n) {
    (void)ParseScsiAddress(valid.substr(0, n));
  }
  for (int byte = 0; byte < 256; ++byte) {
    const std::string junk(1, static_cast<char>(byte));
    (void)ParseScsiAddress("iscsi://" + junk);
    (void)ParseScsiAddress("iscsi://h:" + junk + "/" + kTarget + "/0");
    (void)ParseScsiAddress("/dev/sg" + junk);
    (void)ParseScsiAddress("\\\\.\\PhysicalDrive" + junk);
  }
}

TEST(CheckIscsiNameTest, AcceptsInitiatorNamesAndRefusesJunk) {
  EXPECT_TRUE(CheckIscsiName("iqn.2026-12.invalid.hwsnap:initiator").ok());
  EXPECT_TRUE(CheckIscsiName("iqn.1993-08.org.debian:01:abcdef").ok());
  absl::Status bad = CheckIscsiName("initiator");
  EXPECT_EQ(GetErrorCode(bad), ErrorCode::kInvalidArgument);
  EXPECT_THAT(bad.message(), HasSubstr("iqn., eui. or naa."));
  EXPECT_EQ(GetErrorCode(CheckIscsiName("")), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace hwsnap::scsi
