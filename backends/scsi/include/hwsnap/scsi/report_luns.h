// hwsnap/scsi/report_luns.h — decodes REPORT LUNS parameter data (SPC-4 6.33, SAM-5 4.7).
//
// Which LUNs a target offers, as 8-byte LUN structures. hwsnap decodes the
// first level of each (peripheral device, flat space, extended flat space,
// well-known LUNs) into the number an address like iscsi://.../TARGET/7 uses.
//
//   absl::StatusOr<ReportLuns> luns = ParseReportLuns(result.data_in);
//   if (luns->truncated) ... re-read with allocation length luns->full_length()
//   for (const LunEntry& e : luns->luns) if (e.decoded) use(e.number);
#ifndef HWSNAP_SCSI_REPORT_LUNS_H_
#define HWSNAP_SCSI_REPORT_LUNS_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace hwsnap::scsi {

enum class LunAddressMethod : std::uint8_t {
  kPeripheral = 0,  // 00b
  kFlat = 1,        // 01b
  kLogicalUnit = 2, // 10b (target/bus/LUN)
  kExtended = 3,    // 11b
};

struct LunEntry {
  std::array<std::uint8_t, 8> raw{};
  LunAddressMethod method = LunAddressMethod::kPeripheral;
  // The LUN number when the first level decodes to one (peripheral with bus
  // 0, flat, extended flat/long extended flat, well-known).
  bool decoded = false;
  std::uint64_t number = 0;
  bool well_known = false;     // a W-LUN (e.g. REPORT LUNS W-LUN 0xc101)
  bool multi_level = false;    // bytes 2-7 not all zero for a single-level form
  // "lun 7", "w-lun 0x01", "raw 4001000000000000"
  std::string ToString() const;
};

struct ReportLuns {
  std::uint32_t list_length = 0;  // LUN LIST LENGTH (bytes of entries)
  std::vector<LunEntry> luns;     // the entries received (whole 8-byte ones)
  bool truncated = false;         // the list is longer than what was received
  std::uint32_t full_length() const { return list_length + 8u; }
};

// Errors (kBackendFailure): fewer than 8 bytes, a LUN LIST LENGTH that is not
// a multiple of 8.
absl::StatusOr<ReportLuns> ParseReportLuns(absl::Span<const std::uint8_t> data);

// Decodes one 8-byte LUN structure (never fails; see LunEntry::decoded).
LunEntry DecodeLun(const std::array<std::uint8_t, 8>& raw);

}  // namespace hwsnap::scsi

#endif  // HWSNAP_SCSI_REPORT_LUNS_H_
