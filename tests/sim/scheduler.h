// scheduler.h — the director: one seeded, deterministic run of the provider.
//
// RunSeed builds SnapshotProvider -> SimGate -> FaultInjectingBackend ->
// MockBackend with a catalog in a temporary directory, then repeats: wait
// until no thread can move (quiescence.h), take in what happened (finished
// backend ops, returned VSS calls) in a stable order, check the invariants
// (invariants.h), and draw the next step among those enabled: issue the
// requester's next VSS call, issue AbortSnapshots from a second thread,
// resolve one parked backend op (forward, fail with a code, throw; its fate
// — latency in virtual ticks, error, hang until cancelled, ignore the
// cancel — is drawn when it first appears), or let real time pass so the
// provider's drain/commit bounds expire. The virtual clock advances one tick
// per step. At the end the provider is destroyed, the catalog reopened and
// compared with the array, and the thread count checked.
//
// Determinism: every choice comes from SimRandom(seed) and is drawn by this
// thread in an order that depends only on earlier choices. The provider's
// timeouts are real time; a step that takes longer than a fraction of them
// (a loaded machine) could let a timer fire early, so such a run is marked
// `timing_overrun` and RunSeed runs the seed again (up to 3 times).
//
//   SeedResult r = RunSeed(42, SimOptions{});
//   if (!r.ok) std::cerr << r.violation << "\n" << absl::StrJoin(r.trace, "\n");
#ifndef HWSNAP_TESTS_SIM_SCHEDULER_H_
#define HWSNAP_TESTS_SIM_SCHEDULER_H_

#include <cstdint>
#include <string>
#include <vector>

namespace hwsnap::sim {

struct SimOptions {
  // Multiplies the provider's timeouts (drain 40 ms, commit 60 ms + 20 ms
  // grace); sanitizer builds run slower and use 3-4.
  double time_scale = 1.0;
  // Upper bound on steps per seed (a run that needs more is a violation:
  // the provider never settles).
  int max_steps = 2000;
  // Runs of a seed that hit a timing overrun before giving up.
  int attempts = 3;
};

struct SeedResult {
  std::uint64_t seed = 0;
  bool ok = true;               // no invariant violated
  bool timing_overrun = false;  // every attempt overran (the run says nothing)
  std::string violation;        // what broke, when !ok
  std::vector<std::string> trace;
  std::uint64_t trace_hash = 0;  // FNV-1a of the trace lines
  int steps = 0;
  int attempts = 0;
};

SeedResult RunSeed(std::uint64_t seed, const SimOptions& options);

}  // namespace hwsnap::sim

#endif  // HWSNAP_TESTS_SIM_SCHEDULER_H_
