// hwsnap-sim — runs seeds of the deterministic provider simulation.
//
//   hwsnap-sim --seed 17                 # one seed; on failure prints its trace
//   hwsnap-sim --seed 1 --seeds 250      # seeds 1..250
//   hwsnap-sim --seed 17 --verbose       # print the trace of every seed
// Exits 1 at the first invariant violation, printing the seed and the
// command that reproduces it.
#include <cstdint>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "scheduler.h"

ABSL_FLAG(std::uint64_t, seed, 1, "first seed to run");
ABSL_FLAG(std::uint64_t, seeds, 1, "how many seeds to run (seed .. seed+seeds-1)");
ABSL_FLAG(bool, verbose, false, "print every seed's trace");
ABSL_FLAG(double, time_scale, 3.0, "multiplies the provider's timeouts (slow machines, sanitizers)");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Deterministic simulation of the hwsnap provider; see docs/testing.md");
  absl::ParseCommandLine(argc, argv);
  hwsnap::sim::SimOptions options;
  options.time_scale = absl::GetFlag(FLAGS_time_scale);
  const std::uint64_t first = absl::GetFlag(FLAGS_seed);
  const std::uint64_t count = absl::GetFlag(FLAGS_seeds);
  const bool verbose = absl::GetFlag(FLAGS_verbose);
  const absl::Time started = absl::Now();
  int overruns = 0;
  std::uint64_t steps = 0;
  for (std::uint64_t seed = first; seed < first + count; ++seed) {
    const hwsnap::sim::SeedResult r = hwsnap::sim::RunSeed(seed, options);
    steps += static_cast<std::uint64_t>(r.steps);
    if (verbose || !r.ok) {
      for (const std::string& line : r.trace) std::cout << line << "\n";
    }
    if (verbose) std::cout << absl::StrFormat("seed %d: %s, %d steps, trace %016x\n", seed, r.ok ? "ok" : "FAILED", r.steps, r.trace_hash);
    if (r.timing_overrun) {
      ++overruns;
      std::cout << absl::StrFormat("seed %d: inconclusive (every attempt overran the provider's timeouts)\n", seed);
      continue;
    }
    if (!r.ok) {
      std::cout << absl::StrFormat("\nINVARIANT VIOLATED at seed %d, step %d: %s\nreproduce: hwsnap-sim --seed %d --verbose%s\n",
                                   seed, r.steps, r.violation, seed,
                                   options.time_scale != 3.0 ? absl::StrFormat(" --time_scale %g", options.time_scale) : "");
      return 1;
    }
  }
  std::cout << absl::StrFormat("%d seed(s) from %d: ok (%d steps, %d inconclusive) in %s\n", count, first, steps,
                               overruns, absl::FormatDuration(absl::Now() - started));
  return 0;
}
