// hwsnap/nvme/identify.h — Identify data structures, parsed from bytes.
//
// Pure parsers over byte spans (no OS headers, no libnvme: they build for
// Linux, MinGW and libFuzzer alike and never trust the device): Identify
// Controller (CNS 01h), Identify Namespace (CNS 00h / 11h), the Namespace
// Identification Descriptor list (CNS 03h) and namespace/controller ID lists
// (CNS 02h, 10h, 12h, 13h). Offsets follow NVMe Base Specification 2.0; tests
// cross-check them against Debian's libnvme-dev structs (nvme/types.h).
// Every parser returns kInvalidArgument with the offending field for data
// too short or inconsistent; it never reads past the span.
#ifndef HWSNAP_NVME_IDENTIFY_H_
#define HWSNAP_NVME_IDENTIFY_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace hwsnap::nvme {

inline constexpr std::size_t kIdentifyDataBytes = 4096;

// Identify Controller (CNS 01h): what the backend needs of it.
struct IdentifyController {
  std::uint16_t vid = 0;               // PCI vendor id
  std::uint16_t ssvid = 0;             // PCI subsystem vendor id
  std::string serial_number;           // SN, bytes 23:04, trailing spaces removed
  std::string model_number;            // MN, bytes 63:24, trailing spaces removed
  std::string firmware_revision;       // FR, bytes 71:64, trailing spaces removed
  std::array<std::uint8_t, 3> ieee_oui{};  // IEEE, bytes 75:73 (as stored: LSB first)
  std::uint8_t cmic = 0;               // multi-path I/O and namespace sharing
  std::uint8_t mdts = 0;               // max data transfer size, 2^n units of CAP.MPSMIN (0 = none)
  std::uint16_t cntlid = 0;            // controller id
  std::uint32_t version = 0;           // VER
  std::uint16_t oacs = 0;              // optional admin command support
  std::uint32_t nn = 0;                // number of namespaces (max NSID)
  std::uint16_t oncs = 0;              // optional NVM command support
  std::uint16_t ocfs = 0;              // optional copy formats supported
  std::uint32_t mnan = 0;              // max number of allowed namespaces
  std::string subnqn;                  // SUBNQN, NUL-terminated/trimmed

  bool SupportsNamespaceManagement() const { return (oacs >> 3) & 1; }  // OACS bit 3
  bool SupportsCopy() const { return (oncs >> 8) & 1; }                  // ONCS bit 8
  bool SupportsWriteZeroes() const { return (oncs >> 3) & 1; }           // ONCS bit 3
  // Copy descriptor format 2h or 3h (source namespace in each range).
  bool SupportsCrossNamespaceCopy() const { return SupportsCopy() && (ocfs & 0x0c) != 0; }
};

// One LBA format (LBAF0..63).
struct LbaFormat {
  std::uint16_t metadata_size = 0;     // MS
  std::uint8_t lba_data_size_log2 = 0; // LBADS (2^n bytes)
  std::uint8_t relative_performance = 0;
};

// Identify Namespace (CNS 00h, or CNS 11h for an allocated namespace).
// An inactive NSID answers CNS 00h with all zeros: `active()` is then false.
struct IdentifyNamespace {
  std::uint64_t nsze = 0;              // size in logical blocks
  std::uint64_t ncap = 0;              // capacity in logical blocks
  std::uint64_t nuse = 0;              // utilization in logical blocks
  std::uint8_t nsfeat = 0;
  std::uint8_t nlbaf = 0;              // number of LBA formats (0-based)
  std::uint8_t flbas = 0;              // formatted LBA size (raw byte)
  std::uint8_t nmic = 0;               // shared namespace (bit 0)
  std::uint16_t mssrl = 0;             // max single source range length (Copy)
  std::uint32_t mcl = 0;               // max copy length
  std::uint8_t msrc = 0;               // max source range count (0-based)
  std::array<std::uint8_t, 16> nguid{};
  std::array<std::uint8_t, 8> eui64{};
  std::vector<LbaFormat> lba_formats;  // nlbaf + 1 entries

  bool active() const { return nsze != 0; }
  // The LBA format in use: FLBAS bits 3:0 plus bits 6:5 as the high bits.
  std::uint8_t format_index() const {
    return static_cast<std::uint8_t>((flbas & 0x0f) | ((flbas >> 1) & 0x30));
  }
  // Bytes per logical block of the format in use (0 when FLBAS is out of range).
  std::uint32_t block_bytes() const;
  bool nguid_present() const;          // not all zeros
  bool eui64_present() const;          // not all zeros
};

// Namespace Identification Descriptor (CNS 03h). NIDT 1 EUI-64 (8 bytes),
// 2 NGUID (16), 3 UUID (16), 4 CSI (1).
enum class NamespaceIdType : std::uint8_t { kEui64 = 1, kNguid = 2, kUuid = 3, kCsi = 4 };
struct NamespaceIdDescriptor {
  std::uint8_t type = 0;               // NIDT (unknown types are kept)
  std::vector<std::uint8_t> id;        // NID, NIDL bytes
};

absl::StatusOr<IdentifyController> ParseIdentifyController(absl::Span<const std::uint8_t> data);
absl::StatusOr<IdentifyNamespace> ParseIdentifyNamespace(absl::Span<const std::uint8_t> data);
// Walks descriptors until one with NIDT 0 or the end of the data. Rejects a
// known type with the wrong length and a descriptor running past the data.
absl::StatusOr<std::vector<NamespaceIdDescriptor>> ParseNamespaceIdDescriptors(
    absl::Span<const std::uint8_t> data);
// CNS 02h/10h: up to 1024 increasing 32-bit NSIDs, ended by the first 0.
// Rejects NSIDs that do not increase and 0xffffffff.
absl::StatusOr<std::vector<std::uint32_t>> ParseNamespaceList(absl::Span<const std::uint8_t> data);
// CNS 12h/13h: a 16-bit count then that many 16-bit controller ids (max 2047).
absl::StatusOr<std::vector<std::uint16_t>> ParseControllerList(absl::Span<const std::uint8_t> data);

}  // namespace hwsnap::nvme

#endif  // HWSNAP_NVME_IDENTIFY_H_
