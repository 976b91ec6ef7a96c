// VPD 0x83 device identification (hwsnap/scsi/vpd.h): tgt captures, every
// designator type, code set and association, and the malformed cases.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixture_loader.h"
#include "hwsnap/scsi/vpd.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A page 0x83 around the given designation descriptors (each with header).
std::vector<std::uint8_t> Page(const std::vector<std::vector<std::uint8_t>>& descriptors) {
  std::vector<std::uint8_t> page = {0x00, 0x83, 0x00, 0x00};
  for (const auto& d : descriptors) page.insert(page.end(), d.begin(), d.end());
  const std::size_t length = page.size() - 4;
  page[2] = static_cast<std::uint8_t>(length >> 8);
  page[3] = static_cast<std::uint8_t>(length);
  return page;
}

// One designation descriptor.
std::vector<std::uint8_t> Desc(std::uint8_t code_set, std::uint8_t association, std::uint8_t type,
                               std::vector<std::uint8_t> bytes, std::uint8_t protocol = 0, bool piv = false) {
  // Header pushed byte by byte: GCC 12 at -O2 misreads insert() after a
  // 4-byte initializer list as an out-of-bounds memcpy (-Warray-bounds).
  std::vector<std::uint8_t> d;
  d.reserve(4 + bytes.size());
  d.push_back(static_cast<std::uint8_t>((protocol << 4) | code_set));
  d.push_back(static_cast<std::uint8_t>((piv ? 0x80 : 0) | (association << 4) | type));
  d.push_back(0);
  d.push_back(static_cast<std::uint8_t>(bytes.size()));
  for (std::uint8_t b : bytes) d.push_back(b);
  return d;
}

std::string Message(const absl::StatusOr<DeviceIdentificationPage>& p) { return std::string(p.status().message()); }

TEST(VpdDeviceIdTest, TgtLun1) {
  absl::StatusOr<testing::Fixture> f = testing::LoadFixture("tgt/lun1/vpd83.hex");
  ASSERT_TRUE(f.ok()) << f.status();
  absl::StatusOr<DeviceIdentificationPage> p = ParseVpdDeviceIdentification(f->bytes);
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->designators.size(), 3u);
  const DeviceIdDesignator& t10 = p->designators[0];
  EXPECT_EQ(t10.code_set, 2);
  EXPECT_EQ(t10.association, 0);
  EXPECT_EQ(t10.designator_type, kDesignatorT10VendorId);
  ASSERT_EQ(t10.designator.size(), 36u);
  EXPECT_EQ(std::string(t10.designator.begin(), t10.designator.begin() + 16), "IET     00010001");
  const DeviceIdDesignator& naa3 = p->designators[1];
  EXPECT_EQ(naa3.code_set, 1);
  EXPECT_EQ(naa3.designator_type, kDesignatorNaa);
  EXPECT_THAT(naa3.designator, ElementsAre(0x30, 0, 0, 0x01, 0, 0, 0, 0x01));
  const DeviceIdDesignator& naa6 = p->designators[2];
  EXPECT_THAT(naa6.designator, ElementsAre(0x60, 0, 0, 0, 0, 0, 0, 0, 0x0E, 0, 0, 0, 0, 0x01, 0, 0x01));
}

TEST(VpdDeviceIdTest, TgtScsiIdChangesTheDesignators) {
  absl::StatusOr<testing::Fixture> f = testing::LoadFixture("tgt/lun2-readonly-thin/vpd83.hex");
  ASSERT_TRUE(f.ok());
  absl::StatusOr<DeviceIdentificationPage> p = ParseVpdDeviceIdentification(f->bytes);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->designators.size(), 3u);
  EXPECT_EQ(std::string(p->designators[0].designator.begin(), p->designators[0].designator.begin() + 16),
            "hwsnap-snap-0001");
}

TEST(VpdDeviceIdTest, EveryTypeCodeSetAndAssociation) {
  const std::vector<std::uint8_t> naa2 = {0x20, 0, 0, 0x0E, 0x1E, 0x11, 0x22, 0x33};
  const std::vector<std::uint8_t> naa5 = {0x50, 0x01, 0x40, 0x5A, 0, 0, 0, 1};
  const std::vector<std::uint8_t> naa6(16, 0x66);
  std::vector<std::uint8_t> name = {'i', 'q', 'n', '.', 'x', ',', 't', ',', '0', 'x', '1', 0};
  const std::vector<std::uint8_t> page = Page({
      Desc(2, 0, 0, {'v', 'e', 'n', 'd'}),                                  // vendor specific, ASCII
      Desc(2, 0, 1, {'V', 'E', 'N', 'D', 'O', 'R', ' ', ' ', 'x'}),         // T10
      Desc(1, 0, 2, {1, 2, 3, 4, 5, 6, 7, 8}),                              // EUI-64
      Desc(1, 0, 2, std::vector<std::uint8_t>(12, 0xE1)),                   // EUI-64 12
      Desc(1, 0, 2, std::vector<std::uint8_t>(16, 0xE2)),                   // EUI-64 16
      Desc(1, 0, 3, naa2), Desc(1, 0, 3, naa5), Desc(1, 0, 3, naa6),        // NAA 2, 5, 6
      Desc(1, 1, 4, {0, 0, 0, 1}, 5, true),                                 // relative target port, iSCSI PIV
      Desc(1, 1, 5, {0, 0, 0, 2}),                                          // target port group
      Desc(1, 0, 6, {0, 0, 0, 3}),                                          // LU group
      Desc(1, 0, 7, std::vector<std::uint8_t>(16, 0x77)),                   // MD5
      Desc(3, 2, 8, name, 5, true),                                         // SCSI name string, target device
      Desc(1, 0, 0xA, std::vector<std::uint8_t>(18, 0xAA)),                 // reserved (SPC-5 UUID): kept
      Desc(0xF, 3, 0, {1}),                                                 // reserved code set/association: kept
  });
  absl::StatusOr<DeviceIdentificationPage> p = ParseVpdDeviceIdentification(page);
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->designators.size(), 15u);
  EXPECT_EQ(p->designators[8].association, 1);
  EXPECT_EQ(p->designators[8].designator_type, kDesignatorRelativeTargetPort);
  EXPECT_EQ(p->designators[8].protocol_identifier, 5);
  EXPECT_TRUE(p->designators[8].piv);
  EXPECT_EQ(p->designators[12].code_set, 3);
  EXPECT_EQ(p->designators[12].association, 2);
  EXPECT_EQ(p->designators[12].designator, name);
  EXPECT_EQ(p->designators[13].designator_type, 0xA);
  EXPECT_EQ(p->designators[14].code_set, 0xF);
  EXPECT_EQ(p->designators[14].association, 3);
}

TEST(VpdDeviceIdTest, EmptyPageHasNoDesignators) {
  absl::StatusOr<DeviceIdentificationPage> p = ParseVpdDeviceIdentification(Page({}));
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->designators.empty());
}

TEST(VpdDeviceIdTest, DesignatorRunningPastPageEnd) {
  std::vector<std::uint8_t> page = Page({Desc(1, 0, 3, std::vector<std::uint8_t>(8, 0x30)),
                                         Desc(1, 0, 3, std::vector<std::uint8_t>(8, 0x31)),
                                         Desc(1, 0, 3, std::vector<std::uint8_t>(16, 0x60))});
  page[4 + 12 + 12 + 3] = 28;  // designator 2 claims 28 bytes; 16 remain
  absl::StatusOr<DeviceIdentificationPage> p = ParseVpdDeviceIdentification(page);
  EXPECT_EQ(GetErrorCode(p.status()), ErrorCode::kBackendFailure);
  EXPECT_EQ(Message(p), "VPD 0x83: designator 2 length 28 runs past page end (48 bytes)");
}

TEST(VpdDeviceIdTest, DesignatorHeaderCutShort) {
  std::vector<std::uint8_t> page = Page({Desc(1, 0, 3, std::vector<std::uint8_t>(8, 0x30))});
  page.push_back(0x01);
  page.push_back(0x03);
  page[3] = static_cast<std::uint8_t>(page.size() - 4);
  absl::StatusOr<DeviceIdentificationPage> p = ParseVpdDeviceIdentification(page);
  EXPECT_THAT(Message(p), HasSubstr("designator 1 header at offset 16 is cut short"));
}

struct BadCase {
  const char* name;
  std::vector<std::uint8_t> descriptor;
  const char* expected;
};

TEST(VpdDeviceIdTest, LengthRulesPerType) {
  const std::vector<BadCase> cases = {
      {"naa3 16", Desc(1, 0, 3, std::vector<std::uint8_t>(16, 0x30)), "length 16, expected 8 for NAA 3"},
      {"naa5 16", Desc(1, 0, 3, std::vector<std::uint8_t>(16, 0x50)), "length 16, expected 8 for NAA 5"},
      {"naa2 4", Desc(1, 0, 3, {0x20, 0, 0, 0}), "length 4, expected 8 for NAA 2"},
      {"naa6 8", Desc(1, 0, 3, std::vector<std::uint8_t>(8, 0x60)), "length 8, expected 16 for NAA 6"},
      {"naa other 4", Desc(1, 0, 3, {0xC0, 0, 0, 0}), "expected 8 or 16 (NAA 12)"},
      {"naa empty", Desc(1, 0, 3, {}), "length 0, expected 8 or 16 (NAA)"},
      {"eui 10", Desc(1, 0, 2, std::vector<std::uint8_t>(10, 1)), "expected 8, 12 or 16"},
      {"t10 short", Desc(2, 0, 1, {'A', 'B', 'C'}), "expected at least 8"},
      {"port 2", Desc(1, 1, 4, {0, 1}), "(type 4) length 2, expected 4"},
      {"tpg 8", Desc(1, 1, 5, std::vector<std::uint8_t>(8, 0)), "(type 5) length 8, expected 4"},
      {"lug 0", Desc(1, 0, 6, {}), "(type 6) length 0, expected 4"},
      {"md5 8", Desc(1, 0, 7, std::vector<std::uint8_t>(8, 0)), "expected 16 (MD5"},
      {"name ascii", Desc(2, 0, 8, {'i', 'q', 'n', 0}), "code set 2, SCSI name strings are UTF-8"},
      {"name len 5", Desc(3, 0, 8, {'i', 'q', 'n', '.', 0}), "a non-zero multiple of 4"},
      {"name no nul", Desc(3, 0, 8, {'i', 'q', 'n', '.'}), "not NUL-terminated"},
  };
  for (const BadCase& c : cases) {
    absl::StatusOr<DeviceIdentificationPage> p = ParseVpdDeviceIdentification(Page({c.descriptor}));
    EXPECT_EQ(GetErrorCode(p.status()), ErrorCode::kBackendFailure) << c.name;
    EXPECT_THAT(Message(p), HasSubstr(c.expected)) << c.name;
    EXPECT_THAT(Message(p), HasSubstr("VPD 0x83: designator 0")) << c.name;
  }
}

}  // namespace
}  // namespace hwsnap::scsi
