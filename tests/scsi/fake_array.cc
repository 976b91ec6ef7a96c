// In-memory SCSI array for ScsiBackend tests; see fake_array.h.
#include "fake_array.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/strings/string_view.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi::testing {
namespace {

constexpr absl::string_view kLunPrefix = "fake://lun/";
constexpr absl::string_view kTargetPrefix = "fake://target/";

std::vector<std::uint8_t> Vpd80(const std::string& serial) {
  std::vector<std::uint8_t> page = {0x00, 0x80, 0x00, static_cast<std::uint8_t>(serial.size())};
  page.insert(page.end(), serial.begin(), serial.end());
  return page;
}

}  // namespace

std::vector<std::uint8_t> Vpd83WithNaa(std::uint32_t seed, bool unique) {
  std::vector<std::uint8_t> page = {0x00, 0x83, 0x00, 0x14};
  // Code set binary; association 0 (logical unit); type NAA (3) or vendor specific (0).
  page.insert(page.end(), {0x01, static_cast<std::uint8_t>(unique ? 0x03 : 0x00), 0x00, 0x10});
  page.insert(page.end(), {0x60, 0x01, 0x40, 0x5f, 0x0c, 0x0f, 0xfe, 0xe0, 0x00, 0x00, 0x00, 0x00,
                           static_cast<std::uint8_t>(seed >> 24), static_cast<std::uint8_t>(seed >> 16),
                           static_cast<std::uint8_t>(seed >> 8), static_cast<std::uint8_t>(seed)});
  return page;
}

std::uint32_t SeedOf(const std::string& address) {
  absl::string_view rest(address);
  if (!absl::ConsumePrefix(&rest, kLunPrefix) && !absl::ConsumePrefix(&rest, kTargetPrefix)) return 0;
  std::uint32_t seed = 0;
  return absl::SimpleAtoi(rest, &seed) ? seed : 0;
}

std::string FakeLunSet::AddLun(std::uint32_t seed, bool unique) {
  const std::string address = absl::StrCat(seed >= 0x80000000u ? kTargetPrefix : kLunPrefix, seed);
  FakeScsiDevice lun(address, BusType::kIscsi);
  if (absl::Status s = lun.LoadFixtureDirectory("tgt/lun1"); !s.ok()) std::abort();  // fixtures are in-tree
  lun.SetVpdPage(0x83, Vpd83WithNaa(seed, unique));
  lun.SetVpdPage(0x80, Vpd80(absl::StrCat("sn", seed)));
  std::lock_guard<std::mutex> lock(mu_);
  luns_.insert_or_assign(address, std::move(lun));
  return address;
}

void FakeLunSet::RemoveLun(const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  luns_.erase(address);
}

void FakeLunSet::SetUnreachable(const std::string& address, absl::Status error) {
  std::lock_guard<std::mutex> lock(mu_);
  if (error.ok()) {
    unreachable_.erase(address);
  } else {
    unreachable_[address] = std::move(error);
  }
}

int FakeLunSet::opens() const {
  std::lock_guard<std::mutex> lock(mu_);
  return opens_;
}

TransportOpener FakeLunSet::Opener() {
  return [this](absl::string_view address) -> absl::StatusOr<std::unique_ptr<ScsiTransport>> {
    std::lock_guard<std::mutex> lock(mu_);
    ++opens_;
    auto it = luns_.find(std::string(address));
    if (it == luns_.end()) return BackendFailureError(absl::StrCat("fake: no LUN at ", address));
    auto device = std::make_unique<FakeScsiDevice>(it->second);
    if (auto down = unreachable_.find(it->first); down != unreachable_.end()) {
      for (std::uint8_t opcode : {0x12, 0x9e, 0x25, 0xa0, 0x00}) {
        device->FailCommandWithTransportError(opcode, down->second);
      }
    }
    return std::unique_ptr<ScsiTransport>(std::move(device));
  };
}

std::string FakeArrayControl::WhyCannotSnapshot(const ScsiLunInfo& source) const {
  return refused.count(source.address) ? "the fake array refuses this LUN" : "";
}

absl::Status FakeArrayControl::CheckHeld(const std::string& target) const {
  if (held_.count(target) == 0) {
    return ObjectNotFoundError(absl::StrCat("fake: this control holds no target ", target));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> FakeArrayControl::Provision(const ScsiLunInfo& source, const CancelToken& cancel) {
  if (provision_latency > absl::ZeroDuration()) {
    if (absl::Status s = cancel.SleepFor(provision_latency); !s.ok()) return s;
  }
  if (cancel.IsCancelled()) return cancel.status();
  if (!provision_error.ok()) return provision_error;
  std::string name;
  {
    std::lock_guard<std::mutex> lock(storage_->mu);
    if (capacity > 0 && static_cast<int>(storage_->targets.size()) >= capacity) {
      return InsufficientStorageError(absl::StrCat("fake: all ", capacity, " snapshot slots in use"));
    }
    const int number = ++storage_->next;
    name = absl::StrCat("fake-snap-", number);
    Target& target = storage_->targets[name];
    target.source_seed = SeedOf(source.address);
    target.own_seed = 0x80000000u + static_cast<std::uint32_t>(number);
    held_.insert(name);
  }
  if (after_provision) after_provision();
  return name;
}

absl::Status FakeArrayControl::TakePointInTime(absl::Span<const std::string> targets, absl::Time deadline) {
  std::vector<std::pair<std::string, std::uint32_t>> made;
  {
    std::lock_guard<std::mutex> lock(storage_->mu);
    ++commit_calls_;
    if (!commit_error.ok()) return commit_error;
    if (absl::Now() > deadline) return DeadlineExceededError("fake: past the commit deadline");
    for (const std::string& target : targets) {
      auto it = storage_->targets.find(target);
      if (it == storage_->targets.end() || held_.count(target) == 0) {
        return BackendFailureError(absl::StrCat("fake: no target ", target));
      }
      if (it->second.committed) return BackendFailureError(absl::StrCat("fake: ", target, " committed twice"));
    }
    for (const std::string& target : targets) {
      Target& t = storage_->targets[target];
      t.committed = true;
      made.emplace_back(target, describe_as_source ? t.source_seed : t.own_seed);
    }
  }
  for (const auto& made_target : made) luns_->AddLun(made_target.second);
  return absl::OkStatus();
}

absl::StatusOr<std::string> FakeArrayControl::TargetAddress(const std::string& target) {
  std::lock_guard<std::mutex> lock(storage_->mu);
  if (absl::Status s = CheckHeld(target); !s.ok()) return s;
  auto it = storage_->targets.find(target);
  if (it == storage_->targets.end() || !it->second.committed) return BackendFailureError("fake: no committed target");
  const std::uint32_t seed = describe_as_source ? it->second.source_seed : it->second.own_seed;
  return absl::StrCat(seed >= 0x80000000u ? kTargetPrefix : kLunPrefix, seed);
}

absl::Status FakeArrayControl::Expose(const std::string& target) {
  std::lock_guard<std::mutex> lock(storage_->mu);
  if (absl::Status s = CheckHeld(target); !s.ok()) return s;
  auto it = storage_->targets.find(target);
  if (it == storage_->targets.end()) return BackendFailureError("fake: no target");
  it->second.exposed = true;
  return absl::OkStatus();
}

absl::Status FakeArrayControl::Delete(const std::string& target) {
  std::lock_guard<std::mutex> lock(storage_->mu);
  storage_->targets.erase(target);
  held_.erase(target);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> FakeArrayControl::ListTargets() {
  std::lock_guard<std::mutex> lock(storage_->mu);
  std::vector<std::string> names;
  for (const auto& [name, target] : storage_->targets) names.push_back(name);
  return names;
}

absl::Status FakeArrayControl::Adopt(const RestoredTarget& recorded) {
  if (!adopt_supported) return ArrayControl::Adopt(recorded);
  if (!adopt_error.ok()) return adopt_error;
  std::lock_guard<std::mutex> lock(storage_->mu);
  auto it = storage_->targets.find(recorded.id);
  if (it == storage_->targets.end()) return ObjectNotFoundError(absl::StrCat("fake: no target ", recorded.id));
  if (recorded.committed && !it->second.committed) {
    return ObjectNotFoundError(absl::StrCat("fake: target ", recorded.id, " holds no snapshot"));
  }
  held_.insert(recorded.id);
  return absl::OkStatus();
}

absl::Status FakeArrayControl::Mask(const std::string& target) {
  if (!adopt_supported) return ArrayControl::Mask(target);
  std::lock_guard<std::mutex> lock(storage_->mu);
  if (absl::Status s = CheckHeld(target); !s.ok()) return s;
  auto it = storage_->targets.find(target);
  if (it == storage_->targets.end()) return ObjectNotFoundError("fake: no target");
  if (!it->second.committed) return BadStateError(absl::StrCat("fake: ", target, " is not committed"));
  it->second.exposed = false;
  return absl::OkStatus();
}

void FakeArrayControl::AddOrphan(const std::string& name) {
  std::lock_guard<std::mutex> lock(storage_->mu);
  storage_->targets[name];
}

bool FakeArrayControl::IsExposed(const std::string& target) const {
  std::lock_guard<std::mutex> lock(storage_->mu);
  auto it = storage_->targets.find(target);
  return it != storage_->targets.end() && it->second.exposed;
}

bool FakeArrayControl::Holds(const std::string& target) const {
  std::lock_guard<std::mutex> lock(storage_->mu);
  return held_.count(target) != 0;
}

int FakeArrayControl::commit_calls() const {
  std::lock_guard<std::mutex> lock(storage_->mu);
  return commit_calls_;
}

}  // namespace hwsnap::scsi::testing
