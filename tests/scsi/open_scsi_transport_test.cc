// Tests of OpenScsiTransport's dispatch (hwsnap/scsi/scsi_transport.h): a
// malformed address is kInvalidArgument before anything is opened; a kind of
// transport this binary lacks is kNotSupported naming what is missing; the
// kinds it has are reached (their open errors come back, classified).
// HWSNAP_TEST_HAVE_{SG_IO,LIBISCSI,SPTI} mirror the transports built in.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hwsnap/scsi/scsi_transport.h"
#include "hwsnap/status.h"

#if defined(HWSNAP_TEST_HAVE_LIBISCSI)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

namespace hwsnap::scsi {
namespace {

using ::testing::HasSubstr;

TEST(OpenScsiTransportTest, MalformedAddressIsInvalidArgument) {
  for (const char* text : {"", "tcp://1.2.3.4/x/0", "iscsi://h:0/iqn.2026-12.invalid.x/0",
                           "/dev/sda1", "\\\\.\\PhysicalDriveX"}) {
    absl::StatusOr<std::unique_ptr<ScsiTransport>> t = OpenScsiTransport(text);
    EXPECT_EQ(GetErrorCode(t.status()), ErrorCode::kInvalidArgument) << text << ": " << t.status();
  }
}

TEST(OpenScsiTransportTest, LinuxDevice) {
  absl::StatusOr<std::unique_ptr<ScsiTransport>> t = OpenScsiTransport("/dev/sg4095");
#if defined(HWSNAP_TEST_HAVE_SG_IO)
  // Reached the SG_IO transport: the device does not exist here.
  EXPECT_EQ(GetErrorCode(t.status()), ErrorCode::kBackendFailure) << t.status();
  EXPECT_THAT(t.status().message(), HasSubstr("/dev/sg4095"));
  EXPECT_THAT(t.status().message(), HasSubstr("No such file or directory"));
#else
  EXPECT_EQ(GetErrorCode(t.status()), ErrorCode::kNotSupported) << t.status();
  EXPECT_THAT(t.status().message(), HasSubstr("only in Linux builds"));
#endif
}

TEST(OpenScsiTransportTest, WindowsPhysicalDrive) {
  absl::StatusOr<std::unique_ptr<ScsiTransport>> t =
      OpenScsiTransport("\\\\.\\PhysicalDrive4095");
#if defined(HWSNAP_TEST_HAVE_SPTI)
  // Reached the pass-through transport: no such disk (under Wine, no disks).
  EXPECT_EQ(GetErrorCode(t.status()), ErrorCode::kBackendFailure) << t.status();
  EXPECT_THAT(t.status().message(), HasSubstr("PhysicalDrive4095"));
#else
  EXPECT_EQ(GetErrorCode(t.status()), ErrorCode::kNotSupported) << t.status();
  EXPECT_THAT(t.status().message(), HasSubstr("only in Windows builds"));
#endif
}

#if defined(HWSNAP_TEST_HAVE_LIBISCSI)
// A 127.0.0.1 port nobody listens on: bound (so no one else takes it) but
// not listening, so a connect is refused at once.
class RefusingPort {
 public:
  RefusingPort() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0 &&
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port_ = ntohs(addr.sin_port);
    }
  }
  ~RefusingPort() {
    if (fd_ >= 0) close(fd_);
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(OpenScsiTransportTest, IscsiReachesLibiscsiAndReportsRefusedConnection) {
  RefusingPort refusing;
  ASSERT_NE(refusing.port(), 0);
  const std::string address = "iscsi://127.0.0.1:" + std::to_string(refusing.port()) +
                              "/iqn.2026-12.invalid.hwsnap:none/0";
  absl::StatusOr<std::unique_ptr<ScsiTransport>> t = OpenScsiTransport(address);
  EXPECT_EQ(GetErrorCode(t.status()), ErrorCode::kBackendFailure) << t.status();
  EXPECT_THAT(t.status().message(), HasSubstr("127.0.0.1:" + std::to_string(refusing.port())));
}

TEST(OpenScsiTransportTest, IscsiRefusesMalformedInitiatorName) {
  TransportOptions options;
  options.initiator_name = "not an iqn";
  absl::StatusOr<std::unique_ptr<ScsiTransport>> t =
      OpenScsiTransport("iscsi://127.0.0.1:3260/iqn.2026-12.invalid.hwsnap:none/0", options);
  EXPECT_EQ(GetErrorCode(t.status()), ErrorCode::kInvalidArgument) << t.status();
  EXPECT_THAT(t.status().message(), HasSubstr("initiator name"));
}
#else
TEST(OpenScsiTransportTest, IscsiWithoutLibiscsiIsNotSupported) {
  absl::StatusOr<std::unique_ptr<ScsiTransport>> t =
      OpenScsiTransport("iscsi://127.0.0.1:3260/iqn.2026-12.invalid.hwsnap:none/0");
  EXPECT_EQ(GetErrorCode(t.status()), ErrorCode::kNotSupported) << t.status();
  EXPECT_THAT(t.status().message(), HasSubstr("built without libiscsi"));
}
#endif

}  // namespace
}  // namespace hwsnap::scsi
