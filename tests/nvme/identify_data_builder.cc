// Hand-built Identify data (see identify_data_builder.h).
#include "identify_data_builder.h"

#include <algorithm>

namespace hwsnap::nvme::testing {
namespace {

constexpr std::size_t kPage = 4096;

void Put(ByteVector& b, std::size_t at, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) b[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(value >> (8 * i));
}

void PutText(ByteVector& b, std::size_t at, const std::string& text, std::size_t width, char pad) {
  for (std::size_t i = 0; i < width; ++i) {
    b[at + i] = static_cast<std::uint8_t>(i < text.size() ? text[i] : pad);
  }
}

}  // namespace

ByteVector ControllerBytes(const ControllerSpec& s) {
  ByteVector b(kPage, 0);
  Put(b, 0, s.vid, 2);
  Put(b, 2, s.ssvid, 2);
  PutText(b, 4, s.serial, 20, s.pad);
  PutText(b, 24, s.model, 40, s.pad);
  PutText(b, 64, s.firmware, 8, s.pad);
  std::copy(s.ieee.begin(), s.ieee.end(), b.begin() + 73);
  b[76] = s.cmic;
  b[77] = s.mdts;
  Put(b, 78, s.cntlid, 2);
  Put(b, 80, s.version, 4);
  Put(b, 256, s.oacs, 2);
  Put(b, 516, s.nn, 4);
  Put(b, 520, s.oncs, 2);
  Put(b, 534, s.ocfs, 2);
  Put(b, 540, s.mnan, 4);
  PutText(b, 768, s.subnqn, 256, '\0');
  return b;
}

std::vector<std::uint8_t> DefaultLbads() {
  std::vector<std::uint8_t> lbads(8, 9);
  std::fill(lbads.begin() + 4, lbads.end(), std::uint8_t{12});
  return lbads;
}

ByteVector NamespaceBytes(const NamespaceSpec& s) {
  ByteVector b(kPage, 0);
  Put(b, 0, s.nsze, 8);
  Put(b, 8, s.ncap, 8);
  Put(b, 16, s.nuse, 8);
  b[24] = s.nsfeat;
  b[25] = static_cast<std::uint8_t>(s.lbads.empty() ? 0 : s.lbads.size() - 1);
  b[26] = s.flbas;
  b[30] = s.nmic;
  Put(b, 74, s.mssrl, 2);
  Put(b, 76, s.mcl, 4);
  b[80] = s.msrc;
  std::copy(s.nguid.begin(), s.nguid.end(), b.begin() + 104);
  std::copy(s.eui64.begin(), s.eui64.end(), b.begin() + 120);
  for (std::size_t i = 0; i < s.lbads.size() && i < 64; ++i) {
    b[128 + 4 * i + 2] = s.lbads[i];  // MS 0, RP 0
  }
  return b;
}

ByteVector DescriptorBytes(const std::vector<std::pair<std::uint8_t, ByteVector>>& descriptors) {
  ByteVector b;
  for (const auto& [type, id] : descriptors) {
    b.push_back(type);
    b.push_back(static_cast<std::uint8_t>(id.size()));
    b.push_back(0);
    b.push_back(0);
    b.insert(b.end(), id.begin(), id.end());
  }
  if (b.size() < kPage) b.resize(kPage, 0);
  return b;
}

ByteVector NamespaceListBytes(const std::vector<std::uint32_t>& nsids) {
  ByteVector b(std::max(kPage, nsids.size() * 4), 0);
  for (std::size_t i = 0; i < nsids.size(); ++i) Put(b, 4 * i, nsids[i], 4);
  return b;
}

ByteVector ControllerListBytes(const std::vector<std::uint16_t>& ids) {
  ByteVector b(std::max(kPage, 2 + ids.size() * 2), 0);
  Put(b, 0, ids.size(), 2);
  for (std::size_t i = 0; i < ids.size(); ++i) Put(b, 2 + 2 * i, ids[i], 2);
  return b;
}

}  // namespace hwsnap::nvme::testing
