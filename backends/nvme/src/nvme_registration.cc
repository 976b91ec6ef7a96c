// The NVMe backend's registry entry (see hwsnap/nvme/nvme_registration.h):
// options → NamespaceCopyControl → NvmeBackend.
#include "hwsnap/nvme/nvme_registration.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "hwsnap/nvme/namespace_copy_control.h"
#include "hwsnap/nvme/nvme_backend.h"
#include "hwsnap/nvme/nvme_options.h"
#include "hwsnap/status.h"

namespace hwsnap::nvme {
namespace {

absl::StatusOr<std::shared_ptr<NamespaceControl>> MakeStrategy(const NvmeSessionConfig& config,
                                                               const ReadNamespaceOptions& read) {
  switch (config.strategy) {
    case NvmeSnapshotStrategy::kNamespaceCopy: {
      NamespaceCopyOptions options;
      options.controller = config.controller;
      options.pool_nsids = config.pool;
      options.allocation = config.allocation;
      options.copy = config.copy;
      options.max_targets = config.capacity.value_or(0);
      options.zero_on_provision = config.zero_on_provision;
      options.chunk_blocks = config.chunk_blocks;
      options.read = read;
      options.command_timeout = config.command_timeout;
      return std::shared_ptr<NamespaceControl>(std::make_shared<NamespaceCopyControl>(std::move(options)));
    }
  }
  return InvalidArgumentError("nvme: unknown strategy");
}

absl::StatusOr<BackendSession> CreateSession(const BackendRequest& request) {
  absl::StatusOr<NvmeSessionConfig> config = ParseNvmeOptions(request);
  if (!config.ok()) return config.status();

  ReadNamespaceOptions read;
  read.mapping = config->identity;
  read.timeout = config->command_timeout;
  absl::StatusOr<std::shared_ptr<NamespaceControl>> control = MakeStrategy(*config, read);
  if (!control.ok()) return control.status();

  NvmeBackendOptions options;
  options.controller = config->controller;
  options.source_nsids = config->namespaces;
  options.read = read;
  options.max_parallel_prepares = config->max_parallel_prepares;
  auto nvme = std::make_shared<NvmeBackend>(options, *control);

  BackendSession session;
  // Hosts that drive LUNs themselves (hwsnapctl) ask for them; a provider
  // host (the DLL, luns = 0) does not, and must not fail to load because the
  // controller is unreachable right now: identities are then read on first use.
  if (request.luns > 0) {
    absl::StatusOr<std::vector<NvmeNamespaceInfo>> sources = nvme->SourceNamespaces();
    if (!sources.ok()) return sources.status();
    for (size_t i = 0; i < sources->size() && i < static_cast<size_t>(request.luns); ++i) {
      session.source_luns.push_back((*sources)[i].identity);
    }
  }
  std::shared_ptr<NamespaceControl> strategy = *control;
  session.live_targets = [strategy] {
    absl::StatusOr<std::vector<std::string>> targets = strategy->ListTargets();
    return targets.ok() ? static_cast<int>(targets->size()) : -1;
  };
  session.backend = std::move(nvme);
  return session;
}

}  // namespace

absl::Status RegisterNvmeBackend(BackendRegistry& registry) {
  return registry.Register("nvme",
                           "NVMe namespaces of one controller (Linux passthrough ioctls, Windows storage "
                           "protocol commands); snapshots as namespace copies (created or from a pool)",
                           &CreateSession);
}

}  // namespace hwsnap::nvme
