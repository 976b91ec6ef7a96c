// A page-backed fake LUN (see fake_scsi_device.h).
#include "fake_scsi_device.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "fixture_loader.h"
#include "hwsnap/scsi/cdb.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi::testing {

std::vector<std::uint8_t> FixedSense(SenseKey key, std::uint8_t asc, std::uint8_t ascq) {
  std::vector<std::uint8_t> s(18, 0);
  s[0] = 0x70;
  s[2] = static_cast<std::uint8_t>(key);
  s[7] = 10;
  s[12] = asc;
  s[13] = ascq;
  return s;
}

std::vector<std::uint8_t> DescriptorSense(SenseKey key, std::uint8_t asc, std::uint8_t ascq) {
  return {0x72, static_cast<std::uint8_t>(key), asc, ascq, 0, 0, 0, 0};
}

FakeScsiDevice::FakeScsiDevice(std::string address, BusType bus_type)
    : address_(std::move(address)), bus_type_(bus_type) {}

void FakeScsiDevice::SetStandardInquiry(std::vector<std::uint8_t> data) { inquiry_ = std::move(data); }
void FakeScsiDevice::SetVpdPage(std::uint8_t page_code, std::vector<std::uint8_t> page) {
  vpd_[page_code] = std::move(page);
}
void FakeScsiDevice::RemoveVpdPage(std::uint8_t page_code) { vpd_.erase(page_code); }
void FakeScsiDevice::SetReadCapacity16(std::vector<std::uint8_t> data) { read_capacity16_ = std::move(data); }
void FakeScsiDevice::SetReadCapacity10(std::vector<std::uint8_t> data) { read_capacity10_ = std::move(data); }
void FakeScsiDevice::SetReportLuns(std::vector<std::uint8_t> data) { report_luns_ = std::move(data); }
void FakeScsiDevice::SetReceiveCopyOperatingParameters(std::vector<std::uint8_t> data) {
  copy_operating_parameters_ = std::move(data);
}

absl::Status FakeScsiDevice::LoadFixtureDirectory(const std::string& relative_directory) {
  absl::StatusOr<std::vector<Fixture>> fixtures = testing::LoadFixtureDirectory(relative_directory);
  if (!fixtures.ok()) return fixtures.status();
  // Only the plain names (inquiry.hex, vpd83.hex, ...) describe the LUN;
  // variants (inquiry_absent_lun.hex) and sense_*.hex are for parser tests.
  bool has_inquiry = false;
  for (Fixture& f : *fixtures) {
    const bool vpd_name = f.stem.size() == 5 && f.stem.rfind("vpd", 0) == 0;
    if (f.stem == "inquiry") {
      SetStandardInquiry(std::move(f.bytes));
      has_inquiry = true;
    } else if (f.stem == "readcap16") {
      SetReadCapacity16(std::move(f.bytes));
    } else if (f.stem == "readcap10") {
      SetReadCapacity10(std::move(f.bytes));
    } else if (f.stem == "report_luns") {
      SetReportLuns(std::move(f.bytes));
    } else if (f.stem == "receive_copy_operating_parameters") {
      SetReceiveCopyOperatingParameters(std::move(f.bytes));
    } else if (vpd_name && f.bytes.size() >= 4) {
      const std::uint8_t page_code = f.bytes[1];  // read before the move
      SetVpdPage(page_code, std::move(f.bytes));
    }
  }
  if (!has_inquiry) return InvalidArgumentError(absl::StrCat(relative_directory, " has no inquiry.hex"));
  return absl::OkStatus();
}

void FakeScsiDevice::FailCommand(std::uint8_t opcode, std::vector<std::uint8_t> sense, int times,
                                 std::optional<std::uint8_t> service_action) {
  Fault f;
  f.opcode = opcode;
  f.service_action = service_action;
  f.remaining = times;
  f.sense = std::move(sense);
  faults_.push_back(std::move(f));
}

void FakeScsiDevice::FailCommandWithStatus(std::uint8_t opcode, std::uint8_t status, int times) {
  Fault f;
  f.opcode = opcode;
  f.remaining = times;
  f.status = status;
  faults_.push_back(std::move(f));
}

void FakeScsiDevice::FailCommandWithTransportError(std::uint8_t opcode, absl::Status error, int times) {
  Fault f;
  f.opcode = opcode;
  f.remaining = times;
  f.transport_error = error.ok() ? BackendFailureError("injected transport failure") : std::move(error);
  faults_.push_back(std::move(f));
}

void FakeScsiDevice::RaiseUnitAttention() { unit_attention_ = true; }

int FakeScsiDevice::CountCommands(std::uint8_t opcode) const {
  return static_cast<int>(std::count_if(commands_.begin(), commands_.end(), [opcode](const ScsiCommand& c) {
    return !c.cdb.empty() && c.cdb[0] == opcode;
  }));
}

ScsiResult FakeScsiDevice::Good(const std::vector<std::uint8_t>& data, std::uint32_t allocation_length) const {
  ScsiResult r;
  r.status = kStatusGood;
  const std::size_t n = std::min<std::size_t>(data.size(), allocation_length);
  r.data_in.assign(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
  return r;
}

ScsiResult FakeScsiDevice::Check(SenseKey key, std::uint8_t asc, std::uint8_t ascq) {
  ScsiResult r;
  r.status = kStatusCheckCondition;
  r.sense = FixedSense(key, asc, ascq);
  return r;
}

std::vector<std::uint8_t> FakeScsiDevice::SupportedPages() const {
  std::vector<std::uint8_t> pages = {0x00};
  for (const auto& [code, bytes] : vpd_) {
    if (code != 0x00) pages.push_back(code);
  }
  // Built by push_back: GCC 12 at -O2 misreads insert() after a 4-byte
  // initializer list as an out-of-bounds memcpy (-Warray-bounds).
  std::vector<std::uint8_t> page;
  page.reserve(4 + pages.size());
  page.push_back(inquiry_ && !inquiry_->empty() ? (*inquiry_)[0] : std::uint8_t{0});
  page.push_back(0x00);
  page.push_back(0x00);
  page.push_back(static_cast<std::uint8_t>(pages.size()));
  for (std::uint8_t code : pages) page.push_back(code);
  return page;
}

absl::StatusOr<ScsiResult> FakeScsiDevice::Execute(const ScsiCommand& command) {
  commands_.push_back(command);
  absl::StatusOr<CdbInfo> cdb = ParseCdb(command.cdb);
  if (!cdb.ok()) return cdb.status();
  if (command.direction == DataDirection::kFromDevice && command.data_in_length == 0) {
    return InvalidArgumentError("fake device: data-in command without a buffer");
  }
  const std::uint32_t offered = command.direction == DataDirection::kFromDevice ? command.data_in_length : 0;

  for (Fault& f : faults_) {
    if (f.remaining == 0 || f.opcode != cdb->opcode) continue;
    if (f.service_action) {
      const bool match = cdb->opcode == kOpInquiry ? (cdb->evpd && cdb->page_code == *f.service_action)
                                                   : (cdb->service_action == f.service_action);
      if (!match) continue;
    }
    if (f.remaining > 0) --f.remaining;
    if (!f.transport_error.ok()) return f.transport_error;
    ScsiResult r;
    r.status = f.status;
    if (f.status == kStatusCheckCondition) r.sense = f.sense;
    return r;
  }
  if (unit_attention_ && cdb->opcode != kOpInquiry && cdb->opcode != kOpReportLuns &&
      cdb->opcode != kOpRequestSense) {
    unit_attention_ = false;
    return Check(SenseKey::kUnitAttention, 0x29, 0x00);
  }

  switch (cdb->opcode) {
    case kOpTestUnitReady:
      return ScsiResult{};
    case kOpInquiry:
      if (!cdb->evpd) {
        if (cdb->page_code != 0) return Check(SenseKey::kIllegalRequest, 0x24, 0x00);
        if (!inquiry_) return Check(SenseKey::kIllegalRequest, 0x25, 0x00);
        return Good(*inquiry_, std::min(offered, cdb->allocation_length));
      }
      if (cdb->page_code == 0x00 && vpd_.count(0x00) == 0) {
        return Good(SupportedPages(), std::min(offered, cdb->allocation_length));
      }
      if (auto it = vpd_.find(cdb->page_code); it != vpd_.end()) {
        return Good(it->second, std::min(offered, cdb->allocation_length));
      }
      return Check(SenseKey::kIllegalRequest, 0x24, 0x00);
    case kOpServiceActionIn16:
      if (cdb->service_action == kSaReadCapacity16 && read_capacity16_) {
        return Good(*read_capacity16_, std::min(offered, cdb->allocation_length));
      }
      return Check(SenseKey::kIllegalRequest, 0x20, 0x00);
    case kOpReadCapacity10:
      if (read_capacity10_) return Good(*read_capacity10_, offered);
      return Check(SenseKey::kIllegalRequest, 0x20, 0x00);
    case kOpReportLuns:
      if (report_luns_) return Good(*report_luns_, std::min(offered, cdb->allocation_length));
      return Check(SenseKey::kIllegalRequest, 0x20, 0x00);
    case kOpReceiveCopyResults:
      if (cdb->service_action == kSaOperatingParameters && copy_operating_parameters_) {
        return Good(*copy_operating_parameters_, std::min(offered, cdb->allocation_length));
      }
      return Check(SenseKey::kIllegalRequest, 0x20, 0x00);
    default:
      return Check(SenseKey::kIllegalRequest, 0x20, 0x00);
  }
}

}  // namespace hwsnap::scsi::testing
