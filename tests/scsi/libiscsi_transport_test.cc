// Tests of the libiscsi transport against a real tgtd on 127.0.0.1: each case
// starts its own daemon (own control id, own port, file-backed LUNs), so
// cases run in parallel, and tears it down. What is checked is what the
// backend relies on: INQUIRY and VPD bytes, capacity, CHECK CONDITION coming
// back as a result with sense (not a Status), data-out, residuals, a dead
// target as kBackendFailure, deadlines for login and commands, and one
// transparent re-login after the target drops the connection.
#include "hwsnap/scsi/libiscsi_transport.h"

#include <signal.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hwsnap/scsi/cdb.h"
#include "hwsnap/scsi/lun_reader.h"
#include "hwsnap/scsi/scsi_address.h"
#include "hwsnap/scsi/tgt_daemon.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi {
namespace {

using ::testing::HasSubstr;

constexpr char kTarget[] = "iqn.2026-12.invalid.hwsnap:transport-test";
constexpr std::uint64_t kLunBytes = 64ull << 20;

ScsiCommand Inquiry(bool evpd, std::uint8_t page, std::uint16_t length) {
  ScsiCommand command;
  command.cdb = evpd ? BuildInquiryVpd(page, length) : BuildInquiry(length);
  command.direction = DataDirection::kFromDevice;
  command.data_in_length = length;
  command.timeout = absl::Seconds(5);
  return command;
}

ScsiCommand ReadCapacity16() {
  ScsiCommand command;
  command.cdb = BuildReadCapacity16(32);
  command.direction = DataDirection::kFromDevice;
  command.data_in_length = 32;
  command.timeout = absl::Seconds(5);
  return command;
}

// READ(16) or WRITE(16) of one 512-byte block at `lba`.
ScsiCommand Block16(bool write, std::uint64_t lba) {
  ScsiCommand command;
  command.cdb = write ? BuildWrite16(lba, 1) : BuildRead16(lba, 1);
  command.timeout = absl::Seconds(5);
  if (write) {
    command.direction = DataDirection::kToDevice;
    command.data_out.resize(512);
    for (std::size_t i = 0; i < 512; ++i) command.data_out[i] = static_cast<std::uint8_t>(i * 7 + 3);
  } else {
    command.direction = DataDirection::kFromDevice;
    command.data_in_length = 512;
  }
  return command;
}

std::uint64_t BigEndian(const std::vector<std::uint8_t>& bytes, std::size_t at, int size) {
  std::uint64_t value = 0;
  for (int i = 0; i < size; ++i) value = (value << 8) | bytes[at + i];
  return value;
}

// Each case: its own tgtd (TgtDaemon picks a free control id and port) with
// one target: LUN 1 read-write, LUN 2 read-only, 64 MiB each.
class LibiscsiTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!TgtAvailable(&why)) GTEST_SKIP() << "skipped, needs a real tgtd: " << why;
    absl::StatusOr<std::unique_ptr<TgtDaemon>> daemon = TgtDaemon::Start();
    ASSERT_TRUE(daemon.ok()) << daemon.status();
    daemon_ = std::move(*daemon);
    absl::StatusOr<int> tid = daemon_->AddTarget(kTarget);
    ASSERT_TRUE(tid.ok()) << tid.status();
    tid_ = *tid;
    for (int lun : {1, 2}) {
      absl::StatusOr<TgtDaemonLun> added = daemon_->AddFileBackedLun(tid_, lun, kLunBytes);
      ASSERT_TRUE(added.ok()) << added.status();
    }
    TgtLunParams readonly;
    readonly.readonly = true;
    absl::Status updated = daemon_->admin().UpdateLunParams(tid_, 2, readonly);
    ASSERT_TRUE(updated.ok()) << updated;
  }

  void TearDown() override {
    if (daemon_ != nullptr) {
      absl::Status stopped = daemon_->Stop();
      EXPECT_TRUE(stopped.ok()) << stopped;
    }
  }

  std::string Address(int lun) const { return daemon_->LunAddress(kTarget, lun); }

  std::unique_ptr<ScsiTransport> Open(int lun, TransportOptions options = {}) {
    absl::StatusOr<ScsiAddress> address = ParseScsiAddress(Address(lun));
    EXPECT_TRUE(address.ok()) << address.status();
    if (!address.ok()) return nullptr;
    absl::StatusOr<std::unique_ptr<ScsiTransport>> t = OpenLibiscsiTransport(address->iscsi, options);
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? std::move(*t) : nullptr;
  }

  bool Signal(int signal) const { return kill(daemon_->pid(), signal) == 0; }

  // Closes every connection of the target from the target's side.
  absl::Status DropConnections() {
    const std::string tid = std::to_string(tid_);
    absl::StatusOr<std::string> shown =
        daemon_->admin().Run({"--lld", "iscsi", "--op", "show", "--mode", "conn", "--tid", tid});
    if (!shown.ok()) return shown.status();
    std::string session;
    int dropped = 0;
    for (absl::string_view line : absl::StrSplit(*shown, '\n')) {
      line = absl::StripLeadingAsciiWhitespace(line);
      if (absl::ConsumePrefix(&line, "Session: ")) session = std::string(line);
      if (absl::ConsumePrefix(&line, "Connection: ")) {
        absl::StatusOr<std::string> deleted =
            daemon_->admin().Run({"--lld", "iscsi", "--op", "delete", "--mode", "conn", "--tid",
                                  tid, "--sid", session, "--cid", std::string(line)});
        if (!deleted.ok()) return deleted.status();
        ++dropped;
      }
    }
    return dropped > 0 ? absl::OkStatus() : BackendFailureError("no connection to drop");
  }

  std::unique_ptr<TgtDaemon> daemon_;
  int tid_ = 0;
};

TEST_F(LibiscsiTransportTest, InquiryReportsIetVirtualDisk) {
  std::unique_ptr<ScsiTransport> t = Open(1);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->bus_type(), BusType::kIscsi);
  EXPECT_EQ(t->Address(), Address(1));
  absl::StatusOr<ScsiResult> r = t->Execute(Inquiry(false, 0, 96));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, kStatusGood);
  ASSERT_GE(r->data_in.size(), 36u);
  EXPECT_EQ(r->data_in[0] & 0x1f, 0);  // direct-access block device
  EXPECT_EQ(std::string(r->data_in.begin() + 8, r->data_in.begin() + 16), "IET     ");
  EXPECT_EQ(std::string(r->data_in.begin() + 16, r->data_in.begin() + 32), "VIRTUAL-DISK    ");
  EXPECT_TRUE(r->sense.empty());
}

TEST_F(LibiscsiTransportTest, DataInIsCutToWhatTheTargetSent) {
  std::unique_ptr<ScsiTransport> t = Open(1);
  ASSERT_NE(t, nullptr);
  absl::StatusOr<ScsiResult> r = t->Execute(Inquiry(false, 0, 255));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_GE(r->data_in.size(), 5u);
  // Standard INQUIRY data is ADDITIONAL LENGTH + 5 bytes, less than offered.
  EXPECT_EQ(r->data_in.size(), r->data_in[4] + 5u);
  EXPECT_LT(r->data_in.size(), 255u);
  // A buffer smaller than the data: the transport returns just the buffer.
  absl::StatusOr<ScsiResult> small = t->Execute(Inquiry(false, 0, 8));
  ASSERT_TRUE(small.ok()) << small.status();
  EXPECT_EQ(small->data_in.size(), 8u);
}

TEST_F(LibiscsiTransportTest, VpdDeviceIdentificationCarriesNaa) {
  std::unique_ptr<ScsiTransport> t = Open(1);
  ASSERT_NE(t, nullptr);
  absl::StatusOr<ScsiResult> r = t->Execute(Inquiry(true, 0x83, 255));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->status, kStatusGood);
  ASSERT_GE(r->data_in.size(), 4u);
  EXPECT_EQ(r->data_in[1], 0x83);
  const std::size_t page_length = BigEndian(r->data_in, 2, 2);
  ASSERT_EQ(r->data_in.size(), page_length + 4);
  bool naa_of_lun = false;
  for (std::size_t at = 4; at + 4 <= r->data_in.size(); at += 4 + r->data_in[at + 3]) {
    const int association = (r->data_in[at + 1] >> 4) & 0x3;
    const int type = r->data_in[at + 1] & 0xf;
    if (association == 0 && type == 3) naa_of_lun = true;
  }
  EXPECT_TRUE(naa_of_lun);
}

TEST_F(LibiscsiTransportTest, ReadCapacity16EqualsBackingFileSize) {
  std::unique_ptr<ScsiTransport> t = Open(1);
  ASSERT_NE(t, nullptr);
  absl::StatusOr<ScsiResult> r = t->Execute(ReadCapacity16());
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->status, kStatusGood);
  ASSERT_GE(r->data_in.size(), 12u);
  const std::uint64_t blocks = BigEndian(r->data_in, 0, 8) + 1;
  const std::uint64_t block_length = BigEndian(r->data_in, 8, 4);
  EXPECT_EQ(blocks * block_length, kLunBytes);
}

TEST_F(LibiscsiTransportTest, UnsupportedOpcodeIsCheckConditionWithSense) {
  std::unique_ptr<ScsiTransport> t = Open(1);
  ASSERT_NE(t, nullptr);
  ScsiCommand xcopy;  // EXTENDED COPY (LID1) without a parameter list: tgt has none
  xcopy.cdb = std::vector<std::uint8_t>(16, 0);
  xcopy.cdb[0] = 0x83;
  absl::StatusOr<ScsiResult> r = t->Execute(xcopy);
  ASSERT_TRUE(r.ok()) << "a CHECK CONDITION is a result, not a Status: " << r.status();
  EXPECT_EQ(r->status, kStatusCheckCondition);
  ASSERT_GE(r->sense.size(), 14u);
  EXPECT_EQ(r->sense[0] & 0x7f, 0x70);  // fixed format, current
  EXPECT_EQ(r->sense[2] & 0x0f, 0x05);  // ILLEGAL REQUEST
  EXPECT_EQ(r->sense[12], 0x20);        // INVALID COMMAND OPERATION CODE
  EXPECT_TRUE(r->data_in.empty());
  // The session is still usable.
  EXPECT_EQ(t->Execute(Inquiry(false, 0, 36))->status, kStatusGood);
}

TEST_F(LibiscsiTransportTest, WriteToReadonlyLunIsCheckConditionDataProtect) {
  std::unique_ptr<ScsiTransport> t = Open(2);
  ASSERT_NE(t, nullptr);
  absl::StatusOr<ScsiResult> r = t->Execute(Block16(true, 0));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, kStatusCheckCondition);
  ASSERT_GE(r->sense.size(), 3u);
  EXPECT_EQ(r->sense[2] & 0x0f, 0x07);  // DATA PROTECT
}

TEST_F(LibiscsiTransportTest, WrittenBlockReadsBack) {
  std::unique_ptr<ScsiTransport> t = Open(1);
  ASSERT_NE(t, nullptr);
  const ScsiCommand write = Block16(true, 100);
  absl::StatusOr<ScsiResult> w = t->Execute(write);
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_EQ(w->status, kStatusGood);
  EXPECT_TRUE(w->data_in.empty());
  absl::StatusOr<ScsiResult> r = t->Execute(Block16(false, 100));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->status, kStatusGood);
  EXPECT_EQ(r->data_in, write.data_out);
}

TEST_F(LibiscsiTransportTest, MalformedCommandsAreInvalidArgument) {
  std::unique_ptr<ScsiTransport> t = Open(1);
  ASSERT_NE(t, nullptr);
  ScsiCommand empty;
  EXPECT_EQ(GetErrorCode(t->Execute(empty).status()), ErrorCode::kInvalidArgument);
  ScsiCommand long_cdb = Inquiry(false, 0, 36);
  long_cdb.cdb.resize(32);
  EXPECT_EQ(GetErrorCode(t->Execute(long_cdb).status()), ErrorCode::kInvalidArgument);
  ScsiCommand no_length = Inquiry(false, 0, 36);
  no_length.data_in_length = 0;
  EXPECT_EQ(GetErrorCode(t->Execute(no_length).status()), ErrorCode::kInvalidArgument);
  ScsiCommand no_timeout = Inquiry(false, 0, 36);
  no_timeout.timeout = absl::ZeroDuration();
  EXPECT_EQ(GetErrorCode(t->Execute(no_timeout).status()), ErrorCode::kInvalidArgument);
  EXPECT_EQ(t->Execute(Inquiry(false, 0, 36))->status, kStatusGood);
}

TEST_F(LibiscsiTransportTest, CommandToStoppedTargetIsBackendFailure) {
  std::unique_ptr<ScsiTransport> t = Open(1);
  ASSERT_NE(t, nullptr);
  ASSERT_TRUE(daemon_->Stop().ok());
  for (int i = 0; i < 3; ++i) {  // and no SIGPIPE kills the process
    absl::StatusOr<ScsiResult> r = t->Execute(Inquiry(false, 0, 36));
    EXPECT_EQ(GetErrorCode(r.status()), ErrorCode::kBackendFailure) << r.status();
    EXPECT_THAT(r.status().message(), HasSubstr("Connection refused"));
  }
}

TEST_F(LibiscsiTransportTest, UnknownTargetOrLunIsBackendFailure) {
  absl::StatusOr<ScsiAddress> address = ParseScsiAddress(Address(1));
  ASSERT_TRUE(address.ok());
  IscsiAddress unknown_target = address->iscsi;
  unknown_target.target = "iqn.2026-12.invalid.hwsnap:nobody";
  absl::StatusOr<std::unique_ptr<ScsiTransport>> t = OpenLibiscsiTransport(unknown_target, {});
  EXPECT_EQ(GetErrorCode(t.status()), ErrorCode::kBackendFailure) << t.status();
  IscsiAddress unknown_lun = address->iscsi;
  unknown_lun.lun = 9;
  t = OpenLibiscsiTransport(unknown_lun, {});
  EXPECT_EQ(GetErrorCode(t.status()), ErrorCode::kBackendFailure) << t.status();
}

TEST_F(LibiscsiTransportTest, CommandTimeoutIsHonouredAndSessionRecovers) {
  std::unique_ptr<ScsiTransport> t = Open(1);
  ASSERT_NE(t, nullptr);
  ASSERT_TRUE(Signal(SIGSTOP));
  ScsiCommand inquiry = Inquiry(false, 0, 36);
  inquiry.timeout = absl::Milliseconds(300);
  const absl::Time start = absl::Now();
  absl::StatusOr<ScsiResult> r = t->Execute(inquiry);
  const absl::Duration took = absl::Now() - start;
  ASSERT_TRUE(Signal(SIGCONT));
  EXPECT_EQ(GetErrorCode(r.status()), ErrorCode::kDeadlineExceeded) << r.status();
  EXPECT_GE(took, absl::Milliseconds(300));
  EXPECT_LT(took, absl::Milliseconds(1300));
  // The timed-out session was dropped; the next command logs in again.
  inquiry.timeout = absl::Seconds(5);
  absl::StatusOr<ScsiResult> again = t->Execute(inquiry);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->status, kStatusGood);
}

TEST_F(LibiscsiTransportTest, ConnectTimeoutIsHonoured) {
  absl::StatusOr<ScsiAddress> address = ParseScsiAddress(Address(1));
  ASSERT_TRUE(address.ok());
  ASSERT_TRUE(Signal(SIGSTOP));  // the kernel accepts TCP; login gets no answer
  TransportOptions options;
  options.connect_timeout = absl::Milliseconds(300);
  const absl::Time start = absl::Now();
  absl::StatusOr<std::unique_ptr<ScsiTransport>> t = OpenLibiscsiTransport(address->iscsi, options);
  const absl::Duration took = absl::Now() - start;
  ASSERT_TRUE(Signal(SIGCONT));
  EXPECT_EQ(GetErrorCode(t.status()), ErrorCode::kDeadlineExceeded) << t.status();
  EXPECT_GE(took, absl::Milliseconds(300));
  EXPECT_LT(took, absl::Milliseconds(1300));
}

TEST_F(LibiscsiTransportTest, DroppedConnectionIsReestablishedOnce) {
  std::unique_ptr<ScsiTransport> t = Open(1);
  ASSERT_NE(t, nullptr);
  ASSERT_EQ(t->Execute(Inquiry(false, 0, 36))->status, kStatusGood);
  absl::Status dropped = DropConnections();
  ASSERT_TRUE(dropped.ok()) << dropped;
  absl::StatusOr<ScsiResult> r = t->Execute(Inquiry(false, 0x00, 36));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, kStatusGood);
  EXPECT_GE(r->data_in.size(), 36u);
}

// The whole identity read the backend does, over this transport.
TEST_F(LibiscsiTransportTest, ReadLunInfoOverLibiscsiDescribesTheLun) {
  std::unique_ptr<ScsiTransport> t = Open(1);
  ASSERT_NE(t, nullptr);
  absl::StatusOr<ScsiLunInfo> info = ReadLunInfo(*t);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->address, Address(1));
  EXPECT_EQ(info->identity.bus_type, BusType::kIscsi);
  EXPECT_EQ(info->identity.vendor_id, "IET");
  EXPECT_EQ(info->identity.product_id, "VIRTUAL-DISK");
  EXPECT_FALSE(info->identity.serial_number.empty());
  EXPECT_TRUE(info->identity.HasUniqueDesignator());
  EXPECT_EQ(info->capacity_bytes(), kLunBytes);
  EXPECT_FALSE(info->extended_copy_lid1);  // tgt has no copy offload

  // LUN 2 is another LUN: a different unique designator.
  std::unique_ptr<ScsiTransport> other = Open(2);
  ASSERT_NE(other, nullptr);
  absl::StatusOr<ScsiLunInfo> other_info = ReadLunInfo(*other);
  ASSERT_TRUE(other_info.ok()) << other_info.status();
  EXPECT_FALSE(info->identity.SameLunAs(other_info->identity));
}

}  // namespace
}  // namespace hwsnap::scsi
