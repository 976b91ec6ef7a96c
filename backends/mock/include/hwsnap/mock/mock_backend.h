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
//
// Durable mode (MockBackendOptions::state_directory set): the array's sources
// and targets also live as small files in that directory, each written
// (temp file + rename) before the call that changed it returns, so a process
// killed at any point leaves the array as a real one would be — including a
// target made by a PrepareTarget whose caller never learnt of it. A new
// MockBackend on the same directory is the same array: it loads them, and its
// LiveTargets() is the audit across processes. One process at a time.
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
  // Time ResyncTarget takes (in steps of at most cancel_bound / 2, reporting
  // progress after each and observing the cancel token).
  absl::Duration resync_latency = absl::ZeroDuration();
  // Empty: the array lives in memory only. Otherwise a directory (created if
  // missing) holding the array's state; see the file comment.
  std::string state_directory;
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
    int restore = 0, list = 0, mask = 0, resync = 0;
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
  // Every source LUN of the array, in the order they were added (in durable
  // mode including those an earlier process added).
  std::vector<LunIdentity> SourceLuns() const;
  // Durable mode: files of the state directory that could not be read at
  // construction (one line each: file and why). Empty when all loaded.
  std::vector<std::string> LoadProblems() const;

  // Backend:
  std::string Name() const override { return "mock"; }
  BackendCapabilities Capabilities() const override;
  absl::StatusOr<LunSupport> IdentifyLun(const LunIdentity& lun) override;
  absl::StatusOr<TargetId> PrepareTarget(const LunIdentity& source, const CancelToken& cancel) override;
  absl::Status CommitTargets(absl::Span<const TargetId> targets, absl::Time deadline) override;
  absl::StatusOr<LunIdentity> DescribeTarget(const TargetId& target) override;
  absl::Status ExposeTarget(const TargetId& target) override;
  absl::Status ReleaseTarget(const TargetId& target) override;
  // Optional methods: restart (RestoreTarget, ListTargets), masking and
  // resync. RestoreTarget accepts a target this array has (re-reading the
  // state directory in durable mode) when its source — and its identity, if
  // given — match; kObjectNotFound for one it does not have. ResyncTarget
  // takes a committed target and a source LUN of this array (adopted when
  // adopt_luns allows) and takes options.resync_latency.
  absl::Status RestoreTarget(const RestoredTarget& target) override;
  absl::StatusOr<std::vector<TargetId>> ListTargets() override;
  absl::Status MaskTarget(const TargetId& target) override;
  absl::Status ResyncTarget(const TargetId& target, const LunIdentity& destination, const CancelToken& cancel,
                            const ProgressCallback& progress) override;

 private:
  struct SourceLun {
    LunIdentity identity;
    absl::Duration prepare_latency;
    std::uint64_t number = 0;  // durable mode: its file's number
  };

  // Index of the source matching `lun`, or -1. Requires mu_.
  int FindSource(const LunIdentity& lun) const;
  // FindSource, adopting `lun` as a new source when options_.adopt_luns
  // allows it. Requires mu_.
  int FindOrAdoptSource(const LunIdentity& lun);
  // The identity a host sees for target number `serial`.
  LunIdentity TargetIdentity(const TargetRecord& target, std::uint64_t serial) const;
  // Whether `target` was ever made by this array (alive or released). Requires mu_.
  bool MadeHere(const TargetId& target) const;
  // The number in a target id of this array's durable form, 0 if not one.
  std::uint64_t DurableTargetNumber(const TargetId& target) const;

  // Durable mode (state_directory set); all require mu_ and are no-ops in
  // memory mode. Each write is a temp file renamed over the old one.
  bool durable() const { return !options_.state_directory.empty(); }
  void LoadState();
  absl::Status SaveArray() const;
  absl::Status SaveSource(std::uint64_t number, const LunIdentity& lun) const;
  absl::Status SaveTarget(const TargetRecord& record) const;
  absl::Status RemoveTarget(const TargetId& id) const;
  // Reads one target file into targets_ (RestoreTarget of a target loaded
  // after construction); false when there is none.
  bool ReloadTarget(const TargetId& id);

  const MockBackendOptions options_;
  mutable std::mutex mu_;
  // Durable mode: a random 24-bit number naming the array, carried in every
  // designator and target id it makes (0 in memory mode), and the next
  // source and target numbers (persisted before use).
  std::uint32_t array_id_ = 0;
  std::uint64_t next_source_number_ = 1;
  std::uint64_t next_target_number_ = 1;
  std::vector<std::string> load_problems_;
  std::vector<SourceLun> sources_;
  std::map<TargetId, TargetRecord> targets_;  // alive
  std::map<TargetId, std::uint64_t> serial_of_;  // every target ever made (for release idempotency)
  std::uint64_t next_serial_ = 1;
  CallCounts calls_;
};

}  // namespace hwsnap

#endif  // HWSNAP_MOCK_MOCK_BACKEND_H_
