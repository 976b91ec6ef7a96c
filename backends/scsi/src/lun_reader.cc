// ReadLunInfo (see hwsnap/scsi/lun_reader.h): the command sequence that
// describes one LUN, decoded by the parsers of this directory.
//
// Order: standard INQUIRY (re-read at full length when the first buffer was
// too small), VPD 0x00, 0x80 and 0x83 (each re-read at its full length when
// truncated); when INQUIRY's 3PC bit is set, VPD 0x8F if listed, else
// RECEIVE COPY RESULTS (OPERATING PARAMETERS) — LIO offers EXTENDED COPY
// (LID1) without page 0x8F — then READ CAPACITY(16) with a fall-back to (10)
// on ILLEGAL REQUEST. Capacity is read for block devices only (peripheral
// device type 0x00 or 0x0E); other device types (e.g. a target's controller
// LUN) come back with capacity 0 for the backend to refuse. Each command is retried up to twice on UNIT ATTENTION
// (a fresh login or a changed LUN reports one before the first real command).
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "hwsnap/logging.h"
#include "hwsnap/scsi/cdb.h"
#include "hwsnap/scsi/identity_builder.h"
#include "hwsnap/scsi/inquiry.h"
#include "hwsnap/scsi/lun_reader.h"
#include "hwsnap/scsi/read_capacity.h"
#include "hwsnap/scsi/sense.h"
#include "hwsnap/scsi/vpd.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi {
namespace {

constexpr std::uint16_t kFirstInquiryLength = 96;
constexpr std::uint16_t kFirstVpdLength = 252;
constexpr int kUnitAttentionRetries = 2;

class CommandRunner {
 public:
  CommandRunner(ScsiTransport& transport, absl::Duration timeout) : transport_(transport), timeout_(timeout) {}

  // Runs a data-in command; returns its data or the classified failure.
  absl::StatusOr<std::vector<std::uint8_t>> DataIn(std::vector<std::uint8_t> cdb, std::uint32_t length,
                                                   absl::string_view what) {
    ScsiCommand command;
    command.cdb = std::move(cdb);
    command.direction = DataDirection::kFromDevice;
    command.data_in_length = length;
    command.timeout = timeout_;
    for (int attempt = 0;; ++attempt) {
      absl::StatusOr<ScsiResult> result = transport_.Execute(command);
      if (!result.ok()) return Annotate(result.status(), what);
      if (IsUnitAttention(*result) && attempt < kUnitAttentionRetries) continue;
      if (absl::Status s = CheckScsiResult(*result, what); !s.ok()) return s;
      return std::move(result->data_in);
    }
  }

  // A VPD page, re-read once at its full length when the first read was cut.
  absl::StatusOr<std::vector<std::uint8_t>> VpdPage(std::uint8_t page) {
    const std::string what = absl::StrFormat("INQUIRY VPD 0x%02x", page);
    absl::StatusOr<std::vector<std::uint8_t>> data = DataIn(BuildInquiryVpd(page, kFirstVpdLength), kFirstVpdLength, what);
    if (!data.ok()) return data;
    absl::StatusOr<std::uint32_t> full = VpdFullLength(*data);
    if (full.ok() && *full > data->size()) {
      const auto length = static_cast<std::uint16_t>(std::min<std::uint32_t>(*full, 0xFFFF));
      data = DataIn(BuildInquiryVpd(page, length), length, what);
    }
    return data;
  }

 private:
  static bool IsUnitAttention(const ScsiResult& r) {
    if (r.status != kStatusCheckCondition) return false;
    absl::StatusOr<SenseData> sense = ParseSense(r.sense);
    return sense.ok() && sense->sense_key == SenseKey::kUnitAttention;
  }

  ScsiTransport& transport_;
  absl::Duration timeout_;
};

absl::StatusOr<StandardInquiry> ReadInquiry(CommandRunner& run) {
  absl::StatusOr<std::vector<std::uint8_t>> data =
      run.DataIn(BuildInquiry(kFirstInquiryLength), kFirstInquiryLength, "INQUIRY");
  if (!data.ok()) return data.status();
  absl::StatusOr<StandardInquiry> inquiry = ParseStandardInquiry(*data);
  if (!inquiry.ok()) return inquiry;
  if (inquiry->full_length() > data->size() && data->size() >= kFirstInquiryLength) {
    const auto length = static_cast<std::uint16_t>(inquiry->full_length());
    data = run.DataIn(BuildInquiry(length), length, "INQUIRY");
    if (!data.ok()) return data.status();
    inquiry = ParseStandardInquiry(*data);
  }
  return inquiry;
}

// With 3PC set: VPD 0x8F's supported commands when the LUN lists the page;
// otherwise (LIO has no page 0x8F yet does EXTENDED COPY) whether RECEIVE
// COPY RESULTS with OPERATING PARAMETERS succeeds, as sg_xcopy decides.
absl::StatusOr<bool> OffersExtendedCopyLid1(CommandRunner& run, const SupportedVpdPages& supported) {
  if (supported.Has(kVpdThirdPartyCopy)) {
    absl::StatusOr<std::vector<std::uint8_t>> page = run.VpdPage(kVpdThirdPartyCopy);
    if (!page.ok()) return page.status();
    absl::StatusOr<ThirdPartyCopyPage> parsed = ParseVpdThirdPartyCopy(*page);
    if (!parsed.ok()) return parsed.status();
    return parsed->SupportsExtendedCopyLid1();
  }
  constexpr std::uint32_t kLength = 512;
  absl::StatusOr<std::vector<std::uint8_t>> data =
      run.DataIn(BuildReceiveCopyResults(kSaOperatingParameters, 0, kLength), kLength,
                 "RECEIVE COPY RESULTS (OPERATING PARAMETERS)");
  // An optional probe: whatever makes it fail (ILLEGAL REQUEST, but also NOT
  // READY or BUSY on a healthy LUN) means "no offload we can count on", never
  // a LUN whose identity cannot be read.
  return data.ok();
}

absl::Status ReadCapacityInto(CommandRunner& run, ScsiLunInfo& info) {
  absl::StatusOr<std::vector<std::uint8_t>> data = run.DataIn(BuildReadCapacity16(32), 32, "READ CAPACITY(16)");
  absl::StatusOr<ReadCapacity> capacity;
  if (data.ok()) {
    capacity = ParseReadCapacity16(*data);
  } else if (GetErrorCode(data.status()) == ErrorCode::kNotSupported) {
    data = run.DataIn(BuildReadCapacity10(), 8, "READ CAPACITY(10)");
    if (!data.ok()) return data.status();
    capacity = ParseReadCapacity10(*data);
    if (capacity.ok() && capacity->needs_read_capacity16) {
      return BackendFailureError("READ CAPACITY(10) reports a LUN too large for it, and READ CAPACITY(16) was "
                                 "rejected");
    }
  } else {
    return data.status();
  }
  if (!capacity.ok()) return capacity.status();
  info.block_count = capacity->block_count;
  info.block_length = capacity->block_length;
  info.thin_provisioned = capacity->lbpme;
  return absl::OkStatus();
}

absl::StatusOr<ScsiLunInfo> ReadLunInfoUnannotated(ScsiTransport& transport, absl::Duration timeout) {
  CommandRunner run(transport, timeout);
  ScsiLunInfo info;
  info.address = transport.Address();

  absl::StatusOr<StandardInquiry> inquiry = ReadInquiry(run);
  if (!inquiry.ok()) return inquiry.status();
  if (inquiry->peripheral_qualifier != 0) {
    return ObjectNotFoundError(absl::StrFormat("no LUN at this address (INQUIRY peripheral qualifier %d, device "
                                               "type 0x%02x)", inquiry->peripheral_qualifier,
                                               inquiry->peripheral_device_type));
  }

  // VPD 0x00; a device without VPD support (ILLEGAL REQUEST) has no pages.
  SupportedVpdPages supported;
  absl::StatusOr<std::vector<std::uint8_t>> page = run.VpdPage(kVpdSupportedPages);
  if (page.ok()) {
    absl::StatusOr<SupportedVpdPages> parsed = ParseVpdSupportedPages(*page);
    if (!parsed.ok()) return parsed.status();
    supported = std::move(*parsed);
  } else if (GetErrorCode(page.status()) != ErrorCode::kNotSupported) {
    return page.status();
  }
  info.vpd_pages = supported.pages;

  std::optional<UnitSerialNumberPage> serial;
  if (supported.Has(kVpdUnitSerialNumber)) {
    page = run.VpdPage(kVpdUnitSerialNumber);
    if (!page.ok()) return page.status();
    absl::StatusOr<UnitSerialNumberPage> parsed = ParseVpdUnitSerialNumber(*page);
    if (!parsed.ok()) return parsed.status();
    serial = std::move(*parsed);
  }
  std::optional<DeviceIdentificationPage> device_ids;
  if (supported.Has(kVpdDeviceIdentification)) {
    page = run.VpdPage(kVpdDeviceIdentification);
    if (!page.ok()) return page.status();
    absl::StatusOr<DeviceIdentificationPage> parsed = ParseVpdDeviceIdentification(*page);
    if (!parsed.ok()) return parsed.status();
    device_ids = std::move(*parsed);
  }
  if (inquiry->third_party_copy) {
    absl::StatusOr<bool> lid1 = OffersExtendedCopyLid1(run, supported);
    if (!lid1.ok()) return lid1.status();
    info.extended_copy_lid1 = *lid1;
  }

  IdentityPages pages;
  pages.inquiry = *inquiry;
  pages.serial = serial ? &*serial : nullptr;
  pages.device_ids = device_ids ? &*device_ids : nullptr;
  pages.bus_type = transport.bus_type();
  absl::StatusOr<BuiltIdentity> built = BuildLunIdentity(pages);
  if (!built.ok()) return built.status();
  if (!built->dropped.empty()) {
    GetLogger("scsi.lun_reader")->warn("{}: designators left out of the identity: {}", info.address,
                                       absl::StrJoin(built->dropped, "; "));
  }
  info.identity = std::move(built->identity);

  const std::uint8_t type = inquiry->peripheral_device_type;
  if (type == 0x00 || type == 0x0E) {
    if (absl::Status s = ReadCapacityInto(run, info); !s.ok()) return s;
  }
  return info;
}

}  // namespace

absl::StatusOr<ScsiLunInfo> ReadLunInfo(ScsiTransport& transport, absl::Duration command_timeout) {
  absl::StatusOr<ScsiLunInfo> info = ReadLunInfoUnannotated(transport, command_timeout);
  if (!info.ok()) return Annotate(info.status(), transport.Address());
  return info;
}

}  // namespace hwsnap::scsi
