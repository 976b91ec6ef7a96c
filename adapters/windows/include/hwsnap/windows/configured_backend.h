// hwsnap/windows/configured_backend.h — the backend a ProviderConfig names.
//
// This file exists so that choosing the DLL's backend is one tested function
// rather than logic inside DllMain-adjacent code: given the configuration
// and a registry of the backends this build carries, it creates the backend,
// or — when the configuration says "none" or cannot be honoured — a backend
// that supports no LUN and says why. A provider that supports nothing makes
// VSS pick another provider (AreLunsSupported answers FALSE); a veto would
// instead fail every backup on the host. Platform-neutral.
//
//   BackendRegistry registry;
//   RegisterMockBackend(registry);
//   std::shared_ptr<Backend> backend = CreateConfiguredBackend(config, registry);
#ifndef HWSNAP_WINDOWS_CONFIGURED_BACKEND_H_
#define HWSNAP_WINDOWS_CONFIGURED_BACKEND_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "hwsnap/backend.h"
#include "hwsnap/backend_registry.h"
#include "hwsnap/windows/provider_config.h"

namespace hwsnap {
namespace windows {

// A backend with no LUNs: IdentifyLun answers "not supported" with `reason`;
// every other operation is kNotSupported (the provider never gets that far).
class NoBackend final : public Backend {
 public:
  explicit NoBackend(std::string reason);

  const std::string& reason() const { return reason_; }

  std::string Name() const override { return kNoBackend; }
  BackendCapabilities Capabilities() const override;
  absl::StatusOr<LunSupport> IdentifyLun(const LunIdentity& lun) override;
  absl::StatusOr<TargetId> PrepareTarget(const LunIdentity& source, const CancelToken& cancel) override;
  absl::Status CommitTargets(absl::Span<const TargetId> targets, absl::Time deadline) override;
  absl::StatusOr<LunIdentity> DescribeTarget(const TargetId& target) override;
  absl::Status ExposeTarget(const TargetId& target) override;
  absl::Status ReleaseTarget(const TargetId& target) override;

 private:
  absl::Status Refuse(absl::string_view operation) const;
  const std::string reason_;
};

// Creates config.backend from `registry` with config.backend_options. For
// "mock", adopt-luns defaults to true: VSS hands the DLL the host's LUNs, so
// a mock that only knew its own would support nothing. Errors (unknown
// backend, bad option) are returned; see CreateConfiguredBackendOrNone.
absl::StatusOr<std::shared_ptr<Backend>> CreateConfiguredBackend(const ProviderConfig& config,
                                                                 const BackendRegistry& registry);

// CreateConfiguredBackend, falling back to a NoBackend whose reason quotes
// the error (or says no backend is configured). Never null.
std::shared_ptr<Backend> CreateConfiguredBackendOrNone(const ProviderConfig& config, const BackendRegistry& registry);

}  // namespace windows
}  // namespace hwsnap

#endif  // HWSNAP_WINDOWS_CONFIGURED_BACKEND_H_
