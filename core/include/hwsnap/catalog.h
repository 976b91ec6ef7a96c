// hwsnap/catalog.h — the durable record of snapshot sets and their targets.
//
// A hardware snapshot outlives the process that made it: VSS unloads the
// provider after minutes idle, imports snapshot LUNs later (maybe on another
// host), and calls OnLunEmpty much later — or never, after a crash. The
// Catalog is what the provider remembers across those gaps: every set, the
// source -> target mapping of each of its LUNs with the target's full identity
// (what GetTargetLuns returned and what import matching needs), and the state
// each one is in.
//
// On disk it is one append-only journal file (docs/catalog.md has the byte
// layout): a versioned header, then records, each framed with its length and a
// CRC-32C. A Record* call appends one record and fsyncs before it returns, so
// what the provider acknowledged to VSS is on disk. Compaction rewrites the
// live records to a temporary file, fsyncs it and its directory, and renames
// it over the journal. A second process opening the same catalog is refused
// (an exclusive lock on the file), except read-only openers (hwsnapctl
// catalog list/show/verify), which take a shared lock.
//
// Damage is never silently discarded:
//  * a wrong magic, an unknown version, or a CRC mismatch before the last
//    record is kDataLoss-class corruption: Open fails with kVeto whose message
//    names the file, the offset and the remedy ("hwsnapctl catalog verify");
//  * an incomplete or CRC-failing *last* record is what a crash during an
//    append leaves (it was never acknowledged): Open recovers it by copying
//    the torn bytes to "<path>.torn-<unix-seconds>" and truncating, and
//    reports it in LoadReport (the provider logs it as a warning).
//
//   auto catalog = hwsnap::Catalog::Open({.path = "/var/lib/hwsnap/catalog"});
//   if (!catalog.ok()) ...                        // clear message, file kept
//   (*catalog)->RecordSetCreated(set, context, absl::Now());
//
// Thread safety: every method may be called from any thread; Record* calls
// are serialised (one append + fsync at a time).
#ifndef HWSNAP_CATALOG_H_
#define HWSNAP_CATALOG_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "hwsnap/backend.h"
#include "hwsnap/ids.h"
#include "hwsnap/lun_identity.h"
#include "hwsnap/snapshot_set_state.h"

namespace hwsnap {

// The on-disk format version this build writes (and the only one it reads).
inline constexpr std::uint32_t kCatalogFormatVersion = 1;

// IVssHardwareSnapshotProviderEx::OnLunStateChange flags (vsprov.h), kept on
// a target once received.
enum CatalogTargetFlags : std::uint32_t {
  kTargetReadWrite = 0x100,      // VSS_ONLUNSTATECHANGE_NOTIFY_READ_WRITE
  kTargetPreRecovery = 0x200,    // VSS_ONLUNSTATECHANGE_NOTIFY_LUN_PRE_RECOVERY
  kTargetPostRecovery = 0x400,   // VSS_ONLUNSTATECHANGE_NOTIFY_LUN_POST_RECOVERY
  kTargetMasked = 0x800,         // VSS_ONLUNSTATECHANGE_DO_MASK_LUNS
};

// One source LUN of a set and the target made for it.
struct CatalogTarget {
  enum class State : std::uint8_t {
    kPreparing,  // PrepareTarget was called; no target id known yet
    kPrepared,   // PrepareTarget returned `target_id`
    kDescribed,  // committed; `identity` is what GetTargetLuns reports
    kReleased,   // ReleaseTarget succeeded (or the prepare ended without a target)
  };
  SnapshotSetId set_id;
  LunIdentity source;
  TargetId target_id;                   // empty while kPreparing
  std::optional<LunIdentity> identity;  // set from kDescribed on
  State state = State::kPreparing;
  bool exposed = false;                 // LocateLuns made it visible
  std::uint32_t flags = 0;              // CatalogTargetFlags received
  absl::Time updated = absl::InfinitePast();

  bool alive() const { return state == State::kPrepared || state == State::kDescribed; }
};

// "preparing", "prepared", "described", "released" (stable; JSON and logs).
const char* CatalogTargetStateName(CatalogTarget::State state);

// One snapshot set as recorded.
struct CatalogSet {
  SnapshotSetId id;
  std::int32_t context = 0;
  SetState state = SetState::kPreparing;
  absl::Time created = absl::InfinitePast();
  absl::Time updated = absl::InfinitePast();
  std::vector<SnapshotId> snapshots;    // BeginPrepareSnapshot calls accepted
  std::vector<CatalogTarget> targets;   // one per distinct source LUN, in prepare order

  int LiveTargets() const;
};

// What Open found, for logs and `hwsnapctl catalog verify`.
struct CatalogLoadReport {
  std::string path;
  bool created = false;             // the file did not exist and was created
  std::uint64_t records = 0;        // valid records replayed
  std::uint64_t file_bytes = 0;     // size after recovery
  std::uint64_t torn_tail_bytes = 0;  // bytes of an incomplete last record, 0 if none
  std::string torn_tail_copy;       // where those bytes were kept (empty if none)
  std::uint64_t sets = 0, live_targets = 0;
  absl::Duration load_time;
};

struct CatalogOptions {
  // The journal file. Its directory is created if missing. Required.
  std::string path;
  // Open for reading only (shared lock; Record*/Compact fail with kBadState).
  bool read_only = false;
  // fsync after every record and around compaction. Only tests and
  // benchmarks turn it off.
  bool sync = true;
  // Compaction runs at Open and after a record when the journal is larger
  // than `compact_min_bytes` and more than `compact_dead_ratio` of it is
  // records of forgotten sets.
  std::uint64_t compact_min_bytes = 1 << 20;
  double compact_dead_ratio = 0.5;
};

class Catalog {
 public:
  // Opens (creating if missing) and loads the catalog. Errors: kInvalidArgument
  // (empty path), kBadState (another process holds it), kVeto (corrupt, wrong
  // version; message says what and how to fix), kBackendFailure (I/O error).
  static absl::StatusOr<std::unique_ptr<Catalog>> Open(const CatalogOptions& options);

  // Reads and checks a catalog without changing anything (not even a torn
  // tail): the report, or the first problem found with its offset.
  static absl::StatusOr<CatalogLoadReport> Verify(const std::string& path);

  // The platform's default location: %ProgramData%\hwsnap\catalog.hwsnap on
  // Windows, $STATE_DIRECTORY or /var/lib/hwsnap/catalog.hwsnap elsewhere.
  static std::string DefaultPath();

  virtual ~Catalog() = default;

  virtual const CatalogLoadReport& load_report() const = 0;
  virtual const std::string& path() const = 0;

  // --- recording (each durable when it returns OK) ---------------------------
  virtual absl::Status RecordSetCreated(const SnapshotSetId& set, std::int32_t context, absl::Time when) = 0;
  virtual absl::Status RecordSnapshotAdded(const SnapshotSetId& set, const SnapshotId& snapshot) = 0;
  // Before PrepareTarget(source) is called (so a crash during it is known).
  virtual absl::Status RecordPrepareStarted(const SnapshotSetId& set, const LunIdentity& source) = 0;
  // PrepareTarget(source) returned `target`.
  virtual absl::Status RecordTargetPrepared(const SnapshotSetId& set, const LunIdentity& source,
                                            const TargetId& target) = 0;
  // PrepareTarget(source) ended without a target (failed or cancelled).
  virtual absl::Status RecordPrepareEnded(const SnapshotSetId& set, const LunIdentity& source) = 0;
  // The committed target's identity (DescribeTarget's answer).
  virtual absl::Status RecordTargetDescribed(const TargetId& target, const LunIdentity& identity) = 0;
  virtual absl::Status RecordSetState(const SnapshotSetId& set, SetState state) = 0;
  virtual absl::Status RecordTargetExposed(const TargetId& target, bool exposed) = 0;
  // ORs `flags` (CatalogTargetFlags) into the target's flags; `clear` removes them.
  virtual absl::Status RecordTargetFlags(const TargetId& target, std::uint32_t flags, std::uint32_t clear) = 0;
  virtual absl::Status RecordTargetReleased(const TargetId& target) = 0;
  // Drops a final set with no live target from the catalog (compaction
  // removes its records).
  virtual absl::Status ForgetSet(const SnapshotSetId& set) = 0;
  // Rewrites the journal with only the live records (atomic).
  virtual absl::Status Compact() = 0;

  // --- queries (consistent snapshots of the in-memory index) -----------------
  virtual std::vector<CatalogSet> Sets() const = 0;  // oldest first
  virtual std::optional<CatalogSet> FindSet(const SnapshotSetId& set) const = 0;
  // The alive target whose described identity shares a unique designator
  // with `identity`. O(log n).
  virtual std::optional<CatalogTarget> FindTargetByIdentity(const LunIdentity& identity) const = 0;
  // The alive, described target of the newest completed set made from
  // `source` (shares a unique designator). O(log n).
  virtual std::optional<CatalogTarget> FindLatestTargetForSource(const LunIdentity& source) const = 0;
  virtual std::optional<CatalogTarget> FindTarget(const TargetId& target) const = 0;
  // Every alive target (any set state), oldest first.
  virtual std::vector<CatalogTarget> LiveTargets() const = 0;
};

}  // namespace hwsnap

#endif  // HWSNAP_CATALOG_H_
