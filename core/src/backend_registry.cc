// Backends by name (see hwsnap/backend_registry.h).
#include "hwsnap/backend_registry.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "hwsnap/status.h"

namespace hwsnap {

absl::Status BackendRegistry::Register(std::string name, std::string description, BackendFactory factory) {
  if (name.empty()) return InvalidArgumentError("a backend needs a name");
  if (!factory) return InvalidArgumentError(absl::StrCat("backend '", name, "' has no factory"));
  std::lock_guard<std::mutex> lock(mu_);
  if (entries_.count(name) > 0) {
    return InvalidArgumentError(absl::StrCat("backend '", name, "' is registered already"));
  }
  entries_.emplace(std::move(name), Entry{std::move(description), std::move(factory)});
  return absl::OkStatus();
}

absl::StatusOr<BackendSession> BackendRegistry::Create(absl::string_view name,
                                                       const BackendRequest& request) const {
  BackendFactory factory;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(name);
    if (it == entries_.end()) {
      std::vector<std::string> names;
      for (const auto& [known, entry] : entries_) names.push_back(known);
      return ObjectNotFoundError(absl::StrCat("unknown backend '", name, "'; known backends: ",
                                              names.empty() ? "(none)" : absl::StrJoin(names, ", ")));
    }
    factory = it->second.factory;
  }
  absl::StatusOr<BackendSession> session = factory(request);
  if (!session.ok()) return Annotate(session.status(), absl::StrCat("backend '", name, "'"));
  if (!session->backend) return BackendFailureError(absl::StrCat("backend '", name, "': factory returned no backend"));
  return session;
}

std::vector<std::string> BackendRegistry::Names() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> names;
  for (const auto& [name, entry] : entries_) names.push_back(name);
  return names;
}

std::string BackendRegistry::Description(absl::string_view name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(name);
  return it == entries_.end() ? std::string() : it->second.description;
}

}  // namespace hwsnap
