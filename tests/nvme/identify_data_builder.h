// identify_data_builder.h — hand-built Identify data for the NVMe parser tests.
//
// Captured fixtures show what one real controller (QEMU's) sends; edge cases
// (truncated buffers, wrong NIDL, NSIDs out of order, FLBAS out of range,
// strings padded with NULs) are built here, field by field, at the offsets of
// NVMe Base 2.0 — written independently of the parsers so a wrong offset in
// either shows up. Defaults resemble QEMU's emulated controller.
//
//   ControllerSpec c;  c.serial = "SN-1";
//   std::vector<uint8_t> bytes = ControllerBytes(c);   // 4096 bytes
#ifndef HWSNAP_TESTS_NVME_IDENTIFY_DATA_BUILDER_H_
#define HWSNAP_TESTS_NVME_IDENTIFY_DATA_BUILDER_H_

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace hwsnap::nvme::testing {

using ByteVector = std::vector<std::uint8_t>;

struct ControllerSpec {
  std::uint16_t vid = 0x1b36, ssvid = 0x1af4;
  std::string serial = "HWSNAP-NVME-01";   // space-padded to 20 bytes
  std::string model = "QEMU NVMe Ctrl";    // space-padded to 40
  std::string firmware = "8.0.4";          // space-padded to 8
  char pad = ' ';                          // padding byte of the three strings
  std::array<std::uint8_t, 3> ieee{0x00, 0x54, 0x52};
  std::uint8_t cmic = 0, mdts = 7;
  std::uint16_t cntlid = 0;
  std::uint32_t version = 0x00010400;
  std::uint16_t oacs = 0x000a;             // Format NVM, Namespace Management
  std::uint32_t nn = 256;
  std::uint16_t oncs = 0x015d;             // includes Copy (bit 8), Write Zeroes (bit 3)
  std::uint16_t ocfs = 0;
  std::uint32_t mnan = 0;
  std::string subnqn = "nqn.2019-08.org.qemu:HWSNAP-NVME-01";
};
ByteVector ControllerBytes(const ControllerSpec& spec);

// {9, 9, 9, 9, 12, 12, 12, 12}: QEMU's eight LBA formats (without metadata sizes).
std::vector<std::uint8_t> DefaultLbads();

struct NamespaceSpec {
  std::uint64_t nsze = 0x20000, ncap = 0x20000, nuse = 0x20000;
  std::uint8_t nsfeat = 0, flbas = 0, nmic = 0;
  // LBADS of each LBA format (NLBAF = size - 1): QEMU's 512 and 4096 bytes.
  std::vector<std::uint8_t> lbads = DefaultLbads();
  std::uint16_t mssrl = 128;
  std::uint32_t mcl = 128;
  std::uint8_t msrc = 127;
  std::array<std::uint8_t, 16> nguid{};
  std::array<std::uint8_t, 8> eui64{};
};
ByteVector NamespaceBytes(const NamespaceSpec& spec);

// A CNS 03h list: each (NIDT, NID) with NIDL = NID size, then zeros to 4096.
ByteVector DescriptorBytes(const std::vector<std::pair<std::uint8_t, ByteVector>>& descriptors);
// A CNS 02h/10h list (zeros to 4096) and a CNS 12h/13h list (zeros to 4096).
ByteVector NamespaceListBytes(const std::vector<std::uint32_t>& nsids);
ByteVector ControllerListBytes(const std::vector<std::uint16_t>& ids);

}  // namespace hwsnap::nvme::testing

#endif  // HWSNAP_TESTS_NVME_IDENTIFY_DATA_BUILDER_H_
