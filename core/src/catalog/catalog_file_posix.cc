// catalog_file_posix.cc — the catalog's file seam on POSIX (catalog_file.h).
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "catalog/catalog_file.h"
#include "hwsnap/status.h"

namespace hwsnap {
namespace catalog_internal {
namespace {

// The one place errno becomes a Status.
absl::Status PosixError(absl::string_view operation, const std::string& path, int error) {
  const std::string message = absl::StrCat(operation, " ", path, ": ", std::strerror(error));
  switch (error) {
    case ENOSPC:
    case EDQUOT:
      return InsufficientStorageError(message);
    case ENOENT:
      return ObjectNotFoundError(message);
    case EWOULDBLOCK:
      return BadStateError(absl::StrCat(path, " is in use by another process (", operation, ")"));
    default:
      return BackendFailureError(message);
  }
}

class PosixFd {
 public:
  explicit PosixFd(int fd = -1) : fd_(fd) {}
  PosixFd(const PosixFd&) = delete;
  PosixFd& operator=(const PosixFd&) = delete;
  ~PosixFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

int OpenRetry(const std::string& path, int flags, mode_t mode = 0644) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

absl::Status WriteFully(int fd, const std::string& path, absl::string_view data) {
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return PosixError("write", path, errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::StatusOr<FileBytes> ReadFd(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return PosixError("stat", path, errno);
  // One byte more than the file: a read that fills it means the file grew.
  FileBytes out(static_cast<size_t>(st.st_size) + 1);
  size_t got = 0;
  for (;;) {
    if (got == out.capacity()) {
      out.set_size(got);
      out.Grow(got * 2);
    }
    ssize_t n = ::pread(fd, out.data() + got, out.capacity() - got, static_cast<off_t>(got));
    if (n < 0) {
      if (errno == EINTR) continue;
      return PosixError("read", path, errno);
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  out.set_size(got);
  return out;
}

// Journals smaller than this are read with pread (a mapping costs more).
constexpr size_t kMapAtLeast = 1 << 20;

class PosixJournalFile final : public JournalFile {
 public:
  PosixJournalFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}

  absl::StatusOr<FileBytes> ReadAll() override {
    // Mapped rather than read: no copy into a fresh buffer, whose page faults
    // and copy were a fifth of a large catalog's Open. Small files are read.
    struct stat st;
    if (::fstat(fd_.get(), &st) != 0) return PosixError("stat", path_, errno);
    const auto size = static_cast<size_t>(st.st_size);
    if (size < kMapAtLeast) return ReadFd(fd_.get(), path_);
    void* at = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd_.get(), 0);
    if (at == MAP_FAILED) return ReadFd(fd_.get(), path_);  // e.g. a file system without mmap
    std::shared_ptr<const void> mapping(at, [size](const void* p) { ::munmap(const_cast<void*>(p), size); });
    return FileBytes(static_cast<const char*>(at), size, std::move(mapping));
  }

  absl::Status Append(absl::string_view data) override {
    for (;;) {
      ssize_t n = ::write(fd_.get(), data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return PosixError("append to", path_, errno);
      if (static_cast<size_t>(n) != data.size()) {
        // A short write (disk full, signal): report it; the caller truncates.
        return InsufficientStorageError(
            absl::StrCat("append to ", path_, ": wrote ", n, " of ", data.size(), " bytes"));
      }
      return absl::OkStatus();
    }
  }

  absl::Status Truncate(std::uint64_t size) override {
    if (::ftruncate(fd_.get(), static_cast<off_t>(size)) != 0) return PosixError("truncate", path_, errno);
    return absl::OkStatus();
  }

  absl::Status Sync() override {
    if (::fsync(fd_.get()) != 0) return PosixError("fsync", path_, errno);
    return absl::OkStatus();
  }

 private:
  std::string path_;
  PosixFd fd_;
};

class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  ~PosixFileLock() override { ::flock(fd_.get(), LOCK_UN); }

 private:
  PosixFd fd_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<JournalFile>> OpenJournalFile(const std::string& path, bool writable) {
  // O_APPEND: every write lands at the current end, in one piece.
  int fd = OpenRetry(path, writable ? (O_RDWR | O_APPEND) : O_RDONLY);
  if (fd < 0) return PosixError("open", path, errno);
  return std::unique_ptr<JournalFile>(new PosixJournalFile(path, fd));
}

absl::Status WriteWholeFile(const std::string& path, absl::string_view data, bool sync) {
  PosixFd fd(OpenRetry(path, O_WRONLY | O_CREAT | O_TRUNC));
  if (fd.get() < 0) return PosixError("create", path, errno);
  if (absl::Status s = WriteFully(fd.get(), path, data); !s.ok()) return s;
  if (sync && ::fsync(fd.get()) != 0) return PosixError("fsync", path, errno);
  return absl::OkStatus();
}

absl::StatusOr<FileBytes> ReadWholeFile(const std::string& path) {
  PosixFd fd(OpenRetry(path, O_RDONLY));
  if (fd.get() < 0) return PosixError("open", path, errno);
  return ReadFd(fd.get(), path);
}

absl::StatusOr<bool> FileExists(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) return true;
  if (errno == ENOENT) return false;
  return PosixError("stat", path, errno);
}

absl::Status RenameFileOver(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return PosixError(absl::StrCat("rename ", from, " over"), to, errno);
  return absl::OkStatus();
}

absl::Status SyncDirectory(const std::string& dir) {
  PosixFd fd(OpenRetry(dir, O_RDONLY | O_DIRECTORY));
  if (fd.get() < 0) return PosixError("open directory", dir, errno);
  if (::fsync(fd.get()) != 0) return PosixError("fsync directory", dir, errno);
  return absl::OkStatus();
}

absl::Status CreateDirectories(const std::string& dir) {
  if (dir.empty()) return absl::OkStatus();
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return absl::OkStatus();
    return PosixError("create directory", dir, ENOTDIR);
  }
  const std::string parent = DirectoryOf(dir);
  if (parent != dir && parent != ".") {
    if (absl::Status s = CreateDirectories(parent); !s.ok()) return s;
  }
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return PosixError("create directory", dir, errno);
  return absl::OkStatus();
}

std::string DirectoryOf(const std::string& path) {
  size_t end = path.size();
  while (end > 1 && path[end - 1] == '/') --end;  // "a/b/" -> "a/b"
  const size_t slash = path.rfind('/', end - 1);
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

absl::StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& lock_path, bool shared) {
  int fd = OpenRetry(lock_path, O_RDWR | O_CREAT);
  if (fd < 0 && (errno == EACCES || errno == EROFS)) fd = OpenRetry(lock_path, O_RDONLY);
  if (fd < 0) return PosixError("open lock file", lock_path, errno);
  auto lock = std::make_unique<PosixFileLock>(fd);  // owns fd from here
  int rc;
  do {
    rc = ::flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const int error = errno;
    return PosixError(shared ? "shared lock" : "exclusive lock", lock_path, error);
  }
  return std::unique_ptr<FileLock>(std::move(lock));
}

std::string DefaultCatalogPath() {
  // systemd's StateDirectory= sets STATE_DIRECTORY (several, colon-separated).
  if (const char* state = std::getenv("STATE_DIRECTORY"); state != nullptr && *state != '\0') {
    std::string dir(state);
    dir = dir.substr(0, dir.find(':'));
    if (!dir.empty()) return dir + "/catalog.hwsnap";
  }
  return "/var/lib/hwsnap/catalog.hwsnap";
}

}  // namespace catalog_internal
}  // namespace hwsnap
