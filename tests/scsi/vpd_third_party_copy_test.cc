// VPD 0x8F third-party copy (hwsnap/scsi/vpd.h): whether EXTENDED COPY (LID1)
// is offered and the copy limits, over a page built per SPC-4 7.8.17 the way
// LIO reports it (supported commands, parameter data, supported descriptors).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixture_loader.h"
#include "hwsnap/scsi/vpd.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::uint8_t> Page(const std::vector<std::vector<std::uint8_t>>& descriptors) {
  std::vector<std::uint8_t> page = {0x00, 0x8F, 0x00, 0x00};
  for (const auto& d : descriptors) page.insert(page.end(), d.begin(), d.end());
  page[2] = static_cast<std::uint8_t>((page.size() - 4) >> 8);
  page[3] = static_cast<std::uint8_t>(page.size() - 4);
  return page;
}

std::vector<std::uint8_t> Descriptor(std::uint16_t type, std::vector<std::uint8_t> data) {
  std::vector<std::uint8_t> d = {static_cast<std::uint8_t>(type >> 8), static_cast<std::uint8_t>(type),
                                 static_cast<std::uint8_t>(data.size() >> 8), static_cast<std::uint8_t>(data.size())};
  d.insert(d.end(), data.begin(), data.end());
  return d;
}

// 0x0001: list length, then EXTENDED COPY {LID1}, RECEIVE COPY RESULTS {0, 3}, padding.
std::vector<std::uint8_t> SupportedCommands(std::uint8_t xcopy_sa) {
  return Descriptor(0x0001, {0x07, 0x83, 0x01, xcopy_sa, 0x84, 0x02, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00});
}

std::vector<std::uint8_t> ParameterData() {
  std::vector<std::uint8_t> data(28, 0);
  data[5] = 2;     // max CSCD descriptor count (descriptor bytes 8-9)
  data[7] = 1;     // max segment descriptor count (10-11)
  data[10] = 0x04; // max descriptor list length 1024 (12-15)
  data[15] = 0;    // max inline data length 0 (16-19)
  return Descriptor(0x0004, data);
}

TEST(VpdThirdPartyCopyTest, LioStyleOffersLid1) {
  const std::vector<std::uint8_t> page =
      Page({SupportedCommands(0x00), ParameterData(), Descriptor(0x0008, {0x02, 0x02, 0xE4, 0x00})});
  absl::StatusOr<ThirdPartyCopyPage> p = ParseVpdThirdPartyCopy(page);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->SupportsExtendedCopyLid1());
  EXPECT_TRUE(p->Supports(0x84, 0x03));
  EXPECT_FALSE(p->Supports(0x84, 0x01));
  ASSERT_EQ(p->supported_commands.size(), 2u);
  EXPECT_THAT(p->supported_commands[1].service_actions, ElementsAre(0x00, 0x03));
  ASSERT_TRUE(p->max_cscd_descriptor_count.has_value());
  EXPECT_EQ(*p->max_cscd_descriptor_count, 2);
  EXPECT_EQ(*p->max_segment_descriptor_count, 1);
  EXPECT_EQ(*p->max_descriptor_list_length, 1024u);
  EXPECT_EQ(*p->max_inline_data_length, 0u);
  ASSERT_EQ(p->descriptors.size(), 3u);
  EXPECT_EQ(p->descriptors[2].type, 0x0008);
}

TEST(VpdThirdPartyCopyTest, PublishedLioPage) {
  absl::StatusOr<testing::Fixture> f = testing::LoadFixture("published/lio-8f-patch/vpd8f.hex");
  ASSERT_TRUE(f.ok()) << f.status();
  absl::StatusOr<ThirdPartyCopyPage> p = ParseVpdThirdPartyCopy(f->bytes);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->SupportsExtendedCopyLid1());
  EXPECT_TRUE(p->Supports(0x84, 0x03));
  EXPECT_EQ(*p->max_cscd_descriptor_count, 2);
  EXPECT_EQ(*p->max_segment_descriptor_count, 1);
  EXPECT_EQ(*p->max_descriptor_list_length, 1024u);
  ASSERT_EQ(p->descriptors.size(), 5u);
  EXPECT_EQ(p->descriptors[4].type, 0x8001);
  EXPECT_EQ(p->descriptors[4].data.size(), 32u);
}

TEST(VpdThirdPartyCopyTest, Lid4OnlyIsNotLid1) {
  absl::StatusOr<ThirdPartyCopyPage> p = ParseVpdThirdPartyCopy(Page({SupportedCommands(0x01)}));
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->SupportsExtendedCopyLid1());
  EXPECT_FALSE(p->max_cscd_descriptor_count.has_value());
}

TEST(VpdThirdPartyCopyTest, EmptyPage) {
  absl::StatusOr<ThirdPartyCopyPage> p = ParseVpdThirdPartyCopy(Page({}));
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->SupportsExtendedCopyLid1());
}

TEST(VpdThirdPartyCopyTest, DescriptorPastPageEnd) {
  std::vector<std::uint8_t> page = Page({ParameterData()});
  page[4 + 3] = 0x40;
  absl::StatusOr<ThirdPartyCopyPage> p = ParseVpdThirdPartyCopy(page);
  EXPECT_EQ(GetErrorCode(p.status()), ErrorCode::kBackendFailure);
  EXPECT_THAT(std::string(p.status().message()),
              HasSubstr("VPD 0x8f: descriptor 0 (type 0x0004) length 64 runs past page end (36 bytes)"));
}

TEST(VpdThirdPartyCopyTest, SupportedCommandsListOverruns) {
  // Service action count 5 with only 1 byte left in the list.
  absl::StatusOr<ThirdPartyCopyPage> p =
      ParseVpdThirdPartyCopy(Page({Descriptor(0x0001, {0x03, 0x83, 0x05, 0x00})}));
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("opcode 0x83 lists 5 service actions past the list end"));
  p = ParseVpdThirdPartyCopy(Page({Descriptor(0x0001, {0x09, 0x83})}));
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("list length 9 runs past the descriptor"));
  p = ParseVpdThirdPartyCopy(Page({Descriptor(0x0001, {})}));
  EXPECT_FALSE(p.ok());
}

TEST(VpdThirdPartyCopyTest, ShortParameterData) {
  absl::StatusOr<ThirdPartyCopyPage> p = ParseVpdThirdPartyCopy(Page({Descriptor(0x0004, {0, 0, 0, 0})}));
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("(parameter data) is 8 bytes, at least 20 needed"));
}

TEST(VpdThirdPartyCopyTest, CutDescriptorHeader) {
  std::vector<std::uint8_t> page = Page({});
  page.push_back(0x00);
  page.push_back(0x01);
  page[3] = 2;
  absl::StatusOr<ThirdPartyCopyPage> p = ParseVpdThirdPartyCopy(page);
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("descriptor 0 header at offset 4 is cut short"));
}

}  // namespace
}  // namespace hwsnap::scsi
