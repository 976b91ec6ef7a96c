// sim_random.h — the simulation's only source of choices.
//
// Exists so that a seed means the same run on every standard library: the
// engine is std::mt19937_64 (its output sequence is fixed by the standard),
// and bounded draws are done here by rejection sampling rather than with
// std::uniform_int_distribution, whose algorithm is implementation-defined.
// Only the director thread draws, and only in an order it decides (never in
// the order threads happen to arrive).
//
//   hwsnap::sim::SimRandom rng(seed);
//   int lun_count = 1 + rng.Below(4);       // 1..4
//   if (rng.Chance(1, 10)) ...               // 10 %
#ifndef HWSNAP_TESTS_SIM_SIM_RANDOM_H_
#define HWSNAP_TESTS_SIM_SIM_RANDOM_H_

#include <cstdint>
#include <random>

namespace hwsnap::sim {

class SimRandom {
 public:
  explicit SimRandom(std::uint64_t seed) : engine_(seed) {}

  // Uniform in [0, bound); bound must be positive (0 for bound <= 0).
  std::uint64_t Below(std::uint64_t bound) {
    if (bound <= 1) return 0;
    // Largest multiple of `bound` representable: reject draws above it so
    // every residue is equally likely.
    const std::uint64_t limit = UINT64_MAX - (UINT64_MAX % bound + 1) % bound;
    for (;;) {
      const std::uint64_t x = engine_();
      if (x <= limit) return x % bound;
    }
  }
  int BelowInt(int bound) { return bound <= 0 ? 0 : static_cast<int>(Below(static_cast<std::uint64_t>(bound))); }

  // True with probability num/den.
  bool Chance(std::uint64_t num, std::uint64_t den) { return Below(den) < num; }

 private:
  std::mt19937_64 engine_;
};

}  // namespace hwsnap::sim

#endif  // HWSNAP_TESTS_SIM_SIM_RANDOM_H_
