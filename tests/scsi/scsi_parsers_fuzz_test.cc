// Deterministic fuzzing of every SCSI parser family, for every build (the
// asan preset runs it under ASan/UBSan): each fixture under fixtures/ and
// thousands of seeded mutations of it — every truncation, bit flips, bytes
// set to boundary values, length fields inflated, random extensions and
// splices with other fixtures — go through every driver of
// fuzz/parser_drivers.h. Asserts: no crash (the sanitizers watch memory),
// and every failure is a Status carrying an hwsnap domain code.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "fixture_loader.h"
#include "fuzz/parser_drivers.h"
#include "hwsnap/logging.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi {
namespace {

using Input = std::vector<std::uint8_t>;

constexpr int kMutationsPerFixture = 600;

// One seeded mutation of `base` (with `other` as splice material).
Input Mutate(const Input& base, const Input& other, std::mt19937& rng) {
  Input out = base;
  auto pick = [&](std::size_t n) { return n == 0 ? std::size_t{0} : static_cast<std::size_t>(rng() % n); };
  static constexpr std::uint8_t kBoundary[] = {0x00, 0x01, 0x03, 0x04, 0x07, 0x08, 0x0F, 0x10, 0x1F, 0x20,
                                               0x3F, 0x40, 0x7F, 0x80, 0xC0, 0xE4, 0xFE, 0xFF};
  const int steps = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < steps; ++i) {
    switch (rng() % 8) {
      case 0:  // flip a bit
        if (!out.empty()) out[pick(out.size())] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
        break;
      case 1:  // boundary value
        if (!out.empty()) out[pick(out.size())] = kBoundary[pick(sizeof kBoundary)];
        break;
      case 2:  // inflate a header length field (bytes 2-4, 7 of pages, sense, LUN lists)
        for (std::size_t at : {std::size_t{2}, std::size_t{3}, std::size_t{4}, std::size_t{7}}) {
          if (at < out.size() && rng() % 2 == 0) out[at] = static_cast<std::uint8_t>(rng());
        }
        break;
      case 3:  // truncate
        out.resize(pick(out.size() + 1));
        break;
      case 4: {  // extend with random bytes
        const std::size_t n = 1 + pick(64);
        for (std::size_t k = 0; k < n; ++k) out.push_back(static_cast<std::uint8_t>(rng()));
        break;
      }
      case 5:  // splice the tail of another fixture
        if (!other.empty()) {
          const std::size_t from = pick(other.size());
          out.resize(pick(out.size() + 1));
          out.insert(out.end(), other.begin() + static_cast<std::ptrdiff_t>(from), other.end());
        }
        break;
      case 6:  // duplicate a chunk (repeated descriptors)
        if (out.size() > 4) {
          const std::size_t from = 4 + pick(out.size() - 4);
          const std::size_t n = std::min<std::size_t>(1 + pick(32), out.size() - from);
          Input chunk(out.begin() + static_cast<std::ptrdiff_t>(from),
                      out.begin() + static_cast<std::ptrdiff_t>(from + n));
          out.insert(out.end(), chunk.begin(), chunk.end());
        }
        break;
      default:  // overwrite a random byte
        if (!out.empty()) out[pick(out.size())] = static_cast<std::uint8_t>(rng());
        break;
    }
  }
  return out;
}

class ScsiParsersFuzzTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { SetLogLevel(spdlog::level::off); }
  static void TearDownTestSuite() { SetLogLevel(spdlog::level::info); }

  // Runs every driver; returns how many failures were seen (all classified).
  static std::size_t RunAll(const Input& input, const std::string& what) {
    std::size_t failures = 0;
    for (const fuzzing::ParserDriver& d : fuzzing::AllParserDrivers()) {
      for (const absl::Status& s : d.run(input)) {
        ++failures;
        EXPECT_TRUE(HasErrorCode(s)) << d.name << " on " << what << ": " << s;
        if (HasErrorCode(s)) continue;
        return failures;
      }
    }
    return failures;
  }
};

TEST_F(ScsiParsersFuzzTest, FixturesTheirTruncationsAndMutations) {
  absl::StatusOr<std::vector<testing::Fixture>> fixtures = testing::LoadAllFixtures();
  ASSERT_TRUE(fixtures.ok()) << fixtures.status();
  ASSERT_GE(fixtures->size(), 20u);
  std::mt19937 rng(0x5C5150u);  // fixed seed: the same inputs on every run
  std::size_t inputs = 0;
  for (std::size_t i = 0; i < fixtures->size(); ++i) {
    const testing::Fixture& f = (*fixtures)[i];
    const Input& other = (*fixtures)[(i * 7 + 3) % fixtures->size()].bytes;
    RunAll(f.bytes, f.path);
    for (std::size_t n = 0; n < f.bytes.size(); ++n) {
      RunAll(Input(f.bytes.begin(), f.bytes.begin() + static_cast<std::ptrdiff_t>(n)),
             f.path + " cut to " + std::to_string(n));
      ++inputs;
    }
    for (int m = 0; m < kMutationsPerFixture; ++m) {
      RunAll(Mutate(f.bytes, other, rng), f.path + " mutation " + std::to_string(m));
      ++inputs;
      if (HasFailure()) return;
    }
  }
  EXPECT_GT(inputs, 10000u);
}

TEST_F(ScsiParsersFuzzTest, RandomBytes) {
  std::mt19937 rng(20261201u);
  for (int i = 0; i < 3000; ++i) {
    Input input(rng() % 300);
    for (auto& b : input) b = static_cast<std::uint8_t>(rng());
    RunAll(input, "random input " + std::to_string(i));
    if (HasFailure()) return;
  }
}

TEST_F(ScsiParsersFuzzTest, LengthFieldExtremes) {
  // Every header length field at 0 and at its maximum, over each fixture.
  absl::StatusOr<std::vector<testing::Fixture>> fixtures = testing::LoadAllFixtures();
  ASSERT_TRUE(fixtures.ok());
  for (const testing::Fixture& f : *fixtures) {
    for (std::size_t at = 0; at < std::min<std::size_t>(f.bytes.size(), 16); ++at) {
      for (std::uint8_t v : {std::uint8_t{0x00}, std::uint8_t{0xFF}}) {
        Input input = f.bytes;
        input[at] = v;
        RunAll(input, f.path + " byte " + std::to_string(at) + "=" + std::to_string(v));
      }
    }
  }
}

}  // namespace
}  // namespace hwsnap::scsi
