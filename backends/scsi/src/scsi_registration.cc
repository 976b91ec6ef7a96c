// The SCSI backend's registry entry (see hwsnap/scsi/scsi_registration.h):
// options → strategy (tgt, xcopy, or a private tgt sandbox) → ScsiBackend.
#include "hwsnap/scsi/scsi_registration.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "hwsnap/scsi/scsi_backend.h"
#include "hwsnap/scsi/scsi_options.h"
#include "hwsnap/status.h"
#if HWSNAP_SCSI_HAVE_TGT
#include "hwsnap/scsi/tgt_array_control.h"
#include "hwsnap/scsi/tgt_daemon.h"
#endif
#if HWSNAP_SCSI_HAVE_XCOPY
#include "hwsnap/scsi/xcopy_array_control.h"
#endif

namespace hwsnap::scsi {
namespace {

// The backend of one session plus what must live exactly as long as it (the
// sandbox's tgtd). Members are destroyed before the base's backend; the
// daemon's Stop deletes any snapshot target still left on it.
class SessionBackend : public ForwardingBackend {
 public:
  SessionBackend(std::shared_ptr<Backend> inner, std::shared_ptr<void> keep_alive)
      : ForwardingBackend(std::move(inner)), keep_alive_(std::move(keep_alive)) {}

 private:
  std::shared_ptr<void> keep_alive_;
};

struct Strategy {
  std::shared_ptr<ArrayControl> control;
  std::vector<std::string> sources;   // source LUN addresses
  std::shared_ptr<void> keep_alive;   // e.g. the sandbox daemon
};

#if HWSNAP_SCSI_HAVE_TGT
// The "host" of a sandbox or a tgt strategy: unmask to the named initiator,
// else to any initiator on 127.0.0.1 (tgt admits by name or address).
void SetHost(const ScsiSessionConfig& config, TgtArrayControlOptions& options) {
  options.control_initiator_name = config.initiator;
  options.host_initiator_name = config.host_initiator;
  if (config.host_initiator.empty()) options.host_initiator_address = "127.0.0.1";
  if (config.capacity) options.max_targets = *config.capacity;
}

absl::StatusOr<Strategy> TgtSandbox(const ScsiSessionConfig& config) {
  absl::StatusOr<std::unique_ptr<TgtDaemon>> started = TgtDaemon::Start();
  if (!started.ok()) return started.status();
  std::shared_ptr<TgtDaemon> daemon = *std::move(started);
  absl::StatusOr<int> tid = daemon->AddTarget("iqn.2026-12.invalid.hwsnap:sandbox-source");
  if (!tid.ok()) return tid.status();
  Strategy strategy;
  for (int lun = 1; lun <= config.sandbox_luns; ++lun) {
    absl::StatusOr<TgtDaemonLun> added = daemon->AddFileBackedLun(*tid, lun, config.sandbox_lun_bytes);
    if (!added.ok()) return added.status();
    strategy.sources.push_back(added->address);
  }
  TgtArrayControlOptions options = TgtArrayControlOptionsFor(*daemon);
  SetHost(config, options);
  absl::StatusOr<std::unique_ptr<TgtArrayControl>> control = TgtArrayControl::Create(options);
  if (!control.ok()) return control.status();
  strategy.control = *std::move(control);
  strategy.keep_alive = daemon;
  return strategy;
}

absl::StatusOr<Strategy> Tgt(const ScsiSessionConfig& config) {
  TgtArrayControlOptions options;
  options.control_id = *config.tgt_control_id;
  options.portal = config.tgt_portal;
  options.work_dir = config.tgt_work_dir;
  SetHost(config, options);
  absl::StatusOr<std::unique_ptr<TgtArrayControl>> control = TgtArrayControl::Create(options);
  if (!control.ok()) return control.status();
  return Strategy{*std::move(control), config.luns, nullptr};
}
#endif

absl::StatusOr<Strategy> MakeStrategy(const ScsiSessionConfig& config) {
  switch (config.strategy) {
    case SnapshotStrategy::kTgt:
#if HWSNAP_SCSI_HAVE_TGT
      return config.tgt_sandbox ? TgtSandbox(config) : Tgt(config);
#else
      return NotSupportedError("scsi: strategy=tgt is not built into this binary (Linux only)");
#endif
    case SnapshotStrategy::kXcopy: {
#if HWSNAP_SCSI_HAVE_XCOPY
      XcopyArrayControlOptions options;
      options.pool = config.pool;
      TransportOptions transport;
      transport.initiator_name = config.initiator;
      options.open_transport = [transport](absl::string_view address) {
        return OpenScsiTransport(address, transport);
      };
      return Strategy{std::make_shared<XcopyArrayControl>(options), config.luns, nullptr};
#else
      return NotSupportedError("scsi: strategy=xcopy is not built into this binary");
#endif
    }
  }
  return InvalidArgumentError("scsi: unknown strategy");
}

absl::StatusOr<BackendSession> CreateSession(const BackendRequest& request) {
  absl::StatusOr<ScsiSessionConfig> config = ParseScsiOptions(request);
  if (!config.ok()) return config.status();
  absl::StatusOr<Strategy> strategy = MakeStrategy(*config);
  if (!strategy.ok()) return strategy.status();

  ScsiBackendOptions options;
  options.source_addresses = strategy->sources;
  options.transport.initiator_name = config->initiator;
  options.max_parallel_prepares = config->max_parallel_prepares;
  auto scsi = std::make_shared<ScsiBackend>(options, strategy->control);

  BackendSession session;
  // Hosts that drive LUNs themselves (hwsnapctl) ask for them; a provider
  // host (the DLL, luns = 0) does not, and must not fail to load because one
  // LUN is unreachable right now: identities are then read on first use.
  if (request.luns > 0) {
    absl::StatusOr<std::vector<ScsiLunInfo>> sources = scsi->SourceLuns();
    if (!sources.ok()) return sources.status();
    for (size_t i = 0; i < sources->size() && i < static_cast<size_t>(request.luns); ++i) {
      session.source_luns.push_back((*sources)[i].identity);
    }
  }
  std::shared_ptr<ArrayControl> control = strategy->control;
  session.live_targets = [control] {
    absl::StatusOr<std::vector<std::string>> targets = control->ListTargets();
    return targets.ok() ? static_cast<int>(targets->size()) : -1;
  };
  session.backend = strategy->keep_alive ? std::make_shared<SessionBackend>(scsi, strategy->keep_alive)
                                         : std::shared_ptr<Backend>(scsi);
  return session;
}

}  // namespace

absl::Status RegisterScsiBackend(BackendRegistry& registry) {
  return registry.Register("scsi",
                           "SCSI LUNs (iSCSI via libiscsi, SG_IO, Windows pass-through); snapshots via a tgt "
                           "target or EXTENDED COPY into a pool",
                           &CreateSession);
}

}  // namespace hwsnap::scsi
