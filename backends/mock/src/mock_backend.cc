// The in-memory mock array (see hwsnap/mock/mock_backend.h). It exists so the
// core, the tools and the conformance kit can exercise the backend seam —
// latency, cancellation, capacity exhaustion, all-or-nothing commit and leak
// audits — without any storage.
#include "hwsnap/mock/mock_backend.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <system_error>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
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
// vendor-specific bits, here the durable array's id (0 in memory), `kind`
// and a 64-bit number.
Designator Naa6(std::uint8_t kind, std::uint32_t array, std::uint64_t number) {
  Designator d;
  d.code_set = CodeSet::kBinary;
  d.association = Association::kLogicalUnit;
  d.type = DesignatorType::kNaa;
  d.bytes.assign(16, 0);
  d.bytes[0] = static_cast<std::uint8_t>(0x60 | ((kMockOui >> 20) & 0x0F));
  d.bytes[1] = static_cast<std::uint8_t>((kMockOui >> 12) & 0xFF);
  d.bytes[2] = static_cast<std::uint8_t>((kMockOui >> 4) & 0xFF);
  d.bytes[3] = static_cast<std::uint8_t>((kMockOui & 0x0F) << 4);
  d.bytes[4] = static_cast<std::uint8_t>((array >> 16) & 0xFF);
  d.bytes[5] = static_cast<std::uint8_t>((array >> 8) & 0xFF);
  d.bytes[6] = static_cast<std::uint8_t>(array & 0xFF);
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

// ---- Durable state: small line-based text files ("key value" per line) ----

namespace fs = std::filesystem;

constexpr const char* kArrayFile = "array.txt";
constexpr const char* kSourcePrefix = "source-";
constexpr const char* kTargetPrefix = "target-";
constexpr const char* kFileSuffix = ".txt";
constexpr const char* kTempSuffix = ".tmp";

std::string Hex(absl::string_view bytes) { return bytes.empty() ? "-" : absl::BytesToHexString(bytes); }
std::string Hex(const std::vector<std::uint8_t>& bytes) {
  return Hex(absl::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

bool Unhex(absl::string_view text, std::string* out) {
  if (text == "-") {
    out->clear();
    return true;
  }
  if (text.size() % 2 != 0) return false;
  for (char c : text) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  *out = absl::HexStringToBytes(text);
  return true;
}

bool UnhexBytes(absl::string_view text, std::vector<std::uint8_t>* out) {
  std::string bytes;
  if (!Unhex(text, &bytes)) return false;
  out->assign(bytes.begin(), bytes.end());
  return true;
}

void AppendLun(std::string& out, const LunIdentity& lun) {
  absl::StrAppend(&out, "lun-device-type ", lun.device_type, "\n", "lun-modifier ", lun.device_type_modifier, "\n",
                  "lun-queueing ", lun.command_queueing ? 1 : 0, "\n", "lun-bus ",
                  static_cast<std::uint32_t>(lun.bus_type), "\n", "lun-vendor ", Hex(lun.vendor_id), "\n",
                  "lun-product ", Hex(lun.product_id), "\n", "lun-revision ", Hex(lun.product_revision), "\n",
                  "lun-serial ", Hex(lun.serial_number), "\n");
  for (const Designator& d : lun.designators) {
    absl::StrAppend(&out, "lun-designator ", static_cast<int>(d.code_set), " ", static_cast<int>(d.association), " ",
                    static_cast<int>(d.type), " ", Hex(d.bytes), "\n");
  }
  for (const Interconnect& i : lun.interconnects) {
    absl::StrAppend(&out, "lun-interconnect ", static_cast<std::uint32_t>(i.address_type), " ", Hex(i.port), " ",
                    Hex(i.address), "\n");
  }
}

// One parsed file: its lines as (key, value) in order.
using Fields = std::vector<std::pair<std::string, std::string>>;

Fields ParseFields(const std::string& text) {
  Fields fields;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    const size_t space = line.find(' ');
    if (space == absl::string_view::npos) {
      fields.emplace_back(std::string(line), "");
    } else {
      fields.emplace_back(std::string(line.substr(0, space)), std::string(line.substr(space + 1)));
    }
  }
  return fields;
}

template <typename T>
bool ParseNumber(absl::string_view text, T* out) {
  std::uint64_t value = 0;
  if (!absl::SimpleAtoi(text, &value)) return false;
  *out = static_cast<T>(value);
  return static_cast<std::uint64_t>(*out) == value;
}

// Fills `lun` from the lun-* fields; false (with `why`) on a malformed one.
bool ParseLun(const Fields& fields, LunIdentity* lun, std::string* why) {
  bool ok = true;
  for (const auto& [key, value] : fields) {
    if (!absl::StartsWith(key, "lun-")) continue;
    std::vector<std::string> parts = absl::StrSplit(value, ' ');
    if (key == "lun-device-type") {
      ok = ParseNumber(value, &lun->device_type);
    } else if (key == "lun-modifier") {
      ok = ParseNumber(value, &lun->device_type_modifier);
    } else if (key == "lun-queueing") {
      lun->command_queueing = value == "1";
    } else if (key == "lun-bus") {
      std::uint32_t bus = 0;
      ok = ParseNumber(value, &bus);
      lun->bus_type = static_cast<BusType>(bus);
    } else if (key == "lun-vendor") {
      ok = Unhex(value, &lun->vendor_id);
    } else if (key == "lun-product") {
      ok = Unhex(value, &lun->product_id);
    } else if (key == "lun-revision") {
      ok = Unhex(value, &lun->product_revision);
    } else if (key == "lun-serial") {
      ok = Unhex(value, &lun->serial_number);
    } else if (key == "lun-designator" && parts.size() == 4) {
      Designator d;
      std::uint8_t code_set = 0, association = 0, type = 0;
      ok = ParseNumber(parts[0], &code_set) && ParseNumber(parts[1], &association) &&
           ParseNumber(parts[2], &type) && UnhexBytes(parts[3], &d.bytes);
      d.code_set = static_cast<CodeSet>(code_set);
      d.association = static_cast<Association>(association);
      d.type = static_cast<DesignatorType>(type);
      lun->designators.push_back(std::move(d));
    } else if (key == "lun-interconnect" && parts.size() == 3) {
      Interconnect i;
      std::uint32_t type = 0;
      ok = ParseNumber(parts[0], &type) && UnhexBytes(parts[1], &i.port) && UnhexBytes(parts[2], &i.address);
      i.address_type = static_cast<InterconnectAddressType>(type);
      lun->interconnects.push_back(std::move(i));
    } else {
      ok = false;
    }
    if (!ok) {
      *why = absl::StrCat("bad line '", key, " ", value, "'");
      return false;
    }
  }
  if (absl::Status valid = ValidateLunIdentity(*lun); !valid.ok()) {
    *why = std::string(valid.message());
    return false;
  }
  return true;
}

std::string FieldValue(const Fields& fields, absl::string_view key) {
  for (const auto& [k, v] : fields) {
    if (k == key) return v;
  }
  return "";
}

// Writes `content` to `path` through a temporary file renamed over it, so a
// reader (or a process after a kill) sees the old file or the new, never a
// part of one. No fsync: the mock models a process crash, not a power loss.
absl::Status WriteFileAtomically(const fs::path& path, const std::string& content) {
  fs::path temp = path;
  temp += kTempSuffix;
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.close();
    if (!out) return BackendFailureError(absl::StrCat("mock: cannot write ", temp.string()));
  }
  std::error_code ec;
  fs::rename(temp, path, ec);
  if (ec) {
    fs::remove(temp, ec);
    return BackendFailureError(absl::StrCat("mock: cannot rename ", temp.string(), " to ", path.string(), ": ",
                                            ec.message()));
  }
  return absl::OkStatus();
}

bool ReadFile(const fs::path& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream text;
  text << in.rdbuf();
  *out = text.str();
  return static_cast<bool>(in) || in.eof();
}

// Target ids that may name a file (letters, digits, '-').
bool IsFileSafeId(const TargetId& id) {
  return !id.empty() && id.size() < 128 && std::all_of(id.begin(), id.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-';
  });
}

const char* TargetStateText(MockBackend::TargetState state) {
  return state == MockBackend::TargetState::kCommitted ? "committed" : "prepared";
}

}  // namespace

MockBackend::MockBackend(MockBackendOptions options) : options_(std::move(options)) {
  if (durable()) {
    std::lock_guard<std::mutex> lock(mu_);
    LoadState();
  }
}

LunIdentity MockBackend::AddSourceLun() {
  LunIdentity lun;
  lun.device_type = 0;
  lun.bus_type = BusType::kIscsi;
  lun.command_queueing = true;
  lun.vendor_id = options_.vendor_id;
  lun.product_id = options_.product_id;
  lun.product_revision = options_.product_revision;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::uint64_t number = 0;
    if (durable()) {
      number = next_source_number_++;
      lun.serial_number = absl::StrFormat("MOCK-SRC-%06X-%06d", array_id_, number);
    } else {
      number = g_next_source_number.fetch_add(1, std::memory_order_relaxed);
      lun.serial_number = absl::StrFormat("MOCK-SRC-%06d", number);
    }
    lun.designators = {Naa6(kSourceKind, array_id_, number), T10VendorId(options_.vendor_id, lun.serial_number),
                       RelativeTargetPort(1)};
    sources_.push_back(SourceLun{lun, options_.prepare_latency, number});
    if (durable()) {
      absl::Status saved = SaveArray();
      if (saved.ok()) saved = SaveSource(number, lun);
      if (!saved.ok()) Log().error("add source LUN {}: {}", lun.ToString(), saved.message());
    }
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

std::vector<LunIdentity> MockBackend::SourceLuns() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<LunIdentity> out;
  out.reserve(sources_.size());
  for (const SourceLun& source : sources_) out.push_back(source.identity);
  return out;
}

std::vector<std::string> MockBackend::LoadProblems() const {
  std::lock_guard<std::mutex> lock(mu_);
  return load_problems_;
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
  const std::uint64_t number = durable() ? next_source_number_++ : 0;
  sources_.push_back(SourceLun{lun, options_.prepare_latency, number});
  if (durable()) {
    absl::Status saved = SaveArray();
    if (saved.ok()) saved = SaveSource(number, lun);
    if (!saved.ok()) Log().error("adopt {}: {}", lun.ToString(), saved.message());
  }
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
  lun.serial_number = array_id_ == 0 ? absl::StrFormat("MOCK-SNAP-%06d", serial)
                                     : absl::StrFormat("MOCK-SNAP-%06X-%06d", array_id_, serial);
  lun.designators = {Naa6(kTargetKind, array_id_, serial), T10VendorId(lun.vendor_id, lun.serial_number),
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
      std::uint64_t number = 0;
      if (durable()) {
        number = next_target_number_++;
        record.id = absl::StrFormat("mock-%06x-tgt-%06d", array_id_, number);
        outcome = SaveArray();
      } else {
        number = g_next_target_number.fetch_add(1, std::memory_order_relaxed);
        record.id = absl::StrFormat("mock-tgt-%06d", number);
      }
      record.source = sources_[index].identity;
      record.state = TargetState::kPrepared;
      // Durable: the target's file exists before the caller learns its id (a
      // kill right after leaves a target no catalog knows, as on real storage).
      if (outcome.ok()) outcome = SaveTarget(record);
      if (outcome.ok()) {
        serial_of_[record.id] = number;
        targets_[record.id] = record;
        made_here = next_serial_++;
      }
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
      for (const TargetId& id : targets) {
        if (absl::Status saved = SaveTarget(targets_[id]); !saved.ok() && result.ok()) result = saved;
      }
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
      result = SaveTarget(it->second);
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
    if (!MadeHere(target)) {
      result = UnknownTarget(target);
    } else if (targets_.count(target) > 0) {
      result = RemoveTarget(target);
      if (result.ok()) was_alive = targets_.erase(target) > 0;
    }  // else: releasing a released target is OK
  }
  if (DebugEnabled()) {
    Log().debug("release {}: {}", target,
                !result.ok() ? Outcome(result) : (was_alive ? "released" : "already released"));
  }
  return result;
}

// ---- Optional methods ----

absl::Status MockBackend::RestoreTarget(const RestoredTarget& target) {
  absl::Status result;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++calls_.restore;
    auto it = targets_.find(target.id);
    if (it == targets_.end() && durable() && ReloadTarget(target.id)) it = targets_.find(target.id);
    if (it == targets_.end()) {
      result = UnknownTarget(target.id);
    } else if (!it->second.source.SameLunAs(target.source)) {
      result = BackendFailureError(absl::StrCat("mock: target '", target.id, "' was made from ",
                                                it->second.source.ToString(), ", not from ", target.source.ToString()));
    } else if (target.committed && it->second.state != TargetState::kCommitted) {
      result = BackendFailureError(
          absl::StrCat("mock: target '", target.id, "' is recorded as committed but holds no snapshot on this array"));
    } else if (target.identity &&
               !TargetIdentity(it->second, serial_of_.at(target.id)).SameLunAs(*target.identity)) {
      result = BackendFailureError(absl::StrCat("mock: target '", target.id, "' is ",
                                                TargetIdentity(it->second, serial_of_.at(target.id)).ToString(),
                                                ", not the recorded ", target.identity->ToString()));
    }
    // Otherwise accepted as it is on the array (a commit the record missed,
    // or an exposure, is the array's truth).
  }
  if (DebugEnabled()) Log().debug("restore {}: {}", target.id, Outcome(result));
  return result;
}

absl::StatusOr<std::vector<TargetId>> MockBackend::ListTargets() {
  std::lock_guard<std::mutex> lock(mu_);
  ++calls_.list;
  std::vector<TargetId> ids;
  ids.reserve(targets_.size());
  for (const auto& entry : targets_) ids.push_back(entry.first);
  return ids;
}

absl::Status MockBackend::MaskTarget(const TargetId& target) {
  absl::Status result;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++calls_.mask;
    auto it = targets_.find(target);
    if (it == targets_.end()) {
      result = UnknownTarget(target);
    } else if (it->second.exposed) {
      it->second.exposed = false;  // masking a masked target is fine
      result = SaveTarget(it->second);
    }
  }
  if (DebugEnabled()) Log().debug("mask {}: {}", target, Outcome(result));
  return result;
}

absl::Status MockBackend::ResyncTarget(const TargetId& target, const LunIdentity& destination,
                                       const CancelToken& cancel, const ProgressCallback& progress) {
  absl::Status refused;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++calls_.resync;
    auto it = targets_.find(target);
    if (it == targets_.end()) {
      refused = UnknownTarget(target);
    } else if (it->second.state != TargetState::kCommitted) {
      refused = BadStateError(absl::StrCat("mock: target '", target, "' holds no snapshot yet, cannot resync from it"));
    } else if (FindOrAdoptSource(destination) < 0) {
      refused = ObjectNotFoundError(
          absl::StrCat("mock: resync destination ", destination.ToString(), " is not a source LUN of this array"));
    }
  }
  if (!refused.ok()) {
    if (DebugEnabled()) Log().debug("resync {}: {}", target, Outcome(refused));
    return refused;
  }
  if (DebugEnabled()) {
    Log().debug("resync {} onto {}: copying, {}", target, destination.ToString(),
                absl::FormatDuration(options_.resync_latency));
  }
  // The copy runs inside the "storage" in small steps, so a cancel is seen
  // within cancel_bound / 2 and progress moves.
  absl::Status outcome = cancel.status();
  const absl::Duration total = options_.resync_latency;
  absl::Duration step = std::min(total / 20, options_.cancel_bound / 2);
  if (step <= absl::ZeroDuration()) step = total;
  absl::Duration done;
  while (outcome.ok() && done < total) {
    const absl::Duration slice = std::min(step, total - done);
    outcome = cancel.SleepFor(slice);
    if (!outcome.ok()) break;
    done += slice;
    if (progress && done < total) progress(absl::FDivDuration(done, total));
  }
  if (outcome.ok() && progress) progress(1.0);
  if (DebugEnabled()) Log().debug("resync {}: {}", target, Outcome(outcome));
  return outcome;
}

// ---- Identity bookkeeping ----

std::uint64_t MockBackend::DurableTargetNumber(const TargetId& target) const {
  if (!durable()) return 0;
  const std::string prefix = absl::StrFormat("mock-%06x-tgt-", array_id_);
  std::uint64_t number = 0;
  if (!absl::StartsWith(target, prefix) || !absl::SimpleAtoi(target.substr(prefix.size()), &number)) return 0;
  return number;
}

bool MockBackend::MadeHere(const TargetId& target) const {
  if (serial_of_.count(target) > 0) return true;
  const std::uint64_t number = DurableTargetNumber(target);
  return number > 0 && number < next_target_number_;
}

// ---- Durable state ----

absl::Status MockBackend::SaveArray() const {
  if (!durable()) return absl::OkStatus();
  return WriteFileAtomically(fs::path(options_.state_directory) / kArrayFile,
                             absl::StrFormat("hwsnap-mock-array 1\narray-id %06x\nnext-source %d\nnext-target %d\n",
                                             array_id_, next_source_number_, next_target_number_));
}

absl::Status MockBackend::SaveSource(std::uint64_t number, const LunIdentity& lun) const {
  if (!durable()) return absl::OkStatus();
  std::string text = absl::StrCat("hwsnap-mock-source 1\nnumber ", number, "\n");
  AppendLun(text, lun);
  return WriteFileAtomically(fs::path(options_.state_directory) /
                                 absl::StrFormat("%s%06d%s", kSourcePrefix, number, kFileSuffix),
                             text);
}

absl::Status MockBackend::SaveTarget(const TargetRecord& record) const {
  if (!durable()) return absl::OkStatus();
  std::string text = absl::StrCat("hwsnap-mock-target 1\nid ", record.id, "\nnumber ", serial_of_.count(record.id) ? serial_of_.at(record.id) : DurableTargetNumber(record.id),
                                  "\nstate ", TargetStateText(record.state), "\nexposed ", record.exposed ? 1 : 0, "\n");
  AppendLun(text, record.source);
  return WriteFileAtomically(fs::path(options_.state_directory) / absl::StrCat(kTargetPrefix, record.id, kFileSuffix),
                             text);
}

absl::Status MockBackend::RemoveTarget(const TargetId& id) const {
  if (!durable()) return absl::OkStatus();
  std::error_code ec;
  fs::remove(fs::path(options_.state_directory) / absl::StrCat(kTargetPrefix, id, kFileSuffix), ec);
  if (ec) return BackendFailureError(absl::StrCat("mock: cannot delete target '", id, "': ", ec.message()));
  return absl::OkStatus();
}

bool MockBackend::ReloadTarget(const TargetId& id) {
  if (!IsFileSafeId(id)) return false;
  const fs::path path = fs::path(options_.state_directory) / absl::StrCat(kTargetPrefix, id, kFileSuffix);
  std::string text;
  if (!ReadFile(path, &text)) return false;
  const Fields fields = ParseFields(text);
  TargetRecord record;
  std::string why;
  std::uint64_t number = 0;
  record.id = FieldValue(fields, "id");
  if (fields.empty() || fields[0].first != "hwsnap-mock-target" || fields[0].second != "1") {
    why = "not a version-1 mock target file";
  } else if (record.id != id || !ParseNumber(FieldValue(fields, "number"), &number) || number == 0) {
    why = "bad id or number";
  } else if (!ParseLun(fields, &record.source, &why)) {
    // why set
  } else {
    const std::string state = FieldValue(fields, "state");
    if (state != "prepared" && state != "committed") {
      why = absl::StrCat("bad state '", state, "'");
    } else {
      record.state = state == "committed" ? TargetState::kCommitted : TargetState::kPrepared;
      record.exposed = FieldValue(fields, "exposed") == "1";
    }
  }
  if (!why.empty()) {
    load_problems_.push_back(absl::StrCat(path.string(), ": ", why));
    Log().error("mock state: {}: {}", path.string(), why);
    return false;
  }
  serial_of_[record.id] = number;
  targets_[record.id] = record;
  next_target_number_ = std::max(next_target_number_, number + 1);
  return true;
}

void MockBackend::LoadState() {
  const fs::path dir(options_.state_directory);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    load_problems_.push_back(absl::StrCat(dir.string(), ": cannot create: ", ec.message()));
    Log().error("mock state: cannot create {}: {}", dir.string(), ec.message());
  }
  std::string text;
  bool have_array = false;
  if (ReadFile(dir / kArrayFile, &text)) {
    const Fields fields = ParseFields(text);
    std::uint32_t id = 0;
    if (!fields.empty() && fields[0].first == "hwsnap-mock-array" && fields[0].second == "1" &&
        absl::SimpleHexAtoi(FieldValue(fields, "array-id"), &id) && id != 0 &&
        ParseNumber(FieldValue(fields, "next-source"), &next_source_number_) &&
        ParseNumber(FieldValue(fields, "next-target"), &next_target_number_)) {
      array_id_ = id & 0xFFFFFF;
      have_array = true;
    } else {
      load_problems_.push_back(absl::StrCat((dir / kArrayFile).string(), ": not a version-1 mock array file"));
    }
  }
  if (!have_array) {
    std::random_device random;
    do {
      array_id_ = static_cast<std::uint32_t>(random()) & 0xFFFFFF;
    } while (array_id_ == 0);
    next_source_number_ = 1;
    next_target_number_ = 1;
  }

  std::vector<std::pair<std::uint64_t, fs::path>> source_files;
  std::vector<std::string> target_ids;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (absl::EndsWith(name, kTempSuffix)) {
      std::error_code ignored;
      fs::remove(it->path(), ignored);  // a write a kill interrupted
      continue;
    }
    if (!absl::EndsWith(name, kFileSuffix)) continue;
    const absl::string_view stem = absl::string_view(name).substr(0, name.size() - std::string(kFileSuffix).size());
    std::uint64_t number = 0;
    if (absl::StartsWith(stem, kSourcePrefix) &&
        absl::SimpleAtoi(stem.substr(std::string(kSourcePrefix).size()), &number)) {
      source_files.emplace_back(number, it->path());
    } else if (absl::StartsWith(stem, kTargetPrefix)) {
      target_ids.emplace_back(stem.substr(std::string(kTargetPrefix).size()));
    }
  }
  std::sort(source_files.begin(), source_files.end());
  for (const auto& [number, path] : source_files) {
    LunIdentity lun;
    std::string why;
    if (!ReadFile(path, &text)) {
      why = "cannot read";
    } else {
      const Fields fields = ParseFields(text);
      if (fields.empty() || fields[0].first != "hwsnap-mock-source" || fields[0].second != "1") {
        why = "not a version-1 mock source file";
      } else {
        ParseLun(fields, &lun, &why);
      }
    }
    if (!why.empty()) {
      load_problems_.push_back(absl::StrCat(path.string(), ": ", why));
      Log().error("mock state: {}: {}", path.string(), why);
      continue;
    }
    sources_.push_back(SourceLun{lun, options_.prepare_latency, number});
    next_source_number_ = std::max(next_source_number_, number + 1);
  }
  for (const std::string& id : target_ids) ReloadTarget(id);
  if (!have_array) {
    if (absl::Status saved = SaveArray(); !saved.ok()) {
      load_problems_.push_back(std::string(saved.message()));
      Log().error("mock state: {}", saved.message());
    }
  }
  Log().info("mock array {:06x} in {}: {} source LUN(s), {} target(s)", array_id_, dir.string(), sources_.size(),
             targets_.size());
}

}  // namespace hwsnap
