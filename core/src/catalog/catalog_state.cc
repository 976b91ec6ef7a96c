// catalog_state.cc — the catalog's in-memory index and journal replay.
#include "catalog/catalog_state.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <tuple>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "hwsnap/status.h"

namespace hwsnap {
namespace catalog_internal {
namespace {

// The index key of a unique designator (see IdentityKey).
std::uint64_t DesignatorKey(const Designator& d) {
  return absl::HashOf(static_cast<int>(d.code_set), static_cast<int>(d.association), static_cast<int>(d.type),
                      absl::string_view(reinterpret_cast<const char*>(d.bytes.data()), d.bytes.size()));
}

// True when `lun` carries `d` as a unique designator (confirms an index hit).
bool HasDesignator(const LunIdentity& lun, const Designator& d) {
  for (const Designator& own : lun.designators) {
    if (own == d && own.IsUniqueLunDesignator()) return true;
  }
  return false;
}

bool IsFinalState(SetState state) {
  return state == SetState::kCompleted || state == SetState::kAborted || state == SetState::kFailed;
}

}  // namespace

// --- lookups -------------------------------------------------------------------

const CatalogState::Entry* CatalogState::FindEntry(const SnapshotSetId& set) const {
  if (last_entry_ != nullptr && last_entry_->set.id == set) return last_entry_;
  auto it = sets_.find(set);
  if (it == sets_.end()) return nullptr;
  last_entry_ = &it->second;
  return last_entry_;
}

CatalogState::Entry* CatalogState::MutableEntry(const SnapshotSetId& set) {
  return const_cast<Entry*>(FindEntry(set));
}

const CatalogState::TargetRef* CatalogState::FindRef(const TargetId& target) const {
  auto it = targets_.find(target);
  return it == targets_.end() ? nullptr : &it->second;
}

const CatalogSet* CatalogState::GetSet(const SnapshotSetId& set) const {
  const Entry* e = FindEntry(set);
  return e ? &e->set : nullptr;
}

const CatalogTarget* CatalogState::GetTarget(const TargetId& target) const {
  const TargetRef* ref = FindRef(target);
  return ref ? &ref->target() : nullptr;
}

std::optional<std::uint32_t> CatalogState::FindSlot(const SnapshotSetId& set, const LunIdentity& source) const {
  const Entry* e = FindEntry(set);
  if (e == nullptr) return std::nullopt;
  // Sets hold tens of LUNs: a linear scan is cheaper than another index.
  for (size_t i = 0; i < e->set.targets.size(); ++i) {
    if (e->set.targets[i].source.SameLunAs(source)) return static_cast<std::uint32_t>(i);
  }
  return std::nullopt;
}

// --- Check ---------------------------------------------------------------------

absl::Status CatalogState::Check(const Record& r) const {
  auto set_of = [&](const Entry** out) -> absl::Status {
    if (r.set.is_nil()) return InvalidArgumentError("the snapshot set id is nil");
    *out = FindEntry(r.set);
    if (*out == nullptr) return ObjectNotFoundError(absl::StrCat("snapshot set ", r.set.ToString(), " is not in the catalog"));
    return absl::OkStatus();
  };
  auto open_set = [&](const Entry** out) -> absl::Status {
    if (absl::Status s = set_of(out); !s.ok()) return s;
    if (IsFinalState((*out)->set.state)) {
      return BadStateError(absl::StrCat("snapshot set ", r.set.ToString(), " is already ", SetStateName((*out)->set.state)));
    }
    return absl::OkStatus();
  };
  auto slot_of = [&](const Entry* e, const CatalogTarget** out) -> absl::Status {
    if (r.slot >= e->set.targets.size()) {
      return ObjectNotFoundError(absl::StrCat("snapshot set ", r.set.ToString(), " has no source LUN #", r.slot));
    }
    *out = &e->set.targets[r.slot];
    return absl::OkStatus();
  };
  auto target_of = [&](const CatalogTarget** out) -> absl::Status {
    if (r.target.empty()) return InvalidArgumentError("the target id is empty");
    const TargetRef* ref = FindRef(r.target);
    if (ref == nullptr) return ObjectNotFoundError(absl::StrCat("target '", r.target, "' is not in the catalog"));
    *out = &ref->target();
    return absl::OkStatus();
  };
  auto alive = [&](const CatalogTarget* t) -> absl::Status {
    if (!t->alive()) {
      return BadStateError(absl::StrCat("target '", r.target, "' is ", CatalogTargetStateName(t->state)));
    }
    return absl::OkStatus();
  };

  const Entry* e = nullptr;
  const CatalogTarget* t = nullptr;
  switch (r.type) {
    case RecordType::kSetCreated:
      if (r.set.is_nil()) return InvalidArgumentError("the snapshot set id is nil");
      if (FindEntry(r.set) != nullptr) {
        return BadStateError(absl::StrCat("snapshot set ", r.set.ToString(), " is already in the catalog"));
      }
      return absl::OkStatus();
    case RecordType::kSnapshotAdded:
      if (r.snapshot.is_nil()) return InvalidArgumentError("the snapshot id is nil");
      if (absl::Status s = open_set(&e); !s.ok()) return s;
      if (std::find(e->set.snapshots.begin(), e->set.snapshots.end(), r.snapshot) != e->set.snapshots.end()) {
        return BadStateError(absl::StrCat("snapshot ", r.snapshot.ToString(), " is already in set ", r.set.ToString()));
      }
      return absl::OkStatus();
    case RecordType::kPrepareStarted: {
      if (!r.identity.HasUniqueDesignator()) {
        return InvalidArgumentError("the source LUN has no unique designator");
      }
      if (absl::Status s = open_set(&e); !s.ok()) return s;
      std::optional<std::uint32_t> slot = FindSlot(r.set, r.identity);
      if (slot && e->set.targets[*slot].state != CatalogTarget::State::kReleased) {
        return BadStateError(absl::StrCat("source LUN ", r.identity.ToString(), " of set ", r.set.ToString(), " is already ",
                                          CatalogTargetStateName(e->set.targets[*slot].state)));
      }
      return absl::OkStatus();
    }
    case RecordType::kTargetPrepared: {
      if (r.target.empty()) return InvalidArgumentError("the target id is empty");
      if (r.target.size() > kMaxTargetIdBytes) return InvalidArgumentError("the target id is longer than 1024 bytes");
      if (absl::Status s = set_of(&e); !s.ok()) return s;
      if (absl::Status s = slot_of(e, &t); !s.ok()) return s;
      if (t->state != CatalogTarget::State::kPreparing) {
        return BadStateError(absl::StrCat("source LUN #", r.slot, " of set ", r.set.ToString(), " is ",
                                          CatalogTargetStateName(t->state), ", not preparing"));
      }
      const TargetRef* other = FindRef(r.target);
      if (other != nullptr && other->target().alive()) {
        return BadStateError(absl::StrCat("target '", r.target, "' is already alive in set ",
                                          other->entry->set.id.ToString()));
      }
      return absl::OkStatus();
    }
    case RecordType::kPrepareEnded:
      if (absl::Status s = set_of(&e); !s.ok()) return s;
      if (absl::Status s = slot_of(e, &t); !s.ok()) return s;
      if (t->state != CatalogTarget::State::kPreparing) {
        return BadStateError(absl::StrCat("source LUN #", r.slot, " of set ", r.set.ToString(), " is ",
                                          CatalogTargetStateName(t->state), ", not preparing"));
      }
      return absl::OkStatus();
    case RecordType::kTargetDescribed:
      if (absl::Status s = target_of(&t); !s.ok()) return s;
      if (absl::Status s = alive(t); !s.ok()) return s;
      if (!r.identity.HasUniqueDesignator()) return InvalidArgumentError("the target identity has no unique designator");
      return absl::OkStatus();
    case RecordType::kSetState:
      if (r.state > static_cast<std::uint8_t>(SetState::kFailed)) return InvalidArgumentError("unknown set state");
      return open_set(&e);
    case RecordType::kTargetExposed:
    case RecordType::kTargetFlags:
    case RecordType::kTargetReleased:
      if (absl::Status s = target_of(&t); !s.ok()) return s;
      return alive(t);
    case RecordType::kSetForgotten:
      if (absl::Status s = set_of(&e); !s.ok()) return s;
      if (!IsFinalState(e->set.state)) {
        return BadStateError(absl::StrCat("snapshot set ", r.set.ToString(), " is ", SetStateName(e->set.state),
                                          ", not final"));
      }
      if (e->set.LiveTargets() > 0) {
        return BadStateError(absl::StrCat("snapshot set ", r.set.ToString(), " still has ", e->set.LiveTargets(),
                                          " live target(s)"));
      }
      return absl::OkStatus();
    case RecordType::kSetImage:
      return CheckImage(r.image);
  }
  return InvalidArgumentError("unknown record type");
}

absl::Status CatalogState::CheckImage(const CatalogSet& set) const {
  if (set.id.is_nil()) return InvalidArgumentError("the snapshot set id is nil");
  if (FindEntry(set.id) != nullptr) {
    return BadStateError(absl::StrCat("snapshot set ", set.id.ToString(), " is already in the catalog"));
  }
  for (const SnapshotId& snapshot : set.snapshots) {
    if (snapshot.is_nil()) return InvalidArgumentError("the snapshot id is nil");
  }
  if (set.snapshots.size() > 1) {
    std::vector<SnapshotId> sorted = set.snapshots;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
      return BadStateError(absl::StrCat("a snapshot is twice in set ", set.id.ToString()));
    }
  }
  std::vector<absl::string_view> alive_ids;
  for (const CatalogTarget& t : set.targets) {
    if (!t.source.HasUniqueDesignator()) return InvalidArgumentError("a source LUN has no unique designator");
    const bool has_id = !t.target_id.empty();
    switch (t.state) {
      case CatalogTarget::State::kPreparing:
        if (has_id || t.identity) return BadStateError("a preparing target has a target id or identity");
        break;
      case CatalogTarget::State::kPrepared:
        if (!has_id || t.identity) return BadStateError("a prepared target has no target id, or an identity");
        break;
      case CatalogTarget::State::kDescribed:
        if (!has_id || !t.identity) return BadStateError("a described target has no target id or identity");
        break;
      case CatalogTarget::State::kReleased:
        if (!has_id && t.identity) return BadStateError("a released target has an identity but no target id");
        break;
    }
    if (t.identity && !t.identity->HasUniqueDesignator()) {
      return InvalidArgumentError("a target identity has no unique designator");
    }
    if (!has_id && (t.exposed || t.flags != 0)) return BadStateError("a target without an id is exposed or flagged");
    if (!t.alive()) continue;
    const TargetRef* other = FindRef(t.target_id);
    if (other != nullptr && other->target().alive()) {
      return BadStateError(absl::StrCat("target '", t.target_id, "' is already alive in set ",
                                        other->entry->set.id.ToString()));
    }
    alive_ids.push_back(t.target_id);
  }
  if (alive_ids.size() > 1) {
    std::sort(alive_ids.begin(), alive_ids.end());
    if (auto twin = std::adjacent_find(alive_ids.begin(), alive_ids.end()); twin != alive_ids.end()) {
      return BadStateError(absl::StrCat("target '", *twin, "' is alive twice in set ", set.id.ToString()));
    }
  }
  return absl::OkStatus();
}

// --- Apply ---------------------------------------------------------------------

template <typename OnIdentity, typename OnSource>
void CatalogState::ForEachKey(const TargetRef& ref, OnIdentity&& on_identity, OnSource&& on_source) {
  const CatalogTarget& t = ref.target();
  if (t.state != CatalogTarget::State::kDescribed || !t.identity) return;
  const std::uint64_t tseq = ref.entry->target_seq[ref.slot];
  for (const Designator& d : t.identity->designators) {
    if (d.IsUniqueLunDesignator()) on_identity(IdentityKey(DesignatorKey(d), tseq));
  }
  if (ref.entry->set.state != SetState::kCompleted) return;
  for (const Designator& d : t.source.designators) {
    if (d.IsUniqueLunDesignator()) on_source(SourceKey(DesignatorKey(d), ref.entry->seq, tseq));
  }
}

void CatalogState::Index(const TargetRef& ref, bool add) {
  if (!indexed_) return;
  if (add) {
    ForEachKey(
        ref, [&](const IdentityKey& k) { by_identity_.emplace(k, ref); },
        [&](const SourceKey& k) { by_source_.emplace(k, ref); });
  } else {
    ForEachKey(
        ref, [&](const IdentityKey& k) { by_identity_.erase(k); }, [&](const SourceKey& k) { by_source_.erase(k); });
  }
}

void CatalogState::IndexSet(Entry* entry, bool add) {
  for (std::uint32_t i = 0; i < entry->set.targets.size(); ++i) Index(TargetRef{entry, i}, add);
}

void CatalogState::BuildIndexes() {
  // Keys collected in creation order (the sets were allocated in that order,
  // so memory is read front to back), sorted, and appended to the B-trees:
  // an order of magnitude cheaper than inserting hashed keys one by one.
  std::vector<std::pair<IdentityKey, TargetRef>> identities;
  std::vector<std::pair<SourceKey, TargetRef>> sources;
  for (const auto& [seq, entry] : order_) {
    for (std::uint32_t i = 0; i < entry->set.targets.size(); ++i) {
      const TargetRef ref{entry, i};
      ForEachKey(
          ref, [&](const IdentityKey& k) { identities.emplace_back(k, ref); },
          [&](const SourceKey& k) { sources.emplace_back(k, ref); });
    }
  }
  auto by_key = [](const auto& a, const auto& b) { return a.first < b.first; };
  std::sort(identities.begin(), identities.end(), by_key);
  std::sort(sources.begin(), sources.end(), by_key);
  by_identity_.clear();
  by_source_.clear();
  for (const auto& [key, ref] : identities) by_identity_.emplace_hint(by_identity_.end(), key, ref);
  for (const auto& [key, ref] : sources) by_source_.emplace_hint(by_source_.end(), key, ref);
  indexed_ = true;
}

void CatalogState::Apply(Record& r, std::uint64_t framed_bytes) {
  auto touch = [&](Entry* e) {
    e->bytes += framed_bytes;
    e->set.updated = std::max(e->set.updated, r.when);
  };
  auto grow = [&](Entry* e, std::uint64_t n) {
    e->image_bytes += n;
    image_estimate_ += n;
  };
  auto by_target = [&](auto&& mutate) {
    const TargetRef ref = targets_.find(r.target)->second;
    Index(ref, false);
    mutate(ref.target());
    ref.target().updated = r.when;
    touch(ref.entry);
    Index(ref, true);
  };
  switch (r.type) {
    case RecordType::kSetCreated: {
      auto [it, inserted] = sets_.try_emplace(r.set);
      Entry& e = it->second;
      e.set.id = r.set;
      e.set.context = r.context;
      e.set.created = r.when;
      e.set.updated = r.when;
      e.seq = next_set_seq_++;
      e.bytes = framed_bytes;
      order_.emplace(e.seq, &e);
      last_entry_ = &e;
      grow(&e, 62);
      break;
    }
    case RecordType::kSetImage: {
      auto [it, inserted] = sets_.try_emplace(r.image.id);
      Entry& e = it->second;
      e.set = std::move(r.image);
      e.seq = next_set_seq_++;
      e.bytes = framed_bytes;
      e.target_seq.resize(e.set.targets.size());
      for (std::uint32_t i = 0; i < e.set.targets.size(); ++i) {
        e.target_seq[i] = next_target_seq_++;
        const CatalogTarget& t = e.set.targets[i];
        if (t.target_id.empty()) continue;
        // The newest target per id, but never hiding an alive one.
        auto [ref, added] = targets_.try_emplace(t.target_id, TargetRef{&e, i});
        if (!added && (t.alive() || !ref->second.target().alive())) ref->second = TargetRef{&e, i};
      }
      order_.emplace(e.seq, &e);
      last_entry_ = &e;
      grow(&e, framed_bytes);
      IndexSet(&e, true);
      break;
    }
    case RecordType::kSnapshotAdded: {
      Entry* e = MutableEntry(r.set);
      e->set.snapshots.push_back(r.snapshot);
      touch(e);
      grow(e, 16);
      break;
    }
    case RecordType::kPrepareStarted: {
      Entry* e = MutableEntry(r.set);
      std::optional<std::uint32_t> slot = FindSlot(r.set, r.identity);
      if (!slot) {
        slot = static_cast<std::uint32_t>(e->set.targets.size());
        e->set.targets.emplace_back();
        e->target_seq.push_back(0);
      }
      CatalogTarget& t = e->set.targets[*slot];
      if (!t.target_id.empty()) {  // a released slot prepared again: its old id goes
        auto old = targets_.find(t.target_id);
        if (old != targets_.end() && old->second.entry == e && old->second.slot == *slot) targets_.erase(old);
      }
      t = CatalogTarget();
      t.set_id = r.set;
      t.source = std::move(r.identity);
      t.updated = r.when;
      e->target_seq[*slot] = next_target_seq_++;
      touch(e);
      grow(e, framed_bytes);
      break;
    }
    case RecordType::kTargetPrepared: {
      Entry* e = MutableEntry(r.set);
      CatalogTarget& t = e->set.targets[r.slot];
      t.target_id = r.target;
      t.state = CatalogTarget::State::kPrepared;
      t.updated = r.when;
      targets_.insert_or_assign(r.target, TargetRef{e, r.slot});
      touch(e);
      grow(e, 2 + r.target.size());
      break;
    }
    case RecordType::kPrepareEnded: {
      Entry* e = MutableEntry(r.set);
      CatalogTarget& t = e->set.targets[r.slot];
      t.state = CatalogTarget::State::kReleased;
      t.updated = r.when;
      touch(e);
      break;
    }
    case RecordType::kTargetDescribed: {
      const std::uint64_t overhead = kFrameSize + 9 + 2 + r.target.size();
      by_target([&](CatalogTarget& t) {
        t.identity = std::move(r.identity);
        t.state = CatalogTarget::State::kDescribed;
      });
      grow(targets_.find(r.target)->second.entry, framed_bytes > overhead ? framed_bytes - overhead : 0);
      break;
    }
    case RecordType::kSetState: {
      Entry* e = MutableEntry(r.set);
      IndexSet(e, false);
      e->set.state = static_cast<SetState>(r.state);
      touch(e);
      IndexSet(e, true);
      break;
    }
    case RecordType::kTargetExposed:
      by_target([&](CatalogTarget& t) { t.exposed = r.exposed; });
      break;
    case RecordType::kTargetFlags:
      by_target([&](CatalogTarget& t) { t.flags = (t.flags | r.flags) & ~r.clear; });
      break;
    case RecordType::kTargetReleased:
      by_target([&](CatalogTarget& t) { t.state = CatalogTarget::State::kReleased; });
      break;
    case RecordType::kSetForgotten: {
      auto it = sets_.find(r.set);
      Entry* e = &it->second;
      IndexSet(e, false);
      for (const CatalogTarget& t : e->set.targets) {
        if (t.target_id.empty()) continue;
        auto ref = targets_.find(t.target_id);
        if (ref != targets_.end() && ref->second.entry == e) targets_.erase(ref);
      }
      dead_bytes_ += e->bytes + framed_bytes;
      image_estimate_ -= std::min(image_estimate_, e->image_bytes);
      order_.erase(e->seq);
      if (last_entry_ == e) last_entry_ = nullptr;
      sets_.erase(it);
      break;
    }
  }
}

// --- queries -------------------------------------------------------------------

std::vector<CatalogSet> CatalogState::Sets() const {
  std::vector<CatalogSet> out;
  out.reserve(order_.size());
  for (const auto& [seq, entry] : order_) out.push_back(entry->set);
  return out;
}

std::optional<CatalogTarget> CatalogState::FindTargetByIdentity(const LunIdentity& identity) const {
  constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
  const TargetRef* best = nullptr;
  std::uint64_t best_seq = 0;
  for (const Designator& d : identity.designators) {
    if (!d.IsUniqueLunDesignator()) continue;
    const std::uint64_t hash = DesignatorKey(d);
    // The newest entry under this hash that really carries `d`.
    for (auto it = by_identity_.upper_bound(IdentityKey(hash, kMax)); it != by_identity_.begin();) {
      --it;
      if (it->first.first != hash) break;
      if (!HasDesignator(*it->second.target().identity, d)) continue;  // a hash collision
      if (best == nullptr || it->first.second > best_seq) {
        best = &it->second;
        best_seq = it->first.second;
      }
      break;
    }
  }
  if (best == nullptr) return std::nullopt;
  return best->target();
}

std::optional<CatalogTarget> CatalogState::FindLatestTargetForSource(const LunIdentity& source) const {
  constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
  const TargetRef* best = nullptr;
  std::pair<std::uint64_t, std::uint64_t> best_seq{0, 0};
  for (const Designator& d : source.designators) {
    if (!d.IsUniqueLunDesignator()) continue;
    const std::uint64_t hash = DesignatorKey(d);
    for (auto it = by_source_.upper_bound(SourceKey(hash, kMax, kMax)); it != by_source_.begin();) {
      --it;
      if (std::get<0>(it->first) != hash) break;
      if (!HasDesignator(it->second.target().source, d)) continue;  // a hash collision
      const std::pair<std::uint64_t, std::uint64_t> seq(std::get<1>(it->first), std::get<2>(it->first));
      if (best == nullptr || seq > best_seq) {
        best = &it->second;
        best_seq = seq;
      }
      break;
    }
  }
  if (best == nullptr) return std::nullopt;
  return best->target();
}

std::vector<CatalogTarget> CatalogState::LiveTargets() const {
  std::vector<CatalogTarget> out;
  for (const auto& [seq, entry] : order_) {
    for (const CatalogTarget& t : entry->set.targets) {
      if (t.alive()) out.push_back(t);
    }
  }
  return out;
}

std::uint64_t CatalogState::live_target_count() const {
  std::uint64_t n = 0;
  for (const auto& [id, entry] : sets_) n += static_cast<std::uint64_t>(entry.set.LiveTargets());
  return n;
}

// --- compaction ----------------------------------------------------------------

std::string CatalogState::EncodeLive(std::uint32_t version) const {
  // One SetImage per live set, in creation order.
  std::string out = EncodeHeader(version);
  out.reserve(static_cast<size_t>(image_estimate_) + (image_estimate_ >> 3) + 64);
  for (const auto& [seq, e] : order_) {
    const size_t at = out.size();
    AppendSetImage(e->set, &out);
    if (LoadU32(out.data() + at) > kMaxImagePayload) return EncodeHistory(version);
  }
  return out;
}

std::string CatalogState::EncodeHistory(std::uint32_t version) const {
  // Sets in creation order, then every target's history in prepare order
  // (so a target id reused after a release never meets its alive twin), then
  // each set's state (targets are only recorded into non-final sets).
  std::string out = EncodeHeader(version);
  Record r;
  struct Slot {
    std::uint64_t seq;
    const Entry* entry;
    std::uint32_t slot;
  };
  std::vector<Slot> slots;
  for (const auto& [seq, e] : order_) {
    r = Record();
    r.type = RecordType::kSetCreated;
    r.when = e->set.created;
    r.set = e->set.id;
    r.context = e->set.context;
    AppendRecord(r, &out);
    for (const SnapshotId& snapshot : e->set.snapshots) {
      r = Record();
      r.type = RecordType::kSnapshotAdded;
      r.when = e->set.updated;
      r.set = e->set.id;
      r.snapshot = snapshot;
      AppendRecord(r, &out);
    }
    for (std::uint32_t i = 0; i < e->set.targets.size(); ++i) slots.push_back({e->target_seq[i], e, i});
  }
  std::sort(slots.begin(), slots.end(), [](const Slot& a, const Slot& b) { return a.seq < b.seq; });
  for (const Slot& s : slots) {
    const CatalogTarget& t = s.entry->set.targets[s.slot];
    auto start = [&](RecordType type) {
      r = Record();
      r.type = type;
      r.when = t.updated;
      r.set = t.set_id;
      r.slot = s.slot;
      r.target = t.target_id;
    };
    start(RecordType::kPrepareStarted);
    r.identity = t.source;
    AppendRecord(r, &out);
    if (!t.target_id.empty()) {
      start(RecordType::kTargetPrepared);
      AppendRecord(r, &out);
      if (t.identity) {
        start(RecordType::kTargetDescribed);
        r.identity = *t.identity;
        AppendRecord(r, &out);
      }
      if (t.exposed) {
        start(RecordType::kTargetExposed);
        r.exposed = true;
        AppendRecord(r, &out);
      }
      if (t.flags != 0) {
        start(RecordType::kTargetFlags);
        r.flags = t.flags;
        AppendRecord(r, &out);
      }
      if (t.state == CatalogTarget::State::kReleased) {
        start(RecordType::kTargetReleased);
        AppendRecord(r, &out);
      }
    } else if (t.state == CatalogTarget::State::kReleased) {
      start(RecordType::kPrepareEnded);
      AppendRecord(r, &out);
    }
  }
  for (const auto& [seq, e] : order_) {
    if (e->set.state == SetState::kPreparing) continue;
    r = Record();
    r.type = RecordType::kSetState;
    r.when = e->set.updated;
    r.set = e->set.id;
    r.state = static_cast<std::uint8_t>(e->set.state);
    AppendRecord(r, &out);
  }
  return out;
}

// --- loading -------------------------------------------------------------------

absl::Status CorruptionError(const std::string& path, std::uint64_t offset, absl::string_view what) {
  const std::string remedy = absl::StrCat(
      "Keep the file as it is and run `hwsnapctl catalog verify ", path,
      "` to see the damage; then restore the catalog from a backup, or move it aside to start with an empty "
      "catalog (which loses track of existing snapshot LUNs: reclaim them with the storage's own tools).");
  return VetoError(absl::StrCat("snapshot catalog ", path, " is corrupt at offset ", offset, ": ", what, ". ", remedy),
                   remedy);
}

namespace {

// Whether a complete record with a matching CRC starts anywhere in
// data[from, end): then damage before it is not a torn last append.
bool ValidFrameFollows(absl::string_view data, size_t from) {
  for (size_t p = from; p + kFrameSize < data.size(); ++p) {
    const std::uint32_t length = LoadU32(data.data() + p);
    if (length == 0 || length > kMaxRecordPayload || length > data.size() - p - kFrameSize) continue;
    const auto type = static_cast<std::uint8_t>(data[p + kFrameSize]);
    if (type == 0 || type > kMaxRecordType) continue;
    if (Crc32c(data.data() + p + kFrameSize, length) == LoadU32(data.data() + p + 4)) return true;
  }
  return false;
}

}  // namespace

absl::Status LoadJournal(absl::string_view data, const std::string& path, CatalogState* state, LoadResult* result) {
  *result = LoadResult();
  if (data.size() < kHeaderSize) {
    return CorruptionError(path, 0, absl::StrCat("the header is truncated (", data.size(), " of ", kHeaderSize, " bytes)"));
  }
  if (std::memcmp(data.data(), kMagic, sizeof(kMagic)) != 0) {
    return CorruptionError(path, 0, "wrong magic: this is not an hwsnap catalog file");
  }
  if (Crc32c(data.data(), 12) != LoadU32(data.data() + 12)) {
    return CorruptionError(path, 0, "the header's CRC does not match");
  }
  const std::uint32_t version = LoadU32(data.data() + 8);
  if (version != kCatalogFormatVersion) {
    return CorruptionError(path, 8, absl::StrCat("unknown format version ", version, " (this build reads version ",
                                                 kCatalogFormatVersion, "; use the hwsnap release that wrote it)"));
  }

  state->SuspendIndexes();
  Record record;
  size_t off = kHeaderSize;
  const char* torn = nullptr;
  std::uint32_t stored_crc = 0, computed_crc = 0, length = 0;
  while (off < data.size()) {
    const size_t rest = data.size() - off;
    if (rest < kFrameSize) {
      torn = "incomplete record frame";
      break;
    }
    length = LoadU32(data.data() + off);
    stored_crc = LoadU32(data.data() + off + 4);
    if (length == 0 || (length > kMaxRecordPayload &&
                        (length > kMaxImagePayload || rest <= kFrameSize ||
                         static_cast<std::uint8_t>(data[off + kFrameSize]) !=
                             static_cast<std::uint8_t>(RecordType::kSetImage)))) {
      torn = "impossible record length";
      break;
    }
    if (length > rest - kFrameSize) {
      torn = "record extends past the end of the file";
      break;
    }
    const char* payload = data.data() + off + kFrameSize;
    computed_crc = Crc32c(payload, length);
    if (computed_crc != stored_crc) {
      torn = "CRC mismatch";
      break;
    }
    if (const char* bad = DecodePayload(absl::string_view(payload, length), &record); bad != nullptr) {
      return CorruptionError(path, off, absl::StrCat("record ", result->records + 1, " has a valid CRC but cannot be decoded: ", bad));
    }
    if (absl::Status s = state->Check(record); !s.ok()) {
      return CorruptionError(path, off, absl::StrCat("record ", result->records + 1, " (", RecordTypeName(record.type),
                                                     ") does not apply: ", s.message()));
    }
    state->Apply(record, kFrameSize + length);
    off += kFrameSize + length;
    ++result->records;
  }
  result->good_bytes = off;
  if (torn != nullptr) {
    const size_t rest = data.size() - off;
    std::string what = torn;
    if (what == "CRC mismatch") {
      what = absl::StrCat("CRC mismatch (stored 0x", absl::Hex(stored_crc, absl::kZeroPad8), ", computed 0x",
                          absl::Hex(computed_crc, absl::kZeroPad8), ")");
    } else if (what == "impossible record length") {
      what = absl::StrCat("impossible record length ", length);
    }
    // A crash during an append leaves at most one record's bytes, and nothing
    // valid after them. Anything else is damage in the middle of the journal.
    if (rest > kFrameSize + kMaxRecordPayload) {
      return CorruptionError(path, off, absl::StrCat("record ", result->records + 1, ": ", what, ", with ", rest,
                                                     " bytes after it (more than one record)"));
    }
    if (ValidFrameFollows(data, off + 1)) {
      return CorruptionError(path, off, absl::StrCat("record ", result->records + 1, ": ", what,
                                                     ", and valid records follow it"));
    }
    result->torn_bytes = rest;
    result->torn_reason = what;
  }
  state->BuildIndexes();
  return absl::OkStatus();
}

}  // namespace catalog_internal
}  // namespace hwsnap
