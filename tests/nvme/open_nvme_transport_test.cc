// Tests of NVMe address parsing (hwsnap/nvme/nvme_address.h) and
// OpenNvmeTransport's dispatch (hwsnap/nvme/nvme_transport.h): a malformed
// address is kInvalidArgument before anything is opened; a transport this
// binary lacks is kNotSupported naming what is missing; the ones it has are
// reached (their open errors come back, classified).
// HWSNAP_TEST_HAVE_{NVME_IOCTL,STORAGE_PROTOCOL} mirror the transports built in.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hwsnap/nvme/nvme_address.h"
#include "hwsnap/nvme/nvme_transport.h"
#include "hwsnap/status.h"

namespace hwsnap::nvme {
namespace {

using ::testing::HasSubstr;

TEST(ParseNvmeAddressTest, LinuxController) {
  absl::StatusOr<NvmeAddress> a = ParseNvmeAddress("/dev/nvme12");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->kind, NvmeAddressKind::kLinuxController);
  EXPECT_EQ(a->device_path, "/dev/nvme12");
  EXPECT_EQ(a->device_name, "nvme12");
  EXPECT_EQ(a->instance, 12u);
  EXPECT_EQ(a->namespace_instance, 0u);
}

TEST(ParseNvmeAddressTest, LinuxNamespaces) {
  absl::StatusOr<NvmeAddress> block = ParseNvmeAddress("/dev/nvme0n3");
  ASSERT_TRUE(block.ok()) << block.status();
  EXPECT_EQ(block->kind, NvmeAddressKind::kLinuxNamespaceBlock);
  EXPECT_EQ(block->device_name, "nvme0n3");
  EXPECT_EQ(block->instance, 0u);
  EXPECT_EQ(block->namespace_instance, 3u);

  absl::StatusOr<NvmeAddress> generic = ParseNvmeAddress("/dev/ng1n10");
  ASSERT_TRUE(generic.ok()) << generic.status();
  EXPECT_EQ(generic->kind, NvmeAddressKind::kLinuxNamespaceGeneric);
  EXPECT_EQ(generic->device_name, "ng1n10");
  EXPECT_EQ(generic->instance, 1u);
  EXPECT_EQ(generic->namespace_instance, 10u);
}

TEST(ParseNvmeAddressTest, WindowsDrive) {
  absl::StatusOr<NvmeAddress> a = ParseNvmeAddress("\\\\.\\physicaldrive7");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->kind, NvmeAddressKind::kWindowsPhysicalDrive);
  EXPECT_EQ(a->device_path, "\\\\.\\PhysicalDrive7");  // canonical spelling
  EXPECT_EQ(a->instance, 7u);
  EXPECT_TRUE(a->device_name.empty());
}

TEST(ParseNvmeAddressTest, RefusesMalformedAddresses) {
  struct Case {
    const char* text;
    const char* says;
  };
  for (const Case& c : {Case{"", "empty"},
                        Case{"nvme0", "expected"},
                        Case{"/dev/sda", "unsupported device"},
                        Case{"/dev/nvme", "instance number"},
                        Case{"/dev/nvme01", "instance number"},
                        Case{"/dev/nvme0n1p2", "partition"},
                        Case{"/dev/nvme0c1n1", "hidden multipath"},
                        Case{"/dev/nvme0n", "expected"},
                        Case{"/dev/nvme0x", "expected"},
                        Case{"/dev/nvme0n1 ", "trailing"},
                        Case{"/dev/ng0", "/dev/ngNnM"},
                        Case{"/dev/nvme1234567", "instance number"},
                        Case{"\\\\.\\PhysicalDrive", "PhysicalDriveN"},
                        Case{"\\\\.\\PhysicalDrive1a", "PhysicalDriveN"},
                        Case{"\\\\.\\C:", "unsupported Windows device"}}) {
    absl::StatusOr<NvmeAddress> a = ParseNvmeAddress(c.text);
    EXPECT_EQ(GetErrorCode(a.status()), ErrorCode::kInvalidArgument) << c.text;
    EXPECT_THAT(a.status().message(), HasSubstr(c.says)) << c.text;
  }
}

TEST(OpenNvmeTransportTest, MalformedAddressIsInvalidArgument) {
  for (const char* text : {"", "/dev/nvme0n1p1", "/dev/sdb", "\\\\.\\PhysicalDriveX"}) {
    absl::StatusOr<std::unique_ptr<NvmeTransport>> t = OpenNvmeTransport(text);
    EXPECT_EQ(GetErrorCode(t.status()), ErrorCode::kInvalidArgument) << text << ": " << t.status();
  }
}

TEST(OpenNvmeTransportTest, LinuxDevice) {
  for (const char* text : {"/dev/nvme4095", "/dev/nvme4095n1", "/dev/ng4095n1"}) {
    absl::StatusOr<std::unique_ptr<NvmeTransport>> t = OpenNvmeTransport(text);
#if defined(HWSNAP_TEST_HAVE_NVME_IOCTL)
    // Reached the ioctl transport: the device does not exist here.
    EXPECT_EQ(GetErrorCode(t.status()), ErrorCode::kBackendFailure) << t.status();
    EXPECT_THAT(t.status().message(), HasSubstr(text));
    EXPECT_THAT(t.status().message(), HasSubstr("No such file or directory"));
#else
    EXPECT_EQ(GetErrorCode(t.status()), ErrorCode::kNotSupported) << t.status();
    EXPECT_THAT(t.status().message(), HasSubstr("only in Linux builds"));
#endif
  }
}

TEST(OpenNvmeTransportTest, WindowsPhysicalDrive) {
  absl::StatusOr<std::unique_ptr<NvmeTransport>> t = OpenNvmeTransport("\\\\.\\PhysicalDrive4095");
#if defined(HWSNAP_TEST_HAVE_STORAGE_PROTOCOL)
  // Reached the storage protocol transport: no such disk (under Wine, no disks).
  EXPECT_EQ(GetErrorCode(t.status()), ErrorCode::kBackendFailure) << t.status();
  EXPECT_THAT(t.status().message(), HasSubstr("PhysicalDrive4095"));
#else
  EXPECT_EQ(GetErrorCode(t.status()), ErrorCode::kNotSupported) << t.status();
  EXPECT_THAT(t.status().message(), HasSubstr("only in Windows builds"));
#endif
}

}  // namespace
}  // namespace hwsnap::nvme
