// The Linux SG_IO transport (hwsnap/scsi/sg_io_transport.h): one file
// descriptor on /dev/sgN or /dev/sdX, one ioctl(SG_IO) per command. errno
// becomes a Status in PosixError; SG_IO's host/driver codes in
// DecodeSgIoOutcome.
#include "hwsnap/scsi/sg_io_transport.h"

#include <fcntl.h>
#include <scsi/sg.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi {
namespace {

// SPC's longest sense data.
constexpr std::size_t kSenseBufferLength = 252;
// SG_IO v3 drivers report 30000 or more.
constexpr int kMinSgVersion = 30000;

// Linux host_status values (include/scsi/scsi_status.h, DID_*).
constexpr std::uint16_t kDidOk = 0x00;
constexpr std::uint16_t kDidTimeOut = 0x03;
// Linux driver_status values (low nibble; DRIVER_*).
constexpr std::uint16_t kDriverMask = 0x0f;
constexpr std::uint16_t kDriverOk = 0x00;
constexpr std::uint16_t kDriverTimeout = 0x06;
constexpr std::uint16_t kDriverSense = 0x08;

// The one place errno becomes a Status in this file.
absl::Status PosixError(absl::string_view what, int err) {
  return BackendFailureError(absl::StrCat(what, ": ", std::strerror(err)));
}

absl::string_view HostStatusName(std::uint16_t host_status) {
  switch (host_status) {
    case 0x01: return "DID_NO_CONNECT";
    case 0x02: return "DID_BUS_BUSY";
    case 0x03: return "DID_TIME_OUT";
    case 0x04: return "DID_BAD_TARGET";
    case 0x05: return "DID_ABORT";
    case 0x06: return "DID_PARITY";
    case 0x07: return "DID_ERROR";
    case 0x08: return "DID_RESET";
    case 0x09: return "DID_BAD_INTR";
    case 0x0a: return "DID_PASSTHROUGH";
    case 0x0b: return "DID_SOFT_ERROR";
    case 0x0c: return "DID_IMM_RETRY";
    case 0x0d: return "DID_REQUEUE";
    case 0x0e: return "DID_TRANSPORT_DISRUPTED";
    case 0x0f: return "DID_TRANSPORT_FAILFAST";
    case 0x10: return "DID_TARGET_FAILURE";
    case 0x11: return "DID_NEXUS_FAILURE";
    case 0x12: return "DID_ALLOC_FAILURE";
    case 0x13: return "DID_MEDIUM_ERROR";
    case 0x14: return "DID_TRANSPORT_MARGINAL";
    default: return "unknown host status";
  }
}

absl::Status CheckCommand(const ScsiCommand& command) {
  return ValidateScsiCommand(command, {"SG_IO", std::numeric_limits<unsigned char>::max(),
                                       std::numeric_limits<unsigned int>::max()});
}

class SgIoTransport final : public ScsiTransport {
 public:
  SgIoTransport(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~SgIoTransport() override { close(fd_); }
  SgIoTransport(const SgIoTransport&) = delete;
  SgIoTransport& operator=(const SgIoTransport&) = delete;

  std::string Address() const override { return path_; }
  BusType bus_type() const override { return BusType::kScsi; }

  absl::StatusOr<ScsiResult> Execute(const ScsiCommand& command) override {
    const std::string what = absl::StrFormat("SCSI command 0x%02x to %s",
                                             command.cdb.empty() ? 0 : command.cdb[0], path_);
    if (absl::Status valid = CheckCommand(command); !valid.ok()) return Annotate(valid, what);

    std::vector<unsigned char> cdb(command.cdb.begin(), command.cdb.end());
    std::vector<unsigned char> data;
    sg_io_hdr_t hdr;
    std::memset(&hdr, 0, sizeof(hdr));
    hdr.interface_id = 'S';
    hdr.dxfer_direction = SG_DXFER_NONE;
    if (command.direction == DataDirection::kFromDevice) {
      hdr.dxfer_direction = SG_DXFER_FROM_DEV;
      data.assign(command.data_in_length, 0);
    } else if (command.direction == DataDirection::kToDevice) {
      hdr.dxfer_direction = SG_DXFER_TO_DEV;
      data.assign(command.data_out.begin(), command.data_out.end());
    }
    hdr.cmd_len = static_cast<unsigned char>(cdb.size());
    hdr.cmdp = cdb.data();
    hdr.dxfer_len = static_cast<unsigned int>(data.size());
    hdr.dxferp = data.empty() ? nullptr : data.data();
    unsigned char sense[kSenseBufferLength] = {};
    hdr.mx_sb_len = static_cast<unsigned char>(sizeof(sense));
    hdr.sbp = sense;
    const std::int64_t timeout_ms = absl::ToInt64Milliseconds(
        absl::Ceil(command.timeout, absl::Milliseconds(1)));
    hdr.timeout = static_cast<unsigned int>(
        std::clamp<std::int64_t>(timeout_ms, 1, std::numeric_limits<unsigned int>::max()));

    SgIoOutcome outcome;
    if (ioctl(fd_, SG_IO, &hdr) < 0) outcome.ioctl_errno = errno;
    outcome.status = hdr.status;
    outcome.host_status = hdr.host_status;
    outcome.driver_status = hdr.driver_status;
    outcome.resid = hdr.resid;
    if (command.direction == DataDirection::kFromDevice) outcome.data_in = std::move(data);
    const std::size_t sense_length = std::min<std::size_t>(hdr.sb_len_wr, sizeof(sense));
    outcome.sense.assign(sense, sense + sense_length);
    return DecodeSgIoOutcome(std::move(outcome), what);
  }

 private:
  const std::string path_;
  const int fd_;
};

}  // namespace

absl::StatusOr<ScsiResult> DecodeSgIoOutcome(SgIoOutcome outcome, absl::string_view what) {
  if (outcome.ioctl_errno != 0) {
    return PosixError(absl::StrCat(what, ": ioctl(SG_IO)"), outcome.ioctl_errno);
  }
  const std::uint16_t driver = outcome.driver_status & kDriverMask;
  if (outcome.host_status == kDidTimeOut || driver == kDriverTimeout) {
    return DeadlineExceededError(
        absl::StrCat(what, ": timed out; the kernel aborted the command"));
  }
  if (outcome.host_status != kDidOk) {
    return BackendFailureError(absl::StrFormat("%s: host status 0x%02x (%s)", what,
                                               outcome.host_status,
                                               HostStatusName(outcome.host_status)));
  }
  if (driver != kDriverOk && driver != kDriverSense) {
    return BackendFailureError(
        absl::StrFormat("%s: driver status 0x%02x", what, outcome.driver_status));
  }
  ScsiResult result;
  result.status = outcome.status;
  const std::size_t offered = outcome.data_in.size();
  const std::size_t resid =
      outcome.resid <= 0 ? 0 : std::min<std::size_t>(static_cast<std::size_t>(outcome.resid), offered);
  outcome.data_in.resize(offered - resid);
  result.data_in = std::move(outcome.data_in);
  if (outcome.sense.size() > kSenseBufferLength) outcome.sense.resize(kSenseBufferLength);
  result.sense = std::move(outcome.sense);
  return result;
}

absl::StatusOr<std::unique_ptr<ScsiTransport>> OpenSgIoTransport(const std::string& path) {
  const int fd = open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return PosixError(absl::StrCat("open ", path), errno);
  int version = 0;
  if (ioctl(fd, SG_GET_VERSION_NUM, &version) < 0) {
    const int err = errno;
    close(fd);
    return PosixError(absl::StrCat(path, " is not a SCSI generic or SCSI disk device "
                                         "(SG_GET_VERSION_NUM)"),
                      err);
  }
  if (version < kMinSgVersion) {
    close(fd);
    return BackendFailureError(
        absl::StrCat(path, ": sg driver version ", version, " predates SG_IO v3"));
  }
  return std::unique_ptr<ScsiTransport>(std::make_unique<SgIoTransport>(path, fd));
}

}  // namespace hwsnap::scsi
