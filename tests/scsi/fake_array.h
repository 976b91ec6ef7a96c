// fake_array.h — an in-memory SCSI array for tests of ScsiBackend.
//
// ScsiBackend's own logic (matching LUNs, the target state machine, rollback,
// classification) is tested without any target by pairing two fakes: a
// FakeLunSet of FakeScsiDevice LUNs (captured tgt pages with a distinct NAA
// and serial per LUN) reached through the backend's TransportOpener, and a
// FakeArrayControl strategy that "snapshots" by adding a new fake LUN with
// its own NAA id. Faults are set per test. Thread-safe (the conformance suite
// runs prepares concurrently).
#ifndef HWSNAP_TESTS_SCSI_FAKE_ARRAY_H_
#define HWSNAP_TESTS_SCSI_FAKE_ARRAY_H_

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "fake_scsi_device.h"
#include "hwsnap/scsi/array_control.h"
#include "hwsnap/scsi/scsi_backend.h"

namespace hwsnap::scsi::testing {

// VPD page 0x83 with one NAA-6 logical-unit designator ending in `seed`, or
// (unique = false) only a vendor-specific one.
std::vector<std::uint8_t> Vpd83WithNaa(std::uint32_t seed, bool unique = true);

// The LUNs of the fake array, by address.
class FakeLunSet {
 public:
  // Adds a LUN answering like tgt's LUN 1 but with NAA/serial from `seed`.
  std::string AddLun(std::uint32_t seed, bool unique = true);
  void RemoveLun(const std::string& address);
  // Execute on this LUN fails with `error` from now on (OK: works again).
  void SetUnreachable(const std::string& address, absl::Status error);
  // The backend's TransportOpener over this set.
  TransportOpener Opener();
  int opens() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, FakeScsiDevice> luns_;
  std::map<std::string, absl::Status> unreachable_;
  int opens_ = 0;
};

// The array's side of the targets, shared by every FakeArrayControl made
// over it: a second control over the same storage is a restarted process.
struct FakeArrayStorage {
  struct Target {
    std::uint32_t source_seed = 0;  // the source LUN's NAA seed
    std::uint32_t own_seed = 0;     // this target's (>= 0x80000000: a target address)
    bool committed = false;
    bool exposed = false;
  };
  std::mutex mu;
  std::map<std::string, Target> targets;
  int next = 0;
};

class FakeArrayControl : public ArrayControl {
 public:
  explicit FakeArrayControl(FakeLunSet* luns, std::shared_ptr<FakeArrayStorage> storage = nullptr)
      : luns_(luns), storage_(storage != nullptr ? std::move(storage) : std::make_shared<FakeArrayStorage>()) {}

  // Knobs, set before use.
  int capacity = 0;                                   // > 0: live target limit
  absl::Duration provision_latency = absl::ZeroDuration();  // observed with the token
  std::set<std::string> refused;                      // addresses WhyCannotSnapshot refuses
  absl::Status provision_error;                       // non-OK: Provision fails with it
  absl::Status commit_error;                          // non-OK: TakePointInTime fails with it
  bool describe_as_source = false;                    // targets report their source's NAA
  std::function<void()> after_provision;              // runs after a successful provision
  bool adopt_supported = true;                        // false: Adopt/Mask keep the kNotSupported default
  absl::Status adopt_error;                           // non-OK: Adopt fails with it

  std::string Name() const override { return "fake"; }
  std::string WhyCannotSnapshot(const ScsiLunInfo& source) const override;
  absl::StatusOr<std::string> Provision(const ScsiLunInfo& source, const CancelToken& cancel) override;
  absl::Status TakePointInTime(absl::Span<const std::string> targets, absl::Time deadline) override;
  absl::StatusOr<std::string> TargetAddress(const std::string& target) override;
  absl::Status Expose(const std::string& target) override;
  absl::Status Delete(const std::string& target) override;
  absl::StatusOr<std::vector<std::string>> ListTargets() override;
  // Holds a target the storage has (made by another control over it);
  // kObjectNotFound when it has none, or no snapshot where `committed` says.
  absl::Status Adopt(const RestoredTarget& recorded) override;
  // Unexposes a held, committed target.
  absl::Status Mask(const std::string& target) override;

  // Adds a target as if a previous process had made it (orphan reclaim).
  void AddOrphan(const std::string& name);
  bool IsExposed(const std::string& target) const;
  // Held by this control (provisioned or adopted here, not deleted).
  bool Holds(const std::string& target) const;
  int commit_calls() const;
  const std::shared_ptr<FakeArrayStorage>& storage() const { return storage_; }

 private:
  using Target = FakeArrayStorage::Target;
  // kObjectNotFound unless this control holds `target` (the storage's lock held).
  absl::Status CheckHeld(const std::string& target) const;

  FakeLunSet* const luns_;
  const std::shared_ptr<FakeArrayStorage> storage_;
  std::set<std::string> held_;  // under storage_->mu
  int commit_calls_ = 0;        // under storage_->mu
};

// The seed FakeLunSet::AddLun encoded into `address` ("fake://lun/<seed>").
std::uint32_t SeedOf(const std::string& address);

}  // namespace hwsnap::scsi::testing

#endif  // HWSNAP_TESTS_SCSI_FAKE_ARRAY_H_
