// The engine of `hwsnapctl simulate` (see simulate.h): plays VSS against a
// SnapshotProvider over a chosen backend, times every call, prints the
// timeline, and audits the array for targets left behind.
#include "hwsnapctl/simulate.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "hwsnap/lun_identity.h"
#include "hwsnap/mock/fault_injecting_backend.h"
#if HWSNAP_HAVE_SCSI
#include "hwsnap/scsi/scsi_registration.h"
#endif
#if HWSNAP_HAVE_NVME
#include "hwsnap/nvme/nvme_registration.h"
#endif
#include "hwsnap/mock/mock_backend.h"
#include "hwsnap/mock/mock_registration.h"
#include "hwsnap/provider.h"
#include "hwsnap/status.h"

namespace hwsnap::tools {
namespace {

using SteadyClock = std::chrono::steady_clock;

// VSS_CTX_BACKUP: the context of an ordinary backup snapshot set.
constexpr std::int32_t kBackupContext = 0;
constexpr int kMaxLuns = 1024;
constexpr int kDefaultMaxSnapshots = 8;
// How long the audit waits for targets of calls that returned after an
// abort (they are released the moment they return) before calling them leaked.
constexpr absl::Duration kSettleTime = absl::Seconds(2);

struct StepInfo {
  Step step;
  absl::string_view name;
  absl::string_view method;
  bool abortable;
};

constexpr StepInfo kSteps[] = {
    {Step::kAreLunsSupported, "are-luns-supported", "AreLunsSupported", true},
    {Step::kFillInLunInfo, "fill-in-lun-info", "FillInLunInfo", false},
    {Step::kBeginPrepare, "begin-prepare", "BeginPrepareSnapshot", true},
    {Step::kEndPrepare, "end-prepare", "EndPrepareSnapshots", true},
    {Step::kPreCommit, "pre-commit", "PreCommitSnapshots", true},
    {Step::kCommit, "commit", "CommitSnapshots", true},
    {Step::kPostCommit, "post-commit", "PostCommitSnapshots", true},
    {Step::kPreFinalCommit, "pre-final-commit", "PreFinalCommitSnapshots", true},
    {Step::kPostFinalCommit, "post-final-commit", "PostFinalCommitSnapshots", true},
    {Step::kGetTargetLuns, "get-target-luns", "GetTargetLuns", false},
    {Step::kLocateLuns, "locate-luns", "LocateLuns", false},
    {Step::kFillInTargetLunInfo, "fill-in-target-lun-info", "FillInLunInfo", false},
    {Step::kOnLunEmpty, "on-lun-empty", "OnLunEmpty", false},
    {Step::kAbort, "abort", "AbortSnapshots", false},
};

const StepInfo& InfoOf(Step step) {
  for (const StepInfo& info : kSteps) {
    if (info.step == step) return info;
  }
  return kSteps[0];  // unreachable: every Step has a row
}

double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

std::string DeviceName(int index) { return absl::StrCat("\\\\.\\PhysicalDrive", index); }

// --- backends ---------------------------------------------------------------

// What the simulation drives: the backend, the source LUNs to snapshot, and
// (optionally) the array's own count of live targets — a registry session.
using BackendUnderTest = BackendSession;

// The registry hwsnapctl uses when the caller passes none: the backends
// built into this tree.
const BackendRegistry& BuiltInRegistry() {
  static const BackendRegistry* registry = [] {
    auto* r = new BackendRegistry;
    if (auto s = RegisterMockBackend(*r); !s.ok()) std::abort();  // a programming error
#if HWSNAP_HAVE_SCSI
    if (auto s = scsi::RegisterScsiBackend(*r); !s.ok()) std::abort();
#endif
#if HWSNAP_HAVE_NVME
    if (auto s = nvme::RegisterNvmeBackend(*r); !s.ok()) std::abort();
#endif
    return r;
  }();
  return *registry;
}

const BackendRegistry& RegistryOf(const SimulationOptions& options) {
  return options.registry != nullptr ? *options.registry : BuiltInRegistry();
}

// Counts the targets the array really created and released (it sits directly
// on the backend, under any fault injection), for the summary and as the
// leak audit of backends that keep none of their own.
class TargetCounter : public ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;

  absl::StatusOr<TargetId> PrepareTarget(const LunIdentity& source, const CancelToken& cancel) override {
    absl::StatusOr<TargetId> target = ForwardingBackend::PrepareTarget(source, cancel);
    if (target.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      if (live_.insert(*target).second) ++created_;
    }
    return target;
  }

  absl::Status ReleaseTarget(const TargetId& target) override {
    absl::Status status = ForwardingBackend::ReleaseTarget(target);
    if (status.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      if (live_.erase(target) > 0) ++released_;
    }
    return status;
  }

  int created() const {
    std::lock_guard<std::mutex> lock(mu_);
    return created_;
  }
  int released() const {
    std::lock_guard<std::mutex> lock(mu_);
    return released_;
  }
  int live() const {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(live_.size());
  }

 private:
  mutable std::mutex mu_;
  std::set<TargetId> live_;
  int created_ = 0;
  int released_ = 0;
};

// --- the timeline -----------------------------------------------------------

// Records every call and, in human mode, prints it as it returns. Calls come
// from the main thread and the abort thread; progress lines from a third.
class Timeline {
 public:
  Timeline(std::ostream& out, bool human) : out_(out), human_(human), start_(SteadyClock::now()) {}

  absl::Duration Elapsed() const { return absl::FromChrono(SteadyClock::now() - start_); }

  // Times `call`, which returns the provider's status and may fill in a note.
  absl::Status Run(Step step, std::string detail, const std::function<absl::Status(std::string&)>& call,
                   bool from_abort_thread = false) {
    CallRecord record;
    record.step = step;
    record.detail = std::move(detail);
    record.from_abort_thread = from_abort_thread;
    record.start = Elapsed();
    record.status = call(record.note);
    record.duration = Elapsed() - record.start;
    const absl::Status status = record.status;
    std::lock_guard<std::mutex> lock(mu_);
    if (human_) out_ << Format(record) << std::flush;
    records_.push_back(std::move(record));
    return status;
  }

  // Times `call`, whose result needs no note.
  absl::Status Run(Step step, std::string detail, const std::function<absl::Status()>& call,
                   bool from_abort_thread = false) {
    return Run(step, std::move(detail), [&](std::string&) { return call(); }, from_abort_thread);
  }

  // A free-form human line stamped with the current offset.
  void Say(absl::string_view text) {
    if (!human_) return;
    const std::string line = absl::StrFormat("[+%8.1f ms]   %s\n", Ms(Elapsed()), text);
    std::lock_guard<std::mutex> lock(mu_);
    out_ << line << std::flush;
  }

  void Print(absl::string_view text) {
    if (!human_) return;
    std::lock_guard<std::mutex> lock(mu_);
    out_ << text << std::flush;
  }

  // The records, in the order the calls started.
  std::vector<CallRecord> Records() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<CallRecord> out = records_;
    std::stable_sort(out.begin(), out.end(),
                     [](const CallRecord& a, const CallRecord& b) { return a.start < b.start; });
    return out;
  }

  static std::string Header() {
    return absl::StrFormat("%-14s %-24s %-52s %10s  %s\n", "   offset", "call", "detail", "took", "result");
  }

 private:
  static std::string Format(const CallRecord& r) {
    std::string result;
    if (r.status.ok()) {
      result = r.note.empty() ? "OK" : absl::StrCat("OK  ", r.note);
    } else {
      result = absl::AsciiStrToUpper(ErrorCodeName(GetErrorCode(r.status)));
    }
    const std::string detail = r.from_abort_thread ? absl::StrCat(r.detail, " [abort thread]") : r.detail;
    std::string line = absl::StrFormat("[+%8.1f ms] %-24s %-52s %7.2f ms  %s\n", Ms(r.start),
                                       StepMethod(r.step), detail, Ms(r.duration), result);
    if (!r.status.ok()) absl::StrAppend(&line, "               -> ", r.status.message(), "\n");
    return line;
  }

  std::ostream& out_;
  const bool human_;
  const SteadyClock::time_point start_;
  mutable std::mutex mu_;
  std::vector<CallRecord> records_;
};

// --- the simulation ---------------------------------------------------------

class Simulation {
 public:
  Simulation(const SimulationOptions& options, std::ostream& out, BackendUnderTest under_test,
             std::shared_ptr<TargetCounter> counter, std::shared_ptr<Backend> provider_backend,
             std::optional<Step> abort_after, bool failure_scripted)
      : options_(options),
        timeline_(out, !options.json),
        under_test_(std::move(under_test)),
        counter_(std::move(counter)),
        provider_(std::move(provider_backend), MakeProviderOptions(options)),
        abort_after_(abort_after),
        failure_scripted_(failure_scripted) {
    if (!options.stop_after.empty()) {
      absl::StatusOr<Step> step = ParseStoppableStep(options.stop_after);
      if (step.ok()) stop_after_ = *step;  // validated by RunSimulation
    }
    report_.backend = options.backend;
    report_.catalog_path = options.catalog_path;
    report_.set_id = SnapshotSetId::Random();
    report_.luns = options.luns;
    report_.snapshots = options.snapshots;
  }

  ~Simulation() { JoinHelpers(); }

  SimulationReport Run() {
    PrintHeader();
    baseline_live_ = under_test_.live_targets ? under_test_.live_targets() : 0;
    RunSequence();
    Audit();
    report_.calls = timeline_.Records();
    report_.total = timeline_.Elapsed();
    PrintSummary();
    return std::move(report_);
  }

 private:
  const std::vector<LunIdentity>& luns() const { return under_test_.source_luns; }

  static ProviderOptions MakeProviderOptions(const SimulationOptions& options) {
    ProviderOptions provider_options;
    provider_options.catalog_path = options.catalog_path;
    return provider_options;
  }

  void PrintHeader() {
    const std::string capacity =
        options_.capacity ? absl::StrCat(*options_.capacity) : std::string("backend default");
    timeline_.Print(absl::StrFormat(
        "hwsnapctl simulate: backend %s, %d LUN(s) in %d snapshot(s), snapshot set %s\n"
        "  prepare latency %s, commit latency %s, capacity %s, faults: %s%s%s\n\n",
        options_.backend, options_.luns, options_.snapshots, report_.set_id.ToString(),
        absl::FormatDuration(options_.prepare_latency), absl::FormatDuration(options_.commit_latency),
        capacity, options_.faults.empty() ? "none" : absl::StrJoin(options_.faults, " "),
        abort_after_ ? absl::StrCat(", abort after ", StepName(*abort_after_)) : "",
        options_.abort_delay
            ? absl::StrCat(", abort ", absl::FormatDuration(*options_.abort_delay), " into EndPrepare")
            : ""));
    if (!options_.catalog_path.empty()) {
      const RecoveryReport& recovery = provider_.recovery();
      report_.recovered_sets_rolled_back = recovery.sets_rolled_back;
      report_.recovered_sets_served = recovery.sets_served;
      timeline_.Print(absl::StrFormat(
          "catalog %s: %d completed set(s) served, %d unfinished set(s) rolled back (%d target(s) released), "
          "%d target(s) restored, %d unknown target(s) released\n",
          options_.catalog_path, recovery.sets_served, recovery.sets_rolled_back, recovery.targets_released,
          recovery.targets_restored, recovery.unknown_targets_released));
      for (const std::string& problem : recovery.problems) timeline_.Print(absl::StrCat("  recovery: ", problem, "\n"));
      timeline_.Print("\n");
    }
    timeline_.Print(Timeline::Header());
  }

  // The VSS call sequence; returns at the first failure or requested abort.
  void RunSequence() {
    const std::vector<LunIdentity>& all = luns();

    bool supported = false;
    absl::Status s = timeline_.Run(Step::kAreLunsSupported, absl::StrCat("luns=", all.size()),
                                   [&](std::string& note) {
                                     absl::StatusOr<bool> r = provider_.AreLunsSupported(all, kBackupContext);
                                     if (!r.ok()) return r.status();
                                     supported = *r;
                                     note = SupportNote(supported);
                                     return absl::OkStatus();
                                   });
    if (s.ok() && !supported) s = NotSupportedError("the backend does not support every LUN of the set");
    if (!Continue(Step::kAreLunsSupported, s)) return;

    for (size_t i = 0; i < all.size(); ++i) {
      LunIdentity lun = all[i];
      s = FillIn(Step::kFillInLunInfo, static_cast<int>(i), "", lun, supported);
      if (s.ok() && !supported) s = NotSupportedError(absl::StrCat("LUN ", i, " is not supported"));
      if (s.ok() && !lun.SameLunAs(all[i])) {
        s = Mismatch(absl::StrCat("FillInLunInfo changed the identity of LUN ", i, ": ", lun.ToString()));
      }
      if (!s.ok()) {
        Fail(Step::kFillInLunInfo, s);
        return;
      }
    }

    // One BeginPrepareSnapshot per volume; LUNs dealt round-robin.
    std::vector<std::vector<LunIdentity>> volumes(static_cast<size_t>(options_.snapshots));
    for (size_t i = 0; i < all.size(); ++i) volumes[i % volumes.size()].push_back(all[i]);
    for (const std::vector<LunIdentity>& volume : volumes) {
      const SnapshotId snapshot = SnapshotId::Random();
      s = timeline_.Run(Step::kBeginPrepare, absl::StrCat("snap=", snapshot.ToString(), " luns=", volume.size()),
                        [&] { return provider_.BeginPrepareSnapshot(report_.set_id, snapshot, kBackupContext, volume); });
      if (!s.ok()) {
        Fail(Step::kBeginPrepare, s);
        return;
      }
      set_created_ = true;
    }
    if (!Continue(Step::kBeginPrepare, absl::OkStatus())) return;

    if (!EndPrepare()) return;

    const SnapshotSetId& set = report_.set_id;
    s = timeline_.Run(Step::kPreCommit, "", [&] { return provider_.PreCommitSnapshots(set); });
    if (!Continue(Step::kPreCommit, s)) return;
    s = timeline_.Run(Step::kCommit, absl::StrCat("luns=", all.size()), [&] { return provider_.CommitSnapshots(set); });
    if (!Continue(Step::kCommit, s)) return;
    s = timeline_.Run(Step::kPostCommit, absl::StrCat("snapshots=", options_.snapshots),
                      [&] { return provider_.PostCommitSnapshots(set, options_.snapshots); });
    if (!Continue(Step::kPostCommit, s)) return;
    s = timeline_.Run(Step::kPreFinalCommit, "", [&] { return provider_.PreFinalCommitSnapshots(set); });
    if (!Continue(Step::kPreFinalCommit, s)) return;
    s = timeline_.Run(Step::kPostFinalCommit, "", [&] { return provider_.PostFinalCommitSnapshots(set); });
    // Continue() may abort after this step; the abort must know the set is complete.
    set_completed_ = s.ok();
    if (!Continue(Step::kPostFinalCommit, s)) return;

    if (!Continue(Step::kGetTargetLuns, FetchTargets(""))) return;

    s = timeline_.Run(Step::kLocateLuns, absl::StrCat("luns=", targets_.size()),
                      [&] { return provider_.LocateLuns(targets_); });
    if (!Continue(Step::kLocateLuns, s)) return;

    // VSS sees the new disks and asks the provider about each one; what it
    // reports must match GetTargetLuns, or the import fails.
    for (size_t i = 0; i < targets_.size(); ++i) {
      const int device = static_cast<int>(all.size() + i);
      LunIdentity seen = targets_[i];
      s = FillIn(Step::kFillInTargetLunInfo, device, absl::StrCat(" (snapshot of LUN ", i, ")"), seen, supported);
      if (s.ok() && !supported) {
        s = Mismatch(absl::StrCat("the snapshot of LUN ", i, " is not reported as supported on import"));
      }
      if (s.ok() && !ImportMatches(seen, targets_[i])) {
        s = Mismatch(absl::StrCat("the snapshot of LUN ", i, " is reported as ", seen.ToString(),
                                  " on import but GetTargetLuns said ", targets_[i].ToString()));
      }
      if (!s.ok()) {
        Fail(Step::kFillInTargetLunInfo, s);
        return;
      }
    }

    if (options_.keep) {
      report_.targets_kept = static_cast<int>(targets_.size());
      timeline_.Say(absl::StrCat("--keep: no OnLunEmpty; the ", targets_.size(), " target(s) of set ",
                                 report_.set_id.ToString(), " stay", options_.catalog_path.empty() ? "" :
                                 " (recorded in the catalog)"));
      return;
    }
    if (!ReleaseTargets("", /*stop_at_failure=*/true)) {
      Fail(Step::kOnLunEmpty, last_release_failure_);
      return;
    }
  }

  // One FillInLunInfo call on device `device`; `supported` receives the answer.
  absl::Status FillIn(Step step, int device, absl::string_view detail_suffix, LunIdentity& lun, bool& supported) {
    supported = false;
    return timeline_.Run(step, absl::StrCat(DeviceName(device), detail_suffix), [&](std::string& note) {
      absl::StatusOr<bool> r = provider_.FillInLunInfo(DeviceName(device), lun);
      if (!r.ok()) return r.status();
      supported = *r;
      note = SupportNote(supported);
      return absl::OkStatus();
    });
  }

  static std::string SupportNote(bool supported) { return supported ? "supported" : "not supported"; }

  // GetTargetLuns for every source LUN; fills targets_ (1:1 with the sources).
  absl::Status FetchTargets(absl::string_view detail_suffix) {
    absl::Status s = timeline_.Run(Step::kGetTargetLuns, absl::StrCat("luns=", luns().size(), detail_suffix),
                                   [&](std::string& note) {
                                     absl::StatusOr<std::vector<LunIdentity>> r = provider_.GetTargetLuns(luns());
                                     if (!r.ok()) return r.status();
                                     targets_ = *std::move(r);
                                     note = absl::StrCat(targets_.size(), " target(s)");
                                     return absl::OkStatus();
                                   });
    if (s.ok() && targets_.size() != luns().size()) {
      s = Mismatch(absl::StrCat("GetTargetLuns returned ", targets_.size(), " identities for ", luns().size(),
                                " source LUNs"));
    }
    have_targets_ = s.ok();
    return s;
  }

  // OnLunEmpty for every target not yet released. The sequence stops at the
  // first failure; a cleanup tries every target. False if any failed (the
  // last failure is kept in last_release_failure_).
  bool ReleaseTargets(absl::string_view suffix, bool stop_at_failure) {
    released_.resize(targets_.size(), false);
    bool all = true;
    for (size_t i = 0; i < targets_.size(); ++i) {
      if (released_[i]) continue;
      const int device = static_cast<int>(luns().size() + i);
      const absl::Status s = timeline_.Run(Step::kOnLunEmpty, absl::StrCat(DeviceName(device), suffix),
                                           [&] { return provider_.OnLunEmpty(DeviceName(device), targets_[i]); });
      if (!s.ok()) {
        last_release_failure_ = s;
        all = false;
        if (stop_at_failure) return false;
        continue;
      }
      released_[i] = true;
    }
    return all;
  }

  // EndPrepareSnapshots with a progress display and, with --abort-delay, an
  // AbortSnapshots racing it from another thread. False: stop the sequence.
  bool EndPrepare() {
    Watch& watch = watch_;
    // Both helpers count from the moment EndPrepare is called; false if it
    // returned before `wait` from then.
    const auto wait_into_end_prepare = [&watch](std::unique_lock<std::mutex>& lock, SteadyClock::duration wait) {
      watch.cv.wait(lock, [&] { return watch.started || watch.done; });
      if (!watch.started) return false;
      return !watch.cv.wait_until(lock, *watch.started + wait, [&] { return watch.done; });
    };
    if (options_.abort_delay) {
      const auto delay = absl::ToChronoNanoseconds(*options_.abort_delay);
      helpers_.emplace_back([this, &watch, wait_into_end_prepare, delay] {
        {
          std::unique_lock<std::mutex> lock(watch.mu);
          if (!wait_into_end_prepare(lock, delay)) return;
          watch.abort_fired = true;
        }
        watch.abort_status = timeline_.Run(
            Step::kAbort, absl::StrCat(absl::FormatDuration(*options_.abort_delay), " into EndPrepare"),
            [&] { return provider_.AbortSnapshots(report_.set_id); }, /*from_abort_thread=*/true);
      });
    }
    if (!options_.json) {
      const auto interval = absl::ToChronoNanoseconds(options_.progress_interval);
      helpers_.emplace_back([this, &watch, wait_into_end_prepare, interval] {
        std::unique_lock<std::mutex> lock(watch.mu);
        for (int ticks = 1; wait_into_end_prepare(lock, ticks * interval); ++ticks) {
          const SteadyClock::time_point started = *watch.started;
          lock.unlock();
          ShowProgress(absl::FromChrono(SteadyClock::now() - started));
          lock.lock();
        }
      });
    }

    const absl::Status s = timeline_.Run(Step::kEndPrepare, absl::StrCat("luns=", luns().size()), [&] {
      {
        std::lock_guard<std::mutex> lock(watch.mu);
        watch.started = SteadyClock::now();
      }
      watch.cv.notify_all();
      return provider_.EndPrepareSnapshots(report_.set_id);
    });
    const absl::Duration returned_at = timeline_.Elapsed();
    bool abort_fired;
    {
      std::lock_guard<std::mutex> lock(watch.mu);
      watch.done = true;
      abort_fired = watch.abort_fired;
    }
    watch.cv.notify_all();
    // The helpers now end on their own; they are joined after the sequence,
    // so that waiting for them does not show up between two calls.
    if (!abort_fired) return Continue(Step::kEndPrepare, s);

    // The abort raced EndPrepare: the run ends here, aborted, once the
    // abort has returned.
    JoinHelpers();
    report_.outcome = SimulationReport::Outcome::kAborted;
    report_.outcome_step = Step::kEndPrepare;
    report_.abort_raced_end_prepare = true;
    for (const CallRecord& r : timeline_.Records()) {
      if (r.step == Step::kAbort && r.from_abort_thread) {
        report_.end_prepare_return_after_abort = returned_at - r.start;
      }
    }
    if (!s.ok() && GetErrorCode(s) != ErrorCode::kCancelled) {
      // A failure of its own that beat the abort (e.g. an injected fault).
      if (!failure_scripted_) Problem(absl::StrCat("EndPrepareSnapshots failed unexpectedly: ", s.ToString()));
    }
    if (!watch.abort_status.ok()) {
      Problem(absl::StrCat("AbortSnapshots from the abort thread: ", watch.abort_status.ToString()));
    }
    return false;
  }

  void JoinHelpers() {
    for (std::thread& helper : helpers_) {
      if (helper.joinable()) helper.join();
    }
    helpers_.clear();
  }

  void ShowProgress(absl::Duration waited) {
    absl::StatusOr<SetProgress> p = provider_.GetProgress(report_.set_id);
    if (!p.ok()) {
      timeline_.Say(absl::StrCat("... EndPrepareSnapshots waiting ", absl::FormatDuration(absl::Trunc(waited, absl::Milliseconds(1))),
                                 ": progress unavailable: ", p.status().ToString()));
      return;
    }
    timeline_.Say(absl::StrFormat("... EndPrepareSnapshots waiting %s: %d/%d LUNs prepared, %d failed, %d target(s) alive",
                                  absl::FormatDuration(absl::Trunc(waited, absl::Milliseconds(1))), p->luns_prepared,
                                  p->luns, p->luns_failed, p->targets_alive));
  }

  // Decides what follows `step`: false stops the sequence (after a failure
  // or a requested abort, both followed by AbortSnapshots).
  bool Continue(Step step, const absl::Status& s) {
    if (!s.ok()) {
      Fail(step, s);
      return false;
    }
    if (stop_after_ == step) {
      report_.outcome = SimulationReport::Outcome::kStopped;
      report_.outcome_step = step;
      timeline_.Say(absl::StrCat("--stop-after=", StepName(step), ": stopping here, set ", report_.set_id.ToString(),
                                 " left as it is (no abort, no cleanup)"));
      if (options_.on_stop) options_.on_stop(step);
      stopped_ = true;
      return false;
    }
    if (abort_after_ == step) {
      report_.outcome = SimulationReport::Outcome::kAborted;
      report_.outcome_step = step;
      Abort(absl::StrCat("requested after ", StepName(step)));
      return false;
    }
    return true;
  }

  void Fail(Step step, const absl::Status& s) {
    report_.outcome = SimulationReport::Outcome::kFailed;
    report_.outcome_step = step;
    report_.failure = s;
    if (is_mismatch_) {
      Problem(absl::StrCat("the provider broke the VSS contract at ", StepName(step), ": ", s.message()));
    } else if (!failure_scripted_) {
      Problem(absl::StrCat("unexpected failure at ", StepName(step), ": ", s.ToString()));
    }
    Abort(absl::StrCat("after ", StepName(step), " failed"));
  }

  // AbortSnapshots as VSS makes it after a failure or on request. The answer
  // depends on how far the set got: unknown before any BeginPrepare was
  // accepted, bad-state once complete (its targets then belong to the
  // requester, who frees them with OnLunEmpty — done here as cleanup).
  void Abort(std::string why) {
    const absl::Status s = timeline_.Run(Step::kAbort, std::move(why), [&] { return provider_.AbortSnapshots(report_.set_id); });
    ErrorCode expected = ErrorCode::kOk;
    if (!set_created_) expected = ErrorCode::kObjectNotFound;
    if (set_completed_) expected = ErrorCode::kBadState;
    if (GetErrorCode(s) != expected) {
      Problem(absl::StrCat("AbortSnapshots returned ", ErrorCodeName(GetErrorCode(s)), ", expected ",
                           ErrorCodeName(expected)));
    }
    if (!set_completed_) return;
    if (!have_targets_) {
      if (const absl::Status t = FetchTargets(" (cleanup)"); !t.ok()) {
        Problem(absl::StrCat("cleanup: GetTargetLuns failed: ", t.ToString()));
        return;
      }
    }
    if (!ReleaseTargets(" (cleanup)", /*stop_at_failure=*/false)) {
      Problem(absl::StrCat("cleanup: OnLunEmpty failed: ", last_release_failure_.ToString()));
    }
  }

  // A result the simulation itself rejects (the provider answered, but not
  // what VSS requires).
  absl::Status Mismatch(absl::string_view what) {
    is_mismatch_ = true;
    return BackendFailureError(what);
  }

  // What VSS compares when it matches an imported disk to GetTargetLuns:
  // inquiry strings, serial and designators (bus type is ignored).
  static bool ImportMatches(const LunIdentity& seen, const LunIdentity& promised) {
    return seen.vendor_id == promised.vendor_id && seen.product_id == promised.product_id &&
           seen.product_revision == promised.product_revision && seen.serial_number == promised.serial_number &&
           seen.designators == promised.designators && seen.SameLunAs(promised);
  }

  void Problem(std::string text) { report_.problems.push_back(std::move(text)); }

  void Audit() {
    JoinHelpers();
    const auto live = [&] { return under_test_.live_targets ? under_test_.live_targets() : counter_->live(); };
    // Calls that ignored cancellation release their target when they return.
    const int allowed = (under_test_.live_targets ? baseline_live_ : 0) +
                        (stopped_ ? counter_->live() : report_.targets_kept);
    const absl::Time until = absl::Now() + kSettleTime;
    while (live() > allowed && absl::Now() < until) absl::SleepFor(absl::Milliseconds(5));
    // Targets this run was asked to leave: a stopped run's, a kept set's.
    const int expected = stopped_ ? counter_->live() : report_.targets_kept;
    if (stopped_) report_.targets_kept = expected;
    report_.targets_leaked = std::max(0, (under_test_.live_targets ? live() - baseline_live_ : live()) - expected);
    report_.pending_releases = provider_.PendingReleases();
    report_.targets_created = counter_->created();
    report_.targets_released = counter_->released();
    if (report_.targets_leaked > 0) {
      Problem(absl::StrCat(report_.targets_leaked, " snapshot target(s) left on the array"));
    }
    if (!report_.pending_releases.empty()) {
      Problem(absl::StrCat(report_.pending_releases.size(), " release(s) pending: ",
                           absl::StrJoin(report_.pending_releases, ", ")));
    }
  }

  void PrintSummary() {
    std::string outcome(report_.OutcomeName());
    if (report_.outcome_step) {
      const absl::string_view step = StepName(*report_.outcome_step);
      if (report_.outcome == SimulationReport::Outcome::kFailed) {
        outcome = absl::StrCat("failed at ", step, ": ", ErrorCodeName(GetErrorCode(report_.failure)), ": ",
                               report_.failure.message());
      } else if (report_.outcome == SimulationReport::Outcome::kStopped) {
        outcome = absl::StrCat("stopped after ", step, " (set left unfinished)");
      } else if (report_.abort_raced_end_prepare) {
        outcome = absl::StrCat("aborted during ", step, " (AbortSnapshots from another thread ",
                               absl::FormatDuration(*options_.abort_delay), " into the wait)");
      } else {
        outcome = absl::StrCat("aborted after ", step);
      }
    }
    std::string text = absl::StrCat("\nsummary\n", Row("outcome", outcome));
    if (report_.end_prepare_return_after_abort) {
      absl::StrAppend(&text, Row("abort -> EndPrepare",
                                 absl::StrFormat("EndPrepareSnapshots returned %.2f ms after AbortSnapshots began",
                                                 Ms(*report_.end_prepare_return_after_abort))));
    }
    absl::StrAppend(&text, Row("snapshot set", report_.set_id.ToString()),
                    Row("LUNs", absl::StrCat(report_.luns, " in ", report_.snapshots, " snapshot(s)")),
                    Row("provider calls", absl::StrCat(report_.calls.size())),
                    Row("targets created", absl::StrCat(report_.targets_created)),
                    Row("targets released", absl::StrCat(report_.targets_released)),
                    Row("targets leaked", absl::StrCat(report_.targets_leaked)),
                    Row("targets kept", absl::StrCat(report_.targets_kept)),
                    Row("pending releases", absl::StrCat(report_.pending_releases.size())),
                    Row("total time", absl::StrFormat("%.1f ms", Ms(report_.total))));
    for (const std::string& problem : report_.problems) absl::StrAppend(&text, Row("PROBLEM", problem));
    absl::StrAppend(&text, Row("result", report_.as_requested() ? "ended as requested (exit 0)"
                                                                : "did NOT end as requested (exit 1)"));
    timeline_.Print(text);
  }

  static std::string Row(absl::string_view key, absl::string_view value) {
    return absl::StrFormat("  %-20s %s\n", key, value);
  }

  const SimulationOptions& options_;
  Timeline timeline_;
  BackendUnderTest under_test_;
  std::shared_ptr<TargetCounter> counter_;
  SnapshotProvider provider_;
  const std::optional<Step> abort_after_;
  const bool failure_scripted_;
  std::optional<Step> stop_after_;
  bool stopped_ = false;
  int baseline_live_ = 0;  // targets on the array before the run (durable arrays, recovery done)

  // What EndPrepare shares with its helper threads (progress, abort).
  struct Watch {
    std::mutex mu;
    std::condition_variable cv;
    std::optional<SteadyClock::time_point> started;  // EndPrepare was called
    bool done = false;                               // EndPrepare returned
    bool abort_fired = false;                        // the abort thread called AbortSnapshots
    absl::Status abort_status;                       // its result (read after joining it)
  };
  Watch watch_;
  std::vector<std::thread> helpers_;

  SimulationReport report_;
  bool set_created_ = false;    // a BeginPrepareSnapshot was accepted
  bool set_completed_ = false;  // PostFinalCommitSnapshots succeeded
  bool have_targets_ = false;   // targets_ came from GetTargetLuns
  bool is_mismatch_ = false;    // the last failure is a contract check of ours
  std::vector<LunIdentity> targets_;
  std::vector<bool> released_;  // per target: OnLunEmpty succeeded
  absl::Status last_release_failure_;
};

absl::Status ValidateOptions(const SimulationOptions& o) {
  if (o.luns < 1 || o.luns > kMaxLuns) {
    return InvalidArgumentError(absl::StrCat("--luns must be in 1..", kMaxLuns, ", got ", o.luns));
  }
  if (o.snapshots < 0 || o.snapshots > o.luns) {
    return InvalidArgumentError(
        absl::StrCat("--snapshots must be in 1..", o.luns, " (the number of LUNs), got ", o.snapshots));
  }
  if (o.prepare_latency < absl::ZeroDuration()) return InvalidArgumentError("--prepare-latency is negative");
  if (o.commit_latency < absl::ZeroDuration()) return InvalidArgumentError("--commit-latency is negative");
  if (o.capacity && *o.capacity < 0) {
    return InvalidArgumentError(absl::StrCat("--capacity must not be negative, got ", *o.capacity));
  }
  if (o.abort_delay && *o.abort_delay < absl::ZeroDuration()) return InvalidArgumentError("--abort-delay is negative");
  if (o.progress_interval <= absl::ZeroDuration()) return InvalidArgumentError("--progress-interval must be positive");
  return absl::OkStatus();
}

}  // namespace

absl::string_view StepName(Step step) { return InfoOf(step).name; }
absl::string_view StepMethod(Step step) { return InfoOf(step).method; }

const std::vector<Step>& AbortableSteps() {
  static const std::vector<Step>* const steps = [] {
    auto* out = new std::vector<Step>;
    for (const StepInfo& info : kSteps) {
      if (info.abortable) out->push_back(info.step);
    }
    return out;
  }();
  return *steps;
}

absl::StatusOr<Step> ParseAbortableStep(absl::string_view name) {
  std::vector<std::string> valid;
  for (Step step : AbortableSteps()) {
    if (StepName(step) == name) return step;
    valid.emplace_back(StepName(step));
  }
  return InvalidArgumentError(
      absl::StrCat("unknown step '", name, "' for --abort-after; valid steps: ", absl::StrJoin(valid, ", ")));
}

const std::vector<Step>& StoppableSteps() {
  static const std::vector<Step>* const steps = [] {
    auto* out = new std::vector<Step>(AbortableSteps());
    out->push_back(Step::kGetTargetLuns);
    out->push_back(Step::kLocateLuns);
    return out;
  }();
  return *steps;
}

absl::StatusOr<Step> ParseStoppableStep(absl::string_view name) {
  std::vector<std::string> valid;
  for (Step step : StoppableSteps()) {
    if (StepName(step) == name) return step;
    valid.emplace_back(StepName(step));
  }
  return InvalidArgumentError(
      absl::StrCat("unknown step '", name, "' for --stop-after; valid steps: ", absl::StrJoin(valid, ", ")));
}

const BackendRegistry& BackendRegistryOrBuiltIn(const BackendRegistry* registry) {
  return registry != nullptr ? *registry : BuiltInRegistry();
}

std::vector<std::string> KnownBackends(const BackendRegistry* registry) {
  return (registry != nullptr ? *registry : BuiltInRegistry()).Names();
}

absl::string_view SimulationReport::OutcomeName() const {
  switch (outcome) {
    case Outcome::kCompleted: return "completed";
    case Outcome::kAborted: return "aborted";
    case Outcome::kFailed: return "failed";
    case Outcome::kStopped: return "stopped";
  }
  return "unknown";
}

absl::StatusOr<SimulationReport> RunSimulation(const SimulationOptions& options_in, std::ostream& out) {
  SimulationOptions options = options_in;
  if (auto s = ValidateOptions(options); !s.ok()) return s;
  if (options.snapshots == 0) options.snapshots = std::min(options.luns, kDefaultMaxSnapshots);

  std::optional<Step> abort_after;
  if (!options.abort_after.empty()) {
    absl::StatusOr<Step> step = ParseAbortableStep(options.abort_after);
    if (!step.ok()) return step.status();
    abort_after = *step;
  }
  if (!options.stop_after.empty()) {
    if (absl::StatusOr<Step> step = ParseStoppableStep(options.stop_after); !step.ok()) return step.status();
    if (!options.abort_after.empty() || options.abort_delay) {
      return InvalidArgumentError("--stop-after cannot be combined with --abort-after or --abort-delay");
    }
  }

  BackendRequest request;
  request.luns = options.luns;
  request.prepare_latency = options.prepare_latency;
  request.commit_latency = options.commit_latency;
  request.capacity = options.capacity;
  request.options = options.backend_options;
  absl::StatusOr<BackendUnderTest> under_test = RegistryOf(options).Create(options.backend, request);
  if (!under_test.ok()) {
    // An unknown name or a refused request is the caller's input.
    const ErrorCode code = GetErrorCode(under_test.status());
    if (code == ErrorCode::kObjectNotFound || code == ErrorCode::kInvalidArgument) {
      return hwsnap::InvalidArgumentError(under_test.status().message());
    }
    return under_test.status();
  }
  if (static_cast<int>(under_test->source_luns.size()) < options.luns) {
    return InvalidArgumentError(absl::StrCat("backend ", options.backend, " offers ",
                                             under_test->source_luns.size(), " LUN(s); --luns=", options.luns));
  }
  under_test->source_luns.resize(static_cast<size_t>(options.luns));

  auto counter = std::make_shared<TargetCounter>(under_test->backend);
  std::shared_ptr<Backend> provider_backend = counter;
  if (!options.faults.empty()) {
    auto faulty = std::make_shared<FaultInjectingBackend>(counter);
    for (const std::string& text : options.faults) {
      absl::StatusOr<FaultRule> rule = ParseFaultRule(text, under_test->source_luns);
      if (!rule.ok()) {
        return InvalidArgumentError(absl::StrCat("--fault=", text, ": ", rule.status().message()));
      }
      faulty->AddRule(*std::move(rule));
    }
    provider_backend = faulty;
  }

  // Failures the options ask for: a run that fails because of them ended as
  // requested; any other failure is a finding.
  const bool failure_scripted = !options.faults.empty() ||
                                (options.capacity && *options.capacity < options.luns) ||
                                options.commit_latency >= ProviderOptions{}.commit_timeout;

  Simulation simulation(options, out, *std::move(under_test), std::move(counter), std::move(provider_backend),
                        abort_after, failure_scripted);
  SimulationReport report = simulation.Run();
  if (options.json) out << ReportToJson(report) << "\n" << std::flush;
  return report;
}

std::string ReportToJson(const SimulationReport& report) {
  using Json = nlohmann::ordered_json;
  Json calls = Json::array();
  for (const CallRecord& r : report.calls) {
    Json call;
    call["step"] = std::string(StepName(r.step));
    call["method"] = std::string(StepMethod(r.step));
    call["detail"] = r.detail;
    call["start_ms"] = Ms(r.start);
    call["duration_ms"] = Ms(r.duration);
    call["code"] = std::string(ErrorCodeName(GetErrorCode(r.status)));
    call["message"] = std::string(r.status.message());
    if (!r.note.empty()) call["note"] = r.note;
    if (r.from_abort_thread) call["abort_thread"] = true;
    calls.push_back(std::move(call));
  }
  Json doc;
  doc["calls"] = std::move(calls);
  doc["outcome"] = std::string(report.OutcomeName());
  doc["outcome_step"] = report.outcome_step ? Json(std::string(StepName(*report.outcome_step))) : Json(nullptr);
  if (report.outcome == SimulationReport::Outcome::kFailed) {
    doc["failure"] = {{"code", std::string(ErrorCodeName(GetErrorCode(report.failure)))},
                      {"message", std::string(report.failure.message())}};
  } else {
    doc["failure"] = nullptr;
  }
  if (report.end_prepare_return_after_abort) {
    doc["end_prepare_return_after_abort_ms"] = Ms(*report.end_prepare_return_after_abort);
  }
  doc["backend"] = report.backend;
  doc["set_id"] = report.set_id.ToString();
  doc["luns"] = report.luns;
  doc["snapshots"] = report.snapshots;
  doc["targets_created"] = report.targets_created;
  doc["targets_released"] = report.targets_released;
  doc["targets_leaked"] = report.targets_leaked;
  doc["targets_kept"] = report.targets_kept;
  doc["catalog"] = report.catalog_path;
  doc["recovered_sets_rolled_back"] = report.recovered_sets_rolled_back;
  doc["recovered_sets_served"] = report.recovered_sets_served;
  doc["pending_releases"] = report.pending_releases.size();
  doc["pending_release_ids"] = report.pending_releases;
  doc["total_ms"] = Ms(report.total);
  doc["problems"] = report.problems;
  doc["exit_code"] = report.ExitCode();
  return doc.dump(2);
}

}  // namespace hwsnap::tools
