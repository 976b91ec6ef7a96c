// hwsnap/scsi/scsi_options.h — the "scsi" backend's registry options, parsed.
//
// A host creates the SCSI backend by name with key=value options
// (BackendRequest::options: hwsnapctl --backend_option, the Windows DLL's
// config file). Parsing is pure and platform-neutral so every mistake gets a
// message naming the option before anything touches storage:
//
//   luns=ADDR[,ADDR...]     source LUNs (transport addresses, hwsnap/scsi/scsi_transport.h)
//   strategy=tgt|xcopy      how snapshots are made (default tgt)
//   tgt-sandbox=true        start a private tgtd on 127.0.0.1 with request.luns
//                           file-backed source LUNs (tests, demos); lun-mib=N each
//   tgt-control-id=N        the tgtd to drive (tgtadm -C N); tgt-portal=127.0.0.1:3260
//   tgt-work-dir=DIR        where snapshot files are kept (tgt)
//   host-initiator=IQN      who Expose unmasks snapshot LUNs to (tgt; default: any
//                           initiator on 127.0.0.1)
//   initiator=IQN           the iSCSI name the backend itself logs in as
//   pool=ADDR[,ADDR...]     pre-provisioned copy targets (xcopy)
//   capacity=N              at most N live snapshot targets (else request.capacity)
//   parallel-prepares=N     Capabilities().max_parallel_prepares (default 4)
#ifndef HWSNAP_SCSI_SCSI_OPTIONS_H_
#define HWSNAP_SCSI_SCSI_OPTIONS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "hwsnap/backend_registry.h"

namespace hwsnap::scsi {

enum class SnapshotStrategy { kTgt, kXcopy };

struct ScsiSessionConfig {
  std::vector<std::string> luns;
  SnapshotStrategy strategy = SnapshotStrategy::kTgt;
  bool tgt_sandbox = false;
  int sandbox_luns = 0;                        // request.luns, with tgt-sandbox
  std::uint64_t sandbox_lun_bytes = 16u << 20;
  std::optional<int> tgt_control_id;
  std::string tgt_portal = "127.0.0.1:3260";
  std::string tgt_work_dir;
  std::string host_initiator;
  std::string initiator = "iqn.2026-12.invalid.hwsnap:initiator";
  std::vector<std::string> pool;
  std::optional<int> capacity;
  int max_parallel_prepares = 4;
};

// Errors: kInvalidArgument naming the option (unknown key, bad value,
// missing luns/pool/control id for the chosen strategy, both luns and
// tgt-sandbox, malformed addresses).
absl::StatusOr<ScsiSessionConfig> ParseScsiOptions(const BackendRequest& request);

}  // namespace hwsnap::scsi

#endif  // HWSNAP_SCSI_SCSI_OPTIONS_H_
