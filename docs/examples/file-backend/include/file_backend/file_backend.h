// file_backend/file_backend.h — an example hwsnap backend outside the hwsnap tree.
//
// Exists to show a backend author everything a backend needs and nothing
// more: it is built against an *installed* hwsnap (find_package(hwsnap)),
// implements the eight methods of hwsnap/backend.h over plain files, and
// passes the conformance suite (tests/file_backend_conformance_test.cc).
//
// The "array" is a directory:
//   ROOT/sources/<n>.img        a source LUN (its number n gives its identity)
//   ROOT/targets/<id>/state     one word per line: prepared|committed|released,
//                               the source number, exposed 0|1
//   ROOT/targets/<id>/data.img  the point-in-time copy, made at commit with a
//                               reflink (ioctl FICLONE: instant on btrfs/XFS)
//                               where the file system supports it, else a copy.
// Released targets keep their directory with state "released" (a tombstone),
// so releasing twice succeeds and an id is never reused, across restarts too.
//
//   file_backend::FileBackend backend({.root = "/var/lib/demo-array"});
//   hwsnap::LunIdentity lun = *backend.AddSourceLun(1 << 20);
#ifndef FILE_BACKEND_FILE_BACKEND_H_
#define FILE_BACKEND_FILE_BACKEND_H_

#include <cstdint>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "hwsnap/backend.h"

namespace file_backend {

struct FileBackendOptions {
  std::string root;              // the directory that plays the array (created if missing)
  int target_capacity = 0;       // live targets allowed at once; 0 = no limit of its own
  absl::Duration prepare_latency = absl::ZeroDuration();  // simulated provisioning time (cancellable)
  absl::Duration cancel_bound = absl::Milliseconds(50);
};

class FileBackend : public hwsnap::Backend {
 public:
  explicit FileBackend(FileBackendOptions options);

  // Management API (not part of the seam): creates a source LUN file of
  // `size_bytes` and returns its identity as a host would see it.
  absl::StatusOr<hwsnap::LunIdentity> AddSourceLun(std::uint64_t size_bytes);
  const std::string& root() const { return options_.root; }

  // hwsnap::Backend:
  std::string Name() const override { return "file"; }
  hwsnap::BackendCapabilities Capabilities() const override;
  absl::StatusOr<hwsnap::LunSupport> IdentifyLun(const hwsnap::LunIdentity& lun) override;
  absl::StatusOr<hwsnap::TargetId> PrepareTarget(const hwsnap::LunIdentity& source,
                                                 const hwsnap::CancelToken& cancel) override;
  absl::Status CommitTargets(absl::Span<const hwsnap::TargetId> targets, absl::Time deadline) override;
  absl::StatusOr<hwsnap::LunIdentity> DescribeTarget(const hwsnap::TargetId& target) override;
  absl::Status ExposeTarget(const hwsnap::TargetId& target) override;
  absl::Status ReleaseTarget(const hwsnap::TargetId& target) override;

 private:
  enum class State { kPrepared, kCommitted, kReleased };
  struct TargetState {
    State state = State::kPrepared;
    std::uint64_t source = 0;
    bool exposed = false;
  };

  // All require mu_.
  absl::StatusOr<TargetState> ReadState(const hwsnap::TargetId& target) const;
  absl::Status WriteState(const hwsnap::TargetId& target, const TargetState& state) const;
  int CountLiveTargets() const;
  // The source number whose identity is `lun`, or 0.
  std::uint64_t FindSource(const hwsnap::LunIdentity& lun) const;
  hwsnap::LunIdentity SourceIdentity(std::uint64_t number) const;
  hwsnap::LunIdentity TargetIdentity(std::uint64_t number) const;

  const FileBackendOptions options_;
  const std::uint32_t root_tag_;  // from the root path: two arrays never share a designator
  mutable std::mutex mu_;
  std::uint64_t next_source_ = 1;
  std::uint64_t next_target_ = 1;
};

}  // namespace file_backend

#endif  // FILE_BACKEND_FILE_BACKEND_H_
