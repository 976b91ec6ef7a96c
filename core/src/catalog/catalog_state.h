// catalog_state.h — the catalog's in-memory index and the journal loader
// (internal). No I/O here: Catalog (catalog.cc) reads and writes the file;
// this decides what each record means.
//
// Every record goes through Check (does it make sense against the current
// state?) and then Apply (which cannot fail). Record* calls check before they
// write, replay checks every decoded record, so a journal can only hold
// records that applied cleanly, and a record that does not apply on replay is
// corruption, never a crash.
#ifndef HWSNAP_CORE_SRC_CATALOG_CATALOG_STATE_H_
#define HWSNAP_CORE_SRC_CATALOG_CATALOG_STATE_H_

#include <cstdint>
#include <tuple>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "catalog/catalog_format.h"
#include "hwsnap/catalog.h"

namespace hwsnap {
namespace catalog_internal {

class CatalogState {
 public:
  CatalogState() = default;
  CatalogState(const CatalogState&) = delete;
  CatalogState& operator=(const CatalogState&) = delete;

  // OK when `record` applies to the current state; else kInvalidArgument
  // (malformed), kObjectNotFound (unknown set/target/slot) or kBadState.
  absl::Status Check(const Record& record) const;
  // Applies a record Check accepted; `framed_bytes` is its size in the journal.
  // May move from record.identity.
  void Apply(Record& record, std::uint64_t framed_bytes);

  // While loading, the lookup indexes are built once at the end (faster).
  void SuspendIndexes() { indexed_ = false; }
  void BuildIndexes();

  // The slot of `source` in `set` (a target whose source is the same LUN).
  std::optional<std::uint32_t> FindSlot(const SnapshotSetId& set, const LunIdentity& source) const;
  const CatalogSet* GetSet(const SnapshotSetId& set) const;
  const CatalogTarget* GetTarget(const TargetId& target) const;

  std::vector<CatalogSet> Sets() const;
  std::optional<CatalogTarget> FindTargetByIdentity(const LunIdentity& identity) const;
  std::optional<CatalogTarget> FindLatestTargetForSource(const LunIdentity& source) const;
  std::vector<CatalogTarget> LiveTargets() const;
  std::uint64_t set_count() const { return sets_.size(); }
  std::uint64_t live_target_count() const;

  // Journal bytes that belong to forgotten sets (what compaction removes).
  std::uint64_t dead_bytes() const { return dead_bytes_; }
  // The header and the records that rebuild exactly this state (compaction).
  std::string EncodeLive(std::uint32_t version) const;
  // After compaction: the journal no longer holds dead records.
  void ResetDeadBytes() { dead_bytes_ = 0; }
  // Roughly what EncodeLive would write (SetImage records): the automatic
  // compaction trigger compares the journal with it. Exact for sets loaded
  // from an image, an estimate for sets built from history records.
  std::uint64_t image_estimate() const { return image_estimate_; }
  // After compaction: the journal is `bytes` of images.
  void ResetImageEstimate(std::uint64_t bytes) { image_estimate_ = bytes; }
  // The old-style encoding (history records only); EncodeLive falls back to it
  // when a set's image would exceed kMaxImagePayload.
  std::string EncodeHistory(std::uint32_t version) const;

 private:
  struct Entry {
    CatalogSet set;
    std::uint64_t seq = 0;            // creation order
    std::uint64_t bytes = 0;          // journal bytes of its records
    std::uint64_t image_bytes = 0;    // estimated size of its SetImage record
    std::vector<std::uint64_t> target_seq;  // per slot: prepare order
  };
  struct TargetRef {
    Entry* entry = nullptr;
    std::uint32_t slot = 0;
    CatalogTarget& target() const { return entry->set.targets[slot]; }
  };
  // Index keys hold a 64-bit hash of a unique designator, not its bytes: a
  // 100,000-target catalog builds these at every Open, and string keys cost an
  // allocation each. A hash may collide, so every hit is confirmed against the
  // target's own designators (DesignatorKey, HasDesignator).
  using IdentityKey = std::pair<std::uint64_t, std::uint64_t>;             // designator hash, target seq
  using SourceKey = std::tuple<std::uint64_t, std::uint64_t, std::uint64_t>;  // designator hash, set seq, target seq

  absl::Status CheckImage(const CatalogSet& set) const;
  Entry* MutableEntry(const SnapshotSetId& set);
  const Entry* FindEntry(const SnapshotSetId& set) const;
  const TargetRef* FindRef(const TargetId& target) const;
  // Calls on_identity / on_source with every index key of `ref` (none unless
  // it is described; source keys only in a completed set).
  template <typename OnIdentity, typename OnSource>
  static void ForEachKey(const TargetRef& ref, OnIdentity&& on_identity, OnSource&& on_source);
  void Index(const TargetRef& ref, bool add);
  void IndexSet(Entry* entry, bool add);

  // B-trees and hash maps rather than std::map: one node per entry (and a
  // string per key) made the index most of the load time of a large catalog.
  absl::node_hash_map<SnapshotSetId, Entry> sets_;         // node: Entry* stays valid
  absl::btree_map<std::uint64_t, Entry*> order_;           // creation order
  absl::flat_hash_map<std::string, TargetRef> targets_;  // newest target per id
  absl::btree_map<IdentityKey, TargetRef> by_identity_;  // alive, described targets
  absl::btree_map<SourceKey, TargetRef> by_source_;      // ... of completed sets
  mutable const Entry* last_entry_ = nullptr;             // replay touches one set at a time
  std::uint64_t next_set_seq_ = 1;
  std::uint64_t next_target_seq_ = 1;
  std::uint64_t dead_bytes_ = 0;
  std::uint64_t image_estimate_ = kHeaderSize;
  bool indexed_ = true;
};

// What LoadJournal found.
struct LoadResult {
  std::uint64_t records = 0;
  std::uint64_t good_bytes = 0;   // header + records that replayed
  std::uint64_t torn_bytes = 0;   // an incomplete/CRC-failing last record at good_bytes
  std::string torn_reason;        // what was wrong with it
};

// Replays `data` (a whole journal) into the empty `state`. Corruption is
// kVeto naming `path`, the offset, what is wrong and the remedy; a torn last
// record is not an error (LoadResult::torn_bytes). Never crashes on any input.
absl::Status LoadJournal(absl::string_view data, const std::string& path, CatalogState* state,
                         LoadResult* result);

// The kVeto status for damage at `offset` of `path`.
absl::Status CorruptionError(const std::string& path, std::uint64_t offset, absl::string_view what);

}  // namespace catalog_internal
}  // namespace hwsnap

#endif  // HWSNAP_CORE_SRC_CATALOG_CATALOG_STATE_H_
