// hwsnap/mock/mock_backend.h — an in-memory backend for tests and demos.
//
// Behaves like a small storage array: it owns a list of source LUNs,
// creates snapshot targets up to a capacity (running out is
// insufficient-storage), takes configurable time for each operation (prepare
// waits observe the cancel token), and keeps an audit of every target still
// alive so a test can assert that nothing leaked.
//
//   auto mock = std::make_shared<hwsnap::MockBackend>(hwsnap::MockBackendOptions{
//       .target_capacity = 8, .prepare_latency = absl::Milliseconds(50)});
//   hwsnap::LunIdentity lun = mock->AddSourceLun();
//   ... drive a SnapshotProvider over `mock` ...
//   EXPECT_EQ(mock->LiveTargetCount(), 0);
#ifndef HWSNAP_MOCK_MOCK_BACKEND_H_
#define HWSNAP_MOCK_MOCK_BACKEND_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "hwsnap/backend.h"

namespace hwsnap {

struct MockBackendOptions {
  std::string vendor_id = "HWSNAP";
  std::string product_id = "MOCK-LUN";
  std::string product_revision = "0001";
  // Targets that may be alive at once; one more prepare is insufficient-storage.
  int target_capacity = 4096;
  // Time each operation takes. Prepare waits observe the cancel token.
  absl::Duration prepare_latency = absl::ZeroDuration();
  absl::Duration commit_latency = absl::ZeroDuration();
  absl::Duration describe_latency = absl::ZeroDuration();
  absl::Duration expose_latency = absl::ZeroDuration();
  absl::Duration release_latency = absl::ZeroDuration();
  // Treat any well-formed LUN with a unique 0x83 designator (type 1, 2, 3 or
  // 8, association 0) as a source of this array, adopted on its first
  // prepare: what the Windows DLL's mock does, since VSS hands it the host's
  // real LUNs rather than ones provisioned with AddSourceLun.
  bool adopt_luns = false;
  // Reported in Capabilities().
  int max_commit_group = 0;
  absl::Duration cancel_bound = absl::Milliseconds(50);
};

class MockBackend : public Backend {
 public:
  enum class TargetState { kPrepared, kCommitted };

  // One row of the audit: a target that exists on the "array" right now.
  struct TargetRecord {
    TargetId id;
    LunIdentity source;
    TargetState state = TargetState::kPrepared;
    bool exposed = false;
  };

  // Calls made so far, per operation (every call, including failed ones).
  struct CallCounts {
    int identify = 0, prepare = 0, commit = 0, describe = 0, expose = 0, release = 0;
  };

  explicit MockBackend(MockBackendOptions options = {});

  // Provisions a new source LUN (unique NAA-6, T10 vendor id and serial) and
  // returns its identity as VSS would report it.
  LunIdentity AddSourceLun();
  // Overrides the prepare latency for one source LUN.
  void SetPrepareLatency(const LunIdentity& source, absl::Duration latency);

  std::vector<TargetRecord> LiveTargets() const;
  int LiveTargetCount() const;
  CallCounts calls() const;

  // Backend:
  std::string Name() const override { return "mock"; }
  BackendCapabilities Capabilities() const override;
  absl::StatusOr<LunSupport> IdentifyLun(const LunIdentity& lun) override;
  absl::StatusOr<TargetId> PrepareTarget(const LunIdentity& source, const CancelToken& cancel) override;
  absl::Status CommitTargets(absl::Span<const TargetId> targets, absl::Time deadline) override;
  absl::StatusOr<LunIdentity> DescribeTarget(const TargetId& target) override;
  absl::Status ExposeTarget(const TargetId& target) override;
  absl::Status ReleaseTarget(const TargetId& target) override;

 private:
  struct SourceLun {
    LunIdentity identity;
    absl::Duration prepare_latency;
  };

  // Index of the source matching `lun`, or -1. Requires mu_.
  int FindSource(const LunIdentity& lun) const;
  // FindSource, adopting `lun` as a new source when options_.adopt_luns
  // allows it. Requires mu_.
  int FindOrAdoptSource(const LunIdentity& lun);
  // The identity a host sees for target number `serial`.
  LunIdentity TargetIdentity(const TargetRecord& target, std::uint64_t serial) const;

  const MockBackendOptions options_;
  mutable std::mutex mu_;
  std::vector<SourceLun> sources_;
  std::map<TargetId, TargetRecord> targets_;  // alive
  std::map<TargetId, std::uint64_t> serial_of_;  // every target ever made (for release idempotency)
  std::uint64_t next_serial_ = 1;
  CallCounts calls_;
};

}  // namespace hwsnap

#endif  // HWSNAP_MOCK_MOCK_BACKEND_H_
