// The file-directory backend (see file_backend/file_backend.h): an example of
// a complete hwsnap backend — identity, capacity, cancellable prepare,
// all-or-nothing commit with a deadline, tombstoned release — in one file.
// Native errors (errno) become hwsnap statuses in exactly one place, PosixError.
#include "file_backend/file_backend.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "hwsnap/status.h"

namespace file_backend {
namespace fs = std::filesystem;
namespace {

// 0xACDE48: the IEEE's example private OUI. Byte 7 says what the id names.
constexpr std::uint32_t kOui = 0xACDE48;
constexpr std::uint8_t kSourceKind = 0x11;
constexpr std::uint8_t kTargetKind = 0x12;
constexpr char kTargetPrefix[] = "file-tgt-";

// The one translation of native errors into hwsnap's taxonomy.
absl::Status PosixError(int error, absl::string_view context) {
  const std::string what = absl::StrCat(context, ": ", std::strerror(error));
  switch (error) {
    case ENOSPC:
    case EDQUOT:
      return hwsnap::InsufficientStorageError(what);
    case ENOENT:
      return hwsnap::ObjectNotFoundError(what);
    case ENOMEM:
      return hwsnap::OutOfMemoryError(what);
    default:
      return hwsnap::BackendFailureError(what);
  }
}

absl::Status FsError(const std::error_code& ec, absl::string_view context) {
  return ec.category() == std::generic_category() || ec.category() == std::system_category()
             ? PosixError(ec.value(), context)
             : hwsnap::BackendFailureError(absl::StrCat(context, ": ", ec.message()));
}

std::uint32_t Fnv1a(const std::string& text) {
  std::uint32_t hash = 2166136261u;
  for (unsigned char c : text) hash = (hash ^ c) * 16777619u;
  return hash;
}

// NAA-6: OUI, a 24-bit tag of the array, the kind byte, a 64-bit number.
hwsnap::Designator Naa6(std::uint32_t tag, std::uint8_t kind, std::uint64_t number) {
  hwsnap::Designator d;
  d.code_set = hwsnap::CodeSet::kBinary;
  d.association = hwsnap::Association::kLogicalUnit;
  d.type = hwsnap::DesignatorType::kNaa;
  d.bytes.assign(16, 0);
  d.bytes[0] = static_cast<std::uint8_t>(0x60 | ((kOui >> 20) & 0x0F));
  d.bytes[1] = static_cast<std::uint8_t>((kOui >> 12) & 0xFF);
  d.bytes[2] = static_cast<std::uint8_t>((kOui >> 4) & 0xFF);
  d.bytes[3] = static_cast<std::uint8_t>(((kOui & 0x0F) << 4) | ((tag >> 16) & 0x0F));
  d.bytes[4] = static_cast<std::uint8_t>((tag >> 8) & 0xFF);
  d.bytes[5] = static_cast<std::uint8_t>(tag & 0xFF);
  d.bytes[7] = kind;
  for (int i = 0; i < 8; ++i) {
    d.bytes[static_cast<size_t>(8 + i)] = static_cast<std::uint8_t>((number >> (56 - 8 * i)) & 0xFF);
  }
  return d;
}

// The number in "<prefix><number><suffix>", or 0.
std::uint64_t NumberIn(const std::string& name, const std::string& prefix, const std::string& suffix) {
  if (name.size() <= prefix.size() + suffix.size() || name.compare(0, prefix.size(), prefix) != 0 ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return 0;
  }
  std::uint64_t number = 0;
  const std::string digits = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  return absl::SimpleAtoi(digits, &number) ? number : 0;
}

// Copies `from` to a new file `to`: a reflink (shares blocks, instant) where
// the file system can, else a byte copy.
absl::Status CloneFile(const fs::path& from, const fs::path& to) {
  const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return PosixError(errno, absl::StrCat("open ", from.string()));
  const int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0) {
    const int error = errno;
    ::close(in);
    return PosixError(error, absl::StrCat("create ", to.string()));
  }
  absl::Status status;
  if (::ioctl(out, FICLONE, in) != 0) {
    // EOPNOTSUPP/EINVAL/EXDEV/ENOTTY: no reflinks here; copy the bytes.
    std::vector<char> buffer(1 << 16);
    for (;;) {
      const ssize_t n = ::read(in, buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        status = PosixError(errno, absl::StrCat("read ", from.string()));
        break;
      }
      if (n == 0) break;
      for (ssize_t done = 0; done < n;) {
        const ssize_t w = ::write(out, buffer.data() + done, static_cast<size_t>(n - done));
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) {
          status = PosixError(errno, absl::StrCat("write ", to.string()));
          break;
        }
        done += w;
      }
      if (!status.ok()) break;
    }
  }
  if (status.ok() && ::fsync(out) != 0) status = PosixError(errno, absl::StrCat("fsync ", to.string()));
  ::close(out);
  ::close(in);
  return status;
}

}  // namespace

FileBackend::FileBackend(FileBackendOptions options)
    : options_(std::move(options)), root_tag_(Fnv1a(options_.root) & 0xFFFFF) {
  std::error_code ec;
  fs::create_directories(fs::path(options_.root) / "sources", ec);
  fs::create_directories(fs::path(options_.root) / "targets", ec);
  // Continue numbering after what is on disk: ids are never reused.
  for (const char* dir : {"sources", "targets"}) {
    for (const auto& entry : fs::directory_iterator(fs::path(options_.root) / dir, ec)) {
      const std::string name = entry.path().filename().string();
      if (std::uint64_t n = NumberIn(name, "", ".img"); n >= next_source_) next_source_ = n + 1;
      if (std::uint64_t n = NumberIn(name, kTargetPrefix, ""); n >= next_target_) next_target_ = n + 1;
    }
  }
}

absl::StatusOr<hwsnap::LunIdentity> FileBackend::AddSourceLun(std::uint64_t size_bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::uint64_t number = next_source_++;
  const fs::path path = fs::path(options_.root) / "sources" / absl::StrCat(number, ".img");
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  for (std::uint64_t i = 0; i < size_bytes; ++i) out.put(static_cast<char>((i * 31 + number) & 0xFF));
  out.close();
  if (!out) return hwsnap::BackendFailureError(absl::StrCat("cannot write ", path.string()));
  return SourceIdentity(number);
}

hwsnap::BackendCapabilities FileBackend::Capabilities() const {
  hwsnap::BackendCapabilities caps;
  caps.cancel_bound = options_.cancel_bound;
  return caps;
}

hwsnap::LunIdentity FileBackend::SourceIdentity(std::uint64_t number) const {
  hwsnap::LunIdentity lun;
  lun.bus_type = hwsnap::BusType::kFileBackedVirtual;
  lun.vendor_id = "HWSNAP";
  lun.product_id = "FILE-LUN";
  lun.product_revision = "0001";
  lun.serial_number = absl::StrFormat("FILE-SRC-%06d", number);
  lun.designators = {Naa6(root_tag_, kSourceKind, number)};
  return lun;
}

hwsnap::LunIdentity FileBackend::TargetIdentity(std::uint64_t number) const {
  hwsnap::LunIdentity lun = SourceIdentity(0);
  lun.product_id = "FILE-SNAP";
  lun.serial_number = absl::StrFormat("FILE-SNAP-%06d", number);
  lun.designators = {Naa6(root_tag_, kTargetKind, number)};
  return lun;
}

std::uint64_t FileBackend::FindSource(const hwsnap::LunIdentity& lun) const {
  for (const hwsnap::Designator& d : lun.designators) {
    if (d.type != hwsnap::DesignatorType::kNaa || d.bytes.size() != 16 || d.bytes[7] != kSourceKind) continue;
    std::uint64_t number = 0;
    for (int i = 0; i < 8; ++i) number = (number << 8) | d.bytes[static_cast<size_t>(8 + i)];
    std::error_code ec;
    if (number != 0 && SourceIdentity(number).SameLunAs(lun) &&
        fs::exists(fs::path(options_.root) / "sources" / absl::StrCat(number, ".img"), ec)) {
      return number;
    }
  }
  return 0;
}

absl::StatusOr<FileBackend::TargetState> FileBackend::ReadState(const hwsnap::TargetId& target) const {
  if (NumberIn(target, kTargetPrefix, "") == 0) {
    return hwsnap::ObjectNotFoundError(absl::StrCat("file: '", target, "' is not a target id of this backend"));
  }
  std::ifstream in(fs::path(options_.root) / "targets" / target / "state");
  if (!in) return hwsnap::ObjectNotFoundError(absl::StrCat("file: no target '", target, "'"));
  std::string word;
  int exposed = 0;
  TargetState state;
  in >> word >> state.source >> exposed;
  if (!in) return hwsnap::BackendFailureError(absl::StrCat("file: target '", target, "' has a corrupt state file"));
  state.exposed = exposed != 0;
  if (word == "prepared") {
    state.state = State::kPrepared;
  } else if (word == "committed") {
    state.state = State::kCommitted;
  } else if (word == "released") {
    state.state = State::kReleased;
  } else {
    return hwsnap::BackendFailureError(absl::StrCat("file: target '", target, "' is in unknown state '", word, "'"));
  }
  return state;
}

absl::Status FileBackend::WriteState(const hwsnap::TargetId& target, const TargetState& state) const {
  const fs::path dir = fs::path(options_.root) / "targets" / target;
  const char* word = state.state == State::kPrepared ? "prepared"
                     : state.state == State::kCommitted ? "committed"
                                                         : "released";
  {
    std::ofstream out(dir / "state.tmp", std::ios::trunc);
    out << word << "\n" << state.source << "\n" << (state.exposed ? 1 : 0) << "\n";
    out.close();
    if (!out) return hwsnap::BackendFailureError(absl::StrCat("file: cannot write the state of '", target, "'"));
  }
  std::error_code ec;
  fs::rename(dir / "state.tmp", dir / "state", ec);  // atomic replace
  return ec ? FsError(ec, absl::StrCat("file: state of '", target, "'")) : absl::OkStatus();
}

int FileBackend::CountLiveTargets() const {
  int live = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(fs::path(options_.root) / "targets", ec)) {
    absl::StatusOr<TargetState> state = ReadState(entry.path().filename().string());
    if (!state.ok() || state->state != State::kReleased) ++live;
  }
  return live;
}

absl::StatusOr<hwsnap::LunSupport> FileBackend::IdentifyLun(const hwsnap::LunIdentity& lun) {
  if (absl::Status valid = hwsnap::ValidateLunIdentity(lun); !valid.ok()) return valid;
  hwsnap::LunSupport support;
  std::lock_guard<std::mutex> lock(mu_);
  if (const std::uint64_t number = FindSource(lun); number != 0) {
    support.supported = true;
    support.identity = SourceIdentity(number);
  } else {
    support.reason = absl::StrCat("not a LUN of the file array at ", options_.root);
    support.identity = lun;
  }
  return support;
}

absl::StatusOr<hwsnap::TargetId> FileBackend::PrepareTarget(const hwsnap::LunIdentity& source,
                                                            const hwsnap::CancelToken& cancel) {
  std::uint64_t source_number = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    source_number = FindSource(source);
  }
  if (source_number == 0) {
    return hwsnap::NotSupportedError(absl::StrCat("file: ", source.ToString(), " is not a LUN of this array"));
  }
  // Provisioning time, cancellable; nothing exists yet, so nothing to undo.
  if (absl::Status s = cancel.SleepFor(options_.prepare_latency); !s.ok()) return s;

  std::lock_guard<std::mutex> lock(mu_);
  // Checked together with the creation: concurrent prepares cannot overshoot.
  if (absl::Status s = cancel.status(); !s.ok()) return s;
  if (options_.target_capacity > 0 && CountLiveTargets() >= options_.target_capacity) {
    return hwsnap::InsufficientStorageError(absl::StrCat("file array ", options_.root, " is full: ",
                                                         options_.target_capacity, " snapshot targets in use"));
  }
  const hwsnap::TargetId id = absl::StrCat(kTargetPrefix, next_target_++);
  std::error_code ec;
  fs::create_directory(fs::path(options_.root) / "targets" / id, ec);
  if (ec) return FsError(ec, absl::StrCat("file: create target ", id));
  if (absl::Status s = WriteState(id, TargetState{State::kPrepared, source_number, false}); !s.ok()) {
    fs::remove_all(fs::path(options_.root) / "targets" / id, ec);
    return s;
  }
  return id;
}

absl::Status FileBackend::CommitTargets(absl::Span<const hwsnap::TargetId> targets, absl::Time deadline) {
  std::lock_guard<std::mutex> lock(mu_);
  if (absl::Now() > deadline) return hwsnap::DeadlineExceededError("file: the commit window had already closed");
  // Validate every target before touching any: all-or-nothing.
  std::vector<TargetState> states;
  for (size_t i = 0; i < targets.size(); ++i) {
    absl::StatusOr<TargetState> state = ReadState(targets[i]);
    if (!state.ok()) return state.status();
    if (state->state == State::kReleased) {
      return hwsnap::ObjectNotFoundError(absl::StrCat("file: target '", targets[i], "' was released"));
    }
    if (state->state != State::kPrepared) {
      return hwsnap::BadStateError(absl::StrCat("file: target '", targets[i], "' is already committed"));
    }
    for (size_t j = 0; j < i; ++j) {
      if (targets[j] == targets[i]) {
        return hwsnap::BadStateError(absl::StrCat("file: target '", targets[i], "' is listed twice"));
      }
    }
    states.push_back(*state);
  }
  // Copy every source to a temporary file; any failure or a missed deadline
  // removes them all, leaving every target prepared.
  const fs::path root(options_.root);
  auto discard = [&](size_t made) {
    std::error_code ec;
    for (size_t i = 0; i < made; ++i) fs::remove(root / "targets" / targets[i] / "data.img.tmp", ec);
  };
  for (size_t i = 0; i < targets.size(); ++i) {
    absl::Status copied = CloneFile(root / "sources" / absl::StrCat(states[i].source, ".img"),
                                    root / "targets" / targets[i] / "data.img.tmp");
    if (!copied.ok() || absl::Now() > deadline) {
      discard(i + 1);
      return copied.ok() ? hwsnap::DeadlineExceededError("file: the copies did not finish inside the commit window")
                         : copied;
    }
  }
  for (size_t i = 0; i < targets.size(); ++i) {
    std::error_code ec;
    fs::rename(root / "targets" / targets[i] / "data.img.tmp", root / "targets" / targets[i] / "data.img", ec);
    states[i].state = State::kCommitted;
    absl::Status written = ec ? FsError(ec, "file: commit") : WriteState(targets[i], states[i]);
    // Past this point a failure is a torn commit; a real array would roll
    // back with its own journal. Report it; the core releases the group.
    if (!written.ok()) return written;
  }
  return absl::OkStatus();
}

absl::StatusOr<hwsnap::LunIdentity> FileBackend::DescribeTarget(const hwsnap::TargetId& target) {
  std::lock_guard<std::mutex> lock(mu_);
  absl::StatusOr<TargetState> state = ReadState(target);
  if (!state.ok()) return state.status();
  if (state->state == State::kReleased) {
    return hwsnap::ObjectNotFoundError(absl::StrCat("file: target '", target, "' was released"));
  }
  if (state->state != State::kCommitted) {
    return hwsnap::BadStateError(absl::StrCat("file: target '", target, "' is not committed yet"));
  }
  return TargetIdentity(NumberIn(target, kTargetPrefix, ""));
}

absl::Status FileBackend::ExposeTarget(const hwsnap::TargetId& target) {
  std::lock_guard<std::mutex> lock(mu_);
  absl::StatusOr<TargetState> state = ReadState(target);
  if (!state.ok()) return state.status();
  if (state->state == State::kReleased) {
    return hwsnap::ObjectNotFoundError(absl::StrCat("file: target '", target, "' was released"));
  }
  if (state->state != State::kCommitted) {
    return hwsnap::BadStateError(absl::StrCat("file: target '", target, "' is not committed, cannot expose it"));
  }
  if (state->exposed) return absl::OkStatus();
  state->exposed = true;
  return WriteState(target, *state);
}

absl::Status FileBackend::ReleaseTarget(const hwsnap::TargetId& target) {
  std::lock_guard<std::mutex> lock(mu_);
  absl::StatusOr<TargetState> state = ReadState(target);
  if (!state.ok()) return state.status();
  if (state->state == State::kReleased) return absl::OkStatus();  // idempotent
  std::error_code ec;
  fs::remove(fs::path(options_.root) / "targets" / target / "data.img", ec);
  fs::remove(fs::path(options_.root) / "targets" / target / "data.img.tmp", ec);
  state->state = State::kReleased;
  state->exposed = false;
  return WriteState(target, *state);
}

}  // namespace file_backend
