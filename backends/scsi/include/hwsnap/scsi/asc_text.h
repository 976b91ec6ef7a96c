// hwsnap/scsi/asc_text.h — words for ADDITIONAL SENSE CODE / QUALIFIER pairs.
//
// The subset of SPC-4 Annex D (table D.1) that block devices, copy offload
// and thin provisioning report, so error messages and logs say "space
// allocation failed write protect" instead of "27/07". Also the capacity
// classification SenseToStatus uses.
//
//   AscText(0x04, 0x01)  // "logical unit is in process of becoming ready"
//   AscText(0x80, 0x12)  // "vendor specific asc 0x80/0x12"
#ifndef HWSNAP_SCSI_ASC_TEXT_H_
#define HWSNAP_SCSI_ASC_TEXT_H_

#include <cstdint>
#include <string>

namespace hwsnap::scsi {

// Lower-case text for asc/ascq; a generic text for pairs not in the table
// (vendor-specific ranges are named as such).
std::string AscText(std::uint8_t asc, std::uint8_t ascq);

// True for the pairs that mean "the storage has no room / resources for this"
// (thin-provisioning space allocation, insufficient resources, ROD resources).
bool IsCapacityExhausted(std::uint8_t asc, std::uint8_t ascq);

}  // namespace hwsnap::scsi

#endif  // HWSNAP_SCSI_ASC_TEXT_H_
