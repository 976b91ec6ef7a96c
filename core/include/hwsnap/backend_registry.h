// hwsnap/backend_registry.h — backends by name, registered explicitly.
//
// Hosts (hwsnapctl, the Windows DLL, a vendor's own tool) create backends by
// name from a registry instead of a table compiled into them, so a backend
// built outside this tree plugs in with one Register call in the host's
// main() — no core file changes. Registration is explicit (no static
// constructors, which static libraries silently drop):
//
//   hwsnap::BackendRegistry registry;
//   hwsnap::RegisterMockBackend(registry);            // hwsnap/mock/mock_registration.h
//   registry.Register("acme", "ACME array over REST", &MakeAcmeSession);
//   auto session = registry.Create("acme", request);   // kObjectNotFound lists known names
#ifndef HWSNAP_BACKEND_REGISTRY_H_
#define HWSNAP_BACKEND_REGISTRY_H_

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "hwsnap/backend.h"
#include "hwsnap/lun_identity.h"

namespace hwsnap {

// What a host asks of a backend it creates. Backends use what applies to
// them and ignore the rest (a real array ignores the simulated latencies).
struct BackendRequest {
  int luns = 0;                                  // source LUNs wanted (test backends provision them)
  absl::Duration prepare_latency = absl::ZeroDuration();  // simulated backends only
  absl::Duration commit_latency = absl::ZeroDuration();   // simulated backends only
  std::optional<int> capacity;                   // target capacity, where the backend can limit it
  std::map<std::string, std::string> options;   // backend-specific key=value settings
};

// A created backend and what a host needs to drive it.
struct BackendSession {
  std::shared_ptr<Backend> backend;
  std::vector<LunIdentity> source_luns;          // the LUNs this session may snapshot
  std::function<int()> live_targets;             // optional: the storage's own count of targets
};

using BackendFactory = std::function<absl::StatusOr<BackendSession>(const BackendRequest&)>;

class BackendRegistry {
 public:
  // kInvalidArgument for an empty name, a null factory or a name taken twice.
  absl::Status Register(std::string name, std::string description, BackendFactory factory);
  // kObjectNotFound (listing the known names) for an unknown name; else
  // whatever the factory returns. A factory must not return a null backend
  // (that is reported as kBackendFailure).
  absl::StatusOr<BackendSession> Create(absl::string_view name, const BackendRequest& request) const;
  // Registered names, sorted.
  std::vector<std::string> Names() const;
  // One-line description of `name`, or empty.
  std::string Description(absl::string_view name) const;

 private:
  struct Entry {
    std::string description;
    BackendFactory factory;
  };
  mutable std::mutex mu_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace hwsnap

#endif  // HWSNAP_BACKEND_REGISTRY_H_
