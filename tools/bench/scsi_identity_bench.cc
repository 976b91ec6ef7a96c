// hwsnap_scsi_bench — how long hwsnap takes to learn the identity of 64 LUNs
// over loopback iSCSI, next to libiscsi's own tools (issue 6: the ratio
// hwsnap / iscsi-inq loop should be at most 1.2).
//
// Starts a private tgtd on 127.0.0.1 with --luns file-backed LUNs, then per
// round and side by side:
//   hwsnap      OpenScsiTransport + ReadLunInfo per LUN (what the backend does)
//   iscsi-inq   libiscsi's iscsi-inq run per LUN for standard INQUIRY, VPD
//               0x80 and VPD 0x83 (three processes, three logins per LUN)
//   raw         an in-process libiscsi loop (sync API, one login per LUN)
//               sending exactly the commands hwsnap sent: the floor
// and prints the median round of each and the ratios. Exits non-zero only
// when something fails, never because of a ratio. Needs root and tgt.
//
//   hwsnap_scsi_bench [--luns=64] [--rounds=5]
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "hwsnap/scsi/lun_reader.h"
#include "hwsnap/scsi/scsi_address.h"
#include "hwsnap/scsi/scsi_transport.h"
#include "hwsnap/scsi/tgt_daemon.h"
#include "hwsnap/status.h"

ABSL_FLAG(int, luns, 64, "file-backed LUNs on the private tgtd");
ABSL_FLAG(int, rounds, 5, "rounds per contender (the median is reported)");
ABSL_FLAG(std::string, iscsi_inq, "iscsi-inq", "libiscsi's iscsi-inq tool");

extern char** environ;

namespace hwsnap::scsi {
namespace {

constexpr char kTarget[] = "iqn.2026-12.invalid.hwsnap:bench";
constexpr std::uint64_t kLunBytes = 8ull << 20;

// Wraps a transport and keeps the commands it was asked to run.
class RecordingTransport : public ScsiTransport {
 public:
  explicit RecordingTransport(ScsiTransport& inner) : inner_(inner) {}
  std::string Address() const override { return inner_.Address(); }
  BusType bus_type() const override { return inner_.bus_type(); }
  absl::StatusOr<ScsiResult> Execute(const ScsiCommand& command) override {
    commands_.push_back(command);
    return inner_.Execute(command);
  }
  const std::vector<ScsiCommand>& commands() const { return commands_; }

 private:
  ScsiTransport& inner_;
  std::vector<ScsiCommand> commands_;
};

// hwsnap: a transport and ReadLunInfo per LUN. With `record`, also keeps
// the commands each LUN received.
absl::Status HwsnapRound(const std::vector<std::string>& addresses,
                         std::vector<std::vector<ScsiCommand>>* record) {
  for (const std::string& address : addresses) {
    absl::StatusOr<std::unique_ptr<ScsiTransport>> transport = OpenScsiTransport(address);
    if (!transport.ok()) return transport.status();
    RecordingTransport recording(**transport);
    ScsiTransport& used = record != nullptr ? recording : **transport;
    absl::StatusOr<ScsiLunInfo> info = ReadLunInfo(used);
    if (!info.ok()) return Annotate(info.status(), address);
    if (!info->identity.HasUniqueDesignator()) {
      return BackendFailureError(address + ": no unique designator in VPD 0x83");
    }
    if (record != nullptr) record->push_back(recording.commands());
  }
  return absl::OkStatus();
}

// Runs argv to completion with output discarded; non-zero exit is an error.
absl::Status RunQuietly(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return BackendFailureError(absl::StrCat("cannot run ", argv[0]));
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return BackendFailureError(absl::StrCat(argv[0], " failed for ", argv.back()));
  }
  return absl::OkStatus();
}

// libiscsi's own tool: standard INQUIRY, VPD 0x80, VPD 0x83 per LUN.
absl::Status IscsiInqRound(const std::vector<std::string>& addresses, const std::string& tool) {
  for (const std::string& address : addresses) {
    for (const std::vector<std::string>& argv :
         {std::vector<std::string>{tool, address},
          std::vector<std::string>{tool, "-e", "1", "-c", "128", address},
          std::vector<std::string>{tool, "-e", "1", "-c", "131", address}}) {
      if (absl::Status s = RunQuietly(argv); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

// The floor: libiscsi's sync API in this process, the same commands hwsnap sent.
absl::Status RawRound(const std::vector<IscsiAddress>& addresses,
                      const std::vector<std::vector<ScsiCommand>>& commands) {
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    const IscsiAddress& address = addresses[i];
    iscsi_context* context = iscsi_create_context("iqn.2026-12.invalid.hwsnap:raw-bench");
    if (context == nullptr) return BackendFailureError("iscsi_create_context failed");
    iscsi_set_targetname(context, address.target.c_str());
    iscsi_set_session_type(context, ISCSI_SESSION_NORMAL);
    iscsi_set_header_digest(context, ISCSI_HEADER_DIGEST_NONE_CRC32C);
    const std::string portal = address.Portal();
    absl::Status status;
    if (iscsi_full_connect_sync(context, portal.c_str(), static_cast<int>(address.lun)) != 0) {
      status = BackendFailureError(absl::StrCat("raw login: ", iscsi_get_error(context)));
    }
    for (const ScsiCommand& command : commands[i]) {
      if (!status.ok()) break;
      unsigned char cdb[SCSI_CDB_MAX_SIZE] = {};
      std::copy(command.cdb.begin(), command.cdb.end(), cdb);
      if (command.direction == DataDirection::kToDevice) {
        status = InvalidArgumentError("raw loop replays only commands without data-out");
        break;
      }
      const bool in = command.direction == DataDirection::kFromDevice;
      scsi_task* task = scsi_create_task(static_cast<int>(command.cdb.size()), cdb,
                                         in ? SCSI_XFER_READ : SCSI_XFER_NONE,
                                         in ? static_cast<int>(command.data_in_length) : 0);
      if (task == nullptr || iscsi_scsi_command_sync(context, static_cast<int>(address.lun), task,
                                                     nullptr) == nullptr) {
        status = BackendFailureError(absl::StrCat("raw command: ", iscsi_get_error(context)));
      } else if (task->status != SCSI_STATUS_GOOD && task->status != SCSI_STATUS_CHECK_CONDITION) {
        status = BackendFailureError(absl::StrCat("raw command status ", task->status));
      }
      if (task != nullptr) scsi_free_scsi_task(task);
    }
    if (status.ok()) iscsi_logout_sync(context);
    iscsi_destroy_context(context);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Duration Median(std::vector<absl::Duration> samples) {
  std::sort(samples.begin(), samples.end());
  return samples.empty() ? absl::ZeroDuration() : samples[samples.size() / 2];
}

// Times one call of `round`, appending the duration to *samples.
template <typename Round>
absl::Status TimeRound(std::vector<absl::Duration>* samples, Round round) {
  const absl::Time start = absl::Now();
  if (absl::Status s = round(); !s.ok()) return s;
  samples->push_back(absl::Now() - start);
  return absl::OkStatus();
}

int Run() {
  const int luns = std::clamp(absl::GetFlag(FLAGS_luns), 1, 255);
  const int rounds = std::clamp(absl::GetFlag(FLAGS_rounds), 1, 100);
  const std::string tool = absl::GetFlag(FLAGS_iscsi_inq);

  std::string why;
  if (!TgtAvailable(&why)) {
    std::fprintf(stderr, "hwsnap_scsi_bench: %s\n", why.c_str());
    return 2;
  }
  absl::StatusOr<std::unique_ptr<TgtDaemon>> daemon = TgtDaemon::Start();
  if (!daemon.ok()) {
    std::fprintf(stderr, "hwsnap_scsi_bench: start tgtd: %s\n", daemon.status().ToString().c_str());
    return 1;
  }
  auto fail = [&](const absl::Status& s) {
    std::fprintf(stderr, "hwsnap_scsi_bench: %s\n", s.ToString().c_str());
    (*daemon)->Stop().IgnoreError();
    return 1;
  };
  const absl::Time setup_start = absl::Now();
  absl::StatusOr<int> tid = (*daemon)->AddTarget(kTarget);
  if (!tid.ok()) return fail(tid.status());
  std::vector<std::string> addresses;
  std::vector<IscsiAddress> parsed;
  for (int lun = 1; lun <= luns; ++lun) {
    absl::StatusOr<TgtDaemonLun> added = (*daemon)->AddFileBackedLun(*tid, lun, kLunBytes);
    if (!added.ok()) return fail(added.status());
    absl::StatusOr<ScsiAddress> address = ParseScsiAddress(added->address);
    if (!address.ok()) return fail(address.status());
    addresses.push_back(added->address);
    parsed.push_back(address->iscsi);
  }
  const absl::Duration setup = absl::Now() - setup_start;

  // Warm-up: one hwsnap round records the commands the raw loop replays;
  // one iscsi-inq pass checks the tool works.
  std::vector<std::vector<ScsiCommand>> commands;
  if (absl::Status s = HwsnapRound(addresses, &commands); !s.ok()) return fail(s);
  if (absl::Status s = IscsiInqRound({addresses.front()}, tool); !s.ok()) return fail(s);

  std::vector<absl::Duration> hwsnap, inq, raw;
  // Interleave the contenders round by round, rotating who goes first, so
  // drift and after-effects (tgtd reaping the previous sessions) hit all alike.
  for (int r = 0; r < rounds; ++r) {
    for (int turn = 0; turn < 3; ++turn) {
      absl::Status s;
      switch ((r + turn) % 3) {
        case 0:
          s = TimeRound(&hwsnap, [&] { return HwsnapRound(addresses, nullptr); });
          break;
        case 1:
          s = TimeRound(&inq, [&] { return IscsiInqRound(addresses, tool); });
          break;
        default:
          s = TimeRound(&raw, [&] { return RawRound(parsed, commands); });
          break;
      }
      if (!s.ok()) return fail(s);
    }
  }
  if (absl::Status s = (*daemon)->Stop(); !s.ok()) {
    std::fprintf(stderr, "hwsnap_scsi_bench: stop tgtd: %s\n", s.ToString().c_str());
    return 1;
  }

  const double hwsnap_ms = absl::ToDoubleMilliseconds(Median(hwsnap));
  const double inq_ms = absl::ToDoubleMilliseconds(Median(inq));
  const double raw_ms = absl::ToDoubleMilliseconds(Median(raw));
  std::printf("SCSI identity of %d LUNs over loopback iSCSI (tgtd, 127.0.0.1), median of %d rounds\n",
              luns, rounds);
  std::printf("  tgtd start + %d LUNs configured: %.1f ms\n", luns,
              absl::ToDoubleMilliseconds(setup));
  std::printf("  commands per LUN: hwsnap %zu after login; iscsi-inq 3 (3 logins)\n",
              commands.front().size());
  std::printf("  %-44s %9.2f ms  (%.3f ms/LUN)\n", "hwsnap  (OpenScsiTransport + ReadLunInfo)",
              hwsnap_ms, hwsnap_ms / luns);
  std::printf("  %-44s %9.2f ms  (%.3f ms/LUN)\n", "iscsi-inq loop (std, -e1 -c0x80, -e1 -c0x83)",
              inq_ms, inq_ms / luns);
  std::printf("  %-44s %9.2f ms  (%.3f ms/LUN)\n", "raw libiscsi (same commands as hwsnap)",
              raw_ms, raw_ms / luns);
  std::printf("  ratio hwsnap / iscsi-inq   : %.3f (issue target <= 1.2: %s)\n",
              hwsnap_ms / inq_ms, hwsnap_ms / inq_ms <= 1.2 ? "met" : "NOT met");
  std::printf("  ratio hwsnap / raw libiscsi: %.3f\n", hwsnap_ms / raw_ms);
  return 0;
}

}  // namespace
}  // namespace hwsnap::scsi

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Times SCSI identity (INQUIRY, VPD, capacity) of LUNs on a private tgtd: hwsnap vs "
      "iscsi-inq vs raw libiscsi.");
  absl::ParseCommandLine(argc, argv);
  return hwsnap::scsi::Run();
}
