// Tests of the Linux NVMe passthrough transport (hwsnap/nvme/nvme_ioctl_transport.h)
// without NVMe hardware: DecodeNvmeIoctlOutcome driven with the numbers the
// kernel reports, and the device routing over a fake sysfs whose "devices"
// are /dev/null (every NVMe ioctl on it fails with ENOTTY, which shows which
// device a command was sent to). The real ioctls run in the VM tier (vm/).
#include "hwsnap/nvme/nvme_ioctl_transport.h"

#include <stdlib.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hwsnap/status.h"

namespace hwsnap::nvme {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

NvmeIoctlOutcome Outcome(int ret, int err = 0) {
  NvmeIoctlOutcome outcome;
  outcome.ret = ret;
  outcome.ioctl_errno = err;
  outcome.elapsed = absl::Milliseconds(3);
  outcome.timeout = absl::Seconds(10);
  return outcome;
}

TEST(DecodeNvmeIoctlOutcomeTest, SuccessCarriesDw0AndData) {
  NvmeIoctlOutcome outcome = Outcome(0);
  outcome.result = 0xdeadbeef00000007ull;
  outcome.data_in = {1, 2, 3};
  absl::StatusOr<NvmeCompletion> c = DecodeNvmeIoctlOutcome(outcome, "cmd");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->status.ok());
  EXPECT_EQ(c->status.raw, 0);
  EXPECT_EQ(c->result, 7u);  // DW0: the low half
  EXPECT_THAT(c->data_in, ElementsAre(1, 2, 3));
}

TEST(DecodeNvmeIoctlOutcomeTest, PositiveReturnIsTheStatusField) {
  // DNR | SCT 1h | SC 15h (Namespace Insufficient Capacity).
  absl::StatusOr<NvmeCompletion> c = DecodeNvmeIoctlOutcome(Outcome(0x4115), "cmd");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->status.raw, 0x4115);
  EXPECT_EQ(c->status.sct(), 1);
  EXPECT_EQ(c->status.sc(), 0x15);
  EXPECT_TRUE(c->status.dnr());
  EXPECT_FALSE(c->status.ok());
}

TEST(DecodeNvmeIoctlOutcomeTest, ErrnoBecomesTransportFailure) {
  absl::StatusOr<NvmeCompletion> c = DecodeNvmeIoctlOutcome(Outcome(-1, EINVAL), "Identify to /dev/nvme0");
  EXPECT_EQ(GetErrorCode(c.status()), ErrorCode::kBackendFailure);
  EXPECT_THAT(c.status().message(), HasSubstr("Identify to /dev/nvme0"));
  EXPECT_THAT(c.status().message(), HasSubstr("Invalid argument"));

  c = DecodeNvmeIoctlOutcome(Outcome(-1, EACCES), "cmd");
  EXPECT_EQ(GetErrorCode(c.status()), ErrorCode::kBackendFailure);
  EXPECT_THAT(c.status().message(), HasSubstr("CAP_SYS_ADMIN"));

  c = DecodeNvmeIoctlOutcome(Outcome(-1, ENOTTY), "cmd");
  EXPECT_EQ(GetErrorCode(c.status()), ErrorCode::kNotSupported);
}

TEST(DecodeNvmeIoctlOutcomeTest, TimeoutsAreDeadlineExceeded) {
  EXPECT_EQ(GetErrorCode(DecodeNvmeIoctlOutcome(Outcome(-1, ETIMEDOUT), "cmd").status()),
            ErrorCode::kDeadlineExceeded);

  // EINTR after the timeout: the kernel aborted the command.
  NvmeIoctlOutcome late = Outcome(-1, EINTR);
  late.elapsed = absl::Seconds(11);
  absl::StatusOr<NvmeCompletion> c = DecodeNvmeIoctlOutcome(late, "cmd");
  EXPECT_EQ(GetErrorCode(c.status()), ErrorCode::kDeadlineExceeded);
  EXPECT_THAT(c.status().message(), HasSubstr("timed out"));
  // EINTR before it: an interruption, not a timeout.
  EXPECT_EQ(GetErrorCode(DecodeNvmeIoctlOutcome(Outcome(-1, EINTR), "cmd").status()),
            ErrorCode::kBackendFailure);

  // The host's "Command Aborted By Host" (SCT 3h SC 71h) after the timeout.
  NvmeIoctlOutcome aborted = Outcome(0x371);
  aborted.elapsed = absl::Seconds(10);
  EXPECT_EQ(GetErrorCode(DecodeNvmeIoctlOutcome(aborted, "cmd").status()),
            ErrorCode::kDeadlineExceeded);
  // ... before it, a completion like any other.
  absl::StatusOr<NvmeCompletion> early = DecodeNvmeIoctlOutcome(Outcome(0x371), "cmd");
  ASSERT_TRUE(early.ok());
  EXPECT_EQ(early->status.raw, 0x371);
}

// A fake /sys whose controller nvme0 has namespace 2 as block device
// nvme0n2, and a /dev where every node is a symlink to /dev/null.
class FakeNvmeHost : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "hwsnap-nvme-ioctl-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    const fs::path controller = root_ / "sys/devices/pci0000:00/0000:00:04.0/nvme/nvme0";
    Write(controller / "subsysnqn", "nqn.2019-08.org.qemu:test");
    Write(controller / "cntlid", "0");
    Write(controller / "state", "live");
    fs::create_directories(root_ / "sys/class/nvme");
    fs::create_directory_symlink(controller, root_ / "sys/class/nvme/nvme0");
    Write(controller / "nvme0n2" / "nsid", "2");
    fs::create_directory_symlink(controller, controller / "nvme0n2" / "device");
    fs::create_directories(root_ / "sys/block");
    fs::create_directory_symlink(controller / "nvme0n2", root_ / "sys/block/nvme0n2");
    fs::create_directories(root_ / "dev");
    for (const char* node : {"nvme0", "nvme0n2", "nvme0n1", "ng0n1"}) {
      fs::create_symlink("/dev/null", root_ / "dev" / node);
    }
    options_.sysfs_root = (root_ / "sys").string();
    options_.dev_root = (root_ / "dev").string();
    options_.appear_timeout = absl::Milliseconds(100);
    options_.poll_interval = absl::Milliseconds(10);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  static void Write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text << "\n";
  }

  NvmeAddress Address(NvmeAddressKind kind, const std::string& name) const {
    NvmeAddress address;
    address.kind = kind;
    address.device_name = name;
    address.device_path = (root_ / "dev" / name).string();
    return address;
  }

  static NvmeCommand Read(std::uint32_t nsid) {
    NvmeCommand command;
    command.queue = NvmeQueue::kIo;
    command.opcode = 0x02;
    command.nsid = nsid;
    command.direction = NvmeDataDirection::kFromDevice;
    command.data_in_length = 512;
    return command;
  }

  fs::path root_;
  NvmeIoctlOptions options_;
};

TEST_F(FakeNvmeHost, ControllerAddressRoutesAdminToItself) {
  absl::StatusOr<std::unique_ptr<NvmeTransport>> t =
      OpenNvmeIoctlTransport(Address(NvmeAddressKind::kLinuxController, "nvme0"), options_);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ((*t)->nsid(), 0u);
  EXPECT_EQ((*t)->Address(), (root_ / "dev/nvme0").string());

  NvmeCommand identify;
  identify.opcode = 0x06;
  identify.cdw10 = 0x01;
  identify.direction = NvmeDataDirection::kFromDevice;
  identify.data_in_length = 4096;
  absl::StatusOr<NvmeCompletion> c = (*t)->Execute(identify);
  EXPECT_EQ(GetErrorCode(c.status()), ErrorCode::kNotSupported) << c.status();  // ENOTTY from /dev/null
  EXPECT_THAT(c.status().message(), HasSubstr("admin command 0x06"));
  EXPECT_THAT(c.status().message(), HasSubstr((root_ / "dev/nvme0").string()));
}

TEST_F(FakeNvmeHost, IoGoesToTheNamespaceDeviceSysfsNames) {
  absl::StatusOr<std::unique_ptr<NvmeTransport>> t =
      OpenNvmeIoctlTransport(Address(NvmeAddressKind::kLinuxController, "nvme0"), options_);
  ASSERT_TRUE(t.ok()) << t.status();
  absl::StatusOr<NvmeCompletion> c = (*t)->Execute(Read(2));
  // Opened dev/nvme0n2 and asked it for its NSID (which /dev/null cannot answer).
  EXPECT_EQ(GetErrorCode(c.status()), ErrorCode::kNotSupported) << c.status();
  EXPECT_THAT(c.status().message(), HasSubstr("NVME_IOCTL_ID"));
  EXPECT_THAT(c.status().message(), HasSubstr((root_ / "dev/nvme0n2").string()));
}

TEST_F(FakeNvmeHost, IoToNamespaceWithoutDeviceRescansThenNotFound) {
  absl::StatusOr<std::unique_ptr<NvmeTransport>> t =
      OpenNvmeIoctlTransport(Address(NvmeAddressKind::kLinuxController, "nvme0"), options_);
  ASSERT_TRUE(t.ok()) << t.status();
  absl::StatusOr<NvmeCompletion> c = (*t)->Execute(Read(9));
  EXPECT_EQ(GetErrorCode(c.status()), ErrorCode::kObjectNotFound) << c.status();
  EXPECT_THAT(c.status().message(), HasSubstr("namespace 9"));
  EXPECT_THAT(c.status().message(), HasSubstr("NVME_IOCTL_RESCAN"));

  absl::Status rescan = (*t)->Rescan();
  EXPECT_EQ(GetErrorCode(rescan), ErrorCode::kNotSupported) << rescan;
  EXPECT_THAT(rescan.message(), HasSubstr("NVME_IOCTL_RESCAN"));
}

TEST_F(FakeNvmeHost, RefusesInvalidCommandsBeforeAnyIoctl) {
  absl::StatusOr<std::unique_ptr<NvmeTransport>> t =
      OpenNvmeIoctlTransport(Address(NvmeAddressKind::kLinuxController, "nvme0"), options_);
  ASSERT_TRUE(t.ok()) << t.status();
  absl::StatusOr<NvmeCompletion> c = (*t)->Execute(Read(0));
  EXPECT_EQ(GetErrorCode(c.status()), ErrorCode::kInvalidArgument) << c.status();
}

TEST_F(FakeNvmeHost, NamespaceAddressMustBeAnNvmeNamespace) {
  absl::StatusOr<std::unique_ptr<NvmeTransport>> block =
      OpenNvmeIoctlTransport(Address(NvmeAddressKind::kLinuxNamespaceBlock, "nvme0n1"), options_);
  EXPECT_EQ(GetErrorCode(block.status()), ErrorCode::kBackendFailure);
  EXPECT_THAT(block.status().message(), HasSubstr("not a block device"));

  absl::StatusOr<std::unique_ptr<NvmeTransport>> generic =
      OpenNvmeIoctlTransport(Address(NvmeAddressKind::kLinuxNamespaceGeneric, "ng0n1"), options_);
  EXPECT_EQ(GetErrorCode(generic.status()), ErrorCode::kBackendFailure);
  EXPECT_THAT(generic.status().message(), HasSubstr("not an NVMe namespace"));
}

TEST(OpenNvmeIoctlTransportTest, RefusesWindowsAddress) {
  NvmeAddress address;
  address.kind = NvmeAddressKind::kWindowsPhysicalDrive;
  address.device_path = "\\\\.\\PhysicalDrive0";
  EXPECT_EQ(GetErrorCode(OpenNvmeIoctlTransport(address).status()), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace hwsnap::nvme
