// The in-memory mock array (see hwsnap/mock/mock_backend.h).
#include "hwsnap/mock/mock_backend.h"

#include <algorithm>
#include <atomic>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "hwsnap/logging.h"
#include "hwsnap/status.h"

namespace hwsnap {
namespace {

// An IEEE OUI for NAA-6 ids; 0xACDE48 is the IEEE's "private" example OUI.
constexpr std::uint32_t kMockOui = 0xACDE48;

// Each MockBackend is its own "array" with its own number, so two mocks
// never report the same LUN.
std::atomic<std::uint32_t> next_array_number{1};

// NAA-6 (IEEE registered extended): 4-bit NAA, 24-bit OUI, 100 bits of
// vendor-specific id: the array number, `kind` (sources 1, targets 2) and a serial.
Designator Naa6(std::uint32_t array, std::uint8_t kind, std::uint64_t serial) {
  Designator d;
  d.code_set = CodeSet::kBinary;
  d.association = Association::kLogicalUnit;
  d.type = DesignatorType::kNaa;
  d.bytes.resize(16);
  d.bytes[0] = static_cast<std::uint8_t>(0x60 | ((kMockOui >> 20) & 0x0F));
  d.bytes[1] = static_cast<std::uint8_t>(kMockOui >> 12);
  d.bytes[2] = static_cast<std::uint8_t>(kMockOui >> 4);
  d.bytes[3] = static_cast<std::uint8_t>((kMockOui & 0x0F) << 4);
  d.bytes[4] = static_cast<std::uint8_t>(array >> 16);
  d.bytes[5] = static_cast<std::uint8_t>(array >> 8);
  d.bytes[6] = static_cast<std::uint8_t>(array);
  d.bytes[7] = kind;
  for (int i = 0; i < 8; ++i) d.bytes[8 + i] = static_cast<std::uint8_t>(serial >> (56 - 8 * i));
  return d;
}

// T10 vendor id designator: 8-byte space-padded vendor, then a specific part.
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

// Relative target port designator (association 1): realistic noise that
// matching must ignore.
Designator RelativePort(std::uint16_t port) {
  Designator d;
  d.code_set = CodeSet::kBinary;
  d.association = Association::kTargetPort;
  d.type = DesignatorType::kPortRelative;
  d.bytes = {0, 0, static_cast<std::uint8_t>(port >> 8), static_cast<std::uint8_t>(port)};
  return d;
}

}  // namespace

MockBackend::MockBackend(MockBackendOptions options)
    : options_(std::move(options)), array_number_(next_array_number++) {}

LunIdentity MockBackend::AddSourceLun() {
  std::lock_guard<std::mutex> lock(mu_);
  const std::uint64_t serial = sources_.size() + 1;
  LunIdentity lun;
  lun.device_type = 0;
  lun.bus_type = BusType::kIscsi;
  lun.command_queueing = true;
  lun.vendor_id = options_.vendor_id;
  lun.product_id = options_.product_id;
  lun.product_revision = options_.product_revision;
  lun.serial_number = absl::StrFormat("MOCK%u-SRC-%06d", array_number_, serial);
  lun.designators = {Naa6(array_number_, 1, serial), T10VendorId(options_.vendor_id, lun.serial_number), RelativePort(1)};
  sources_.push_back(SourceLun{lun, options_.prepare_latency});
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
  for (const auto& [id, record] : targets_) out.push_back(record);
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

int MockBackend::FindSource(const LunIdentity& lun) const {
  for (size_t i = 0; i < sources_.size(); ++i) {
    if (sources_[i].identity.SameLunAs(lun)) return static_cast<int>(i);
  }
  return -1;
}

LunIdentity MockBackend::TargetIdentity(const TargetRecord& target, std::uint64_t serial) const {
  LunIdentity lun = target.source;
  lun.product_id = "MOCK-SNAP";
  lun.serial_number = absl::StrFormat("MOCK%u-SNAP-%06d", array_number_, serial);
  lun.designators = {Naa6(array_number_, 2, serial), T10VendorId(options_.vendor_id, lun.serial_number), RelativePort(1)};
  lun.interconnects.clear();
  return lun;
}

absl::StatusOr<LunSupport> MockBackend::IdentifyLun(const LunIdentity& lun) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++calls_.identify;
  }
  if (auto s = ValidateLunIdentity(lun); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  LunSupport support;
  const int index = FindSource(lun);
  if (index >= 0) {
    support.supported = true;
    support.identity = sources_[static_cast<size_t>(index)].identity;
    return support;
  }
  for (const auto& [id, record] : targets_) {
    if (record.state != TargetState::kCommitted) continue;
    LunIdentity identity = TargetIdentity(record, serial_of_.at(id));
    if (identity.SameLunAs(lun)) {
      support.supported = true;
      support.identity = std::move(identity);
      return support;
    }
  }
  support.supported = false;
  support.reason = "not a LUN of this mock array";
  support.identity = lun;
  return support;
}

absl::StatusOr<TargetId> MockBackend::PrepareTarget(const LunIdentity& source, const CancelToken& cancel) {
  absl::Duration latency;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++calls_.prepare;
    const int index = FindSource(source);
    if (index < 0) return NotSupportedError(absl::StrCat("mock: ", source.ToString(), " is not a LUN of this array"));
    if (static_cast<int>(targets_.size()) >= options_.target_capacity) {
      return InsufficientStorageError(absl::StrCat("mock array is full: ", targets_.size(), " of ",
                                                   options_.target_capacity, " snapshot targets in use"));
    }
    latency = sources_[static_cast<size_t>(index)].prepare_latency;
  }
  if (auto s = cancel.SleepFor(latency); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  if (auto s = cancel.status(); !s.ok()) return s;
  // Space may have gone while we slept: check again with creation.
  if (static_cast<int>(targets_.size()) >= options_.target_capacity) {
    return InsufficientStorageError(absl::StrCat("mock array is full: ", targets_.size(), " of ",
                                                 options_.target_capacity, " snapshot targets in use"));
  }
  const std::uint64_t serial = next_serial_++;
  TargetRecord record;
  record.id = absl::StrFormat("mock-tgt-%06d", serial);
  record.source = sources_[static_cast<size_t>(FindSource(source))].identity;
  serial_of_[record.id] = serial;
  targets_[record.id] = record;
  GetLogger("backend.mock")->debug("prepared {} for {}", record.id, source.ToString());
  return record.id;
}

absl::Status MockBackend::CommitTargets(absl::Span<const TargetId> targets, absl::Time deadline) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++calls_.commit;
  }
  if (options_.commit_latency > absl::ZeroDuration()) absl::SleepFor(options_.commit_latency);
  std::lock_guard<std::mutex> lock(mu_);
  if (absl::Now() > deadline) {
    return DeadlineExceededError(absl::StrCat("mock: commit of ", targets.size(), " target(s) missed its deadline"));
  }
  for (const TargetId& id : targets) {
    auto it = targets_.find(id);
    if (it == targets_.end()) return ObjectNotFoundError(absl::StrCat("mock: unknown target ", id));
    if (it->second.state != TargetState::kPrepared) {
      return BadStateError(absl::StrCat("mock: target ", id, " is already committed"));
    }
  }
  for (const TargetId& id : targets) targets_[id].state = TargetState::kCommitted;
  return absl::OkStatus();
}

absl::StatusOr<LunIdentity> MockBackend::DescribeTarget(const TargetId& target) {
  if (options_.describe_latency > absl::ZeroDuration()) absl::SleepFor(options_.describe_latency);
  std::lock_guard<std::mutex> lock(mu_);
  ++calls_.describe;
  auto it = targets_.find(target);
  if (it == targets_.end()) return ObjectNotFoundError(absl::StrCat("mock: unknown target ", target));
  if (it->second.state != TargetState::kCommitted) {
    return BadStateError(absl::StrCat("mock: target ", target, " is not committed"));
  }
  return TargetIdentity(it->second, serial_of_.at(target));
}

absl::Status MockBackend::ExposeTarget(const TargetId& target) {
  if (options_.expose_latency > absl::ZeroDuration()) absl::SleepFor(options_.expose_latency);
  std::lock_guard<std::mutex> lock(mu_);
  ++calls_.expose;
  auto it = targets_.find(target);
  if (it == targets_.end()) return ObjectNotFoundError(absl::StrCat("mock: unknown target ", target));
  if (it->second.state != TargetState::kCommitted) {
    return BadStateError(absl::StrCat("mock: target ", target, " is not committed"));
  }
  it->second.exposed = true;
  return absl::OkStatus();
}

absl::Status MockBackend::ReleaseTarget(const TargetId& target) {
  if (options_.release_latency > absl::ZeroDuration()) absl::SleepFor(options_.release_latency);
  std::lock_guard<std::mutex> lock(mu_);
  ++calls_.release;
  if (serial_of_.count(target) == 0) return ObjectNotFoundError(absl::StrCat("mock: unknown target ", target));
  targets_.erase(target);  // releasing twice is fine
  GetLogger("backend.mock")->debug("released {}", target);
  return absl::OkStatus();
}

}  // namespace hwsnap
