// The DLL's backend selection (see hwsnap/windows/configured_backend.h).
#include "hwsnap/windows/configured_backend.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "hwsnap/logging.h"
#include "hwsnap/status.h"

namespace hwsnap {
namespace windows {

NoBackend::NoBackend(std::string reason) : reason_(std::move(reason)) {}

BackendCapabilities NoBackend::Capabilities() const { return BackendCapabilities{}; }

absl::StatusOr<LunSupport> NoBackend::IdentifyLun(const LunIdentity& lun) {
  LunSupport support;
  support.supported = false;
  support.reason = reason_;
  support.identity = lun;
  return support;
}

absl::Status NoBackend::Refuse(absl::string_view operation) const {
  return NotSupportedError(absl::StrCat(operation, ": ", reason_));
}

absl::StatusOr<TargetId> NoBackend::PrepareTarget(const LunIdentity&, const CancelToken&) { return Refuse("prepare"); }
absl::Status NoBackend::CommitTargets(absl::Span<const TargetId>, absl::Time) { return Refuse("commit"); }
absl::StatusOr<LunIdentity> NoBackend::DescribeTarget(const TargetId&) { return Refuse("describe"); }
absl::Status NoBackend::ExposeTarget(const TargetId&) { return Refuse("expose"); }
absl::Status NoBackend::ReleaseTarget(const TargetId&) { return Refuse("release"); }

absl::StatusOr<std::shared_ptr<Backend>> CreateConfiguredBackend(const ProviderConfig& config,
                                                                 const BackendRegistry& registry) {
  if (config.backend == kNoBackend) {
    return std::shared_ptr<Backend>(std::make_shared<NoBackend>(absl::StrCat(
        "hwsnap has no backend configured: set 'backend' in its configuration file (settings from ",
        config.origins.empty() ? "defaults" : absl::StrJoin(config.origins, " + "), ")")));
  }
  BackendRequest request;
  request.options = config.backend_options;
  if (config.backend == "mock") request.options.emplace("adopt-luns", "true");  // keeps an explicit setting
  absl::StatusOr<BackendSession> session = registry.Create(config.backend, request);
  if (!session.ok()) return Annotate(session.status(), absl::StrCat("backend '", config.backend, "'"));
  return std::move(session->backend);
}

std::shared_ptr<Backend> CreateConfiguredBackendOrNone(const ProviderConfig& config, const BackendRegistry& registry) {
  absl::StatusOr<std::shared_ptr<Backend>> backend = CreateConfiguredBackend(config, registry);
  if (backend.ok()) {
    GetLogger("adapter.config")->info("backend '{}' from {}", (*backend)->Name(), DescribeProviderConfig(config));
    return *std::move(backend);
  }
  const std::string reason =
      absl::StrCat("hwsnap cannot create its backend, so it supports no LUN: ", backend.status().message(),
                   ". Fix the configuration; it is read again when VSS next loads the provider.");
  GetLogger("adapter.config")->error("{}", reason);
  return std::make_shared<NoBackend>(reason);
}

}  // namespace windows
}  // namespace hwsnap
