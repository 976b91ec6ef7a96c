// catalog_format.h — the catalog's byte layout (internal; docs/catalog.md).
//
//   header  := magic[8] = "HWSNCAT\x1a" | u32 version | u32 crc32c(magic, version)
//   record  := u32 length | u32 crc32c(payload) | payload[length]
//   payload := u8 type | i64 when (unix micros) | type-specific fields
//
// All integers little-endian. Strings and byte vectors are a u16 (identity
// fields, target ids) length followed by the bytes; counts are u16. GUIDs are
// their 16 RFC 4122 bytes; LunIdentity is encoded field by field. The decoder
// never trusts a length: every read is bounds-checked against the payload and
// against the caps below, and enum values outside their range are rejected.
#ifndef HWSNAP_CORE_SRC_CATALOG_CATALOG_FORMAT_H_
#define HWSNAP_CORE_SRC_CATALOG_CATALOG_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "hwsnap/backend.h"
#include "hwsnap/catalog.h"
#include "hwsnap/ids.h"
#include "hwsnap/lun_identity.h"
#include "hwsnap/snapshot_set_state.h"

namespace hwsnap {
namespace catalog_internal {

inline constexpr char kMagic[8] = {'H', 'W', 'S', 'N', 'C', 'A', 'T', '\x1a'};
inline constexpr size_t kHeaderSize = 16;
inline constexpr size_t kFrameSize = 8;  // length + crc
// One record holds at most one LunIdentity (<= ~560 KiB when every field is at
// ValidateLunIdentity's limits) plus a target id.
inline constexpr std::uint32_t kMaxRecordPayload = 1u << 20;
inline constexpr size_t kMaxTargetIdBytes = 1024;
inline constexpr size_t kMaxStringBytes = 4096;      // identity strings
inline constexpr size_t kMaxCount = 1024;            // designators, interconnects
inline constexpr size_t kMaxDesignatorBytes = 255;
inline constexpr size_t kMaxInterconnectBytes = 4096;
// A SetImage record (written only by compaction, never appended) holds a whole
// set, so it may exceed kMaxRecordPayload; it is capped here. A set whose image
// would be larger makes compaction fall back to history records.
inline constexpr std::uint32_t kMaxImagePayload = 64u << 20;

// CRC-32C (Castagnoli): boost::crc_optimal<32, 0x1EDC6F41, ~0, ~0, true,
// true>. Crc32cBoost is Boost's byte-at-a-time computation (the definition);
// Crc32cPortable the same value eight bytes at a time from tables; Crc32c
// (what the catalog uses) the CPU's CRC32 instruction where it has one
// (x86-64 SSE4.2, Crc32cIsHardware), else Crc32cPortable. Every Open checks
// every byte of the journal, so this is on the load path.
std::uint32_t Crc32cBoost(const void* data, size_t size);
std::uint32_t Crc32cPortable(const void* data, size_t size);
std::uint32_t Crc32c(const void* data, size_t size);
bool Crc32cIsHardware();

// The 16-byte header for `version`.
std::string EncodeHeader(std::uint32_t version);

inline std::uint32_t LoadU32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<std::uint32_t>(u[0]) | (static_cast<std::uint32_t>(u[1]) << 8) |
         (static_cast<std::uint32_t>(u[2]) << 16) | (static_cast<std::uint32_t>(u[3]) << 24);
}

enum class RecordType : std::uint8_t {
  kSetCreated = 1,
  kSnapshotAdded = 2,
  kPrepareStarted = 3,
  kTargetPrepared = 4,
  kPrepareEnded = 5,
  kTargetDescribed = 6,
  kSetState = 7,
  kTargetExposed = 8,
  kTargetFlags = 9,
  kTargetReleased = 10,
  kSetForgotten = 11,
  kSetImage = 12,  // a whole live set (compaction output)
};
inline constexpr std::uint8_t kMaxRecordType = 12;
const char* RecordTypeName(RecordType type);

// One decoded record. Fields a type does not use keep their defaults. The
// target of TargetPrepared/PrepareEnded is named by its slot in the set
// (the index of the source in CatalogSet::targets), resolved from the source
// LUN when recording.
struct Record {
  RecordType type = RecordType::kSetCreated;
  absl::Time when = absl::InfinitePast();
  SnapshotSetId set;           // SetCreated, SnapshotAdded, PrepareStarted, TargetPrepared,
                               // PrepareEnded, SetState, SetForgotten
  SnapshotId snapshot;         // SnapshotAdded
  std::int32_t context = 0;    // SetCreated
  std::uint32_t slot = 0;      // TargetPrepared, PrepareEnded
  std::string target;          // TargetPrepared, TargetDescribed, TargetExposed, TargetFlags, TargetReleased
  LunIdentity identity;        // PrepareStarted (source), TargetDescribed
  std::uint8_t state = 0;      // SetState (SetState enum value)
  bool exposed = false;        // TargetExposed
  std::uint32_t flags = 0;     // TargetFlags
  std::uint32_t clear = 0;     // TargetFlags
  CatalogSet image;            // SetImage (when = image.updated; target set_ids = image.id)
};

// absl::Time <-> int64 unix micros (infinities kept as INT64_MIN/MAX).
std::int64_t TimeToMicros(absl::Time t);
absl::Time MicrosToTime(std::int64_t micros);
// `t` rounded the way the journal stores it (so memory equals a reload).
inline absl::Time StoredTime(absl::Time t) { return MicrosToTime(TimeToMicros(t)); }

// Appends the framed record (length, crc, payload) to `out`.
void AppendRecord(const Record& record, std::string* out);

// Appends a SetImage record of `set` (when = set.updated) without copying it.
void AppendSetImage(const CatalogSet& set, std::string* out);

// Decodes `payload` into `*out` (reusing its buffers). Returns nullptr on
// success, else a static description of what is malformed.
const char* DecodePayload(absl::string_view payload, Record* out);

}  // namespace catalog_internal
}  // namespace hwsnap

#endif  // HWSNAP_CORE_SRC_CATALOG_CATALOG_FORMAT_H_
