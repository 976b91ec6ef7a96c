// Tests of hwsnap/ids.h: GUID text is what administrators and VSS exchange,
// so parsing must be strict and formatting must be the Windows registry form.
#include "hwsnap/ids.h"

#include <array>
#include <cstdint>
#include <set>
#include <sstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/hash/hash.h"
#include "hwsnap/status.h"

namespace hwsnap {
namespace {

constexpr char kUpper[] = "{6B29FC40-CA47-1067-B31D-00DD010662DA}";
constexpr std::array<std::uint8_t, 16> kBytes = {0x6B, 0x29, 0xFC, 0x40, 0xCA, 0x47, 0x10, 0x67,
                                                 0xB3, 0x1D, 0x00, 0xDD, 0x01, 0x06, 0x62, 0xDA};

TEST(IdsTest, DefaultIsNil) {
  const SnapshotSetId id;
  EXPECT_TRUE(id.is_nil());
  EXPECT_EQ(id.ToString(), "{00000000-0000-0000-0000-000000000000}");
}

TEST(IdsTest, ParsesBracedUpperCase) {
  auto id = SnapshotSetId::Parse(kUpper);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->bytes(), kBytes);
  EXPECT_EQ(id->ToString(), kUpper);
  EXPECT_FALSE(id->is_nil());
}

TEST(IdsTest, ParsesLowerAndMixedCaseAndFormatsUpperCase) {
  for (absl::string_view text : {"{6b29fc40-ca47-1067-b31d-00dd010662da}", "{6b29FC40-Ca47-1067-b31D-00dd010662DA}"}) {
    auto id = SnapshotId::Parse(text);
    ASSERT_TRUE(id.ok()) << text << ": " << id.status();
    EXPECT_EQ(id->bytes(), kBytes) << text;
    EXPECT_EQ(id->ToString(), kUpper) << text;
  }
}

TEST(IdsTest, BracesAreOptional) {
  auto id = SnapshotSetId::Parse("6B29FC40-CA47-1067-B31D-00DD010662DA");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->ToString(), kUpper);
}

TEST(IdsTest, RoundTripsThroughText) {
  for (int i = 0; i < 100; ++i) {
    const SnapshotSetId id = SnapshotSetId::Random();
    auto parsed = SnapshotSetId::Parse(id.ToString());
    ASSERT_TRUE(parsed.ok()) << id << ": " << parsed.status();
    EXPECT_EQ(*parsed, id);
  }
}

TEST(IdsTest, MalformedTextIsInvalidArgument) {
  const char* const malformed[] = {
      "",                                          // empty
      "{}",                                        // empty inside braces
      "{",                                         // lone brace
      "{6B29FC40-CA47-1067-B31D-00DD010662D}",     // one digit short
      "{6B29FC40-CA47-1067-B31D-00DD010662DAA}",   // one digit too many
      "6B29FC40-CA47-1067-B31D-00DD010662D",       // short, no braces
      "{6B29FC40-CA47-1067-B31D-00DD010662DA",     // missing closing brace
      "6B29FC40-CA47-1067-B31D-00DD010662DA}",     // missing opening brace
      "(6B29FC40-CA47-1067-B31D-00DD010662DA)",    // wrong brackets
      "{6B29FC40-CA47-1067-B31D-00DD010662DG}",    // bad hex digit
      "{6B29FC40-CA47-1067-B31D-00DD0106 2DA}",    // space
      "{6B29FC40-CA47-1067-B31D+00DD010662DA}",    // wrong separator
      "{6B29FC4-0CA47-1067-B31D-00DD010662DA}",    // misplaced dash
      "{6B29FC40CA47-1067-B31D-00DD010662DA-}",    // misplaced dash
      "{6B29FC40-CA47-1067-B31D00DD010662DA}",     // missing dash
      "6B29FC40CA471067B31D00DD010662DA",          // no dashes at all
      "{{6B29FC40-CA47-1067-B31D-00DD010662DA}}",  // doubled braces
  };
  for (const char* text : malformed) {
    auto id = SnapshotSetId::Parse(text);
    ASSERT_FALSE(id.ok()) << "'" << text << "' parsed as " << *id;
    EXPECT_EQ(GetErrorCode(id.status()), ErrorCode::kInvalidArgument) << text << ": " << id.status();
    EXPECT_FALSE(ParseGuidText(text).ok()) << text;
  }
}

TEST(IdsTest, NulInsideTextIsRejected) {
  std::string text = kUpper;
  text[5] = '\0';
  EXPECT_EQ(GetErrorCode(SnapshotSetId::Parse(text).status()), ErrorCode::kInvalidArgument);
}

TEST(IdsTest, RandomIdsDifferAndAreVersion4) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const SnapshotId id = SnapshotId::Random();
    EXPECT_FALSE(id.is_nil());
    EXPECT_EQ(id.bytes()[6] >> 4, 4) << id << " is not a version 4 UUID";
    EXPECT_EQ(id.bytes()[8] & 0xC0, 0x80) << id << " is not an RFC 4122 variant";
    seen.insert(id.ToString());
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(IdsTest, FromBytesAndBytesAreInverse) {
  const SnapshotSetId id = SnapshotSetId::FromBytes(kBytes);
  EXPECT_EQ(id.bytes(), kBytes);
  EXPECT_EQ(id.ToString(), kUpper);
  const SnapshotSetId random = SnapshotSetId::Random();
  EXPECT_EQ(SnapshotSetId::FromBytes(random.bytes()), random);
}

TEST(IdsTest, ComparisonAndHashingFollowTheValue) {
  const SnapshotSetId a = SnapshotSetId::FromBytes(kBytes);
  std::array<std::uint8_t, 16> other_bytes = kBytes;
  other_bytes[15] ^= 1;
  const SnapshotSetId b = SnapshotSetId::FromBytes(other_bytes);
  EXPECT_EQ(a, SnapshotSetId::FromBytes(kBytes));
  EXPECT_NE(a, b);
  EXPECT_TRUE(a < b || b < a);
  EXPECT_EQ(absl::Hash<SnapshotSetId>{}(a), absl::Hash<SnapshotSetId>{}(SnapshotSetId::FromBytes(kBytes)));
}

TEST(IdsTest, StreamsAsText) {
  std::ostringstream out;
  out << SnapshotSetId::FromBytes(kBytes);
  EXPECT_EQ(out.str(), kUpper);
}

}  // namespace
}  // namespace hwsnap
