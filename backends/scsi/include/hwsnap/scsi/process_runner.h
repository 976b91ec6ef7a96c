// hwsnap/scsi/process_runner.h — runs a helper program without a shell.
//
// The tgt strategy drives tgt through its command-line tools (tgtadm) and owns
// a private tgtd. Both need the same careful plumbing: an argv vector (no
// shell, so names and paths are never re-parsed), captured output, a timeout
// that kills a hung child, and an exit status in Status terms. Linux only.
//
//   auto r = hwsnap::scsi::RunProcess({"tgtadm", "-C", "31", "--op", "show", "--mode", "system"},
//                                     {.timeout = absl::Seconds(5)});
//   if (!r.ok()) return r.status();          // could not start / timed out
//   if (!r->Succeeded()) ... r->stderr_text ...
//
//   auto child = hwsnap::scsi::ChildProcess::Spawn({"tgtd", "-f", ...}, "/tmp/x/tgtd.log");
//   child->WaitForExit(absl::Seconds(2));
#ifndef HWSNAP_SCSI_PROCESS_RUNNER_H_
#define HWSNAP_SCSI_PROCESS_RUNNER_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace hwsnap::scsi {

// How a finished child ended and what it printed.
struct ProcessResult {
  int exit_code = -1;    // valid when the child exited normally, else -1
  int term_signal = 0;   // the signal that killed it, else 0
  std::string stdout_text;
  std::string stderr_text;

  bool Succeeded() const { return term_signal == 0 && exit_code == 0; }
  // "exit 22" / "killed by signal 9", for messages.
  std::string Describe() const;
};

struct RunOptions {
  // After this the child is sent SIGKILL, reaped, and RunProcess returns
  // kDeadlineExceeded.
  absl::Duration timeout = absl::Seconds(30);
  // Each stream keeps at most this many bytes (the rest is read and dropped).
  size_t max_output_bytes = 4 << 20;
};

// The absolute path of program `name`: searched in $PATH, then in the
// sbin directories root's tools live in (tgtd and tgtadm are in /usr/sbin,
// which an unprivileged PATH may lack). A name containing '/' is returned as
// is when executable. Errors: kNotSupported (not installed).
absl::StatusOr<std::string> FindExecutable(const std::string& name);

// Runs argv[0] (looked up with FindExecutable) with argv, stdin from
// /dev/null, and waits for it. A non-zero exit is *not* an error here: the
// caller reads ProcessResult. Thread-safe (pipes are close-on-exec, so
// concurrent runs never inherit each other's pipes).
// Errors: kInvalidArgument (empty argv), kNotSupported (program not found),
// kDeadlineExceeded (timed out; the child was killed and reaped),
// kBackendFailure (pipe/spawn/wait failed).
absl::StatusOr<ProcessResult> RunProcess(const std::vector<std::string>& argv,
                                         const RunOptions& options = {});

// A long-running child (a daemon kept in the foreground) whose stdout and
// stderr go to a log file. Move-only; the destructor kills (SIGKILL) and reaps
// a child still running — owners should stop it politely first.
class ChildProcess {
 public:
  // Errors: kInvalidArgument (empty argv), kNotSupported (not found),
  // kBackendFailure (cannot open the log or spawn).
  static absl::StatusOr<ChildProcess> Spawn(const std::vector<std::string>& argv,
                                            const std::string& log_path);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  // True once the child has exited and been reaped (non-blocking check).
  bool HasExited();
  // Waits up to `timeout` for the child to exit; true when it has.
  bool WaitForExit(absl::Duration timeout);
  // How it ended, once HasExited().
  std::optional<ProcessResult> result() const { return result_; }
  // Sends `signal` if the child is still running. Errors: kBackendFailure.
  absl::Status Signal(int signal);

 private:
  ChildProcess() = default;
  void KillAndReap();

  pid_t pid_ = -1;
  std::optional<ProcessResult> result_;
};

}  // namespace hwsnap::scsi

#endif  // HWSNAP_SCSI_PROCESS_RUNNER_H_
