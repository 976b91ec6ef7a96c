// Tests of hwsnap/windows/guid_conversion.h (Windows only; runs under Wine).
//
// This file exists because a GUID converted with the wrong byte order still
// looks like a GUID: the tests compare against Windows' own text form
// (StringFromGUID2) so a swapped Data1..Data3 cannot pass.
#include "hwsnap/windows/guid_conversion.h"

#include <objbase.h>

#include <string>

#include <gtest/gtest.h>

#include "hwsnap/ids.h"

namespace hwsnap {
namespace windows {
namespace {

// Windows' "{XXXXXXXX-...}" for `guid`, narrowed to ASCII.
std::string WindowsText(const GUID& guid) {
  wchar_t text[64] = {};
  const int n = StringFromGUID2(guid, text, 64);
  std::string out;
  for (int i = 0; i + 1 < n; ++i) out.push_back(static_cast<char>(text[i]));
  return out;
}

const GUID kSample = {0x6B29FC40, 0xCA47, 0x1067, {0xB3, 0x1D, 0x00, 0xDD, 0x01, 0x06, 0x62, 0xDA}};

TEST(GuidConversionTest, MatchesWindowsTextForm) {
  SnapshotSetId set = GuidFromWindows<SnapshotSetTag>(kSample);
  EXPECT_EQ(set.ToString(), "{6B29FC40-CA47-1067-B31D-00DD010662DA}");
  EXPECT_EQ(set.ToString(), WindowsText(kSample));
}

TEST(GuidConversionTest, RfcByteOrderHasData1To3BigEndian) {
  const auto bytes = GuidBytes(kSample);
  EXPECT_EQ(bytes[0], 0x6B);
  EXPECT_EQ(bytes[3], 0x40);
  EXPECT_EQ(bytes[4], 0xCA);
  EXPECT_EQ(bytes[6], 0x10);
  EXPECT_EQ(bytes[8], 0xB3);
  EXPECT_EQ(bytes[15], 0xDA);
}

TEST(GuidConversionTest, RoundTripsBothWays) {
  EXPECT_TRUE(IsEqualGUID(GuidToWindows(GuidFromWindows<SnapshotTag>(kSample)), kSample));
  for (int i = 0; i < 100; ++i) {
    SnapshotSetId id = SnapshotSetId::Random();
    GUID guid = GuidToWindows(id);
    EXPECT_EQ(WindowsText(guid), id.ToString());
    EXPECT_EQ(GuidFromWindows<SnapshotSetTag>(guid), id);
  }
}

TEST(GuidConversionTest, NilStaysNil) {
  EXPECT_TRUE(GuidFromWindows<SnapshotSetTag>(GUID_NULL).is_nil());
  EXPECT_TRUE(IsEqualGUID(GuidToWindows(SnapshotSetId()), GUID_NULL));
}

TEST(GuidConversionTest, ParsedTextConvertsToTheSameGuid) {
  auto parsed = SnapshotSetId::Parse("{6b29fc40-ca47-1067-b31d-00dd010662da}");
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(IsEqualGUID(GuidToWindows(*parsed), kSample));
}

}  // namespace
}  // namespace windows
}  // namespace hwsnap
