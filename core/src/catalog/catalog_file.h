// catalog_file.h — the platform seam of the catalog (internal).
//
// Everything the catalog needs from the file system, behind one small
// interface: the journal file (read it whole, append with one write, truncate,
// sync), whole-file writes for compaction and torn-tail copies, an atomic
// rename, a directory sync, and the advisory lock on "<path>.lock". The build
// picks catalog_file_posix.cc or catalog_file_windows.cc (catalog.cmake);
// nothing above this header knows which. Each platform file has exactly one
// function that turns a native error into an hwsnap Status (PosixError,
// WindowsError): kInsufficientStorage for a full disk, kBadState for a lock
// held elsewhere, kObjectNotFound for a missing file, kBackendFailure for
// everything else; the message names the operation and the path.
#ifndef HWSNAP_CORE_SRC_CATALOG_CATALOG_FILE_H_
#define HWSNAP_CORE_SRC_CATALOG_CATALOG_FILE_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hwsnap {
namespace catalog_internal {

// A whole file read into memory. A 100,000-target catalog is tens of MiB and
// is read at every Open, so the buffer is allocated once at the file's size
// (plus one byte, so a file growing meanwhile is noticed without copying) and
// is not zero-filled before the read: std::string would clear and, at its
// end-of-file check, reallocate and copy it, which was most of Open's time.
class FileBytes {
 public:
  FileBytes() = default;
  // Room for `capacity` bytes, uninitialised; size() is 0.
  explicit FileBytes(size_t capacity)
      : heap_(new char[capacity == 0 ? 1 : capacity]), data_(heap_.get()), capacity_(capacity) {}
  // `size` bytes at `data` owned by `keeper` (e.g. a memory mapping, released
  // with the last copy of it); read-only.
  FileBytes(const char* data, size_t size, std::shared_ptr<const void> keeper)
      : data_(const_cast<char*>(data)), size_(size), capacity_(size), keeper_(std::move(keeper)) {}

  // Writable only for a buffer made with FileBytes(capacity).
  char* data() { return data_; }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  absl::string_view view() const { return absl::string_view(data_, size_); }
  // Bytes [0, size) hold file content; size <= capacity.
  void set_size(size_t size) { size_ = size; }
  // Makes room for at least `capacity` bytes, keeping the first size() bytes.
  void Grow(size_t capacity) {
    if (capacity <= capacity_) return;
    std::unique_ptr<char[]> bigger(new char[capacity]);
    if (size_ > 0) std::memcpy(bigger.get(), data_, size_);
    heap_ = std::move(bigger);
    keeper_.reset();
    data_ = heap_.get();
    capacity_ = capacity;
  }
  // Gives the memory back.
  void Release() {
    heap_.reset();
    keeper_.reset();
    data_ = nullptr;
    size_ = capacity_ = 0;
  }

 private:
  std::unique_ptr<char[]> heap_;
  char* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
  std::shared_ptr<const void> keeper_;
};

// An open journal file. Not thread-safe (the catalog serialises calls).
class JournalFile {
 public:
  virtual ~JournalFile() = default;

  // The whole file, read from offset 0 in as few reads as the OS allows (or
  // mapped: the caller holds the lock, so nobody else changes the file while
  // the bytes are in use; Release them before Truncate).
  virtual absl::StatusOr<FileBytes> ReadAll() = 0;
  // Appends `data` at the end with a single write call. On failure some
  // prefix of `data` may have reached the file (the caller truncates back).
  virtual absl::Status Append(absl::string_view data) = 0;
  // Cuts the file to `size` bytes.
  virtual absl::Status Truncate(std::uint64_t size) = 0;
  // Makes everything written so far durable (fsync / FlushFileBuffers).
  virtual absl::Status Sync() = 0;
};

// Opens an existing journal; `writable` false opens it for reading only.
// kObjectNotFound when it does not exist.
absl::StatusOr<std::unique_ptr<JournalFile>> OpenJournalFile(const std::string& path, bool writable);

// Creates or replaces `path` with exactly `data`, then syncs it when `sync`.
absl::Status WriteWholeFile(const std::string& path, absl::string_view data, bool sync);
// The whole content of `path` (kObjectNotFound when missing).
absl::StatusOr<FileBytes> ReadWholeFile(const std::string& path);
// True when `path` exists (errors other than "missing" are returned).
absl::StatusOr<bool> FileExists(const std::string& path);
// Atomically replaces `to` with `from` (rename / MoveFileExW write-through).
absl::Status RenameFileOver(const std::string& from, const std::string& to);
// Makes a rename or creation in `dir` durable (no-op where the OS needs none).
absl::Status SyncDirectory(const std::string& dir);
// Creates `dir` and its missing parents.
absl::Status CreateDirectories(const std::string& dir);
// The directory part of `path` ("." when it has none).
std::string DirectoryOf(const std::string& path);

// An advisory whole-file lock held until destruction.
class FileLock {
 public:
  virtual ~FileLock() = default;
};
// Locks `lock_path` (created if missing; never renamed or deleted), shared or
// exclusive, without waiting: kBadState when another holder conflicts.
absl::StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& lock_path, bool shared);

// The platform's default catalog path (Catalog::DefaultPath).
std::string DefaultCatalogPath();

}  // namespace catalog_internal
}  // namespace hwsnap

#endif  // HWSNAP_CORE_SRC_CATALOG_CATALOG_FILE_H_
