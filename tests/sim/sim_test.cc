// Tests of the deterministic simulation itself: a seed replays exactly (the
// same trace, hash for hash), different seeds explore different runs, and a
// small shard of seeds passes every invariant (labelled "concurrency", so the
// ThreadSanitizer stage runs the provider under the simulation too). The
// full seed budget runs as ctest entries sim_seeds_* (CMakeLists.txt).
#include <cstdint>
#include <set>

#include <gtest/gtest.h>

#include "absl/strings/str_join.h"
#include "scheduler.h"

namespace hwsnap::sim {
namespace {

SimOptions Options() {
  SimOptions o;
  o.time_scale = HWSNAP_SIM_TIME_SCALE;
  return o;
}

TEST(SimTest, ASeedReplaysTheSameTrace) {
  for (std::uint64_t seed : {3u, 11u, 29u, 104u, 977u}) {
    const SeedResult a = RunSeed(seed, Options());
    const SeedResult b = RunSeed(seed, Options());
    ASSERT_FALSE(a.timing_overrun || b.timing_overrun) << "seed " << seed << " overran; machine too slow";
    ASSERT_TRUE(a.ok) << "seed " << seed << ": " << a.violation << "\n" << absl::StrJoin(a.trace, "\n");
    EXPECT_EQ(a.trace_hash, b.trace_hash) << "seed " << seed << " did not replay:\n--- first\n"
                                          << absl::StrJoin(a.trace, "\n") << "\n--- second\n"
                                          << absl::StrJoin(b.trace, "\n");
    EXPECT_EQ(a.trace, b.trace);
  }
}

TEST(SimTest, SeedsExploreDifferentRuns) {
  std::set<std::uint64_t> hashes;
  for (std::uint64_t seed = 500; seed < 520; ++seed) {
    const SeedResult r = RunSeed(seed, Options());
    ASSERT_TRUE(r.ok || r.timing_overrun) << "seed " << seed << ": " << r.violation;
    hashes.insert(r.trace_hash);
  }
  EXPECT_GE(hashes.size(), 18u);
}

TEST(SimTest, ShardOfSeedsHoldsEveryInvariant) {
  int conclusive = 0;
  for (std::uint64_t seed = 10001; seed < 10101; ++seed) {
    const SeedResult r = RunSeed(seed, Options());
    ASSERT_TRUE(r.ok) << "seed " << seed << " step " << r.steps << ": " << r.violation
                      << "\nreproduce: hwsnap-sim --seed " << seed << " --verbose\n"
                      << absl::StrJoin(r.trace, "\n");
    conclusive += r.timing_overrun ? 0 : 1;
  }
  EXPECT_GE(conclusive, 90);
}

}  // namespace
}  // namespace hwsnap::sim
