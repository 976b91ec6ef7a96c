// hwsnap/nvme/nvme_options.h — the "nvme" backend's registry options, parsed.
//
// A host creates the NVMe backend by name with key=value options
// (BackendRequest::options: hwsnapctl --backend-option, the Windows DLL's
// config file). Parsing is pure and platform-neutral so every mistake gets a
// message naming the option before anything touches a device:
//
//   controller=ADDR          the controller (/dev/nvmeN, /dev/nvmeNnM, /dev/ngNnM,
//                            \\.\PhysicalDriveN) — required
//   namespaces=LIST          source NSIDs, e.g. "1-4,7" — required
//   strategy=ns-copy         how snapshots are made (the only one for now)
//   pool=LIST                detached NSIDs to use as targets, e.g. "10-13"
//   allocation=auto|create|pool  where targets come from (pool needs pool=)
//   copy=auto|device|host    device cross-namespace Copy, host Read/Write, or either
//   zero=true|false          Write Zeroes a target at prepare (default true)
//   identity=TEXT            how a namespace maps to a LUN identity
//                            (ParseIdentityMapping, hwsnap/nvme/identity_mapping.h)
//   capacity=N               at most N live snapshot targets (else request.capacity)
//   parallel-prepares=N      Capabilities().max_parallel_prepares (default 4)
//   chunk-blocks=N           blocks per host Read/Write/Write Zeroes (default 256)
//   command-timeout-ms=N     per NVMe command (default 10000)
#ifndef HWSNAP_NVME_NVME_OPTIONS_H_
#define HWSNAP_NVME_NVME_OPTIONS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "hwsnap/backend_registry.h"
#include "hwsnap/nvme/identity_mapping.h"
#include "hwsnap/nvme/namespace_copy_control.h"

namespace hwsnap::nvme {

enum class NvmeSnapshotStrategy { kNamespaceCopy };

struct NvmeSessionConfig {
  std::string controller;
  std::vector<std::uint32_t> namespaces;       // in the order given, no duplicates
  NvmeSnapshotStrategy strategy = NvmeSnapshotStrategy::kNamespaceCopy;
  std::vector<std::uint32_t> pool;
  TargetAllocation allocation = TargetAllocation::kAuto;
  CopyEngine copy = CopyEngine::kAuto;
  bool zero_on_provision = true;
  IdentityMapping identity;
  std::optional<int> capacity;
  int max_parallel_prepares = 4;
  std::uint32_t chunk_blocks = 256;
  absl::Duration command_timeout = absl::Seconds(10);
};

// Errors: kInvalidArgument naming the option (unknown key, bad value, missing
// controller/namespaces, allocation=pool without pool=, a pool namespace that
// is also a source, more LUNs requested than namespaces given).
absl::StatusOr<NvmeSessionConfig> ParseNvmeOptions(const BackendRequest& request);

// "1-4,7" -> {1, 2, 3, 4, 7}: NSIDs 1..0xfffffffe, ranges low-high, in the
// order given, each once, at most 4096 in all. kInvalidArgument otherwise.
absl::StatusOr<std::vector<std::uint32_t>> ParseNsidList(absl::string_view text);

}  // namespace hwsnap::nvme

#endif  // HWSNAP_NVME_NVME_OPTIONS_H_
