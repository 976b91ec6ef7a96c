// The EXTENDED COPY (LID1) parameter list builder (hwsnap/scsi/cdb.h):
// header, two 0xE4 identification CSCD descriptors and 0x02 segments, byte
// by byte against SPC-4's layout (the one LIO's target_core_xcopy accepts).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hwsnap/scsi/cdb.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi {
namespace {

using ::testing::ElementsAreArray;

std::vector<std::uint8_t> Naa6(std::uint8_t last) {
  return {0x60, 0x01, 0x40, 0x50, 0xAA, 0xBB, 0xCC, 0xDD, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, last};
}

std::vector<std::uint8_t> Slice(const std::vector<std::uint8_t>& v, std::size_t from, std::size_t n) {
  return std::vector<std::uint8_t>(v.begin() + static_cast<std::ptrdiff_t>(from),
                                   v.begin() + static_cast<std::ptrdiff_t>(from + n));
}

TEST(ExtendedCopyParametersTest, OneSegmentLayout) {
  CopyLun src{Naa6(0x01), 0, 512};
  CopyLun dst{Naa6(0x02), 0, 512};
  const CopySegment seg{0x10, 0x20, 128};
  absl::StatusOr<std::vector<std::uint8_t>> list = BuildExtendedCopyLid1Parameters(src, dst, {&seg, 1});
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 16u + 64u + 28u);
  // Header: list id 0, LIST ID USAGE 11b, priority 1; CSCD list 64; segment list 28; inline 0.
  EXPECT_THAT(Slice(*list, 0, 16), ElementsAreArray({0x00, 0x19, 0x00, 0x40, 0, 0, 0, 0, 0x00, 0x00, 0x00, 0x1C,
                                                     0, 0, 0, 0}));
  // Source CSCD: E4, PDT 0, port 0, designation descriptor (binary, LU, NAA, 16 bytes), block length 512.
  const std::vector<std::uint8_t> cscd0 = Slice(*list, 16, 32);
  EXPECT_THAT(Slice(cscd0, 0, 8), ElementsAreArray({0xE4, 0x00, 0x00, 0x00, 0x01, 0x03, 0x00, 0x10}));
  EXPECT_EQ(Slice(cscd0, 8, 16), Naa6(0x01));
  EXPECT_THAT(Slice(cscd0, 24, 8), ElementsAreArray({0, 0, 0, 0, 0x00, 0x00, 0x02, 0x00}));
  EXPECT_EQ(Slice(*list, 48 + 8, 16), Naa6(0x02));
  // Segment: type 02, length 0x18, src id 0, dst id 1, 128 blocks, LBAs.
  EXPECT_THAT(Slice(*list, 80, 28),
              ElementsAreArray({0x02, 0x00, 0x00, 0x18, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x80, 0, 0,
                                0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x20}));
}

TEST(ExtendedCopyParametersTest, HeldResultsAndEightByteNaa) {
  CopyLun src{{0x50, 1, 2, 3, 4, 5, 6, 7}, 0, 4096};
  CopyLun dst{{0x50, 1, 2, 3, 4, 5, 6, 8}, 0, 4096};
  const CopySegment segs[] = {{0, 0, 1}, {1, 1, 65535}};
  ExtendedCopyOptions options;
  options.hold_results = true;
  options.list_id = 0x42;
  options.priority = 0;
  absl::StatusOr<std::vector<std::uint8_t>> list = BuildExtendedCopyLid1Parameters(src, dst, segs, options);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ((*list)[0], 0x42);
  EXPECT_EQ((*list)[1], 0x00);
  EXPECT_EQ((*list)[11], 56);                    // two segments
  EXPECT_EQ((*list)[16 + 7], 8);                 // designator length
  EXPECT_EQ((*list)[16 + 16], 0);                // unused designator bytes are zero
  EXPECT_EQ((*list)[16 + 30], 0x10);             // 4096 = 0x001000
  EXPECT_EQ((*list)[80 + 28 + 10], 0xFF);        // second segment block count
  EXPECT_EQ((*list)[80 + 28 + 11], 0xFF);
}

TEST(ExtendedCopyParametersTest, RejectsBadInput) {
  const CopySegment seg{0, 0, 1};
  CopyLun good{Naa6(1), 0, 512};
  CopyLun bad_naa{{1, 2, 3}, 0, 512};
  CopyLun bad_block{Naa6(1), 0, 0x1000000};
  EXPECT_EQ(GetErrorCode(BuildExtendedCopyLid1Parameters(bad_naa, good, {&seg, 1}).status()),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(GetErrorCode(BuildExtendedCopyLid1Parameters(good, bad_block, {&seg, 1}).status()),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(GetErrorCode(BuildExtendedCopyLid1Parameters(good, good, {}).status()), ErrorCode::kInvalidArgument);
  const CopySegment empty{0, 0, 0};
  EXPECT_EQ(GetErrorCode(BuildExtendedCopyLid1Parameters(good, good, {&empty, 1}).status()),
            ErrorCode::kInvalidArgument);
  ExtendedCopyOptions id_without_hold;
  id_without_hold.list_id = 3;
  EXPECT_EQ(GetErrorCode(BuildExtendedCopyLid1Parameters(good, good, {&seg, 1}, id_without_hold).status()),
            ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace hwsnap::scsi
