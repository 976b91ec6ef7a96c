// The mock array's registry entry (see hwsnap/mock/mock_registration.h).
#include "hwsnap/mock/mock_registration.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "hwsnap/mock/mock_backend.h"
#include "hwsnap/status.h"

namespace hwsnap {

absl::Status RegisterMockBackend(BackendRegistry& registry) {
  return registry.Register(
      "mock", "in-memory array with scripted latency, capacity and a leak audit",
      [](const BackendRequest& request) -> absl::StatusOr<BackendSession> {
        if (request.luns < 0) return InvalidArgumentError(absl::StrCat("negative LUN count ", request.luns));
        if (!request.options.empty()) {
          return InvalidArgumentError(absl::StrCat("the mock takes no options (got '",
                                                   request.options.begin()->first, "')"));
        }
        MockBackendOptions options;
        options.prepare_latency = request.prepare_latency;
        options.commit_latency = request.commit_latency;
        if (request.capacity) options.target_capacity = *request.capacity;
        auto mock = std::make_shared<MockBackend>(options);
        BackendSession session;
        for (int i = 0; i < request.luns; ++i) session.source_luns.push_back(mock->AddSourceLun());
        session.live_targets = [mock] { return mock->LiveTargetCount(); };
        session.backend = std::move(mock);
        return session;
      });
}

}  // namespace hwsnap
