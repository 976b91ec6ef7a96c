// hwsnap/mock/mock_registration.h — puts the mock array into a BackendRegistry.
//
// Registered as "mock": a fresh in-memory array per session with
// request.luns source LUNs, the requested latencies and capacity, and its
// leak audit as the session's live-target count.
#ifndef HWSNAP_MOCK_MOCK_REGISTRATION_H_
#define HWSNAP_MOCK_MOCK_REGISTRATION_H_

#include "absl/status/status.h"
#include "hwsnap/backend_registry.h"

namespace hwsnap {

absl::Status RegisterMockBackend(BackendRegistry& registry);

}  // namespace hwsnap

#endif  // HWSNAP_MOCK_MOCK_REGISTRATION_H_
