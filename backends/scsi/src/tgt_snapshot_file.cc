// tgt_snapshot_file.cc — preallocation and point-in-time copy (see tgt_snapshot_file.h).
#include "tgt_snapshot_file.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "absl/strings/str_cat.h"
#include "hwsnap/status.h"
#include "posix_error.h"

namespace hwsnap::scsi::internal {

namespace {

class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

bool CopyRangeUnsupported(int error_number) {
  return error_number == EXDEV || error_number == ENOSYS || error_number == EOPNOTSUPP ||
         error_number == EINVAL;
}

// pread/pwrite fallback for one chunk; returns bytes copied or -1 (errno set).
ssize_t CopyChunkByHand(int in, int out, off_t offset, size_t length, std::vector<char>& buffer) {
  buffer.resize(std::min<size_t>(length, 1 << 20));
  ssize_t got = ::pread(in, buffer.data(), std::min(length, buffer.size()), offset);
  if (got <= 0) return got;
  ssize_t done = 0;
  while (done < got) {
    ssize_t put = ::pwrite(out, buffer.data() + done, static_cast<size_t>(got - done), offset + done);
    if (put < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    done += put;
  }
  return got;
}

}  // namespace

absl::Status PreallocateSnapshotFile(const std::filesystem::path& path, std::uint64_t size_bytes,
                                     std::uint64_t chunk_bytes, const CancelToken& cancel,
                                     const std::function<void()>& on_chunk) {
  if (chunk_bytes == 0) chunk_bytes = 16 << 20;
  int raw = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (raw < 0) return PosixError(absl::StrCat("create ", path.string()), errno);
  absl::Status status;
  {
    ScopedFd fd(raw);
    bool sparse_only = false;
    for (std::uint64_t offset = 0; offset < size_bytes && status.ok();) {
      if (cancel.IsCancelled()) {
        status = cancel.status();
        break;
      }
      std::uint64_t length = std::min(chunk_bytes, size_bytes - offset);
      if (!sparse_only && ::fallocate(fd.get(), 0, static_cast<off_t>(offset), static_cast<off_t>(length)) != 0) {
        if (errno == EOPNOTSUPP) {
          sparse_only = true;  // e.g. a filesystem without fallocate: reserve nothing, size only
        } else {
          status = PosixError(absl::StrCat("preallocate ", path.string()), errno);
          break;
        }
      }
      offset += length;
      if (on_chunk) on_chunk();
    }
    if (status.ok() && ::ftruncate(fd.get(), static_cast<off_t>(size_bytes)) != 0) {
      status = PosixError(absl::StrCat("size ", path.string()), errno);
    }
    if (status.ok() && cancel.IsCancelled()) status = cancel.status();
  }
  if (!status.ok()) ::unlink(path.c_str());
  return status;
}

absl::Status CopyPointInTime(const std::filesystem::path& source, const std::filesystem::path& target,
                             std::uint64_t chunk_bytes, absl::Time deadline, bool* reflinked) {
  if (reflinked != nullptr) *reflinked = false;
  if (chunk_bytes == 0) chunk_bytes = 16 << 20;
  ScopedFd in(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) return PosixError(absl::StrCat("open source ", source.string()), errno);
  ScopedFd out(::open(target.c_str(), O_WRONLY | O_CLOEXEC));
  if (out.get() < 0) return PosixError(absl::StrCat("open snapshot ", target.string()), errno);

  if (::ioctl(out.get(), FICLONE, in.get()) == 0) {
    if (reflinked != nullptr) *reflinked = true;
    return absl::OkStatus();
  }
  struct stat st {};
  if (::fstat(in.get(), &st) != 0) return PosixError(absl::StrCat("stat ", source.string()), errno);
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (::ftruncate(out.get(), st.st_size) != 0) {
    return PosixError(absl::StrCat("size ", target.string()), errno);
  }
  bool by_hand = false;
  std::vector<char> buffer;
  for (std::uint64_t offset = 0; offset < size;) {
    if (absl::Now() >= deadline) {
      return DeadlineExceededError(absl::StrCat("copy of ", source.string(), " stopped at ", offset,
                                                " of ", size, " bytes: the commit deadline passed"));
    }
    const size_t length = static_cast<size_t>(std::min(chunk_bytes, size - offset));
    ssize_t copied;
    if (!by_hand) {
      loff_t in_offset = static_cast<loff_t>(offset);
      loff_t out_offset = static_cast<loff_t>(offset);
      copied = ::copy_file_range(in.get(), &in_offset, out.get(), &out_offset, length, 0);
      if (copied < 0 && CopyRangeUnsupported(errno)) {
        by_hand = true;
        continue;
      }
    } else {
      copied = CopyChunkByHand(in.get(), out.get(), static_cast<off_t>(offset), length, buffer);
    }
    if (copied < 0) {
      if (errno == EINTR) continue;
      return PosixError(absl::StrCat("copy ", source.string(), " to ", target.string()), errno);
    }
    if (copied == 0) break;  // the source shrank under us: the rest stays zero
    offset += static_cast<std::uint64_t>(copied);
  }
  return absl::OkStatus();
}

}  // namespace hwsnap::scsi::internal
