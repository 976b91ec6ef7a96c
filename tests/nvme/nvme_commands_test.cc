// Tests of the command builders and DescribeNvmeCommand
// (hwsnap/nvme/nvme_commands.h): the exact opcode, NSID, CDWs and data bytes
// of every builder, and each refusal.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hwsnap/nvme/nvme_commands.h"
#include "hwsnap/status.h"

namespace hwsnap::nvme {
namespace {

using ::testing::HasSubstr;

std::uint64_t Le(const std::vector<std::uint8_t>& b, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | b[at + static_cast<std::size_t>(i)];
  return v;
}

void ExpectCdws(const NvmeCommand& c, std::array<std::uint32_t, 8> cdw) {
  EXPECT_EQ(c.cdw2, cdw[0]);
  EXPECT_EQ(c.cdw3, cdw[1]);
  EXPECT_EQ(c.cdw10, cdw[2]);
  EXPECT_EQ(c.cdw11, cdw[3]);
  EXPECT_EQ(c.cdw12, cdw[4]);
  EXPECT_EQ(c.cdw13, cdw[5]);
  EXPECT_EQ(c.cdw14, cdw[6]);
  EXPECT_EQ(c.cdw15, cdw[7]);
}

TEST(NvmeCommandsTest, Identify) {
  NvmeCommand c = BuildIdentify(kCnsController);
  EXPECT_EQ(c.queue, NvmeQueue::kAdmin);
  EXPECT_EQ(c.opcode, 0x06);
  EXPECT_EQ(c.nsid, 0u);
  ExpectCdws(c, {0, 0, 0x00000001, 0, 0, 0, 0, 0});
  EXPECT_EQ(c.direction, NvmeDataDirection::kFromDevice);
  EXPECT_EQ(c.data_in_length, 4096u);
  EXPECT_TRUE(c.data_out.empty());

  c = BuildIdentify(kCnsNamespaceAttachedControllers, 7, 0x1234);
  EXPECT_EQ(c.nsid, 7u);
  ExpectCdws(c, {0, 0, 0x12340012, 0, 0, 0, 0, 0});
  EXPECT_EQ(BuildIdentify(kCnsNamespaceIdDescriptors, 3).cdw10, 0x03u);
  EXPECT_EQ(BuildIdentify(kCnsAllocatedNamespace, 3).cdw10, 0x11u);
  EXPECT_EQ(BuildIdentify(kCnsSubsystemControllers).cdw10, 0x13u);
}

TEST(NvmeCommandsTest, NamespaceCreate) {
  NvmeCommand c = BuildNamespaceCreate(0x0000000100000002, 0x0000000300000004, 0x04, 0x01);
  EXPECT_EQ(c.queue, NvmeQueue::kAdmin);
  EXPECT_EQ(c.opcode, 0x0d);
  EXPECT_EQ(c.nsid, 0u);
  ExpectCdws(c, {0, 0, 0x0 /* SEL create */, 0 /* CSI NVM */, 0, 0, 0, 0});
  EXPECT_EQ(c.direction, NvmeDataDirection::kToDevice);
  ASSERT_EQ(c.data_out.size(), 4096u);
  EXPECT_EQ(Le(c.data_out, 0, 8), 0x0000000100000002u);
  EXPECT_EQ(Le(c.data_out, 8, 8), 0x0000000300000004u);
  EXPECT_EQ(c.data_out[26], 0x04);
  EXPECT_EQ(c.data_out[30], 0x01);
  std::size_t nonzero = 0;
  for (std::uint8_t b : c.data_out) nonzero += b != 0;
  EXPECT_EQ(nonzero, 6u);  // nothing else is set
}

TEST(NvmeCommandsTest, NamespaceDelete) {
  NvmeCommand c = BuildNamespaceDelete(9);
  EXPECT_EQ(c.opcode, 0x0d);
  EXPECT_EQ(c.nsid, 9u);
  ExpectCdws(c, {0, 0, 0x1, 0, 0, 0, 0, 0});
  EXPECT_EQ(c.direction, NvmeDataDirection::kNone);
  // Never "delete every namespace".
  EXPECT_EQ(BuildNamespaceDelete(0xffffffff).nsid, 0u);
}

TEST(NvmeCommandsTest, NamespaceAttachment) {
  const std::vector<std::uint16_t> ids = {1, 0x0203};
  absl::StatusOr<NvmeCommand> c = BuildNamespaceAttachment(5, true, ids);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->opcode, 0x15);
  EXPECT_EQ(c->nsid, 5u);
  ExpectCdws(*c, {0, 0, 0x0, 0, 0, 0, 0, 0});
  ASSERT_EQ(c->data_out.size(), 4096u);
  EXPECT_EQ(c->data_out[0], 2);
  EXPECT_EQ(c->data_out[1], 0);
  EXPECT_EQ(c->data_out[2], 1);
  EXPECT_EQ(c->data_out[3], 0);
  EXPECT_EQ(c->data_out[4], 0x03);
  EXPECT_EQ(c->data_out[5], 0x02);
  c = BuildNamespaceAttachment(5, false, ids);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->cdw10, 0x1u);
}

TEST(NvmeCommandsTest, NamespaceAttachmentRefusals) {
  const std::vector<std::uint16_t> one = {1};
  EXPECT_EQ(GetErrorCode(BuildNamespaceAttachment(0, true, one).status()), ErrorCode::kInvalidArgument);
  EXPECT_EQ(GetErrorCode(BuildNamespaceAttachment(0xffffffff, true, one).status()), ErrorCode::kInvalidArgument);
  EXPECT_THAT(BuildNamespaceAttachment(1, true, {}).status().message(), HasSubstr("0 controller ids"));
  const std::vector<std::uint16_t> too_many(2048, 1);
  EXPECT_FALSE(BuildNamespaceAttachment(1, true, too_many).ok());
  EXPECT_TRUE(BuildNamespaceAttachment(1, true, std::vector<std::uint16_t>(2047, 1)).ok());
}

TEST(NvmeCommandsTest, ReadWriteWriteZeroes) {
  absl::StatusOr<NvmeCommand> r = BuildRead(1, 0x0000000a0000000b, 8, 4096);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->queue, NvmeQueue::kIo);
  EXPECT_EQ(r->opcode, 0x02);
  EXPECT_EQ(r->nsid, 1u);
  ExpectCdws(*r, {0, 0, 0x0000000b, 0x0000000a, 7, 0, 0, 0});
  EXPECT_EQ(r->direction, NvmeDataDirection::kFromDevice);
  EXPECT_EQ(r->data_in_length, 4096u);

  absl::StatusOr<NvmeCommand> w = BuildWrite(2, 5, 65536, std::vector<std::uint8_t>(65536 * 2, 0xab));
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->opcode, 0x01);
  ExpectCdws(*w, {0, 0, 5, 0, 0xffff, 0, 0, 0});
  EXPECT_EQ(w->direction, NvmeDataDirection::kToDevice);
  EXPECT_EQ(w->data_out.size(), 65536u * 2);

  absl::StatusOr<NvmeCommand> z = BuildWriteZeroes(3, 0xffffffffffffff00, 1);
  ASSERT_TRUE(z.ok()) << z.status();
  EXPECT_EQ(z->opcode, 0x08);
  ExpectCdws(*z, {0, 0, 0xffffff00, 0xffffffff, 0, 0, 0, 0});
  EXPECT_EQ(z->direction, NvmeDataDirection::kNone);
}

TEST(NvmeCommandsTest, BlockCommandRefusals) {
  EXPECT_FALSE(BuildRead(0, 0, 1, 512).ok());
  EXPECT_FALSE(BuildRead(0xffffffff, 0, 1, 512).ok());
  EXPECT_THAT(BuildRead(1, 0, 0, 512).status().message(), HasSubstr("0 blocks"));
  EXPECT_FALSE(BuildRead(1, 0, 65537, 65537u * 512).ok());
  EXPECT_FALSE(BuildRead(1, 0, 2, 0).ok());
  EXPECT_FALSE(BuildRead(1, 0, 2, 1025).ok());
  EXPECT_FALSE(BuildWrite(1, 0, 2, {}).ok());
  EXPECT_FALSE(BuildWrite(1, 0, 2, std::vector<std::uint8_t>(3)).ok());
  EXPECT_THAT(BuildWriteZeroes(1, 0xffffffffffffffff, 2).status().message(), HasSubstr("wraps"));
  EXPECT_TRUE(BuildWriteZeroes(1, 0xffffffffffffffff, 1).ok());
  EXPECT_EQ(GetErrorCode(BuildWriteZeroes(1, 0, 0).status()), ErrorCode::kInvalidArgument);
}

TEST(NvmeCommandsTest, CopyFormat0) {
  const std::vector<CopySourceRange> ranges = {{0, 0x0102030405060708, 1}, {0, 100, 65536}};
  absl::StatusOr<NvmeCommand> c = BuildCopy(4, 0x0000000200000001, ranges);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->queue, NvmeQueue::kIo);
  EXPECT_EQ(c->opcode, 0x19);
  EXPECT_EQ(c->nsid, 4u);
  ExpectCdws(*c, {0, 0, 0x00000001, 0x00000002, 0x00000001 /* NR 1, format 0h */, 0, 0, 0});
  EXPECT_EQ(c->direction, NvmeDataDirection::kToDevice);
  ASSERT_EQ(c->data_out.size(), 64u);
  std::vector<std::uint8_t> first(c->data_out.begin(), c->data_out.begin() + 32);
  std::vector<std::uint8_t> expected(32, 0);
  for (int i = 0; i < 8; ++i) expected[8 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(8 - i);
  EXPECT_EQ(first, expected);  // SLBA at 15:8, NLB 0 at 17:16
  EXPECT_EQ(Le(c->data_out, 32 + 8, 8), 100u);
  EXPECT_EQ(Le(c->data_out, 32 + 16, 2), 0xffffu);
  EXPECT_EQ(Le(c->data_out, 32, 4), 0u);
}

TEST(NvmeCommandsTest, CopyFormat2) {
  std::vector<CopySourceRange> ranges;
  for (std::uint32_t i = 0; i < 256; ++i) ranges.push_back({i + 1, i * 1000, i + 1});
  absl::StatusOr<NvmeCommand> c = BuildCopy(9, 77, ranges);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->cdw12, 0x000002ffu);  // NR 255, descriptor format 2h
  ASSERT_EQ(c->data_out.size(), 256u * 32);
  for (std::size_t i = 0; i < 256; ++i) {
    const std::size_t at = i * 32;
    EXPECT_EQ(Le(c->data_out, at, 4), i + 1);           // SNSID 3:0
    EXPECT_EQ(Le(c->data_out, at + 4, 4), 0u);          // reserved
    EXPECT_EQ(Le(c->data_out, at + 8, 8), i * 1000);    // SLBA 15:8
    EXPECT_EQ(Le(c->data_out, at + 16, 2), i);          // NLB 0-based
    EXPECT_EQ(Le(c->data_out, at + 18, 8), 0u);
  }
}

TEST(NvmeCommandsTest, CopyRefusals) {
  const std::vector<CopySourceRange> ok = {{0, 0, 1}};
  EXPECT_FALSE(BuildCopy(0, 0, ok).ok());
  EXPECT_THAT(BuildCopy(1, 0, {}).status().message(), HasSubstr("0 source ranges"));
  EXPECT_FALSE(BuildCopy(1, 0, std::vector<CopySourceRange>(257, {0, 0, 1})).ok());
  const std::vector<CopySourceRange> mixed = {{0, 0, 1}, {2, 0, 1}};
  EXPECT_THAT(BuildCopy(1, 0, mixed).status().message(), HasSubstr("mixes"));
  const std::vector<CopySourceRange> empty_range = {{0, 0, 0}};
  EXPECT_FALSE(BuildCopy(1, 0, empty_range).ok());
  const std::vector<CopySourceRange> too_long = {{0, 0, 65537}};
  EXPECT_FALSE(BuildCopy(1, 0, too_long).ok());
  const std::vector<CopySourceRange> broadcast = {{0xffffffff, 0, 1}};
  EXPECT_THAT(BuildCopy(1, 0, broadcast).status().message(), HasSubstr("broadcast"));
  EXPECT_EQ(GetErrorCode(BuildCopy(1, 0, mixed).status()), ErrorCode::kInvalidArgument);
}

TEST(NvmeCommandsTest, Describe) {
  EXPECT_EQ(DescribeNvmeCommand(BuildIdentify(kCnsController)), "Identify CNS 01h");
  EXPECT_EQ(DescribeNvmeCommand(BuildIdentify(kCnsNamespace, 3)), "Identify CNS 00h nsid 3");
  EXPECT_EQ(DescribeNvmeCommand(BuildIdentify(kCnsSubsystemControllers, 0, 2)), "Identify CNS 13h cntid 2");
  EXPECT_EQ(DescribeNvmeCommand(*BuildNamespaceAttachment(3, true, std::vector<std::uint16_t>{0})),
            "Namespace Attachment (attach) nsid 3");
  EXPECT_EQ(DescribeNvmeCommand(*BuildNamespaceAttachment(3, false, std::vector<std::uint16_t>{0})),
            "Namespace Attachment (detach) nsid 3");
  EXPECT_EQ(DescribeNvmeCommand(BuildNamespaceCreate(1, 1, 0, 0)), "Namespace Management (create)");
  EXPECT_EQ(DescribeNvmeCommand(BuildNamespaceDelete(4)), "Namespace Management (delete) nsid 4");
  EXPECT_EQ(DescribeNvmeCommand(*BuildRead(1, 16, 8, 4096)), "Read nsid 1 slba 16 blocks 8");
  EXPECT_EQ(DescribeNvmeCommand(*BuildWrite(1, 0, 1, std::vector<std::uint8_t>(512))), "Write nsid 1 slba 0 blocks 1");
  EXPECT_EQ(DescribeNvmeCommand(*BuildWriteZeroes(2, 5, 3)), "Write Zeroes nsid 2 slba 5 blocks 3");
  const std::vector<CopySourceRange> ranges = {{1, 0, 1}, {1, 5, 1}};
  EXPECT_EQ(DescribeNvmeCommand(*BuildCopy(2, 10, ranges)), "Copy nsid 2 to slba 10, 2 source ranges (format 2h)");
  NvmeCommand unknown;
  unknown.opcode = 0x02;
  EXPECT_EQ(DescribeNvmeCommand(unknown), "admin opcode 02h");
  unknown.queue = NvmeQueue::kIo;
  unknown.opcode = 0x7f;
  unknown.nsid = 1;
  EXPECT_EQ(DescribeNvmeCommand(unknown), "I/O opcode 7Fh nsid 1");
}

}  // namespace
}  // namespace hwsnap::nvme
