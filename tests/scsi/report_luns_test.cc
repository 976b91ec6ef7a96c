// REPORT LUNS parsing and LUN structure decoding (hwsnap/scsi/report_luns.h).
#include "hwsnap/scsi/report_luns.h"

#include <gtest/gtest.h>

#include "fixture_loader.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi {
namespace {

TEST(ReportLunsTest, TgtTargetWithThreeLuns) {
  absl::StatusOr<testing::Fixture> f = testing::LoadFixture("tgt/lun1/report_luns.hex");
  ASSERT_TRUE(f.ok()) << f.status();
  absl::StatusOr<ReportLuns> r = ParseReportLuns(f->bytes);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->list_length, 24u);
  EXPECT_FALSE(r->truncated);
  ASSERT_EQ(r->luns.size(), 3u);
  for (std::uint64_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(r->luns[i].decoded);
    EXPECT_EQ(r->luns[i].method, LunAddressMethod::kPeripheral);
    EXPECT_EQ(r->luns[i].number, i);
    EXPECT_EQ(r->luns[i].ToString(), "lun " + std::to_string(i));
  }
}

TEST(ReportLunsTest, TruncatedListKeepsWholeEntries) {
  std::vector<std::uint8_t> d = {0, 0, 0, 24, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0};
  absl::StatusOr<ReportLuns> r = ParseReportLuns(d);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->truncated);
  EXPECT_EQ(r->full_length(), 32u);
  ASSERT_EQ(r->luns.size(), 1u);
  EXPECT_EQ(r->luns[0].number, 1u);
}

TEST(ReportLunsTest, Errors) {
  EXPECT_EQ(GetErrorCode(ParseReportLuns(std::vector<std::uint8_t>(7, 0)).status()), ErrorCode::kBackendFailure);
  const std::vector<std::uint8_t> odd = {0, 0, 0, 9, 0, 0, 0, 0};
  EXPECT_FALSE(ParseReportLuns(odd).ok());
}

TEST(DecodeLunTest, AddressMethods) {
  LunEntry flat = DecodeLun({0x40 | 0x01, 0x02, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(flat.method, LunAddressMethod::kFlat);
  EXPECT_TRUE(flat.decoded);
  EXPECT_EQ(flat.number, 0x102u);

  LunEntry bus = DecodeLun({0x01, 0x05, 0, 0, 0, 0, 0, 0});  // peripheral, bus 1
  EXPECT_FALSE(bus.decoded);
  EXPECT_EQ(bus.ToString(), "raw 0105000000000000");

  LunEntry lu = DecodeLun({0x80 | 0x01, 0x23, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(lu.method, LunAddressMethod::kLogicalUnit);
  EXPECT_FALSE(lu.decoded);

  LunEntry wlun = DecodeLun({0xC1, 0x01, 0, 0, 0, 0, 0, 0});  // REPORT LUNS well-known LUN
  EXPECT_TRUE(wlun.well_known);
  EXPECT_EQ(wlun.number, 1u);
  EXPECT_EQ(wlun.ToString(), "w-lun 0x01");

  LunEntry ext = DecodeLun({0xD2, 0x12, 0x34, 0x56, 0, 0, 0, 0});  // extended flat space
  EXPECT_TRUE(ext.decoded);
  EXPECT_EQ(ext.number, 0x123456u);
  EXPECT_FALSE(ext.multi_level);

  LunEntry long_ext = DecodeLun({0xE2, 0x01, 0x02, 0x03, 0x04, 0x05, 0, 0});
  EXPECT_TRUE(long_ext.decoded);
  EXPECT_EQ(long_ext.number, 0x0102030405u);

  LunEntry two_level = DecodeLun({0x00, 0x03, 0x00, 0x04, 0, 0, 0, 0});
  EXPECT_TRUE(two_level.multi_level);
  EXPECT_EQ(two_level.ToString(), "raw 0003000400000000");

  LunEntry not_specified = DecodeLun({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF});
  EXPECT_FALSE(not_specified.decoded);
}

}  // namespace
}  // namespace hwsnap::scsi
