// fake_scsi_device.h — a ScsiTransport that answers from a set of pages.
//
// Stands in for a LUN in tests of anything that speaks SCSI through
// ScsiTransport (ReadLunInfo, the backend, strategies): it answers standard
// INQUIRY, INQUIRY EVPD, READ CAPACITY(16)/(10), REPORT LUNS and TEST UNIT
// READY from the bytes it holds, cut to the allocation length like a real
// device, and CHECK CONDITION (ILLEGAL REQUEST) for pages and commands it
// lacks. Failures are injected per command: CHECK CONDITION with given
// sense, another status byte, a transport error, or a one-off UNIT
// ATTENTION. Every command received is recorded. With operating parameters
// set it also answers RECEIVE COPY RESULTS (OPERATING PARAMETERS).
//
//   FakeScsiDevice lun("fake://tgt/1", BusType::kIscsi);
//   ASSERT_OK(lun.LoadFixtureDirectory("tgt/lun1"));      // inquiry.hex, vpd83.hex, ...
//   lun.FailCommand(kOpServiceActionIn16, FixedSense(SenseKey::kIllegalRequest, 0x20, 0x00));
//   absl::StatusOr<ScsiLunInfo> info = ReadLunInfo(lun);  // falls back to READ CAPACITY(10)
//
// Not thread-safe (neither is a transport).
#ifndef HWSNAP_TESTS_SCSI_FAKE_SCSI_DEVICE_H_
#define HWSNAP_TESTS_SCSI_FAKE_SCSI_DEVICE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "hwsnap/lun_identity.h"
#include "hwsnap/scsi/scsi_transport.h"
#include "hwsnap/scsi/sense.h"

namespace hwsnap::scsi::testing {

// Fixed-format (0x70) sense with the given key/asc/ascq (18 bytes).
std::vector<std::uint8_t> FixedSense(SenseKey key, std::uint8_t asc, std::uint8_t ascq);
// Descriptor-format (0x72) sense with no descriptors (8 bytes).
std::vector<std::uint8_t> DescriptorSense(SenseKey key, std::uint8_t asc, std::uint8_t ascq);

class FakeScsiDevice : public ScsiTransport {
 public:
  explicit FakeScsiDevice(std::string address = "fake://lun", BusType bus_type = BusType::kIscsi);

  // Response data (complete, as the device would send with a large buffer).
  void SetStandardInquiry(std::vector<std::uint8_t> data);
  // A VPD page including its 4-byte header. Unless SetVpdPage(0x00, ...) is
  // called, page 0x00 is generated from the pages set (ascending).
  void SetVpdPage(std::uint8_t page_code, std::vector<std::uint8_t> page);
  void RemoveVpdPage(std::uint8_t page_code);
  void SetReadCapacity16(std::vector<std::uint8_t> data);
  void SetReadCapacity10(std::vector<std::uint8_t> data);
  void SetReportLuns(std::vector<std::uint8_t> data);
  // RECEIVE COPY RESULTS service action 0x03 (a copy manager's limits).
  void SetReceiveCopyOperatingParameters(std::vector<std::uint8_t> data);

  // Loads the LUN in fixtures/<relative_directory>: inquiry.hex, every
  // vpdXX.hex, readcap16/10.hex, report_luns.hex and
  // receive_copy_operating_parameters.hex (variants and sense_* files are
  // ignored). Errors: the directory has no inquiry.hex.
  absl::Status LoadFixtureDirectory(const std::string& relative_directory);

  // The next `times` commands with `opcode` (and `service_action` when given;
  // for INQUIRY the service action matches the EVPD page code, with EVPD set)
  // complete with CHECK CONDITION and `sense`. times < 0: every time.
  void FailCommand(std::uint8_t opcode, std::vector<std::uint8_t> sense, int times = -1,
                   std::optional<std::uint8_t> service_action = std::nullopt);
  // Same, completing with status byte `status` (BUSY, TASK SET FULL, ...) and no data.
  void FailCommandWithStatus(std::uint8_t opcode, std::uint8_t status, int times = -1);
  // Same, Execute itself returns `error` (a transport failure or timeout).
  void FailCommandWithTransportError(std::uint8_t opcode, absl::Status error, int times = -1);
  // The next command other than INQUIRY, REPORT LUNS and REQUEST SENSE gets
  // CHECK CONDITION / UNIT ATTENTION 0x29/0x00 (as after a reset or login), once.
  void RaiseUnitAttention();

  // Every command received, in order.
  const std::vector<ScsiCommand>& commands() const { return commands_; }
  // How many received commands had `opcode`.
  int CountCommands(std::uint8_t opcode) const;

  // ScsiTransport.
  std::string Address() const override { return address_; }
  BusType bus_type() const override { return bus_type_; }
  absl::StatusOr<ScsiResult> Execute(const ScsiCommand& command) override;

 private:
  struct Fault {
    std::uint8_t opcode = 0;
    std::optional<std::uint8_t> service_action;
    int remaining = -1;
    std::uint8_t status = kStatusCheckCondition;
    std::vector<std::uint8_t> sense;
    absl::Status transport_error;  // non-OK: Execute returns it
  };

  ScsiResult Good(const std::vector<std::uint8_t>& data, std::uint32_t allocation_length) const;
  static ScsiResult Check(SenseKey key, std::uint8_t asc, std::uint8_t ascq);
  std::vector<std::uint8_t> SupportedPages() const;

  std::string address_;
  BusType bus_type_;
  std::optional<std::vector<std::uint8_t>> inquiry_;
  std::map<std::uint8_t, std::vector<std::uint8_t>> vpd_;
  std::optional<std::vector<std::uint8_t>> read_capacity16_;
  std::optional<std::vector<std::uint8_t>> read_capacity10_;
  std::optional<std::vector<std::uint8_t>> report_luns_;
  std::optional<std::vector<std::uint8_t>> copy_operating_parameters_;
  std::vector<Fault> faults_;
  bool unit_attention_ = false;
  std::vector<ScsiCommand> commands_;
};

}  // namespace hwsnap::scsi::testing

#endif  // HWSNAP_TESTS_SCSI_FAKE_SCSI_DEVICE_H_
