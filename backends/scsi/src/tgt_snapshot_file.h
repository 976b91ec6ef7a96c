// tgt_snapshot_file.h — the file work behind TgtArrayControl's snapshots.
//
// Private to backends/scsi/src. Preallocating a snapshot file (so commit
// cannot run out of space) and taking the point-in-time copy of a source
// backing file into it (reflink where possible, else a chunked in-kernel copy
// bounded by a deadline) are the only slow steps of the tgt strategy; each
// polls its cancel token or deadline between chunks.
//
//   auto s = PreallocateSnapshotFile(path, size, chunk, cancel, on_chunk);   // prepare
//   bool reflinked = false;
//   s = CopyPointInTime(source, path, chunk, deadline, &reflinked);         // commit
#ifndef HWSNAP_SCSI_SRC_TGT_SNAPSHOT_FILE_H_
#define HWSNAP_SCSI_SRC_TGT_SNAPSHOT_FILE_H_

#include <cstdint>
#include <filesystem>
#include <functional>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "hwsnap/cancel_token.h"

namespace hwsnap::scsi::internal {

// Creates `path` (must not exist) and allocates `size_bytes` in chunks of
// `chunk_bytes` with fallocate (ftruncate only where fallocate is not
// supported), checking `cancel` before each chunk and calling `on_chunk`
// after it. On failure or cancellation the file is removed.
// Errors: kInsufficientStorage (ENOSPC/EDQUOT), kCancelled, kBackendFailure.
absl::Status PreallocateSnapshotFile(const std::filesystem::path& path, std::uint64_t size_bytes,
                                     std::uint64_t chunk_bytes, const CancelToken& cancel,
                                     const std::function<void()>& on_chunk);

// Makes `target` (existing) a copy of `source` as of now: FICLONE first
// (sets *reflinked), else copy_file_range (pread/pwrite across filesystems
// that refuse it) in chunks of `chunk_bytes`, checking `deadline` between
// chunks. The target ends with the source's size.
// Errors: kDeadlineExceeded, kInsufficientStorage, kObjectNotFound (the
// source file is gone), kBackendFailure.
absl::Status CopyPointInTime(const std::filesystem::path& source, const std::filesystem::path& target,
                             std::uint64_t chunk_bytes, absl::Time deadline, bool* reflinked);

}  // namespace hwsnap::scsi::internal

#endif  // HWSNAP_SCSI_SRC_TGT_SNAPSHOT_FILE_H_
