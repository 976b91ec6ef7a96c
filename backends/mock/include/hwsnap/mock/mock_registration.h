// hwsnap/mock/mock_registration.h — puts the mock array into a BackendRegistry.
//
// Registered as "mock": a fresh in-memory array per session with
// request.luns source LUNs, the requested latencies and capacity, and its
// leak audit as the session's live-target count. Options (request.options;
// anything else is invalid-argument):
//   adopt-luns=true|false   support any LUN with a unique 0x83 designator
//                           (MockBackendOptions::adopt_luns; the Windows DLL)
//   prepare-ms=N, commit-ms=N   latencies, overriding the request's
//   resync-ms=N             time each ResyncTarget takes
//   state-dir=PATH          durable array (MockBackendOptions::state_directory):
//                           a second session on PATH is the same array, and
//                           its first N LUNs are reused
//   capacity=N              target capacity, overriding the request's
//   fault=RULE[;RULE...]    fault rules (ParseFaultRule text, shorthand
//                           allowed), applied by a FaultInjectingBackend
#ifndef HWSNAP_MOCK_MOCK_REGISTRATION_H_
#define HWSNAP_MOCK_MOCK_REGISTRATION_H_

#include "absl/status/status.h"
#include "hwsnap/backend_registry.h"

namespace hwsnap {

absl::Status RegisterMockBackend(BackendRegistry& registry);

}  // namespace hwsnap

#endif  // HWSNAP_MOCK_MOCK_REGISTRATION_H_
