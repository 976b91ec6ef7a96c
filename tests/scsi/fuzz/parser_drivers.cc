// Parser fuzz drivers (see parser_drivers.h).
#include "fuzz/parser_drivers.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "hwsnap/scsi/cdb.h"
#include "hwsnap/scsi/identity_builder.h"
#include "hwsnap/scsi/inquiry.h"
#include "hwsnap/scsi/lun_reader.h"
#include "hwsnap/scsi/read_capacity.h"
#include "hwsnap/scsi/report_luns.h"
#include "hwsnap/scsi/sense.h"
#include "hwsnap/scsi/vpd.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi::fuzzing {
namespace {

template <typename T>
void Note(const absl::StatusOr<T>& r, Failures& out) {
  if (!r.ok()) out.push_back(r.status());
}
void Note(const absl::Status& s, Failures& out) {
  if (!s.ok()) out.push_back(s);
}

// A LUN that answers each command from the next bytes of the input:
// [kind][length][bytes...]; kind selects GOOD data, CHECK CONDITION sense,
// another status byte, or a transport error. Runs dry -> transport error.
class InputDrivenDevice : public ScsiTransport {
 public:
  explicit InputDrivenDevice(Bytes input) : input_(input) {}
  std::string Address() const override { return "fuzz://lun"; }
  BusType bus_type() const override { return BusType::kScsi; }
  absl::StatusOr<ScsiResult> Execute(const ScsiCommand& command) override {
    if (++commands_ > 64) return BackendFailureError("fuzz device: too many commands");
    if (input_.size() < 2) return BackendFailureError("fuzz device: input exhausted");
    const std::uint8_t kind = input_[0];
    std::size_t length = input_[1];
    if ((kind & 0x40) != 0 && input_.size() >= 3) {  // long answers (VPD 0x83 re-reads)
      length = (length << 8) | input_[2];
      input_.remove_prefix(1);
    }
    input_.remove_prefix(2);
    if (length > input_.size()) length = input_.size();
    const Bytes payload = input_.subspan(0, length);
    input_.remove_prefix(length);
    ScsiResult r;
    switch (kind & 0x07) {
      case 0: case 1: case 2: case 3:
        r.status = kStatusGood;
        r.data_in.assign(payload.begin(), payload.end());
        if (r.data_in.size() > command.data_in_length) r.data_in.resize(command.data_in_length);
        return r;
      case 4:
        r.status = kStatusCheckCondition;
        r.sense.assign(payload.begin(), payload.end());
        return r;
      case 5:
        r.status = payload.empty() ? kStatusBusy : payload[0];
        return r;
      case 6:
        return DeadlineExceededError("fuzz device: timed out");
      default:
        return BackendFailureError("fuzz device: link lost");
    }
  }

 private:
  Bytes input_;
  int commands_ = 0;
};

}  // namespace

Failures RunInquiry(Bytes data) {
  Failures out;
  absl::StatusOr<StandardInquiry> inq = ParseStandardInquiry(data);
  Note(inq, out);
  if (inq.ok()) {
    (void)NormalizeInquiryText(inq->vendor_id);
    (void)inq->full_length();
  }
  return out;
}

Failures RunVpd(Bytes data) {
  Failures out;
  Note(VpdFullLength(data), out);
  Note(ParseVpdSupportedPages(data), out);
  Note(ParseVpdUnitSerialNumber(data), out);
  Note(ParseVpdDeviceIdentification(data), out);
  Note(ParseVpdBlockLimits(data), out);
  Note(ParseVpdLogicalBlockProvisioning(data), out);
  absl::StatusOr<ThirdPartyCopyPage> tpc = ParseVpdThirdPartyCopy(data);
  Note(tpc, out);
  if (tpc.ok()) (void)tpc->SupportsExtendedCopyLid1();
  // The same bytes with each page code the parsers expect, so the body
  // parsers see every input (not only the ones whose byte 1 matches).
  if (data.size() >= 2) {
    std::vector<std::uint8_t> copy(data.begin(), data.end());
    for (std::uint8_t code : {kVpdSupportedPages, kVpdUnitSerialNumber, kVpdDeviceIdentification, kVpdThirdPartyCopy,
                              kVpdBlockLimits, kVpdLogicalBlockProvisioning}) {
      copy[1] = code;
      Note(ParseVpdSupportedPages(copy), out);
      Note(ParseVpdUnitSerialNumber(copy), out);
      Note(ParseVpdDeviceIdentification(copy), out);
      Note(ParseVpdBlockLimits(copy), out);
      Note(ParseVpdLogicalBlockProvisioning(copy), out);
      Note(ParseVpdThirdPartyCopy(copy), out);
    }
  }
  return out;
}

Failures RunSense(Bytes data) {
  Failures out;
  absl::StatusOr<SenseData> sense = ParseSense(data);
  Note(sense, out);
  if (sense.ok()) {
    Note(SenseToStatus(*sense, "FUZZ"), out);
    (void)sense->FieldPointerText();
  }
  ScsiResult r;
  r.status = kStatusCheckCondition;
  r.sense.assign(data.begin(), data.end());
  Note(CheckScsiResult(r, "FUZZ"), out);
  r.status = data.empty() ? kStatusGood : data[0];
  Note(CheckScsiResult(r, "FUZZ"), out);
  return out;
}

Failures RunReadCapacity(Bytes data) {
  Failures out;
  Note(ParseReadCapacity16(data), out);
  Note(ParseReadCapacity10(data), out);
  return out;
}

Failures RunReportLuns(Bytes data) {
  Failures out;
  absl::StatusOr<ReportLuns> luns = ParseReportLuns(data);
  Note(luns, out);
  if (luns.ok()) {
    for (const LunEntry& e : luns->luns) (void)e.ToString();
  }
  return out;
}

Failures RunCdb(Bytes data) {
  Failures out;
  absl::StatusOr<CdbInfo> cdb = ParseCdb(data);
  Note(cdb, out);
  if (cdb.ok()) (void)cdb->ToString();
  if (data.size() >= 8) {
    CopyLun src{std::vector<std::uint8_t>(data.begin(), data.begin() + (data[0] % 2 == 0 ? 8 : data.size() % 17)), 0,
                static_cast<std::uint32_t>(data[1]) << (data[2] % 24)};
    CopyLun dst = src;
    const CopySegment seg{data[3], data[4], static_cast<std::uint16_t>(data[5])};
    ExtendedCopyOptions options;
    options.list_id = data[6] % 2 == 0 ? 0 : data[6];
    options.hold_results = (data[7] & 1) != 0;
    options.priority = static_cast<std::uint8_t>(data[7] >> 4);
    Note(BuildExtendedCopyLid1Parameters(src, dst, {&seg, 1}, options), out);
  }
  return out;
}

Failures RunIdentity(Bytes data) {
  Failures out;
  // [len inquiry][inquiry][len 0x80][page 0x80][rest: page 0x83]
  if (data.size() < 2) return out;
  std::size_t a = std::min<std::size_t>(data[0], data.size() - 1);
  const Bytes inquiry_bytes = data.subspan(1, a);
  Bytes rest = data.subspan(1 + a);
  if (rest.empty()) return out;
  std::size_t b = std::min<std::size_t>(rest[0], rest.size() - 1);
  const Bytes serial_bytes = rest.subspan(1, b);
  const Bytes ids_bytes = rest.subspan(1 + b);
  absl::StatusOr<StandardInquiry> inq = ParseStandardInquiry(inquiry_bytes);
  Note(inq, out);
  if (!inq.ok()) return out;
  std::vector<std::uint8_t> serial_page = {0, 0x80, 0, static_cast<std::uint8_t>(serial_bytes.size())};
  serial_page.insert(serial_page.end(), serial_bytes.begin(), serial_bytes.end());
  absl::StatusOr<UnitSerialNumberPage> serial = ParseVpdUnitSerialNumber(serial_page);
  Note(serial, out);
  std::vector<std::uint8_t> ids_page = {0, 0x83, static_cast<std::uint8_t>(ids_bytes.size() >> 8),
                                        static_cast<std::uint8_t>(ids_bytes.size())};
  ids_page.insert(ids_page.end(), ids_bytes.begin(), ids_bytes.end());
  absl::StatusOr<DeviceIdentificationPage> ids = ParseVpdDeviceIdentification(ids_page);
  Note(ids, out);
  absl::StatusOr<BuiltIdentity> built = BuildLunIdentity(
      {*inq, serial.ok() ? &*serial : nullptr, ids.ok() ? &*ids : nullptr, BusType::kScsi});
  Note(built, out);
  if (built.ok()) {
    // A built identity always satisfies the core's validation.
    absl::Status valid = ValidateLunIdentity(built->identity);
    if (!valid.ok()) {
      std::fprintf(stderr, "built identity fails validation: %s\n", std::string(valid.message()).c_str());
      std::abort();
    }
    (void)built->identity.ToString();
  }
  return out;
}

Failures RunLunReader(Bytes data) {
  Failures out;
  InputDrivenDevice device(data);
  absl::StatusOr<ScsiLunInfo> info = ReadLunInfo(device, absl::Seconds(1));
  Note(info, out);
  if (info.ok()) {
    absl::Status valid = ValidateLunIdentity(info->identity);
    if (!valid.ok()) {
      std::fprintf(stderr, "ReadLunInfo identity fails validation: %s\n", std::string(valid.message()).c_str());
      std::abort();
    }
  }
  return out;
}

const std::vector<ParserDriver>& AllParserDrivers() {
  static const std::vector<ParserDriver>* drivers = new std::vector<ParserDriver>{
      {"inquiry", RunInquiry},         {"vpd", RunVpd},           {"sense", RunSense},
      {"read_capacity", RunReadCapacity}, {"report_luns", RunReportLuns}, {"cdb", RunCdb},
      {"identity", RunIdentity},       {"lun_reader", RunLunReader},
  };
  return *drivers;
}

void AbortUnlessClassified(const Failures& failures) {
  for (const absl::Status& s : failures) {
    if (!HasErrorCode(s)) {
      std::fprintf(stderr, "failure without an hwsnap domain code: %s\n", s.ToString().c_str());
      std::abort();
    }
  }
}

}  // namespace hwsnap::scsi::fuzzing
