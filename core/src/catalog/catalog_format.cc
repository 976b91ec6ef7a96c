// catalog_format.cc — encoding and bounds-checked decoding of catalog records.
#include "catalog/catalog_format.h"

#include <array>
#include <cstring>
#include <limits>

#include <boost/crc.hpp>

// x86-64 has had the CRC-32C instruction since SSE4.2 (2008); the portable
// slice-by-8 code below is the fallback and the cross-check.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
#define HWSNAP_CRC32C_SSE42 1
#else
#define HWSNAP_CRC32C_SSE42 0
#endif

namespace hwsnap {
namespace catalog_internal {
namespace {

using Crc32cComputer = boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true>;

void PutU8(std::string* out, std::uint8_t v) { out->push_back(static_cast<char>(v)); }
void PutU16(std::string* out, std::uint16_t v) {
  const char b[2] = {static_cast<char>(v & 0xff), static_cast<char>(v >> 8)};
  out->append(b, 2);
}
void PutU32(std::string* out, std::uint32_t v) {
  const char b[4] = {static_cast<char>(v & 0xff), static_cast<char>((v >> 8) & 0xff),
                     static_cast<char>((v >> 16) & 0xff), static_cast<char>(v >> 24)};
  out->append(b, 4);
}
void PutU64(std::string* out, std::uint64_t v) {
  PutU32(out, static_cast<std::uint32_t>(v));
  PutU32(out, static_cast<std::uint32_t>(v >> 32));
}
// Callers validated the sizes (Record* checks, caps above); clamp defensively.
void PutBytes(std::string* out, const void* data, size_t size) {
  const size_t n = size > 0xffff ? 0xffff : size;
  PutU16(out, static_cast<std::uint16_t>(n));
  out->append(static_cast<const char*>(data), n);
}
void PutString(std::string* out, const std::string& s) { PutBytes(out, s.data(), s.size()); }
void PutVector(std::string* out, const std::vector<std::uint8_t>& v) { PutBytes(out, v.data(), v.size()); }
template <typename Tag>
void PutGuid(std::string* out, const Guid<Tag>& g) {
  out->append(reinterpret_cast<const char*>(g.value().data), 16);
}

void PutIdentity(std::string* out, const LunIdentity& lun) {
  PutU8(out, lun.device_type);
  PutU8(out, lun.device_type_modifier);
  PutU8(out, lun.command_queueing ? 1 : 0);
  PutU32(out, static_cast<std::uint32_t>(lun.bus_type));
  PutString(out, lun.vendor_id);
  PutString(out, lun.product_id);
  PutString(out, lun.product_revision);
  PutString(out, lun.serial_number);
  PutU16(out, static_cast<std::uint16_t>(lun.designators.size()));
  for (const Designator& d : lun.designators) {
    PutU8(out, static_cast<std::uint8_t>(d.code_set));
    PutU8(out, static_cast<std::uint8_t>(d.association));
    PutU8(out, static_cast<std::uint8_t>(d.type));
    PutVector(out, d.bytes);
  }
  PutU16(out, static_cast<std::uint16_t>(lun.interconnects.size()));
  for (const Interconnect& ic : lun.interconnects) {
    PutU32(out, static_cast<std::uint32_t>(ic.address_type));
    PutVector(out, ic.port);
    PutVector(out, ic.address);
  }
}

void PutSetImage(std::string* out, const CatalogSet& set) {
  PutGuid(out, set.id);
  PutU32(out, static_cast<std::uint32_t>(set.context));
  PutU8(out, static_cast<std::uint8_t>(set.state));
  PutU64(out, static_cast<std::uint64_t>(TimeToMicros(set.created)));
  PutU64(out, static_cast<std::uint64_t>(TimeToMicros(set.updated)));
  PutU32(out, static_cast<std::uint32_t>(set.snapshots.size()));
  for (const SnapshotId& snapshot : set.snapshots) PutGuid(out, snapshot);
  PutU32(out, static_cast<std::uint32_t>(set.targets.size()));
  for (const CatalogTarget& t : set.targets) {
    PutIdentity(out, t.source);
    PutString(out, t.target_id);
    PutU8(out, static_cast<std::uint8_t>(t.state));
    PutU8(out, static_cast<std::uint8_t>((t.exposed ? 1 : 0) | (t.identity ? 2 : 0)));
    PutU32(out, t.flags);
    PutU64(out, static_cast<std::uint64_t>(TimeToMicros(t.updated)));
    if (t.identity) PutIdentity(out, *t.identity);
  }
}

// A bounds-checked reader over one payload; the first failure sticks.
class SpanReader {
 public:
  explicit SpanReader(absl::string_view data) : p_(data.data()), end_(data.data() + data.size()) {}

  bool ok() const { return error_ == nullptr; }
  const char* error() const { return error_; }
  bool at_end() const { return p_ == end_; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  void Fail(const char* why) {
    if (error_ == nullptr) error_ = why;
    p_ = end_;
  }

  const char* Take(size_t n, const char* why) {
    if (static_cast<size_t>(end_ - p_) < n) {
      Fail(why);
      return nullptr;
    }
    const char* at = p_;
    p_ += n;
    return at;
  }
  std::uint8_t U8(const char* why) {
    const char* at = Take(1, why);
    return at ? static_cast<std::uint8_t>(*at) : 0;
  }
  std::uint16_t U16(const char* why) {
    const char* at = Take(2, why);
    if (!at) return 0;
    const auto* u = reinterpret_cast<const unsigned char*>(at);
    return static_cast<std::uint16_t>(u[0] | (u[1] << 8));
  }
  std::uint32_t U32(const char* why) {
    const char* at = Take(4, why);
    return at ? LoadU32(at) : 0;
  }
  std::uint64_t U64(const char* why) {
    const char* at = Take(8, why);
    if (!at) return 0;
    return static_cast<std::uint64_t>(LoadU32(at)) | (static_cast<std::uint64_t>(LoadU32(at + 4)) << 32);
  }
  template <typename Tag>
  Guid<Tag> ReadGuid(const char* why) {
    const char* at = Take(16, why);
    boost::uuids::uuid u{};
    if (at) std::memcpy(u.data, at, 16);
    return Guid<Tag>(u);
  }
  // A u16-prefixed byte run of at most `cap` bytes.
  absl::string_view Bytes(size_t cap, const char* why) {
    const std::uint16_t n = U16(why);
    if (n > cap) {
      Fail(why);
      return {};
    }
    const char* at = Take(n, why);
    return at ? absl::string_view(at, n) : absl::string_view();
  }
  void String(size_t cap, const char* why, std::string* out) {
    absl::string_view v = Bytes(cap, why);
    out->assign(v.data(), v.size());
  }
  void Vector(size_t cap, const char* why, std::vector<std::uint8_t>* out) {
    absl::string_view v = Bytes(cap, why);
    out->assign(reinterpret_cast<const std::uint8_t*>(v.data()),
                reinterpret_cast<const std::uint8_t*>(v.data()) + v.size());
  }

 private:
  const char* p_;
  const char* end_;
  const char* error_ = nullptr;
};

void ReadIdentity(SpanReader& r, LunIdentity* lun) {
  lun->device_type = r.U8("truncated identity");
  lun->device_type_modifier = r.U8("truncated identity");
  const std::uint8_t cq = r.U8("truncated identity");
  if (cq > 1) r.Fail("identity: command queueing flag is not 0 or 1");
  lun->command_queueing = cq == 1;
  const std::uint32_t bus = r.U32("truncated identity");
  if (bus > static_cast<std::uint32_t>(BusType::kUfs)) r.Fail("identity: unknown bus type");
  lun->bus_type = static_cast<BusType>(bus);
  r.String(kMaxStringBytes, "identity: bad vendor id", &lun->vendor_id);
  r.String(kMaxStringBytes, "identity: bad product id", &lun->product_id);
  r.String(kMaxStringBytes, "identity: bad product revision", &lun->product_revision);
  r.String(kMaxStringBytes, "identity: bad serial number", &lun->serial_number);
  const std::uint16_t designators = r.U16("truncated identity");
  if (designators > kMaxCount) r.Fail("identity: too many designators");
  lun->designators.resize(r.ok() ? designators : 0);
  for (Designator& d : lun->designators) {
    const std::uint8_t code_set = r.U8("truncated designator");
    const std::uint8_t association = r.U8("truncated designator");
    const std::uint8_t type = r.U8("truncated designator");
    if (code_set > 3 || association > 2 || type > 8) r.Fail("designator: unknown code set, association or type");
    d.code_set = static_cast<CodeSet>(code_set);
    d.association = static_cast<Association>(association);
    d.type = static_cast<DesignatorType>(type);
    r.Vector(kMaxDesignatorBytes, "designator: bad length", &d.bytes);
    if (!r.ok()) break;
  }
  const std::uint16_t interconnects = r.U16("truncated identity");
  if (interconnects > kMaxCount) r.Fail("identity: too many interconnects");
  lun->interconnects.resize(r.ok() ? interconnects : 0);
  for (Interconnect& ic : lun->interconnects) {
    const std::uint32_t type = r.U32("truncated interconnect");
    if (type > static_cast<std::uint32_t>(InterconnectAddressType::kScsi)) r.Fail("interconnect: unknown address type");
    ic.address_type = static_cast<InterconnectAddressType>(type);
    r.Vector(kMaxInterconnectBytes, "interconnect: bad port length", &ic.port);
    r.Vector(kMaxInterconnectBytes, "interconnect: bad address length", &ic.address);
    if (!r.ok()) break;
  }
}

}  // namespace

namespace {

// Boost.CRC defines the checksum (Crc32cBoost); it works a byte at a time,
// which made CRC the largest cost of loading a 50 MB journal. This is the same
// CRC computed eight bytes at a time ("slicing-by-8", tables derived from
// Boost's own byte table); catalog_format_test checks both agree.
struct Crc32cTables {
  std::uint32_t t[8][256];
  Crc32cTables() {
    for (std::uint32_t i = 0; i < 256; ++i) {
      const unsigned char byte = static_cast<unsigned char>(i);
      // CRC register after one byte from a zero state, as Boost computes it.
      boost::crc_optimal<32, 0x1EDC6F41, 0, 0, true, true> one;
      one.process_byte(byte);
      t[0][i] = one.checksum();
    }
    for (std::uint32_t i = 0; i < 256; ++i) {
      for (int k = 1; k < 8; ++k) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
    }
  }
};

const Crc32cTables& Tables() {
  static const Crc32cTables* tables = new Crc32cTables();
  return *tables;
}

}  // namespace

std::uint32_t Crc32cBoost(const void* data, size_t size) {
  Crc32cComputer crc;
  crc.process_bytes(data, size);
  return crc.checksum();
}

std::uint32_t Crc32cPortable(const void* data, size_t size) {
  const Crc32cTables& tb = Tables();
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint32_t crc = 0xFFFFFFFFu;
  while (size >= 8) {
    const std::uint32_t lo = crc ^ (static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
                                    (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24));
    crc = tb.t[7][lo & 0xff] ^ tb.t[6][(lo >> 8) & 0xff] ^ tb.t[5][(lo >> 16) & 0xff] ^ tb.t[4][lo >> 24] ^
          tb.t[3][p[4]] ^ tb.t[2][p[5]] ^ tb.t[1][p[6]] ^ tb.t[0][p[7]];
    p += 8;
    size -= 8;
  }
  while (size-- > 0) crc = (crc >> 8) ^ tb.t[0][(crc ^ *p++) & 0xff];
  return crc ^ 0xFFFFFFFFu;
}

#if HWSNAP_CRC32C_SSE42
namespace {
__attribute__((target("sse4.2"))) std::uint32_t Crc32cSse42(const void* data, size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint64_t crc = 0xFFFFFFFFu;
  while (size >= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);  // x86 is little-endian, as the CRC's bit order expects
    crc = _mm_crc32_u64(crc, word);
    p += 8;
    size -= 8;
  }
  auto crc32 = static_cast<std::uint32_t>(crc);
  while (size-- > 0) crc32 = _mm_crc32_u8(crc32, *p++);
  return crc32 ^ 0xFFFFFFFFu;
}
}  // namespace
#endif

bool Crc32cIsHardware() {
#if HWSNAP_CRC32C_SSE42
  static const bool have = __builtin_cpu_supports("sse4.2");
  return have;
#else
  return false;
#endif
}

std::uint32_t Crc32c(const void* data, size_t size) {
#if HWSNAP_CRC32C_SSE42
  if (Crc32cIsHardware()) return Crc32cSse42(data, size);
#endif
  return Crc32cPortable(data, size);
}

std::string EncodeHeader(std::uint32_t version) {
  std::string out(kMagic, sizeof(kMagic));
  PutU32(&out, version);
  PutU32(&out, Crc32c(out.data(), out.size()));
  return out;
}

const char* RecordTypeName(RecordType type) {
  switch (type) {
    case RecordType::kSetCreated: return "SetCreated";
    case RecordType::kSnapshotAdded: return "SnapshotAdded";
    case RecordType::kPrepareStarted: return "PrepareStarted";
    case RecordType::kTargetPrepared: return "TargetPrepared";
    case RecordType::kPrepareEnded: return "PrepareEnded";
    case RecordType::kTargetDescribed: return "TargetDescribed";
    case RecordType::kSetState: return "SetState";
    case RecordType::kTargetExposed: return "TargetExposed";
    case RecordType::kTargetFlags: return "TargetFlags";
    case RecordType::kTargetReleased: return "TargetReleased";
    case RecordType::kSetForgotten: return "SetForgotten";
    case RecordType::kSetImage: return "SetImage";
  }
  return "unknown";
}

std::int64_t TimeToMicros(absl::Time t) {
  if (t == absl::InfinitePast()) return std::numeric_limits<std::int64_t>::min();
  if (t == absl::InfiniteFuture()) return std::numeric_limits<std::int64_t>::max();
  return absl::ToUnixMicros(t);
}

absl::Time MicrosToTime(std::int64_t micros) {
  if (micros == std::numeric_limits<std::int64_t>::min()) return absl::InfinitePast();
  if (micros == std::numeric_limits<std::int64_t>::max()) return absl::InfiniteFuture();
  return absl::FromUnixMicros(micros);
}

namespace {

// Reserves the frame of a record about to be appended at the end of `out`.
size_t BeginFrame(std::string* out) {
  const size_t frame_at = out->size();
  out->append(kFrameSize, '\0');
  return frame_at;
}

// Fills in the length and CRC of the record whose frame is at `frame_at`.
void EndFrame(size_t frame_at, std::string* out) {
  const size_t payload_at = frame_at + kFrameSize;
  const size_t length = out->size() - payload_at;
  const std::uint32_t crc = Crc32c(out->data() + payload_at, length);
  char* frame = &(*out)[frame_at];
  const std::uint32_t words[2] = {static_cast<std::uint32_t>(length), crc};
  for (int w = 0; w < 2; ++w) {
    for (int b = 0; b < 4; ++b) frame[w * 4 + b] = static_cast<char>((words[w] >> (8 * b)) & 0xff);
  }
}

}  // namespace

void AppendSetImage(const CatalogSet& set, std::string* out) {
  const size_t frame_at = BeginFrame(out);
  PutU8(out, static_cast<std::uint8_t>(RecordType::kSetImage));
  PutU64(out, static_cast<std::uint64_t>(TimeToMicros(set.updated)));
  PutSetImage(out, set);
  EndFrame(frame_at, out);
}

void AppendRecord(const Record& record, std::string* out) {
  const size_t frame_at = BeginFrame(out);
  PutU8(out, static_cast<std::uint8_t>(record.type));
  PutU64(out, static_cast<std::uint64_t>(TimeToMicros(record.when)));
  switch (record.type) {
    case RecordType::kSetCreated:
      PutGuid(out, record.set);
      PutU32(out, static_cast<std::uint32_t>(record.context));
      break;
    case RecordType::kSnapshotAdded:
      PutGuid(out, record.set);
      PutGuid(out, record.snapshot);
      break;
    case RecordType::kPrepareStarted:
      PutGuid(out, record.set);
      PutIdentity(out, record.identity);
      break;
    case RecordType::kTargetPrepared:
      PutGuid(out, record.set);
      PutU32(out, record.slot);
      PutString(out, record.target);
      break;
    case RecordType::kPrepareEnded:
      PutGuid(out, record.set);
      PutU32(out, record.slot);
      break;
    case RecordType::kTargetDescribed:
      PutString(out, record.target);
      PutIdentity(out, record.identity);
      break;
    case RecordType::kSetState:
      PutGuid(out, record.set);
      PutU8(out, record.state);
      break;
    case RecordType::kTargetExposed:
      PutString(out, record.target);
      PutU8(out, record.exposed ? 1 : 0);
      break;
    case RecordType::kTargetFlags:
      PutString(out, record.target);
      PutU32(out, record.flags);
      PutU32(out, record.clear);
      break;
    case RecordType::kTargetReleased:
      PutString(out, record.target);
      break;
    case RecordType::kSetForgotten:
      PutGuid(out, record.set);
      break;
    case RecordType::kSetImage:
      PutSetImage(out, record.image);
  }
  EndFrame(frame_at, out);
}

const char* DecodePayload(absl::string_view payload, Record* out) {
  SpanReader r(payload);
  const std::uint8_t type = r.U8("empty payload");
  if (!r.ok()) return r.error();
  if (type == 0 || type > kMaxRecordType) return "unknown record type";
  out->type = static_cast<RecordType>(type);
  out->when = MicrosToTime(static_cast<std::int64_t>(r.U64("truncated timestamp")));
  switch (out->type) {
    case RecordType::kSetCreated:
      out->set = r.ReadGuid<SnapshotSetTag>("truncated set id");
      out->context = static_cast<std::int32_t>(r.U32("truncated context"));
      break;
    case RecordType::kSnapshotAdded:
      out->set = r.ReadGuid<SnapshotSetTag>("truncated set id");
      out->snapshot = r.ReadGuid<SnapshotTag>("truncated snapshot id");
      break;
    case RecordType::kPrepareStarted:
      out->set = r.ReadGuid<SnapshotSetTag>("truncated set id");
      ReadIdentity(r, &out->identity);
      break;
    case RecordType::kTargetPrepared:
      out->set = r.ReadGuid<SnapshotSetTag>("truncated set id");
      out->slot = r.U32("truncated slot");
      r.String(kMaxTargetIdBytes, "bad target id length", &out->target);
      break;
    case RecordType::kPrepareEnded:
      out->set = r.ReadGuid<SnapshotSetTag>("truncated set id");
      out->slot = r.U32("truncated slot");
      break;
    case RecordType::kTargetDescribed:
      r.String(kMaxTargetIdBytes, "bad target id length", &out->target);
      ReadIdentity(r, &out->identity);
      break;
    case RecordType::kSetState:
      out->set = r.ReadGuid<SnapshotSetTag>("truncated set id");
      out->state = r.U8("truncated state");
      if (out->state > static_cast<std::uint8_t>(SetState::kFailed)) r.Fail("unknown set state");
      break;
    case RecordType::kTargetExposed: {
      r.String(kMaxTargetIdBytes, "bad target id length", &out->target);
      const std::uint8_t exposed = r.U8("truncated exposed flag");
      if (exposed > 1) r.Fail("exposed flag is not 0 or 1");
      out->exposed = exposed == 1;
      break;
    }
    case RecordType::kTargetFlags:
      r.String(kMaxTargetIdBytes, "bad target id length", &out->target);
      out->flags = r.U32("truncated flags");
      out->clear = r.U32("truncated flags");
      break;
    case RecordType::kTargetReleased:
      r.String(kMaxTargetIdBytes, "bad target id length", &out->target);
      break;
    case RecordType::kSetForgotten:
      out->set = r.ReadGuid<SnapshotSetTag>("truncated set id");
      break;
    case RecordType::kSetImage: {
      CatalogSet& set = out->image;
      set.id = r.ReadGuid<SnapshotSetTag>("truncated set id");
      out->set = set.id;
      set.context = static_cast<std::int32_t>(r.U32("truncated context"));
      const std::uint8_t state = r.U8("truncated state");
      if (state > static_cast<std::uint8_t>(SetState::kFailed)) r.Fail("unknown set state");
      set.state = static_cast<SetState>(state);
      set.created = MicrosToTime(static_cast<std::int64_t>(r.U64("truncated time")));
      set.updated = MicrosToTime(static_cast<std::int64_t>(r.U64("truncated time")));
      const std::uint32_t snapshots = r.U32("truncated snapshot count");
      // Every count is bounded by the bytes left (no huge allocation on junk).
      if (r.ok() && snapshots > r.remaining() / 16) r.Fail("snapshot count exceeds the record");
      set.snapshots.clear();
      if (r.ok()) set.snapshots.reserve(snapshots);
      for (std::uint32_t i = 0; r.ok() && i < snapshots; ++i) set.snapshots.push_back(r.ReadGuid<SnapshotTag>("truncated snapshot id"));
      const std::uint32_t targets = r.U32("truncated target count");
      constexpr size_t kMinTargetBytes = 19 + 2 + 1 + 1 + 4 + 8;  // empty identity, empty id
      if (r.ok() && targets > r.remaining() / kMinTargetBytes) r.Fail("target count exceeds the record");
      set.targets.resize(r.ok() ? targets : 0);
      for (CatalogTarget& t : set.targets) {
        t.set_id = set.id;
        ReadIdentity(r, &t.source);
        r.String(kMaxTargetIdBytes, "bad target id length", &t.target_id);
        const std::uint8_t ts = r.U8("truncated target state");
        if (ts > static_cast<std::uint8_t>(CatalogTarget::State::kReleased)) r.Fail("unknown target state");
        t.state = static_cast<CatalogTarget::State>(ts);
        const std::uint8_t bits = r.U8("truncated target bits");
        if (bits > 3) r.Fail("unknown target bits");
        t.exposed = (bits & 1) != 0;
        t.flags = r.U32("truncated flags");
        t.updated = MicrosToTime(static_cast<std::int64_t>(r.U64("truncated time")));
        if (bits & 2) {
          if (!t.identity) t.identity.emplace();
          ReadIdentity(r, &*t.identity);
        } else {
          t.identity.reset();
        }
        if (!r.ok()) break;
      }
      break;
    }
  }
  if (!r.ok()) return r.error();
  if (!r.at_end()) return "trailing bytes after the record's fields";
  return nullptr;
}

}  // namespace catalog_internal
}  // namespace hwsnap
