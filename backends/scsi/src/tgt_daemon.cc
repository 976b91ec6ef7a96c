// tgt_daemon.cc — starting, probing and stopping a private tgtd (see tgt_daemon.h).
#include "hwsnap/scsi/tgt_daemon.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <random>
#include <sstream>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "hwsnap/logging.h"
#include "hwsnap/status.h"
#include "posix_error.h"

namespace hwsnap::scsi {

namespace {

using internal::PosixError;

// Where tgtd keeps its control socket and lock ("socket.N", "socket.N.lock");
// fixed in tgtd.
constexpr char kTgtdRunDir[] = "/var/run/tgtd";
constexpr int kStartAttempts = 8;

std::shared_ptr<spdlog::logger> Log() { return GetLogger("scsi.tgt"); }

std::uint32_t RandomU32() {
  static thread_local std::mt19937 engine{std::random_device{}()};
  return static_cast<std::uint32_t>(engine());
}

std::string LockPath(int control_id) { return absl::StrCat(kTgtdRunDir, "/socket.", control_id, ".lock"); }
std::string SocketPath(int control_id) { return absl::StrCat(kTgtdRunDir, "/socket.", control_id); }

// True when no process holds tgtd's lock for `control_id` (tgtd takes it with lockf).
bool ControlIdIsFree(int control_id) {
  int fd = ::open(LockPath(control_id).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT;
  struct flock probe {};
  probe.l_type = F_WRLCK;
  probe.l_whence = SEEK_SET;
  bool free = ::fcntl(fd, F_GETLK, &probe) == 0 && probe.l_type == F_UNLCK;
  ::close(fd);
  // A stale lock file of a dead daemon is also left with its socket; skip ids
  // with any leftover so we never delete files another daemon is about to use.
  return free && ::access(SocketPath(control_id).c_str(), F_OK) != 0;
}

absl::StatusOr<int> PickControlId() {
  for (int i = 0; i < 200; ++i) {
    int candidate = 1000 + static_cast<int>(RandomU32() % 30000);
    if (ControlIdIsFree(candidate)) return candidate;
  }
  return BackendFailureError("no free tgtd control id found");
}

// A port the kernel let us bind on 127.0.0.1 a moment ago.
absl::StatusOr<int> PickPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return PosixError("socket", errno);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    int saved = errno;
    ::close(fd);
    return PosixError("bind 127.0.0.1:0", saved);
  }
  ::close(fd);
  return static_cast<int>(ntohs(address.sin_port));
}

// True when `port` can be bound on 127.0.0.1 now (for a port given by the caller).
bool PortBinds(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return ok;
}

std::string ReadTail(const std::filesystem::path& path, size_t max_bytes = 2000) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  if (text.size() > max_bytes) text = text.substr(text.size() - max_bytes);
  return text;
}

absl::StatusOr<std::filesystem::path> MakeWorkDir(const std::filesystem::path& parent_option) {
  std::error_code ec;
  std::filesystem::path parent = parent_option.empty() ? std::filesystem::temp_directory_path(ec)
                                                       : parent_option;
  if (ec) return BackendFailureError(absl::StrCat("no temp directory: ", ec.message()));
  std::string pattern = (parent / "hwsnap-tgtd-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) return PosixError(absl::StrCat("mkdtemp ", pattern), errno);
  return std::filesystem::path(pattern);
}

void RemoveWorkDir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (ec) Log()->warn("cannot remove tgtd work dir {}: {}", dir.string(), ec.message());
}

// Stops a daemon that never became ours to use (wrong portal): polite, then SIGKILL.
void AbandonDaemon(TgtAdmin& admin, ChildProcess& child) {
  (void)admin.ShutdownDaemon();
  if (!child.WaitForExit(absl::Seconds(2))) {
    (void)child.Signal(SIGKILL);
    child.WaitForExit(absl::Seconds(2));
  }
}

enum class Outcome { kReady, kRetry };

}  // namespace

bool TgtAvailable(std::string* why) {
  std::string reason;
  if (::geteuid() != 0) reason = "tgtd needs root (run the tgt tests as root, as CI does)";
  else if (!FindExecutable("tgtd").ok()) reason = "tgtd is not installed (Debian package `tgt`)";
  else if (!FindExecutable("tgtadm").ok()) reason = "tgtadm is not installed (Debian package `tgt`)";
  if (why != nullptr) *why = reason;
  return reason.empty();
}

absl::StatusOr<std::unique_ptr<TgtDaemon>> TgtDaemon::Start(const TgtDaemonOptions& options) {
  for (const char* tool : {"tgtd", "tgtadm"}) {
    if (auto found = FindExecutable(tool); !found.ok()) return found.status();
  }
  absl::StatusOr<std::filesystem::path> work_dir = MakeWorkDir(options.work_dir_parent);
  if (!work_dir.ok()) return work_dir.status();
  const std::filesystem::path log_path = *work_dir / "tgtd.log";

  absl::Status last = BackendFailureError("tgtd did not start");
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    absl::StatusOr<int> control_id =
        options.control_id > 0 ? absl::StatusOr<int>(options.control_id) : PickControlId();
    absl::StatusOr<int> port = options.port > 0 ? absl::StatusOr<int>(options.port) : PickPort();
    if (!control_id.ok() || !port.ok()) {
      RemoveWorkDir(*work_dir);
      return !control_id.ok() ? control_id.status() : port.status();
    }
    if (options.control_id > 0 && !ControlIdIsFree(*control_id)) {
      RemoveWorkDir(*work_dir);
      return BadStateError(absl::StrCat("tgtd control id ", *control_id, " is in use"));
    }
    if (options.port > 0 && !PortBinds(*port)) {
      RemoveWorkDir(*work_dir);
      return BadStateError(absl::StrCat("port 127.0.0.1:", *port, " is in use"));
    }

    const std::vector<std::string> argv = {"tgtd", "-f", "-C", std::to_string(*control_id),
                                           "--iscsi", absl::StrCat("portal=127.0.0.1:", *port)};
    absl::StatusOr<ChildProcess> child = ChildProcess::Spawn(argv, log_path.string());
    if (!child.ok()) {
      RemoveWorkDir(*work_dir);
      return child.status();
    }
    TgtAdmin admin(*control_id, options.command_timeout);

    // Poll until tgtadm answers (typically 10-30 ms) or tgtd exits.
    const absl::Time deadline = absl::Now() + options.start_timeout;
    bool ready = false;
    absl::Duration pause = absl::Milliseconds(2);
    while (absl::Now() < deadline) {
      if (child->HasExited()) break;
      if (admin.ShowSystem().ok()) {
        ready = true;
        break;
      }
      absl::SleepFor(pause);
      pause = std::min(pause * 2, absl::Milliseconds(50));
    }
    if (!ready) {
      if (child->HasExited()) {
        // Lost a race for the control id (tgtd: "another tgtd is using ...") or failed.
        last = BackendFailureError(absl::StrCat("tgtd -C ", *control_id, " exited (",
                                                child->result()->Describe(), "): ", ReadTail(log_path)));
        Log()->info("tgtd attempt {} failed: {}", attempt + 1, last.message());
        if (options.control_id > 0) break;
        continue;
      }
      AbandonDaemon(admin, *child);
      RemoveWorkDir(*work_dir);
      return DeadlineExceededError(absl::StrCat("tgtd -C ", *control_id, " not ready within ",
                                                absl::FormatDuration(options.start_timeout)));
    }

    // tgtd falls back to 0.0.0.0:3260 when it cannot bind the portal: only
    // accept a daemon that listens exactly where we asked.
    const std::string wanted = absl::StrCat("127.0.0.1:", *port, ",1");
    absl::StatusOr<std::vector<std::string>> portals = admin.ShowPortals();
    if (portals.ok() && portals->size() == 1 && (*portals)[0] == wanted) {
      std::unique_ptr<TgtDaemon> daemon(
          new TgtDaemon(options, *control_id, *port, *work_dir, std::move(*child)));
      Log()->info("tgtd pid {} ready: -C {} portal 127.0.0.1:{} (attempt {})", daemon->pid(),
                  *control_id, *port, attempt + 1);
      return daemon;
    }
    last = BackendFailureError(absl::StrCat("tgtd -C ", *control_id, " did not get portal 127.0.0.1:",
                                            *port, ": ", ReadTail(log_path)));
    Log()->info("tgtd attempt {} failed: {}", attempt + 1, last.message());
    AbandonDaemon(admin, *child);
    if (child->HasExited()) {
      std::error_code ec;
      std::filesystem::remove(SocketPath(*control_id), ec);
      std::filesystem::remove(LockPath(*control_id), ec);
    }
    if (options.port > 0) break;
  }
  RemoveWorkDir(*work_dir);
  return last;
}

TgtDaemon::TgtDaemon(TgtDaemonOptions options, int control_id, int port,
                     std::filesystem::path work_dir, ChildProcess child)
    : options_(std::move(options)),
      control_id_(control_id),
      port_(port),
      pid_(child.pid()),
      work_dir_(std::move(work_dir)),
      admin_(control_id, options_.command_timeout),
      child_(std::move(child)) {}

TgtDaemon::~TgtDaemon() {
  absl::Status s = Stop();
  if (!s.ok()) Log()->error("stopping tgtd -C {}: {}", control_id_, s.ToString());
}

bool TgtDaemon::stopped() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return !child_.has_value();
}

std::string TgtDaemon::portal() const { return absl::StrCat("127.0.0.1:", port_); }

std::string TgtDaemon::LunAddress(absl::string_view iqn, int lun) const {
  return absl::StrCat("iscsi://", portal(), "/", iqn, "/", lun);
}

absl::Status TgtDaemon::Stop() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!child_.has_value()) return absl::OkStatus();
  absl::Status first;
  auto note = [&first](absl::Status s) {
    if (!s.ok() && first.ok()) first = s;
  };

  // tgtd ignores SIGTERM and refuses `delete system` while targets exist.
  if (!child_->HasExited()) {
    absl::StatusOr<std::vector<TgtTarget>> targets = admin_.ShowTargets();
    note(targets.status());
    if (targets.ok()) {
      for (const TgtTarget& t : *targets) {
        absl::Status s = admin_.DeleteTarget(t.tid, /*force=*/true);
        if (GetErrorCode(s) != ErrorCode::kObjectNotFound) note(s);
      }
    }
    absl::Status shutdown = admin_.ShutdownDaemon();
    if (!shutdown.ok()) Log()->warn("tgtd -C {}: delete system: {}", control_id_, shutdown.ToString());
  }
  if (!child_->WaitForExit(options_.stop_timeout)) {
    Log()->warn("tgtd pid {} (-C {}) did not exit within {}; sending SIGKILL", pid_, control_id_,
                absl::FormatDuration(options_.stop_timeout));
    note(child_->Signal(SIGKILL));
    if (!child_->WaitForExit(absl::Seconds(5))) {
      note(BackendFailureError(absl::StrCat("tgtd pid ", pid_, " survived SIGKILL")));
    }
  }
  if (child_->HasExited()) {
    // tgtd leaves its control socket and lock file behind; they are ours.
    std::error_code ec;
    std::filesystem::remove(SocketPath(control_id_), ec);
    std::filesystem::remove(LockPath(control_id_), ec);
  }
  RemoveWorkDir(work_dir_);
  child_.reset();
  target_names_.clear();
  return first;
}

absl::StatusOr<int> TgtDaemon::AddTarget(absl::string_view iqn) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!child_.has_value()) return BadStateError("tgtd is stopped");
  }
  // Others (a TgtArrayControl on this daemon) also create targets: on a tid
  // collision move on to the next one.
  for (int tries = 0; tries < 64; ++tries) {
    int tid;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      tid = next_tid_++;
    }
    absl::Status s = admin_.NewTarget(tid, iqn);
    if (GetErrorCode(s) == ErrorCode::kBadState) {
      // Either the tid or the name exists; only the name is the caller's fault.
      absl::StatusOr<std::vector<TgtTarget>> targets = admin_.ShowTargets();
      if (targets.ok() && FindTargetByName(*targets, iqn) != nullptr) return s;
      continue;
    }
    if (!s.ok()) return s;
    if (absl::Status bind = admin_.BindInitiatorAddress(tid, "127.0.0.1"); !bind.ok()) {
      (void)admin_.DeleteTarget(tid, /*force=*/true);
      return bind;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    target_names_[tid] = std::string(iqn);
    return tid;
  }
  return BackendFailureError(absl::StrCat("no free tid for ", iqn));
}

absl::StatusOr<TgtDaemonLun> TgtDaemon::AddFileBackedLun(int tid, int lun, std::uint64_t size_bytes) {
  if (lun <= 0 || size_bytes == 0) return InvalidArgumentError("AddFileBackedLun: LUN and size must be > 0");
  TgtDaemonLun out;
  std::string iqn;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = target_names_.find(tid);
    if (it == target_names_.end()) return ObjectNotFoundError(absl::StrCat("no target with tid ", tid));
    iqn = it->second;
  }
  out.tid = tid;
  out.lun = lun;
  out.backing_file = work_dir_ / absl::StrCat("lun-t", tid, "-l", lun, ".img");
  out.address = LunAddress(iqn, lun);
  const std::uint32_t salt = RandomU32();
  out.scsi_sn = absl::StrFormat("HWSD%08xC%dT%dL%d", salt, control_id_, tid, lun);
  out.scsi_id = absl::StrFormat("hwsd-%08x-%d-%d-%d", salt, control_id_, tid, lun);

  int fd = ::open(out.backing_file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return PosixError(absl::StrCat("create ", out.backing_file.string()), errno);
  int rc = ::ftruncate(fd, static_cast<off_t>(size_bytes));
  int saved = errno;
  ::close(fd);
  std::error_code ec;
  if (rc != 0) {
    std::filesystem::remove(out.backing_file, ec);
    return PosixError(absl::StrCat("size ", out.backing_file.string()), saved);
  }
  absl::Status s = admin_.NewLun(tid, lun, out.backing_file.string());
  if (s.ok()) {
    s = admin_.UpdateLunParams(tid, lun, TgtLunParams{out.scsi_sn, out.scsi_id, {}, {}, {}});
    if (!s.ok()) (void)admin_.DeleteLun(tid, lun);
  }
  if (!s.ok()) {
    std::filesystem::remove(out.backing_file, ec);
    return s;
  }
  return out;
}

}  // namespace hwsnap::scsi
