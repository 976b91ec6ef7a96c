// libFuzzer entry point for the VDS_LUN_INFORMATION input checks
// (hwsnap/windows/vds_lun_checks.h), the part of the Windows adapter that
// reads what VSS hands the provider. The input bytes describe a VdsLunFields
// (format below); the harness lays out memory exactly as the contract allows
// and no more — strings end at their NUL (or after kMaxVdsStringBytes + 1
// bytes when there is none), arrays and buffers hold exactly their counts,
// and an over-limit count gets a zero-length block — so any read beyond
// the contract is an AddressSanitizer error. Invariants: failures are
// kInvalidArgument starting "VDS_LUN_INFORMATION"; a success passes
// ValidateLunIdentity, carries every identifier and interconnect with its
// bytes, and converts back to the same LunIdentity from fields rebuilt from it.
// `tools/fuzz.sh adapter` runs it with the seeds in corpus/.
//
// Input format (every read past the end yields zeros):
//   number  := u8 b; b == 0xFF ? u32 little-endian : b
//   version, bus_type          numbers; device_type, modifier u8; queueing u8 (!= 0)
//   4 strings                  u8 present (0 = null), number length, bytes
//   identifiers                number count, u8 array present, then
//                              min(count, limit) x {code_set, type, length numbers,
//                              u8 present, bytes}
//   interconnects              number count, u8 array present, then
//                              min(count, limit) x {address_type number,
//                              port: number length, u8 present, bytes,
//                              address: number length, u8 present, bytes}
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "hwsnap/lun_identity.h"
#include "hwsnap/status.h"
#include "hwsnap/windows/vds_lun_checks.h"

namespace {

using hwsnap::windows::VdsIdentifierFields;
using hwsnap::windows::VdsInterconnectFields;
using hwsnap::windows::VdsLunFields;

[[noreturn]] void Broken(const char* what, const std::string& detail) {
  std::fprintf(stderr, "adapter_vds_lun_fuzzer: invariant violated: %s: %s\n", what, detail.c_str());
  std::abort();
}

class Reader {
 public:
  Reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  std::uint8_t U8() { return pos_ < size_ ? data_[pos_++] : 0; }
  std::uint32_t Number() {
    const std::uint8_t b = U8();
    if (b != 0xFF) return b;
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(U8()) << (8 * i);
    return v;
  }
  std::vector<std::uint8_t> Bytes(std::size_t n) {
    std::vector<std::uint8_t> out(n, 0);
    for (std::size_t i = 0; i < n; ++i) out[i] = U8();
    return out;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

// Every block the harness hands out, each allocated at exactly its size.
class Arena {
 public:
  template <typename T>
  T* Block(std::size_t count) {
    blocks_.push_back(std::make_unique<std::uint8_t[]>(count * sizeof(T)));  // never null, even for 0
    return reinterpret_cast<T*>(blocks_.back().get());
  }
  const std::uint8_t* Copy(const std::vector<std::uint8_t>& bytes) {
    std::uint8_t* block = Block<std::uint8_t>(bytes.size());
    if (!bytes.empty()) std::memcpy(block, bytes.data(), bytes.size());
    return block;
  }

 private:
  std::vector<std::unique_ptr<std::uint8_t[]>> blocks_;
};

const char* ReadString(Reader& in, Arena& arena) {
  const bool present = in.U8() != 0;
  std::vector<std::uint8_t> bytes = in.Bytes(std::min<std::uint32_t>(in.Number(), 2 * 4096 + 2));
  if (!present) return nullptr;
  const auto nul = std::find(bytes.begin(), bytes.end(), 0);
  if (nul != bytes.end()) {
    bytes.erase(nul + 1, bytes.end());  // readable up to and including the NUL
  } else if (bytes.size() > hwsnap::windows::kMaxVdsStringBytes) {
    bytes.resize(hwsnap::windows::kMaxVdsStringBytes + 1);  // exactly the bound, no NUL
  } else {
    bytes.push_back(0);
  }
  return reinterpret_cast<const char*>(arena.Copy(bytes));
}

// A buffer of `count` bytes (a zero-length block beyond `max`), or null.
const std::uint8_t* ReadBuffer(Reader& in, Arena& arena, std::uint32_t count, std::uint32_t max) {
  const bool present = in.U8() != 0;
  std::vector<std::uint8_t> bytes = count <= max ? in.Bytes(count) : std::vector<std::uint8_t>{};
  return present ? arena.Copy(bytes) : nullptr;
}

VdsLunFields Decode(const std::uint8_t* data, std::size_t size, Arena& arena) {
  using namespace hwsnap::windows;  // NOLINT
  Reader in(data, size);
  VdsLunFields f;
  f.version = in.Number();
  f.bus_type = in.Number();
  f.device_type = in.U8();
  f.device_type_modifier = in.U8();
  f.command_queueing = in.U8() != 0;
  f.vendor_id = ReadString(in, arena);
  f.product_id = ReadString(in, arena);
  f.product_revision = ReadString(in, arena);
  f.serial_number = ReadString(in, arena);

  f.identifier_count = in.Number();
  const bool identifiers_present = in.U8() != 0;
  const std::uint32_t identifiers = f.identifier_count <= kMaxVdsIdentifiers ? f.identifier_count : 0;
  VdsIdentifierFields* ids = arena.Block<VdsIdentifierFields>(identifiers);
  for (std::uint32_t i = 0; i < identifiers; ++i) {
    VdsIdentifierFields id;
    id.code_set = in.Number();
    id.type = in.Number();
    id.byte_count = in.Number();
    id.bytes = ReadBuffer(in, arena, id.byte_count, kMaxVdsIdentifierBytes);
    ids[i] = id;
  }
  f.identifiers = identifiers_present ? ids : nullptr;

  f.interconnect_count = in.Number();
  const bool interconnects_present = in.U8() != 0;
  const std::uint32_t interconnects = f.interconnect_count <= kMaxVdsInterconnects ? f.interconnect_count : 0;
  VdsInterconnectFields* ics = arena.Block<VdsInterconnectFields>(interconnects);
  for (std::uint32_t i = 0; i < interconnects; ++i) {
    VdsInterconnectFields ic;
    ic.address_type = in.Number();
    ic.port_count = in.Number();
    ic.port = ReadBuffer(in, arena, ic.port_count, kMaxVdsInterconnectBytes);
    ic.address_count = in.Number();
    ic.address = ReadBuffer(in, arena, ic.address_count, kMaxVdsInterconnectBytes);
    ics[i] = ic;
  }
  f.interconnects = interconnects_present ? ics : nullptr;
  return f;
}

// Fields describing `lun`, over storage in `arena` (what LunIdentityToVds
// writes on Windows, minus the allocator).
VdsLunFields Encode(const hwsnap::LunIdentity& lun, Arena& arena) {
  VdsLunFields f;
  f.version = hwsnap::windows::kVdsLunInformationVersion;
  f.device_type = lun.device_type;
  f.device_type_modifier = lun.device_type_modifier;
  f.command_queueing = lun.command_queueing;
  f.bus_type = static_cast<std::uint32_t>(lun.bus_type);
  auto text = [&arena](const std::string& s) {
    std::vector<std::uint8_t> bytes(s.begin(), s.end());
    bytes.push_back(0);
    return reinterpret_cast<const char*>(arena.Copy(bytes));
  };
  f.vendor_id = text(lun.vendor_id);
  f.product_id = text(lun.product_id);
  f.product_revision = text(lun.product_revision);
  f.serial_number = text(lun.serial_number);
  f.identifier_count = static_cast<std::uint32_t>(lun.designators.size());
  auto* ids = arena.Block<VdsIdentifierFields>(lun.designators.size());
  for (std::size_t i = 0; i < lun.designators.size(); ++i) {
    const hwsnap::Designator& d = lun.designators[i];
    ids[i] = VdsIdentifierFields{static_cast<std::uint32_t>(d.code_set), static_cast<std::uint32_t>(d.type),
                                 static_cast<std::uint32_t>(d.bytes.size()), arena.Copy(d.bytes)};
  }
  f.identifiers = ids;
  f.interconnect_count = static_cast<std::uint32_t>(lun.interconnects.size());
  auto* ics = arena.Block<VdsInterconnectFields>(lun.interconnects.size());
  for (std::size_t i = 0; i < lun.interconnects.size(); ++i) {
    const hwsnap::Interconnect& ic = lun.interconnects[i];
    ics[i] = VdsInterconnectFields{static_cast<std::uint32_t>(ic.address_type),
                                   static_cast<std::uint32_t>(ic.port.size()), arena.Copy(ic.port),
                                   static_cast<std::uint32_t>(ic.address.size()), arena.Copy(ic.address)};
  }
  f.interconnects = ics;
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Arena arena;
  const VdsLunFields fields = Decode(data, size, arena);
  absl::StatusOr<hwsnap::LunIdentity> lun = hwsnap::windows::LunIdentityFromVdsFields(fields);
  if (!lun.ok()) {
    if (hwsnap::GetErrorCode(lun.status()) != hwsnap::ErrorCode::kInvalidArgument) {
      Broken("failure is not kInvalidArgument", lun.status().ToString());
    }
    if (!absl::StartsWith(lun.status().message(), "VDS_LUN_INFORMATION")) {
      Broken("failure does not name VDS_LUN_INFORMATION", lun.status().ToString());
    }
    return 0;
  }
  if (auto s = hwsnap::ValidateLunIdentity(*lun); !s.ok()) Broken("accepted LUN fails validation", s.ToString());
  if (lun->designators.size() != fields.identifier_count) Broken("identifier count changed", lun->ToString());
  for (std::uint32_t i = 0; i < fields.identifier_count; ++i) {
    const hwsnap::Designator& d = lun->designators[i];
    const VdsIdentifierFields& id = fields.identifiers[i];
    if (d.association != hwsnap::Association::kLogicalUnit) Broken("association is not 0", d.ToString());
    if (d.bytes.size() != id.byte_count || std::memcmp(d.bytes.data(), id.bytes, id.byte_count) != 0) {
      Broken("identifier bytes changed", d.ToString());
    }
  }
  if (lun->interconnects.size() != fields.interconnect_count) Broken("interconnect count changed", lun->ToString());
  if (fields.vendor_id != nullptr && lun->vendor_id != fields.vendor_id) Broken("vendor id changed", lun->vendor_id);

  Arena again_arena;
  absl::StatusOr<hwsnap::LunIdentity> again =
      hwsnap::windows::LunIdentityFromVdsFields(Encode(*lun, again_arena));
  if (!again.ok()) Broken("re-encoded LUN is rejected", again.status().ToString());
  if (*again != *lun) Broken("re-encoded LUN differs", again->ToString() + " vs " + lun->ToString());
  return 0;
}
