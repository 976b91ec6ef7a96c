// The director of one simulated run (see scheduler.h).
#include "scheduler.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include <atomic>
#include <thread>
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "call_lane.h"
#include "hwsnap/catalog.h"
#include "hwsnap/logging.h"
#include "hwsnap/mock/fault_injecting_backend.h"
#include "hwsnap/mock/mock_backend.h"
#include "hwsnap/provider.h"
#include "hwsnap/windows/vss_results.h"
#include "invariants.h"
#include "quiescence.h"
#include "requester_script.h"
#include "sim_gate.h"
#include "sim_random.h"

namespace hwsnap::sim {
namespace {

namespace fs = std::filesystem;
using E = ErrorCode;

// What a backend op will do, drawn when the director first sees it.
struct Fate {
  enum class Kind { kOk, kError, kBadAlloc, kHang, kIgnoreCancel };
  Kind kind = Kind::kOk;
  ErrorCode code = E::kOk;
  std::int64_t ready_at = 0;  // virtual tick from which it may complete
  bool time_passed = false;   // real time was let pass while it was parked (and cancelled, for prepares)
  int set = -1;               // prepare: the set it works for
  std::string label;
};

const char* FateName(Fate::Kind k) {
  switch (k) {
    case Fate::Kind::kOk: return "ok";
    case Fate::Kind::kError: return "error";
    case Fate::Kind::kBadAlloc: return "bad-alloc";
    case Fate::Kind::kHang: return "hang";
    case Fate::Kind::kIgnoreCancel: return "ignore-cancel";
  }
  return "?";
}

std::uint64_t Fnv1a(const std::vector<std::string>& lines) {
  std::uint64_t h = 1469598103934665603ull;
  for (const std::string& line : lines) {
    for (unsigned char c : line) h = (h ^ c) * 1099511628211ull;
    h = (h ^ '\n') * 1099511628211ull;
  }
  return h;
}

struct TimingOverrun {};
struct Violation {
  std::string what;
};

class Director {
 public:
  Director(std::uint64_t seed, const SimOptions& options) : seed_(seed), options_(options), rng_(seed) {}
  ~Director() {
    Drain();
    if (!dir_.empty()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }

  void Run();
  // After a violation or an overrun: let every parked op and call finish,
  // destroy the provider, so no thread is left blocked.
  void Drain();
  std::vector<std::string>& trace() { return trace_; }
  int steps() const { return static_cast<int>(clock_); }

 private:
  void Trace(std::string line) { trace_.push_back(absl::StrCat("t=", clock_, " ", std::move(line))); }
  [[noreturn]] void Fail(std::string what) { throw Violation{std::move(what)}; }
  void Check(const std::string& problem) {
    if (!problem.empty()) Fail(problem);
  }
  std::uint64_t Activity() const { return gate_->activity() + requester_->activity() + aborter_->activity(); }
  void Settle();
  void CheckTiming();
  void Observe();
  void DrawFate(const OpView& op);
  bool Enabled(const OpView& op) const;
  bool NeedsTime(const OpView& op) const;
  void ResolveOp(const OpView& op);
  void AdvanceTime();
  void Issue(CallLane& lane, const VssCall& call);
  void OnReturned(const VssCall& call, const absl::Status& status, const std::vector<LunIdentity>& luns_out, bool lane_is_requester);
  void CheckState();
  // After an AbortSnapshots returned OK for `set`: nothing of it is left.
  void CheckRolledBackNow(int set);
  // Target ids live on the mock array; target ids a parked backend call holds.
  std::set<std::string> ArrayLive() const;
  std::set<std::string> BusyTargets() const;
  void Teardown();
  SnapshotSetId SetId(int set) const;
  absl::Duration Scaled(absl::Duration d) const { return d * options_.time_scale; }

  const std::uint64_t seed_;
  const SimOptions options_;
  SimRandom rng_;
  std::vector<std::string> trace_;
  std::int64_t clock_ = 0;

  std::string dir_;
  std::vector<LunIdentity> luns_;
  std::shared_ptr<MockBackend> mock_;
  std::shared_ptr<FaultInjectingBackend> faults_;
  std::shared_ptr<SimGate> gate_;
  std::unique_ptr<SnapshotProvider> provider_;
  std::unique_ptr<CallLane> requester_, aborter_;
  ProviderOptions provider_options_;

  std::unique_ptr<RequesterScript> script_;
  std::optional<VssCall> next_call_;
  bool script_done_ = false;
  bool tearing_down_ = false, torn_down_ = false;

  // The calls running on each lane and what they returned.
  struct Running {
    VssCall call;
    absl::Status status;
    std::vector<LunIdentity> luns_out;
  };
  std::shared_ptr<Running> on_requester_, on_aborter_;
  int aborts_issued_ = 0;

  std::vector<SetModel> sets_;
  int current_set_ = -1;  // the set of the latest BeginPrepare
  std::map<std::uint64_t, Fate> fates_;  // by gate id
  std::map<std::string, int> label_count_;
  // Target ids as the trace shows them: "tgt1", "tgt2"... in order of
  // creation in this run. The in-memory mock numbers targets process-wide,
  // so the raw ids differ when a seed runs twice in one process.
  std::map<std::string, int> local_ids_;
  std::set<std::string> release_failed_;  // targets whose last release failed (kept for a retry)
  std::string LocalId(const std::string& id) {
    auto [it, added] = local_ids_.try_emplace(id, static_cast<int>(local_ids_.size()) + 1);
    return absl::StrCat("tgt", it->second);
  }
  std::map<std::string, int> set_of_target_;
  std::set<int> time_advanced_sets_;

  std::optional<absl::Time> armed_since_;
  int baseline_threads_ = 0;
};

SnapshotSetId Director::SetId(int set) const {
  std::array<std::uint8_t, 16> bytes{};
  const std::uint64_t v = seed_ * 1000003ull + static_cast<std::uint64_t>(set + 2);
  for (int i = 0; i < 8; ++i) bytes[static_cast<size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * i));
  bytes[8] = 0x5e;
  bytes[15] = 0x51;
  return SnapshotSetId::FromBytes(bytes);
}

void Director::Settle() {
  if (!WaitUntilQuiet([this] { return Activity(); }, absl::Seconds(20))) {
    Fail("the process never became quiet (a thread kept running for 20 s)");
  }
}

void Director::CheckTiming() {
  if (!armed_since_) return;
  const absl::Duration limit = Scaled(absl::Milliseconds(40)) * 0.4;
  if (absl::Now() - *armed_since_ > limit) throw TimingOverrun{};
}

void Director::DrawFate(const OpView& op) {
  Fate f;
  const std::string base = absl::StrCat(OpKindName(op.kind), "(lun", op.lun, ")");
  f.label = absl::StrCat(base, "#", ++label_count_[base]);
  f.ready_at = clock_ + rng_.BelowInt(4);
  const int roll = rng_.BelowInt(100);
  switch (op.kind) {
    case OpKind::kIdentify:
      if (roll < 5) {
        f.kind = Fate::Kind::kError;
        f.code = E::kBackendFailure;
      } else if (roll < 7) {
        f.kind = Fate::Kind::kBadAlloc;
      }
      break;
    case OpKind::kPrepare: {
      f.set = current_set_;
      static constexpr ErrorCode kPrepareErrors[] = {E::kInsufficientStorage, E::kVeto, E::kNotSupported,
                                                     E::kBackendFailure};
      if (roll < 10) {
        f.kind = Fate::Kind::kError;
        f.code = kPrepareErrors[rng_.Below(4)];
      } else if (roll < 12) {
        f.kind = Fate::Kind::kBadAlloc;
      } else if (roll < 19) {
        f.kind = Fate::Kind::kHang;
      } else if (roll < 24) {
        f.kind = Fate::Kind::kIgnoreCancel;
      }
      break;
    }
    case OpKind::kCommit: {
      static constexpr ErrorCode kCommitErrors[] = {E::kInsufficientStorage, E::kBackendFailure,
                                                    E::kDeadlineExceeded};
      if (roll < 8) {
        f.kind = Fate::Kind::kError;
        f.code = kCommitErrors[rng_.Below(3)];
      } else if (roll < 11) {
        f.kind = Fate::Kind::kHang;
      } else if (roll < 13) {
        f.kind = Fate::Kind::kIgnoreCancel;
      }
      break;
    }
    case OpKind::kDescribe:
    case OpKind::kExpose:
    case OpKind::kRelease:
      if (roll < 6) {
        f.kind = Fate::Kind::kError;
        f.code = E::kBackendFailure;
      }
      break;
  }
  Trace(absl::StrCat("op ", f.label, f.set >= 0 ? absl::StrCat(" set", f.set) : std::string(), " fate=",
                     FateName(f.kind), f.kind == Fate::Kind::kError ? absl::StrCat(":", ErrorCodeName(f.code)) : "",
                     " ready@", f.ready_at));
  fates_[op.gate_id] = f;
}

bool Director::NeedsTime(const OpView& op) const {
  const Fate& f = fates_.at(op.gate_id);
  if (f.time_passed) return false;
  if (op.kind == OpKind::kCommit) return f.kind == Fate::Kind::kHang || f.kind == Fate::Kind::kIgnoreCancel;
  if (op.kind == OpKind::kPrepare) return f.kind == Fate::Kind::kIgnoreCancel && op.cancelled;
  return false;
}

bool Director::Enabled(const OpView& op) const {
  const Fate& f = fates_.at(op.gate_id);
  // Teardown: the provider is going away; a backend still honours cancels.
  if (clock_ < f.ready_at && !op.cancelled) return false;
  switch (f.kind) {
    case Fate::Kind::kHang:
      if (op.kind == OpKind::kPrepare) return op.cancelled;
      return f.time_passed;
    case Fate::Kind::kIgnoreCancel:
      if (op.kind == OpKind::kPrepare) return !op.cancelled ? clock_ >= f.ready_at : f.time_passed;
      return f.time_passed;
    default:
      return clock_ >= f.ready_at || op.cancelled;
  }
}

void Director::ResolveOp(const OpView& op) {
  Fate& f = fates_.at(op.gate_id);
  Resolution r = Resolution::Forward();
  switch (f.kind) {
    case Fate::Kind::kOk:
      if (op.kind == OpKind::kPrepare && op.cancelled && rng_.Chance(1, 2)) r = Resolution::Fail(E::kCancelled);
      break;
    case Fate::Kind::kError:
      r = Resolution::Fail(f.code);
      break;
    case Fate::Kind::kBadAlloc:
      r = Resolution::ThrowBadAlloc();
      break;
    case Fate::Kind::kHang:
      r = Resolution::Fail(op.kind == OpKind::kPrepare ? E::kCancelled : E::kDeadlineExceeded);
      break;
    case Fate::Kind::kIgnoreCancel:
      if (op.kind == OpKind::kPrepare && op.cancelled && rng_.Chance(1, 2)) r = Resolution::Fail(E::kCancelled);
      break;
  }
  Trace(absl::StrCat("resolve ", f.label, op.cancelled ? " (cancelled)" : "", " -> ",
                     r.kind == Resolution::Kind::kForward ? std::string("forward")
                     : r.kind == Resolution::Kind::kThrowBadAlloc ? std::string("throw bad_alloc")
                                                                  : absl::StrCat("fail ", ErrorCodeName(r.code))));
  if (op.kind == OpKind::kPrepare && r.kind != Resolution::Kind::kForward && GetErrorCode(MakeError(r.code, "")) != E::kCancelled &&
      !armed_since_) {
    armed_since_ = absl::Now();  // a failed prepare starts the provider's drain bound
  }
  gate_->Resolve(op.gate_id, r);
}

void Director::AdvanceTime() {
  const absl::Duration wait =
      std::max(provider_options_.abort_drain_timeout, provider_options_.commit_timeout + provider_options_.commit_grace) +
      Scaled(absl::Milliseconds(15));
  Trace("advance time past the provider's bounds");
  for (const OpView& op : gate_->Pending()) {
    if (NeedsTime(op)) fates_.at(op.gate_id).time_passed = true;
  }
  for (const auto& [id, f] : fates_) {
    if (f.set >= 0) time_advanced_sets_.insert(f.set);
  }
  absl::SleepFor(wait);
  Settle();
  armed_since_ = absl::Now();
}

void Director::Issue(CallLane& lane, const VssCall& call) {
  auto running = std::make_shared<Running>();
  running->call = call;
  Trace(absl::StrCat("issue ", lane.name(), " ", call.ToString()));
  const SnapshotSetId set_id = call.set >= 0 ? SetId(call.set) : SetId(-1000);
  std::vector<LunIdentity> luns;
  for (int l : call.luns) luns.push_back(luns_[static_cast<size_t>(l)]);
  std::optional<LunIdentity> target;
  if (call.kind == CallKind::kOnLunEmpty || call.kind == CallKind::kLocateLuns) {
    const SetModel& m = sets_[static_cast<size_t>(call.set)];
    if (call.target < 0) {
      target = luns_[0];
    } else {
      target = m.served[static_cast<size_t>(call.target)].second;
    }
  }
  const SnapshotId snapshot_id = [&] {
    std::array<std::uint8_t, 16> b{};
    const std::uint64_t v = seed_ * 7919ull + static_cast<std::uint64_t>(clock_);
    for (int i = 0; i < 8; ++i) b[static_cast<size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * i));
    b[8] = 0x54;
    return SnapshotId::FromBytes(b);
  }();
  if (call.kind == CallKind::kAbort || call.kind == CallKind::kEndPrepare || call.kind == CallKind::kCommit ||
      call.kind == CallKind::kBeginPrepare) {
    if (!armed_since_) armed_since_ = absl::Now();
  }
  if (call.kind == CallKind::kAbort && call.set >= 0) {
    SetModel& m = sets_[static_cast<size_t>(call.set)];
    if (m.known && !IsFinal(m.state)) m.abort_issued = true;
  }
  if (call.kind == CallKind::kBeginPrepare && call.set != current_set_) {
    // A new set: the provider aborts the one still in creation.
    if (current_set_ >= 0) {
      SetModel& old = sets_[static_cast<size_t>(current_set_)];
      if (old.known && !IsFinal(old.state)) old.abort_issued = true;
    }
    current_set_ = call.set;
  }
  SnapshotProvider* p = provider_.get();
  lane.Post([p, running, set_id, snapshot_id, luns, target, call] {
    switch (call.kind) {
      case CallKind::kAreLunsSupported: {
        auto r = p->AreLunsSupported(luns, 0);
        running->status = !r.ok() ? r.status() : *r ? absl::OkStatus() : NotSupportedError("not supported");
        if (r.ok() && !*r) running->luns_out.push_back(LunIdentity{});  // marks "false"
        if (r.ok() && !*r) running->status = absl::OkStatus();
        break;
      }
      case CallKind::kBeginPrepare: running->status = p->BeginPrepareSnapshot(set_id, snapshot_id, 0, luns); break;
      case CallKind::kEndPrepare: running->status = p->EndPrepareSnapshots(set_id); break;
      case CallKind::kPreCommit: running->status = p->PreCommitSnapshots(set_id); break;
      case CallKind::kCommit: running->status = p->CommitSnapshots(set_id); break;
      case CallKind::kPostCommit: running->status = p->PostCommitSnapshots(set_id, call.snapshot_count); break;
      case CallKind::kPreFinalCommit: running->status = p->PreFinalCommitSnapshots(set_id); break;
      case CallKind::kPostFinalCommit: running->status = p->PostFinalCommitSnapshots(set_id); break;
      case CallKind::kAbort: running->status = p->AbortSnapshots(set_id); break;
      case CallKind::kGetTargetLuns: {
        auto r = p->GetTargetLuns(luns);
        running->status = r.status();
        if (r.ok()) running->luns_out = *r;
        break;
      }
      case CallKind::kLocateLuns: running->status = p->LocateLuns({*target}); break;
      case CallKind::kOnLunEmpty: running->status = p->OnLunEmpty("sim", *target); break;
    }
  });
  (&lane == requester_.get() ? on_requester_ : on_aborter_) = running;
}

void Director::OnReturned(const VssCall& call, const absl::Status& status, const std::vector<LunIdentity>& luns_out,
                          bool lane_is_requester) {
  const ErrorCode code = GetErrorCode(status);
  const std::uint32_t hr = windows::MapStatusToResult(MethodOf(call.kind), status);
  Trace(absl::StrCat("return ", call.ToString(), " -> ", ErrorCodeName(code), " ", windows::VssResultName(hr)));
  Check(CheckResultContract(call, status));
  ErrorCode reported = code;
  if (call.set >= 0 && !call.chaos) {
    SetModel& m = sets_[static_cast<size_t>(call.set)];
    auto failed = [&] {
      if (code == E::kCancelled) {
        if (!m.abort_issued) Fail(absl::StrCat(call.ToString(), " returned kCancelled but nobody aborted the set"));
      } else {
        m.state = SetState::kFailed;
      }
    };
    switch (call.kind) {
      case CallKind::kAreLunsSupported:
        if (code == E::kOk && !luns_out.empty()) {
          Fail("AreLunsSupported answered false for LUNs of the array");
        }
        break;
      case CallKind::kBeginPrepare:
        if (code == E::kOk) {
          m.known = true;
          ++m.snapshots;
          m.luns.insert(call.luns.begin(), call.luns.end());
        } else if (code == E::kBadState) {
          if (!m.abort_issued && m.state == SetState::kPreparing && m.known) {
            Fail("BeginPrepareSnapshot refused with kBadState for a set in preparation");
          }
        }
        // The set this BeginPrepare superseded is aborted by now.
        for (size_t i = 0; i < sets_.size(); ++i) {
          SetModel& old = sets_[i];
          if (static_cast<int>(i) != call.set && old.abort_issued && old.known && !IsFinal(old.state) &&
              (on_aborter_ == nullptr || on_aborter_->call.set != static_cast<int>(i))) {
            old.state = SetState::kAborted;
          }
        }
        break;
      case CallKind::kEndPrepare: {
        int pending = 0;
        for (const OpView& op : gate_->Pending()) {
          if (op.kind == OpKind::kPrepare && fates_.at(op.gate_id).set == call.set) ++pending;
        }
        Check(CheckEndPrepare(m, status, pending, time_advanced_sets_.count(call.set) > 0));
        if (code == E::kOk) m.state = SetState::kPrepared;
        else if (code != E::kBadState && code != E::kObjectNotFound) failed();
        break;
      }
      case CallKind::kPreCommit:
        if (code == E::kOk) m.state = SetState::kPreCommitted;
        break;
      case CallKind::kCommit:
        if (code == E::kOk) m.state = SetState::kCommitted;
        else if (code != E::kBadState && code != E::kObjectNotFound) failed();
        break;
      case CallKind::kPostCommit:
        if (code == E::kOk) m.state = SetState::kPostCommitted;
        else if (code != E::kBadState && code != E::kObjectNotFound) failed();
        break;
      case CallKind::kPreFinalCommit:
        if (code == E::kOk) m.state = SetState::kPreFinalCommitted;
        break;
      case CallKind::kPostFinalCommit:
        if (code == E::kOk) m.state = SetState::kCompleted;
        break;
      case CallKind::kAbort:
        // A completed set whose targets were all released is forgotten.
        if (m.known && m.state == SetState::kCompleted && code != E::kBadState &&
            !(code == E::kObjectNotFound && !m.served.empty() && m.released.size() == m.served.size())) {
          Fail("AbortSnapshots on a completed set must be kBadState");
        }
        if (m.known && m.state != SetState::kCompleted) {
          if (code != E::kOk) Fail(absl::StrCat("AbortSnapshots on a ", SetStateName(m.state), " set returned ", ErrorCodeName(code)));
          if (m.state != SetState::kFailed) m.state = SetState::kAborted;
          // OK means "rolled back", even while another call still runs (a
          // second abort used to answer before the first one's releases).
          CheckRolledBackNow(call.set);
        }
        break;
      case CallKind::kGetTargetLuns:
        if (code == E::kOk) {
          if (luns_out.size() != call.luns.size()) Fail("GetTargetLuns returned a different number of LUNs");
          m.served.clear();
          for (size_t i = 0; i < luns_out.size(); ++i) {
            if (luns_out[i].SameLunAs(luns_[static_cast<size_t>(call.luns[i])])) {
              Fail("GetTargetLuns returned a target that carries its source's designator");
            }
            for (size_t j = 0; j < i; ++j) {
              if (luns_out[i].SameLunAs(luns_out[j])) Fail("GetTargetLuns returned one target for two sources");
            }
            m.served.emplace_back(call.luns[i], luns_out[i]);
          }
        } else if (m.state == SetState::kCompleted) {
          Fail(absl::StrCat("GetTargetLuns for the LUNs of a just completed set: ", status.ToString()));
        }
        break;
      case CallKind::kOnLunEmpty:
        if (code == E::kOk) m.released.insert(call.target);
        else if (code == E::kObjectNotFound && m.released.count(call.target) == 0) {
          Fail("OnLunEmpty said kObjectNotFound for a served target not yet released");
        }
        break;
      case CallKind::kLocateLuns:
        if (code == E::kObjectNotFound && m.released.count(call.target) == 0) {
          Fail("LocateLuns said kObjectNotFound for a served target not yet released");
        }
        break;
    }
  } else if (call.kind == CallKind::kOnLunEmpty && call.chaos && code != E::kObjectNotFound) {
    Fail("OnLunEmpty of a source LUN must be kObjectNotFound");
  } else if (call.set < 0 && code != E::kObjectNotFound) {
    Fail(absl::StrCat(call.ToString(), " on an unknown set must be kObjectNotFound"));
  }
  if (lane_is_requester) {
    if (call.kind == CallKind::kAreLunsSupported && code == E::kOk && !luns_out.empty()) reported = E::kNotSupported;
    script_->Report(call, reported);
  }
}

void Director::Observe() {
  for (const OpOutcome& o : gate_->TakeFinished()) {
    auto it = fates_.find(o.gate_id);
    const std::string label = it == fates_.end() ? std::string("?") : it->second.label;
    Trace(absl::StrCat("done ", label, " -> ", ErrorCodeName(GetErrorCode(o.status)),
                       o.made.empty() ? std::string() : absl::StrCat(" made ", LocalId(o.made))));
    if (o.kind == OpKind::kRelease) {
      // A failed release is kept by the provider for a retry (its ledger);
      // while a retry pass runs, the targets it took are in neither the
      // ledger nor (except the one being released) a parked call.
      if (o.status.ok() || GetErrorCode(o.status) == E::kObjectNotFound) {
        release_failed_.erase(o.target);
      } else {
        release_failed_.insert(o.target);
      }
    }
    if (o.kind == OpKind::kPrepare && it != fates_.end() && it->second.set >= 0) {
      SetModel& m = sets_[static_cast<size_t>(it->second.set)];
      m.prepare_results.push_back(o.status);
      if (!o.made.empty()) {
        m.targets_made.insert(o.made);
        set_of_target_[o.made] = it->second.set;
      }
    }
  }
  // Returned calls, in lane order.
  if (requester_->TakeDone()) {
    auto r = std::move(on_requester_);
    on_requester_ = nullptr;
    if (r) {
      OnReturned(r->call, r->status, r->luns_out, true);
    } else {
      Trace("return provider destroyed");
      torn_down_ = true;
    }
  }
  if (aborter_->TakeDone()) {
    auto r = std::move(on_aborter_);
    on_aborter_ = nullptr;
    OnReturned(r->call, r->status, r->luns_out, false);
  }
  for (const OpView& op : gate_->Pending()) {
    if (fates_.count(op.gate_id) == 0) DrawFate(op);
  }
  if (!requester_->busy() && !aborter_->busy()) {
    bool ops = false;
    for (const OpView& op : gate_->Pending()) ops = ops || op.kind == OpKind::kPrepare || op.kind == OpKind::kCommit;
    if (!ops) armed_since_.reset();
  }
}

std::set<std::string> Director::ArrayLive() const {
  std::set<std::string> live;
  for (const auto& t : mock_->LiveTargets()) live.insert(t.id);
  return live;
}

std::set<std::string> Director::BusyTargets() const {
  std::set<std::string> busy;
  for (const OpView& op : gate_->Pending()) {
    for (absl::string_view t : absl::StrSplit(op.target, ',')) {
      if (!t.empty()) busy.insert(std::string(t));
    }
  }
  return busy;
}

void Director::CheckRolledBackNow(int set) {
  const std::set<std::string> array_live = ArrayLive();
  const std::set<std::string> busy = BusyTargets();
  std::set<std::string> ledger = release_failed_;
  if (provider_ != nullptr) {
    for (const TargetId& t : provider_->PendingReleases()) ledger.insert(t);
  }
  Check(CheckNothingLeft(absl::StrCat("set", set, " (AbortSnapshots returned OK)"), sets_[static_cast<size_t>(set)],
                         array_live, ledger, busy));
}

void Director::CheckState() {
  const std::set<std::string> array_live = ArrayLive();
  const std::set<std::string> busy = BusyTargets();
  const bool provider_alive = provider_ != nullptr && !tearing_down_;
  std::set<std::string> ledger;
  if (provider_alive) {
    for (const TargetId& t : provider_->PendingReleases()) ledger.insert(t);
  }
  // With no call running (a call in progress may still be releasing; what an
  // AbortSnapshots leaves is checked the moment it returns OK,
  // CheckRolledBackNow).
  for (size_t i = 0; i < sets_.size() && !requester_->busy() && !aborter_->busy(); ++i) {
    const SetModel& m = sets_[i];
    if (!m.known) continue;
    // A straggler that returned releases the set's targets one by one: while
    // any op of the set is parked, the rest are still on their way out.
    bool set_busy = false;
    for (const std::string& t : busy) {
      auto it = set_of_target_.find(t);
      set_busy = set_busy || (it != set_of_target_.end() && it->second == static_cast<int>(i));
    }
    if (set_busy) continue;
    Check(CheckNothingLeft(absl::StrCat("set", i), m, array_live, ledger, busy));
  }
  if (!provider_alive || requester_->busy() || aborter_->busy()) return;
  const std::vector<OpView> pending = gate_->Pending();
  int alive = 0;
  for (size_t i = 0; i < sets_.size(); ++i) {
    const SetModel& m = sets_[i];
    if (!m.known) continue;
    bool has_ops = false;
    for (const OpView& op : pending) {
      for (absl::string_view t : absl::StrSplit(op.target, ',')) {
        auto it = set_of_target_.find(std::string(t));
        has_ops = has_ops || (it != set_of_target_.end() && it->second == static_cast<int>(i));
      }
      has_ops = has_ops || fates_.at(op.gate_id).set == static_cast<int>(i);
    }
    if (has_ops) continue;
    Check(absl::StrCat(CheckProgress(m, provider_->GetProgress(SetId(static_cast<int>(i)))).empty()
                           ? std::string()
                           : absl::StrCat("set", i, ": ", CheckProgress(m, provider_->GetProgress(SetId(static_cast<int>(i)))))));
  }
  if (pending.empty()) {
    for (const SetProgress& p : provider_->ListSets()) alive += p.targets_alive;
    const int expected = alive + static_cast<int>(ledger.size());
    if (static_cast<int>(array_live.size()) != expected) {
      Fail(absl::StrCat("the array holds ", array_live.size(), " target(s); the provider accounts for ", alive,
                        " alive + ", ledger.size(), " pending release"));
    }
  }
}

void Director::Teardown() {
  Trace("issue requester destroy provider");
  tearing_down_ = true;
  if (!armed_since_) armed_since_ = absl::Now();
  SnapshotProvider* raw = provider_.release();
  on_requester_ = nullptr;
  requester_->Post([raw] { delete raw; });
}

void Director::Drain() {
  if (!gate_ || !requester_) return;
  std::atomic<bool> stop{false};
  std::thread resolver([&] {
    while (!stop.load()) {
      for (const OpView& op : gate_->Pending()) {
        gate_->Resolve(op.gate_id, op.kind == OpKind::kPrepare && op.cancelled ? Resolution::Fail(E::kCancelled)
                                                                               : Resolution::Forward());
      }
      usleep(500);
    }
  });
  const absl::Time until = absl::Now() + absl::Seconds(30);
  auto wait_lane = [&](CallLane& lane) {
    while (lane.busy() && absl::Now() < until) {
      lane.TakeDone();
      usleep(500);
    }
  };
  wait_lane(*requester_);
  wait_lane(*aborter_);
  provider_.reset();
  while (!gate_->Pending().empty() && absl::Now() < until) usleep(500);
  stop = true;
  resolver.join();
}

void Director::Run() {
  SetLogLevel(spdlog::level::off);
  char templ[] = "/tmp/hwsnap-sim-XXXXXX";
  if (const char* tmp = getenv("TMPDIR"); tmp != nullptr && *tmp != '\0') {
    // keep /tmp: short and always there
  }
  if (mkdtemp(templ) == nullptr) Fail("mkdtemp failed");
  dir_ = templ;

  const int lun_count = 1 + rng_.BelowInt(4);
  MockBackendOptions mock_options;
  mock_options.target_capacity = 2 + rng_.BelowInt(8);
  mock_options.max_commit_group = rng_.Chance(1, 3) ? 1 : 0;
  mock_ = std::make_shared<MockBackend>(mock_options);
  for (int i = 0; i < lun_count; ++i) luns_.push_back(mock_->AddSourceLun());
  faults_ = std::make_shared<FaultInjectingBackend>(mock_);
  if (rng_.Chance(1, 8)) {
    // A scripted one-shot rule below the gate: the first release fails.
    faults_->AddRule(MakeFaultRule(BackendOp::kRelease, FaultKind::kError, std::nullopt, E::kBackendFailure,
                                   absl::Seconds(10), 1));
  }
  gate_ = std::make_shared<SimGate>(faults_, luns_);
  provider_options_.abort_drain_timeout = Scaled(absl::Milliseconds(40));
  provider_options_.commit_timeout = Scaled(absl::Milliseconds(60));
  provider_options_.commit_grace = Scaled(absl::Milliseconds(20));
  provider_options_.catalog_path = (fs::path(dir_) / "catalog.hwsnap").string();
  provider_options_.catalog.sync = false;
  script_ = std::make_unique<RequesterScript>(rng_, lun_count);
  sets_.resize(static_cast<size_t>(script_->campaigns()));
  Trace(absl::StrCat("seed ", seed_, ": ", lun_count, " LUN(s), capacity ", mock_options.target_capacity,
                     ", commit groups of ", mock_options.max_commit_group, ", ", script_->campaigns(), " set(s)"));

  requester_ = std::make_unique<CallLane>("requester");
  aborter_ = std::make_unique<CallLane>("aborter");
  provider_ = std::make_unique<SnapshotProvider>(gate_, provider_options_);
  if (!provider_->Usable().ok()) Fail(absl::StrCat("provider not usable: ", provider_->Usable().ToString()));
  Settle();
  baseline_threads_ = ProcessThreadCount();

  int stuck = 0;
  for (;;) {
    CheckTiming();
    Observe();
    if (torn_down_ && gate_->Pending().empty()) break;
    CheckState();
    if (clock_ >= options_.max_steps) Fail(absl::StrCat("no end after ", options_.max_steps, " steps"));

    if (!requester_->busy() && !next_call_ && !script_done_ && !tearing_down_) {
      next_call_ = script_->Next();
      // Skip calls on targets never served.
      while (next_call_ && (next_call_->kind == CallKind::kOnLunEmpty || next_call_->kind == CallKind::kLocateLuns) &&
             next_call_->target >= 0 &&
             static_cast<size_t>(next_call_->target) >= sets_[static_cast<size_t>(next_call_->set)].served.size()) {
        next_call_ = script_->Next();
      }
      if (!next_call_) script_done_ = true;
    }
    // Enabled steps, in a fixed order, with weights.
    struct Choice {
      int kind;  // 0 next call, 1 abort, 2 resolve, 3 time
      OpView op;
      int weight;
    };
    std::vector<Choice> choices;
    if (!requester_->busy() && next_call_) choices.push_back({0, {}, 4});
    int abort_set = -1;
    if (!aborter_->busy() && !tearing_down_) {
      for (int s = static_cast<int>(sets_.size()) - 1; s >= 0; --s) {
        if (sets_[static_cast<size_t>(s)].known) {
          abort_set = s;
          break;
        }
      }
      // A budget of spontaneous aborts; past it, only VSS's own timeout
      // (the fallback below) aborts a set that cannot progress.
      if (abort_set >= 0 && aborts_issued_ < 2) choices.push_back({1, {}, 1});
    }
    bool needs_time = false;
    for (const OpView& op : gate_->Pending()) {
      if (Enabled(op)) choices.push_back({2, op, 3});
      needs_time = needs_time || NeedsTime(op);
    }
    if (needs_time) choices.push_back({3, {}, 1});

    if (choices.empty()) {
      if (script_done_ && !requester_->busy() && !aborter_->busy() && !tearing_down_) {
        Teardown();
        ++clock_;
        Settle();
        continue;
      }
      const bool anything = requester_->busy() || aborter_->busy() || !gate_->Pending().empty();
      if (!anything) Fail("nothing can move but the run is not over");
      bool later = false;
      for (const OpView& op : gate_->Pending()) later = later || fates_.at(op.gate_id).ready_at > clock_;
      if (later) {
        // Only latency is left: let virtual time pass (no real time).
        ++clock_;
        continue;
      }
      if (!aborter_->busy() && abort_set >= 0 && !tearing_down_) {
        choices.push_back({1, {}, 1});
      } else {
        if (++stuck > 2) Fail("stuck: calls are blocked, no backend op can complete and time passing changed nothing");
        AdvanceTime();
        ++clock_;
        continue;
      }
    }
    stuck = 0;
    int total = 0;
    for (const Choice& c : choices) total += c.weight;
    int pick = rng_.BelowInt(total);
    size_t index = 0;
    while (pick >= choices[index].weight) pick -= choices[index++].weight;
    const Choice& c = choices[index];
    CheckTiming();
    switch (c.kind) {
      case 0:
        Issue(*requester_, *next_call_);
        next_call_.reset();
        break;
      case 1: {
        ++aborts_issued_;
        VssCall call{CallKind::kAbort, abort_set};
        // Sometimes VSS names a set this provider never saw.
        if (rng_.Chance(1, 8)) call.set = -1;
        Issue(*aborter_, call);
        break;
      }
      case 2:
        ResolveOp(c.op);
        break;
      case 3:
        AdvanceTime();
        break;
    }
    ++clock_;
    Settle();
  }

  // The end: the provider is gone and every backend op returned.
  Settle();
  const std::set<std::string> array_live = ArrayLive();
  const absl::Time until = absl::Now() + absl::Seconds(5);
  while (ProcessThreadCount() > baseline_threads_) {
    if (absl::Now() > until) {
      Fail(absl::StrCat(ProcessThreadCount() - baseline_threads_, " thread(s) still running 5 s after the provider was destroyed"));
    }
    absl::SleepFor(absl::Milliseconds(1));
  }
  CatalogOptions read;
  read.path = provider_options_.catalog_path;
  read.read_only = true;
  auto catalog = Catalog::Open(read);
  if (!catalog.ok()) Fail(absl::StrCat("reopening the catalog: ", catalog.status().ToString()));
  std::set<std::string> catalog_alive;
  for (const CatalogTarget& t : (*catalog)->LiveTargets()) catalog_alive.insert(t.target_id);
  Trace(absl::StrCat("end: ", array_live.size(), " target(s) on the array, ", catalog_alive.size(), " in the catalog"));
  Check(CheckCatalogMatchesArray(array_live, catalog_alive));
}

}  // namespace

SeedResult RunSeed(std::uint64_t seed, const SimOptions& options) {
  SeedResult result;
  result.seed = seed;
  for (int attempt = 1; attempt <= options.attempts; ++attempt) {
    result.attempts = attempt;
    Director director(seed, options);
    try {
      director.Run();
      result.ok = true;
      result.timing_overrun = false;
      result.violation.clear();
    } catch (const TimingOverrun&) {
      result.timing_overrun = true;
      result.trace = std::move(director.trace());
      continue;
    } catch (const Violation& v) {
      result.ok = false;
      result.timing_overrun = false;
      result.violation = v.what;
    }
    result.trace = std::move(director.trace());
    result.steps = director.steps();
    result.trace_hash = Fnv1a(result.trace);
    return result;
  }
  result.trace_hash = Fnv1a(result.trace);
  return result;
}

}  // namespace hwsnap::sim
