// hwsnap/scsi/tgt_daemon.h — a private tgtd on 127.0.0.1, started and stopped from C++.
//
// Tests, benchmarks and `hwsnapctl simulate --backend scsi` need a real SCSI
// target without touching the machine's own iSCSI setup: a tgtd of their own
// in the foreground with its own control id (`-C N`) and port, serving only
// 127.0.0.1, with file-backed LUNs in a temporary work dir — and nothing left
// behind afterwards (no process, no target, no file, no control socket).
// Several daemons run side by side (tests run in parallel): Start picks a
// control id whose lock is free and a port that binds on 127.0.0.1, and
// retries with new ones if tgtd loses a race for either.
//
//   auto daemon = hwsnap::scsi::TgtDaemon::Start();
//   if (!daemon.ok()) return daemon.status();
//   auto tid = (*daemon)->AddTarget("iqn.2026-12.invalid.hwsnap:src");
//   auto lun = (*daemon)->AddFileBackedLun(*tid, 1, 64 << 20);
//   OpenScsiTransport(lun->address);   // "iscsi://127.0.0.1:PORT/iqn.../1"
//   (*daemon)->Stop();                 // also done by the destructor
//
// Needs root (tgtd) and tgt installed; Start reports kNotSupported otherwise.
#ifndef HWSNAP_SCSI_TGT_DAEMON_H_
#define HWSNAP_SCSI_TGT_DAEMON_H_

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "hwsnap/scsi/process_runner.h"
#include "hwsnap/scsi/tgt_admin.h"

namespace hwsnap::scsi {

struct TgtDaemonOptions {
  int control_id = 0;  // 0: pick a free one (its lock file is not held)
  int port = 0;        // 0: pick one that binds on 127.0.0.1
  // Where the work dir ("hwsnap-tgtd-XXXXXX") is created; empty: the system
  // temp dir (TMPDIR, else /tmp).
  std::filesystem::path work_dir_parent;
  absl::Duration start_timeout = absl::Seconds(10);  // until tgtadm answers
  absl::Duration stop_timeout = absl::Seconds(10);   // until tgtd exits (then SIGKILL)
  absl::Duration command_timeout = absl::Seconds(10);  // each tgtadm call
};

// A file-backed LUN added by AddFileBackedLun.
struct TgtDaemonLun {
  int tid = 0;
  int lun = 0;
  std::filesystem::path backing_file;
  std::string address;  // iscsi://127.0.0.1:PORT/IQN/LUN
  std::string scsi_sn;
  std::string scsi_id;
};

// True when tgtd and tgtadm are installed and we run as root; otherwise
// `why` (if given) says what is missing, for GTEST_SKIP messages.
bool TgtAvailable(std::string* why = nullptr);

class TgtDaemon {
 public:
  // Starts tgtd and waits until `tgtadm --op show --mode system` answers and
  // the only portal is 127.0.0.1:port. Errors: kNotSupported (tgt not
  // installed), kDeadlineExceeded (not ready within start_timeout),
  // kBackendFailure (tgtd exited; its log is quoted).
  static absl::StatusOr<std::unique_ptr<TgtDaemon>> Start(const TgtDaemonOptions& options = {});

  TgtDaemon(const TgtDaemon&) = delete;
  TgtDaemon& operator=(const TgtDaemon&) = delete;
  // Stop(), logging a failure.
  ~TgtDaemon();

  // Deletes every target (--force), asks tgtd to exit, waits (SIGKILL after
  // stop_timeout, logged), removes tgtd's control socket files and the work
  // dir. Idempotent. Returns the first failure but always finishes cleanup.
  absl::Status Stop();

  int control_id() const { return control_id_; }
  int port() const { return port_; }
  std::string portal() const;  // "127.0.0.1:PORT"
  pid_t pid() const { return pid_; }
  const std::filesystem::path& work_dir() const { return work_dir_; }
  TgtAdmin& admin() { return admin_; }
  bool stopped() const;

  // iscsi://127.0.0.1:PORT/<iqn>/<lun>
  std::string LunAddress(absl::string_view iqn, int lun) const;

  // Creates a target (the next free tid) that admits initiators from
  // 127.0.0.1. Errors: kBadState (the IQN exists), kBackendFailure.
  absl::StatusOr<int> AddTarget(absl::string_view iqn);

  // Creates a sparse file of `size_bytes` in the work dir and adds it as LUN
  // `lun` (>= 1) of `tid` with bstype rdwr and a serial and SCSI id unique to
  // this LUN (so its NAA designators differ from every other LUN's).
  // Errors: kObjectNotFound (unknown tid), kInvalidArgument, kBackendFailure.
  absl::StatusOr<TgtDaemonLun> AddFileBackedLun(int tid, int lun, std::uint64_t size_bytes);

 private:
  TgtDaemon(TgtDaemonOptions options, int control_id, int port, std::filesystem::path work_dir,
            ChildProcess child);

  TgtDaemonOptions options_;
  int control_id_;
  int port_;
  pid_t pid_;
  std::filesystem::path work_dir_;
  TgtAdmin admin_;

  mutable std::mutex mutex_;
  std::optional<ChildProcess> child_;  // reset once stopped
  std::map<int, std::string> target_names_;  // tid -> IQN, for LunAddress
  int next_tid_ = 1;
};

}  // namespace hwsnap::scsi

#endif  // HWSNAP_SCSI_TGT_DAEMON_H_
