// process_runner.cc — posix_spawn-based child processes (see process_runner.h).
#include "hwsnap/scsi/process_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cerrno>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "hwsnap/status.h"
#include "posix_error.h"

extern char** environ;

namespace hwsnap::scsi {

namespace {

using internal::PosixError;

// Closes a file descriptor when it goes out of scope.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  void Reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

bool IsExecutableFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// argv as the char* array posix_spawn wants (pointing into `argv`).
std::vector<char*> CArgv(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  out.reserve(argv.size() + 1);
  for (const std::string& a : argv) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

void FillExitStatus(int wait_status, ProcessResult& result) {
  if (WIFEXITED(wait_status)) {
    result.exit_code = WEXITSTATUS(wait_status);
    result.term_signal = 0;
  } else if (WIFSIGNALED(wait_status)) {
    result.exit_code = -1;
    result.term_signal = WTERMSIG(wait_status);
  }
}

// Reaps `pid`, retrying on EINTR. Returns the wait status or -1.
int BlockingReap(pid_t pid) {
  int wait_status = 0;
  while (::waitpid(pid, &wait_status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return wait_status;
}

class SpawnAttributes {
 public:
  SpawnAttributes() { ok_ = ::posix_spawn_file_actions_init(&actions_) == 0; }
  ~SpawnAttributes() {
    if (ok_) ::posix_spawn_file_actions_destroy(&actions_);
  }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;
  bool ok() const { return ok_; }
  posix_spawn_file_actions_t* actions() { return &actions_; }
  // After the redirections: close every other inherited descriptor (other
  // threads may have opened sockets without O_CLOEXEC; a daemon must not
  // keep them open).
  void CloseTheRest() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    ::posix_spawn_file_actions_addclosefrom_np(&actions_, 3);
#endif
  }

 private:
  bool ok_ = false;
  posix_spawn_file_actions_t actions_{};
};

}  // namespace

std::string ProcessResult::Describe() const {
  if (term_signal != 0) return absl::StrCat("killed by signal ", term_signal);
  return absl::StrCat("exit ", exit_code);
}

absl::StatusOr<std::string> FindExecutable(const std::string& name) {
  if (name.empty()) return InvalidArgumentError("empty program name");
  if (name.find('/') != std::string::npos) {
    if (IsExecutableFile(name)) return name;
    return NotSupportedError(absl::StrCat(name, " is not an executable file"));
  }
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    dirs = absl::StrSplit(path, ':', absl::SkipEmpty());
  }
  for (const char* extra : {"/usr/local/sbin", "/usr/sbin", "/sbin"}) dirs.emplace_back(extra);
  for (const std::string& dir : dirs) {
    std::string candidate = absl::StrCat(dir, "/", name);
    if (IsExecutableFile(candidate)) return candidate;
  }
  return NotSupportedError(absl::StrCat(name, " is not installed (not found in PATH or sbin)"));
}

absl::StatusOr<ProcessResult> RunProcess(const std::vector<std::string>& argv,
                                         const RunOptions& options) {
  if (argv.empty()) return InvalidArgumentError("RunProcess: empty argv");
  absl::StatusOr<std::string> program = FindExecutable(argv[0]);
  if (!program.ok()) return program.status();

  std::array<int, 2> out_pipe{-1, -1};
  std::array<int, 2> err_pipe{-1, -1};
  if (::pipe2(out_pipe.data(), O_CLOEXEC) != 0) return PosixError("pipe2", errno);
  Fd out_read(out_pipe[0]);
  Fd out_write(out_pipe[1]);
  if (::pipe2(err_pipe.data(), O_CLOEXEC) != 0) return PosixError("pipe2", errno);
  Fd err_read(err_pipe[0]);
  Fd err_write(err_pipe[1]);

  SpawnAttributes spawn;
  if (!spawn.ok()) return BackendFailureError("posix_spawn_file_actions_init failed");
  ::posix_spawn_file_actions_addopen(spawn.actions(), 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(spawn.actions(), out_write.get(), 1);
  ::posix_spawn_file_actions_adddup2(spawn.actions(), err_write.get(), 2);
  spawn.CloseTheRest();

  std::vector<char*> c_argv = CArgv(argv);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, program->c_str(), spawn.actions(), nullptr, c_argv.data(), environ);
  if (rc != 0) return PosixError(absl::StrCat("spawn ", *program), rc);
  out_write.Reset();
  err_write.Reset();

  ProcessResult result;
  const absl::Time deadline = absl::Now() + options.timeout;
  std::array<pollfd, 2> fds{pollfd{out_read.get(), POLLIN, 0}, pollfd{err_read.get(), POLLIN, 0}};
  std::array<std::string*, 2> sinks{&result.stdout_text, &result.stderr_text};
  int open_streams = 2;
  bool timed_out = false;
  while (open_streams > 0) {
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      timed_out = true;
      break;
    }
    // Clamped: an infinite or weeks-long timeout must not overflow int.
    const int wait_ms = static_cast<int>(
        std::clamp<std::int64_t>(absl::ToInt64Milliseconds(left) + 1, 1, 60 * 60 * 1000));
    int n = ::poll(fds.data(), fds.size(), wait_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      int saved = errno;
      ::kill(pid, SIGKILL);
      BlockingReap(pid);
      return PosixError("poll", saved);
    }
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buffer[4096];
      ssize_t got = ::read(fds[i].fd, buffer, sizeof(buffer));
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (got <= 0) {
        fds[i].fd = -1;  // poll ignores negative descriptors
        --open_streams;
        continue;
      }
      size_t room = options.max_output_bytes > sinks[i]->size()
                        ? options.max_output_bytes - sinks[i]->size()
                        : 0;
      sinks[i]->append(buffer, std::min(room, static_cast<size_t>(got)));
    }
  }

  if (!timed_out) {
    // Streams closed; the child is exiting. Wait for it within the deadline.
    for (;;) {
      int wait_status = 0;
      pid_t done = ::waitpid(pid, &wait_status, WNOHANG);
      if (done == pid) {
        FillExitStatus(wait_status, result);
        return result;
      }
      if (done < 0 && errno != EINTR) return PosixError("waitpid", errno);
      if (absl::Now() >= deadline) {
        timed_out = true;
        break;
      }
      absl::SleepFor(absl::Milliseconds(1));
    }
  }
  ::kill(pid, SIGKILL);
  BlockingReap(pid);
  return DeadlineExceededError(absl::StrCat(argv[0], " did not finish within ",
                                            absl::FormatDuration(options.timeout),
                                            " and was killed"));
}

absl::StatusOr<ChildProcess> ChildProcess::Spawn(const std::vector<std::string>& argv,
                                                 const std::string& log_path) {
  if (argv.empty()) return InvalidArgumentError("ChildProcess::Spawn: empty argv");
  absl::StatusOr<std::string> program = FindExecutable(argv[0]);
  if (!program.ok()) return program.status();

  SpawnAttributes spawn;
  if (!spawn.ok()) return BackendFailureError("posix_spawn_file_actions_init failed");
  ::posix_spawn_file_actions_addopen(spawn.actions(), 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_addopen(spawn.actions(), 1, log_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ::posix_spawn_file_actions_adddup2(spawn.actions(), 1, 2);
  spawn.CloseTheRest();

  std::vector<char*> c_argv = CArgv(argv);
  ChildProcess child;
  int rc = ::posix_spawn(&child.pid_, program->c_str(), spawn.actions(), nullptr, c_argv.data(),
                         environ);
  if (rc != 0) {
    child.pid_ = -1;
    return PosixError(absl::StrCat("spawn ", *program), rc);
  }
  return child;
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(other.pid_), result_(std::move(other.result_)) {
  other.pid_ = -1;
}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    KillAndReap();
    pid_ = other.pid_;
    result_ = std::move(other.result_);
    other.pid_ = -1;
  }
  return *this;
}

ChildProcess::~ChildProcess() { KillAndReap(); }

void ChildProcess::KillAndReap() {
  if (pid_ <= 0 || result_.has_value()) return;
  ::kill(pid_, SIGKILL);
  int wait_status = BlockingReap(pid_);
  ProcessResult r;
  if (wait_status >= 0) FillExitStatus(wait_status, r);
  result_ = r;
}

bool ChildProcess::HasExited() {
  if (pid_ <= 0) return true;
  if (result_.has_value()) return true;
  int wait_status = 0;
  pid_t done = ::waitpid(pid_, &wait_status, WNOHANG);
  if (done == pid_) {
    ProcessResult r;
    FillExitStatus(wait_status, r);
    result_ = r;
    return true;
  }
  if (done < 0 && errno == ECHILD) {  // reaped elsewhere: treat as gone
    result_ = ProcessResult{};
    return true;
  }
  return false;
}

bool ChildProcess::WaitForExit(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::Duration pause = absl::Microseconds(200);
  while (!HasExited()) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(pause);
    pause = std::min(pause * 2, absl::Milliseconds(10));
  }
  return true;
}

absl::Status ChildProcess::Signal(int signal) {
  if (HasExited()) return absl::OkStatus();
  if (::kill(pid_, signal) != 0 && errno != ESRCH) {
    return internal::PosixError(absl::StrCat("kill ", pid_), errno);
  }
  return absl::OkStatus();
}

}  // namespace hwsnap::scsi
