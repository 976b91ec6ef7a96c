// Deterministic fuzzing of every NVMe parser family, for every build (the
// asan preset runs it under ASan/UBSan): each captured fixture and each
// hand-built buffer of identify_data_builder.h, and thousands of seeded
// mutations of them — truncations, bit flips, boundary values in the count
// and length fields (NLBAF, FLBAS, NIDL, NUMID), random extensions, splices —
// go through every driver of fuzz/nvme_parser_drivers.h. Asserts: no crash
// (the sanitizers watch memory), no invariant broken by an ok result, and
// every failure is a Status carrying an hwsnap domain code.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "fixture_loader.h"
#include "fuzz/nvme_parser_drivers.h"
#include "hwsnap/status.h"
#include "identify_data_builder.h"

namespace hwsnap::nvme {
namespace {

using Input = std::vector<std::uint8_t>;

constexpr int kMutationsPerSeed = 1500;

// Offsets of fields that steer the parsers: Identify Namespace NLBAF/FLBAS,
// descriptor NIDT/NIDL, list counts, the first list entries.
constexpr std::size_t kHotOffsets[] = {0, 1, 2, 3, 4, 5, 25, 26, 30, 128, 130};

Input Mutate(const Input& base, const Input& other, std::mt19937& rng) {
  Input out = base;
  auto pick = [&](std::size_t n) { return n == 0 ? std::size_t{0} : static_cast<std::size_t>(rng() % n); };
  static constexpr std::uint8_t kBoundary[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x07, 0x08, 0x09, 0x0c, 0x0f,
                                               0x10, 0x11, 0x1f, 0x20, 0x3f, 0x40, 0x6f, 0x7f, 0x80, 0xff};
  const int steps = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < steps; ++i) {
    switch (rng() % 8) {
      case 0:
        if (!out.empty()) out[pick(out.size())] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
        break;
      case 1:
        if (!out.empty()) out[pick(out.size())] = kBoundary[pick(sizeof kBoundary)];
        break;
      case 2:  // a steering field
        for (std::size_t at : kHotOffsets) {
          if (at < out.size() && rng() % 3 == 0) out[at] = kBoundary[pick(sizeof kBoundary)];
        }
        break;
      case 3:
        out.resize(pick(out.size() + 1));
        break;
      case 4: {
        const std::size_t n = 1 + pick(64);
        for (std::size_t k = 0; k < n; ++k) out.push_back(static_cast<std::uint8_t>(rng()));
        break;
      }
      case 5:
        if (!other.empty()) {
          const std::size_t from = pick(other.size());
          out.resize(pick(out.size() + 1));
          out.insert(out.end(), other.begin() + static_cast<std::ptrdiff_t>(from), other.end());
        }
        break;
      case 6:  // a printable-hostile byte inside the Identify Controller strings
        if (out.size() > 72) out[4 + pick(68)] = static_cast<std::uint8_t>(rng() % 2 ? 0x00 : 0x80 + rng() % 0x80);
        break;
      default:
        if (!out.empty()) out[pick(out.size())] = static_cast<std::uint8_t>(rng());
        break;
    }
  }
  return out;
}

std::vector<Input> Seeds() {
  std::vector<Input> seeds;
  for (const std::string& path : testing::ListNvmeFixtures(".bin")) {
    absl::StatusOr<Input> bytes = testing::LoadNvmeFixture(path);
    if (bytes.ok()) seeds.push_back(std::move(*bytes));
  }
  for (const std::string& path : testing::ListNvmeFixtures(".txt")) {  // errors.txt: text for the mapping parser
    absl::StatusOr<Input> bytes = testing::LoadNvmeFixture(path);
    if (bytes.ok()) seeds.push_back(std::move(*bytes));
  }
  seeds.push_back(testing::ControllerBytes(testing::ControllerSpec()));
  testing::NamespaceSpec ns;
  ns.nguid.fill(0x5a);
  ns.eui64.fill(0xa5);
  seeds.push_back(testing::NamespaceBytes(ns));
  seeds.push_back(Input(4096, 0));
  seeds.push_back(testing::DescriptorBytes({{1, Input(8, 1)}, {2, Input(16, 2)}, {3, Input(16, 3)}, {4, {0}}}));
  seeds.push_back(testing::NamespaceListBytes({1, 2, 3, 10}));
  seeds.push_back(testing::ControllerListBytes({0, 1, 2}));
  const std::string mapping = "eui64:scsi-name,nguid:eui64,uuid:omit,serial:translation,vendor:pci-vid,product:16";
  seeds.emplace_back(mapping.begin(), mapping.end());
  // A whole identity input for RunIdentity: mapping byte, controller, namespace, descriptors.
  Input identity = {0x55};
  Input c = testing::ControllerBytes(testing::ControllerSpec());
  identity.insert(identity.end(), c.begin(), c.begin() + 1024);
  Input n = testing::NamespaceBytes(ns);
  identity.insert(identity.end(), n.begin(), n.begin() + 384);
  Input d = testing::DescriptorBytes({{3, Input(16, 3)}});
  identity.insert(identity.end(), d.begin(), d.begin() + 64);
  seeds.push_back(identity);
  return seeds;
}

void Check(const fuzzing::NvmeParserDriver& driver, const Input& input, const char* what) {
  const fuzzing::Findings f = driver.run(input);
  for (const std::string& v : f.violations) {
    ADD_FAILURE() << driver.name << " on " << what << " (" << input.size() << " bytes): " << v;
  }
  for (const absl::Status& s : f.failures) {
    EXPECT_TRUE(HasErrorCode(s)) << driver.name << ": " << s;
  }
}

TEST(NvmeParsersFuzzTest, SeedsAndEveryTruncation) {
  for (const Input& seed : Seeds()) {
    for (const fuzzing::NvmeParserDriver& driver : fuzzing::AllNvmeParserDrivers()) {
      Check(driver, seed, "seed");
      // Every truncation of the first 160 bytes, then coarser steps.
      for (std::size_t n = 0; n <= seed.size(); n += (n < 160 ? 1 : 61)) {
        Check(driver, Input(seed.begin(), seed.begin() + static_cast<std::ptrdiff_t>(n)), "truncation");
      }
    }
  }
}

TEST(NvmeParsersFuzzTest, SeededMutations) {
  const std::vector<Input> seeds = Seeds();
  std::mt19937 rng(0x4e564d65);  // "NVMe"
  int runs = 0;
  for (std::size_t i = 0; i < seeds.size(); ++i) {
    const Input& other = seeds[(i + 1) % seeds.size()];
    for (int m = 0; m < kMutationsPerSeed; ++m) {
      const Input input = Mutate(seeds[i], other, rng);
      for (const fuzzing::NvmeParserDriver& driver : fuzzing::AllNvmeParserDrivers()) {
        Check(driver, input, "mutation");
        ++runs;
      }
    }
  }
  EXPECT_GT(runs, 0);
}

TEST(NvmeParsersFuzzTest, RandomBytes) {
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    Input input(rng() % 1600);
    for (std::uint8_t& b : input) b = static_cast<std::uint8_t>(rng());
    for (const fuzzing::NvmeParserDriver& driver : fuzzing::AllNvmeParserDrivers()) Check(driver, input, "random");
  }
}

}  // namespace
}  // namespace hwsnap::nvme
