// The in-memory mock array (see hwsnap/mock/mock_backend.h). It exists so the
// core, the tools and the conformance kit can exercise the backend seam —
// latency, cancellation, capacity exhaustion, all-or-nothing commit and leak
// audits — without any storage.
#include "hwsnap/mock/mock_backend.h"

#include <atomic>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "hwsnap/logging.h"

#include <spdlog/logger.h>
#include "hwsnap/status.h"

namespace hwsnap {
namespace {

// 0xACDE48 is the IEEE's example "private" OUI: it names no real vendor.
constexpr std::uint32_t kMockOui = 0xACDE48;

// Byte 7 of a mock NAA id says what the id names, so a target's id can never
// equal a source's, whatever their numbers.
constexpr std::uint8_t kSourceKind = 0x01;
constexpr std::uint8_t kTargetKind = 0x02;

// LUN and target numbers are drawn from process-wide counters, so two mock
// arrays in one process (two rigs in a test, say) never hand out the same
// designator and never claim each other's LUNs.
std::atomic<std::uint64_t> g_next_source_number{1};
std::atomic<std::uint64_t> g_next_target_number{1};

// Never destroyed, like the log registry itself: a backend call that outlives
// main() (one that ignored cancellation) may still log during static destruction.
spdlog::logger& Log() {
  static const auto* const logger = new std::shared_ptr<spdlog::logger>(GetLogger("backend.mock"));
  return **logger;
}

bool DebugEnabled() { return Log().should_log(spdlog::level::debug); }

// NAA-6 (IEEE registered extended), 16 bytes: NAA nibble, 24-bit OUI, then
// vendor-specific bits, here `kind` and a 64-bit number.
Designator Naa6(std::uint8_t kind, std::uint64_t number) {
  Designator d;
  d.code_set = CodeSet::kBinary;
  d.association = Association::kLogicalUnit;
  d.type = DesignatorType::kNaa;
  d.bytes.assign(16, 0);
  d.bytes[0] = static_cast<std::uint8_t>(0x60 | ((kMockOui >> 20) & 0x0F));
  d.bytes[1] = static_cast<std::uint8_t>((kMockOui >> 12) & 0xFF);
  d.bytes[2] = static_cast<std::uint8_t>((kMockOui >> 4) & 0xFF);
  d.bytes[3] = static_cast<std::uint8_t>((kMockOui & 0x0F) << 4);
  d.bytes[7] = kind;
  for (int i = 0; i < 8; ++i) {
    d.bytes[static_cast<size_t>(8 + i)] = static_cast<std::uint8_t>((number >> (56 - 8 * i)) & 0xFF);
  }
  return d;
}

// T10 vendor id designator: the 8-byte space-padded vendor, then `specific`.
Designator T10VendorId(const std::string& vendor, const std::string& specific) {
  Designator d;
  d.code_set = CodeSet::kAscii;
  d.association = Association::kLogicalUnit;
  d.type = DesignatorType::kT10VendorId;
  std::string text = vendor.substr(0, 8);
  text.resize(8, ' ');
  text += specific;
  d.bytes.assign(text.begin(), text.end());
  return d;
}

// A relative target port designator (association 1), as real arrays report
// next to the LUN's own ids; matching must look past it.
Designator RelativeTargetPort(std::uint16_t port) {
  Designator d;
  d.code_set = CodeSet::kBinary;
  d.association = Association::kTargetPort;
  d.type = DesignatorType::kPortRelative;
  d.bytes = {0, 0, static_cast<std::uint8_t>(port >> 8), static_cast<std::uint8_t>(port & 0xFF)};
  return d;
}

// "ok" or "object-not-found: mock: no target ..." for log lines.
std::string Outcome(const absl::Status& status) {
  if (status.ok()) return "ok";
  return absl::StrCat(ErrorCodeName(GetErrorCode(status)), ": ", status.message());
}

absl::Status UnknownTarget(const TargetId& target) {
  return ObjectNotFoundError(absl::StrCat("mock: no target '", target, "' on this array"));
}

absl::Status ArrayFull(size_t live, int capacity) {
  return InsufficientStorageError(absl::StrCat("mock array is full: ", live, " of its capacity of ",
                                               capacity, " snapshot targets are in use"));
}

}  // namespace

MockBackend::MockBackend(MockBackendOptions options) : options_(std::move(options)) {}

LunIdentity MockBackend::AddSourceLun() {
  const std::uint64_t number = g_next_source_number.fetch_add(1, std::memory_order_relaxed);
  LunIdentity lun;
  lun.device_type = 0;
  lun.bus_type = BusType::kIscsi;
  lun.command_queueing = true;
  lun.vendor_id = options_.vendor_id;
  lun.product_id = options_.product_id;
  lun.product_revision = options_.product_revision;
  lun.serial_number = absl::StrFormat("MOCK-SRC-%06d", number);
  lun.designators = {Naa6(kSourceKind, number), T10VendorId(options_.vendor_id, lun.serial_number),
                     RelativeTargetPort(1)};
  {
    std::lock_guard<std::mutex> lock(mu_);
    sources_.push_back(SourceLun{lun, options_.prepare_latency});
  }
  if (DebugEnabled()) Log().debug("added source LUN {}", lun.ToString());
  return lun;
}

void MockBackend::SetPrepareLatency(const LunIdentity& source, absl::Duration latency) {
  std::lock_guard<std::mutex> lock(mu_);
  const int index = FindSource(source);
  if (index >= 0) sources_[static_cast<size_t>(index)].prepare_latency = latency;
}

std::vector<MockBackend::TargetRecord> MockBackend::LiveTargets() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<TargetRecord> out;
  out.reserve(targets_.size());
  for (const auto& entry : targets_) out.push_back(entry.second);
  return out;
}

int MockBackend::LiveTargetCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(targets_.size());
}

MockBackend::CallCounts MockBackend::calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

BackendCapabilities MockBackend::Capabilities() const {
  BackendCapabilities caps;
  caps.max_parallel_prepares = 0;
  caps.max_commit_group = options_.max_commit_group;
  caps.cancel_bound = options_.cancel_bound;
  return caps;
}

int MockBackend::FindOrAdoptSource(const LunIdentity& lun) {
  const int found = FindSource(lun);
  if (found >= 0 || !options_.adopt_luns || !lun.HasUniqueDesignator() || !ValidateLunIdentity(lun).ok()) {
    return found;
  }
  sources_.push_back(SourceLun{lun, options_.prepare_latency});
  Log().info("adopted {} as a source LUN", lun.ToString());
  return static_cast<int>(sources_.size()) - 1;
}

int MockBackend::FindSource(const LunIdentity& lun) const {
  for (size_t i = 0; i < sources_.size(); ++i) {
    if (sources_[i].identity.SameLunAs(lun)) return static_cast<int>(i);
  }
  return -1;
}

LunIdentity MockBackend::TargetIdentity(const TargetRecord& target, std::uint64_t serial) const {
  LunIdentity lun;
  lun.device_type = target.source.device_type;
  lun.device_type_modifier = target.source.device_type_modifier;
  lun.command_queueing = target.source.command_queueing;
  lun.bus_type = target.source.bus_type;
  lun.vendor_id = target.source.vendor_id;
  lun.product_id = "MOCK-SNAP";
  lun.product_revision = target.source.product_revision;
  lun.serial_number = absl::StrFormat("MOCK-SNAP-%06d", serial);
  lun.designators = {Naa6(kTargetKind, serial), T10VendorId(lun.vendor_id, lun.serial_number),
                     RelativeTargetPort(1)};
  return lun;
}

absl::StatusOr<LunSupport> MockBackend::IdentifyLun(const LunIdentity& lun) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++calls_.identify;
  }
  if (absl::Status valid = ValidateLunIdentity(lun); !valid.ok()) {
    if (DebugEnabled()) Log().debug("identify: malformed LUN: {}", Outcome(valid));
    return valid;
  }
  LunSupport support;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (const int index = FindSource(lun); index >= 0) {
      support.supported = true;
      support.identity = sources_[static_cast<size_t>(index)].identity;
    } else {
      for (const auto& entry : targets_) {
        LunIdentity identity = TargetIdentity(entry.second, serial_of_.at(entry.first));
        if (identity.SameLunAs(lun)) {
          support.supported = true;
          support.identity = std::move(identity);
          break;
        }
      }
    }
  }
  if (!support.supported && options_.adopt_luns && lun.HasUniqueDesignator()) {
    // Supported as given; adopted (a side effect) only when prepared.
    support.supported = true;
    support.identity = lun;
  }
  if (!support.supported) {
    support.reason = options_.adopt_luns ? "the LUN has no unique 0x83 designator (type 1, 2, 3 or 8)"
                                         : "not a LUN of this mock array";
    support.identity = lun;
  }
  if (DebugEnabled()) {
    Log().debug("identify {}: {}", lun.ToString(), support.supported ? "supported" : support.reason);
  }
  return support;
}

absl::StatusOr<TargetId> MockBackend::PrepareTarget(const LunIdentity& source, const CancelToken& cancel) {
  size_t index = 0;
  absl::Duration latency;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++calls_.prepare;
    const int found = FindOrAdoptSource(source);
    absl::Status refused;
    if (found < 0) {
      refused = NotSupportedError(absl::StrCat("mock: ", source.ToString(), " is not a LUN of this array"));
    } else if (static_cast<int>(targets_.size()) >= options_.target_capacity) {
      refused = ArrayFull(targets_.size(), options_.target_capacity);
    } else {
      index = static_cast<size_t>(found);  // sources are never removed: the index stays valid
      latency = sources_[index].prepare_latency;
    }
    if (!refused.ok()) {
      if (DebugEnabled()) Log().debug("prepare {}: {}", source.ToString(), Outcome(refused));
      return refused;
    }
  }
  if (DebugEnabled()) {
    Log().debug("prepare {}: provisioning, {}", source.ToString(), absl::FormatDuration(latency));
  }

  // The slow part of a real prepare; the lock is not held while it runs.
  absl::Status outcome = cancel.SleepFor(latency);
  TargetRecord record;
  std::uint64_t made_here = 0;
  if (outcome.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    outcome = cancel.status();
    // Other prepares may have taken the space while this one slept: the check
    // that counts is the one made together with the creation.
    if (outcome.ok() && static_cast<int>(targets_.size()) >= options_.target_capacity) {
      outcome = ArrayFull(targets_.size(), options_.target_capacity);
    }
    if (outcome.ok()) {
      const std::uint64_t number = g_next_target_number.fetch_add(1, std::memory_order_relaxed);
      record.id = absl::StrFormat("mock-tgt-%06d", number);
      record.source = sources_[index].identity;
      record.state = TargetState::kPrepared;
      serial_of_[record.id] = number;
      targets_[record.id] = record;
      made_here = next_serial_++;
    }
  }
  if (!outcome.ok()) {
    if (DebugEnabled()) Log().debug("prepare {}: nothing created: {}", source.ToString(), Outcome(outcome));
    return outcome;
  }
  if (DebugEnabled()) {
    Log().debug("prepare {}: created {} (target #{} of this array)", source.ToString(), record.id, made_here);
  }
  return record.id;
}

absl::Status MockBackend::CommitTargets(absl::Span<const TargetId> targets, absl::Time deadline) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++calls_.commit;
  }
  // A commit is short and cannot be interrupted, like an array's snapshot command.
  if (options_.commit_latency > absl::ZeroDuration()) absl::SleepFor(options_.commit_latency);

  absl::Status result;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (absl::Now() > deadline) {
      result = DeadlineExceededError(
          absl::StrCat("mock: commit of ", targets.size(), " target(s) finished after its deadline"));
    }
    // Validate every id before touching any: the commit is all-or-nothing.
    for (size_t i = 0; result.ok() && i < targets.size(); ++i) {
      const TargetId& id = targets[i];
      auto it = targets_.find(id);
      if (it == targets_.end()) {
        result = UnknownTarget(id);
      } else if (it->second.state != TargetState::kPrepared) {
        result = BadStateError(absl::StrCat("mock: target '", id, "' is already committed"));
      } else {
        for (size_t j = 0; j < i; ++j) {
          if (targets[j] == id) {
            result = BadStateError(absl::StrCat("mock: target '", id, "' is listed twice in one commit"));
            break;
          }
        }
      }
    }
    if (result.ok()) {
      for (const TargetId& id : targets) targets_[id].state = TargetState::kCommitted;
    }
  }
  if (DebugEnabled()) {
    Log().debug("commit of {} target(s): {}", targets.size(), result.ok() ? "committed" : Outcome(result));
  }
  return result;
}

absl::StatusOr<LunIdentity> MockBackend::DescribeTarget(const TargetId& target) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++calls_.describe;
  }
  if (options_.describe_latency > absl::ZeroDuration()) absl::SleepFor(options_.describe_latency);
  absl::StatusOr<LunIdentity> result;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = targets_.find(target);
    if (it == targets_.end()) {
      result = UnknownTarget(target);
    } else if (it->second.state != TargetState::kCommitted) {
      result = BadStateError(absl::StrCat("mock: target '", target, "' is not committed yet"));
    } else {
      result = TargetIdentity(it->second, serial_of_.at(target));
    }
  }
  if (DebugEnabled()) {
    Log().debug("describe {}: {}", target, result.ok() ? result->ToString() : Outcome(result.status()));
  }
  return result;
}

absl::Status MockBackend::ExposeTarget(const TargetId& target) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++calls_.expose;
  }
  if (options_.expose_latency > absl::ZeroDuration()) absl::SleepFor(options_.expose_latency);
  absl::Status result;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = targets_.find(target);
    if (it == targets_.end()) {
      result = UnknownTarget(target);
    } else if (it->second.state != TargetState::kCommitted) {
      result = BadStateError(absl::StrCat("mock: target '", target, "' is not committed, cannot expose it"));
    } else {
      it->second.exposed = true;  // exposing twice is fine
    }
  }
  if (DebugEnabled()) Log().debug("expose {}: {}", target, Outcome(result));
  return result;
}

absl::Status MockBackend::ReleaseTarget(const TargetId& target) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++calls_.release;
  }
  if (options_.release_latency > absl::ZeroDuration()) absl::SleepFor(options_.release_latency);
  absl::Status result;
  bool was_alive = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (serial_of_.count(target) == 0) {
      result = UnknownTarget(target);
    } else {
      was_alive = targets_.erase(target) > 0;  // releasing a released target is OK
    }
  }
  if (DebugEnabled()) {
    Log().debug("release {}: {}", target,
                !result.ok() ? Outcome(result) : (was_alive ? "released" : "already released"));
  }
  return result;
}

}  // namespace hwsnap
