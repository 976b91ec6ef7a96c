// Every captured page under fixtures/ (tgt now, the VM's scsi_debug/QEMU/LIO
// captures when they land) parses with the parser its file name selects;
// every LUN directory yields a valid identity through ReadLunInfo; the
// fixture format and naming convention hold (fixtures/README.md).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "fake_scsi_device.h"
#include "fixture_loader.h"
#include "hwsnap/scsi/inquiry.h"
#include "hwsnap/scsi/lun_reader.h"
#include "hwsnap/scsi/read_capacity.h"
#include "hwsnap/scsi/report_luns.h"
#include "hwsnap/scsi/sense.h"
#include "hwsnap/scsi/vpd.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi::testing {
namespace {

using ::testing::ElementsAre;

std::vector<Fixture> All() {
  absl::StatusOr<std::vector<Fixture>> all = LoadAllFixtures();
  EXPECT_TRUE(all.ok()) << all.status();
  return all.ok() ? *all : std::vector<Fixture>{};
}

absl::Status ParseAsKind(const Fixture& f) {
  switch (f.kind) {
    case FixtureKind::kInquiry: return ParseStandardInquiry(f.bytes).status();
    case FixtureKind::kVpd00: return ParseVpdSupportedPages(f.bytes).status();
    case FixtureKind::kVpd80: return ParseVpdUnitSerialNumber(f.bytes).status();
    case FixtureKind::kVpd83: return ParseVpdDeviceIdentification(f.bytes).status();
    case FixtureKind::kVpd8f: return ParseVpdThirdPartyCopy(f.bytes).status();
    case FixtureKind::kVpdB0: return ParseVpdBlockLimits(f.bytes).status();
    case FixtureKind::kVpdB2: return ParseVpdLogicalBlockProvisioning(f.bytes).status();
    case FixtureKind::kReadCap16: return ParseReadCapacity16(f.bytes).status();
    case FixtureKind::kReadCap10: return ParseReadCapacity10(f.bytes).status();
    case FixtureKind::kReportLuns: return ParseReportLuns(f.bytes).status();
    case FixtureKind::kSense: return ParseSense(f.bytes).status();
    case FixtureKind::kUnknown: return absl::OkStatus();
  }
  return absl::OkStatus();
}

TEST(FixturesTest, EveryKnownKindParses) {
  std::map<FixtureKind, int> counts;
  for (const Fixture& f : All()) {
    EXPECT_FALSE(f.provenance.empty()) << f.path;
    EXPECT_FALSE(f.bytes.empty()) << f.path;
    absl::Status s = ParseAsKind(f);
    EXPECT_TRUE(s.ok()) << f.path << ": " << s;
    ++counts[f.kind];
  }
  // The tgt captures cover these kinds at least.
  for (FixtureKind k : {FixtureKind::kInquiry, FixtureKind::kVpd00, FixtureKind::kVpd80, FixtureKind::kVpd83,
                        FixtureKind::kVpdB0, FixtureKind::kVpdB2, FixtureKind::kReadCap16, FixtureKind::kReadCap10,
                        FixtureKind::kReportLuns, FixtureKind::kSense}) {
    EXPECT_GE(counts[k], 1) << FixtureKindName(k);
  }
}

TEST(FixturesTest, CapturedSenseMapsToADomainCode) {
  for (const Fixture& f : All()) {
    if (f.kind != FixtureKind::kSense) continue;
    ScsiResult r;
    r.status = kStatusCheckCondition;
    r.sense = f.bytes;
    absl::Status s = CheckScsiResult(r, f.stem);
    EXPECT_TRUE(s.ok() || HasErrorCode(s)) << f.path;
    EXPECT_FALSE(s.ok()) << f.path << ": a captured CHECK CONDITION should be a failure";
  }
}

TEST(FixturesTest, EveryLunDirectoryReadsToAValidIdentity) {
  std::set<std::string> dirs;
  for (const Fixture& f : All()) {
    if (f.stem == "inquiry") dirs.insert(f.directory);
  }
  ASSERT_GE(dirs.size(), 3u);
  for (const std::string& dir : dirs) {
    FakeScsiDevice dev("fixture://" + dir, BusType::kIscsi);
    ASSERT_TRUE(dev.LoadFixtureDirectory(dir).ok()) << dir;
    absl::StatusOr<ScsiLunInfo> info = ReadLunInfo(dev);
    ASSERT_TRUE(info.ok()) << dir << ": " << info.status();
    EXPECT_TRUE(ValidateLunIdentity(info->identity).ok()) << dir;
    if (info->identity.device_type == 0) {
      EXPECT_GT(info->block_count, 0u) << dir;
    }
    // 3PC plus a captured copy manager (VPD 0x8F listing LID1, or RECEIVE
    // COPY RESULTS operating parameters as LIO answers) -> LID1 offered.
    absl::StatusOr<std::vector<Fixture>> files = LoadFixtureDirectory(dir);
    ASSERT_TRUE(files.ok());
    bool copy_manager = false;
    bool three_pc = false;
    for (const Fixture& f : *files) {
      copy_manager |= f.stem == "receive_copy_operating_parameters";
      if (f.stem == "vpd8f") {
        absl::StatusOr<ThirdPartyCopyPage> tpc = ParseVpdThirdPartyCopy(f.bytes);
        copy_manager |= tpc.ok() && tpc->SupportsExtendedCopyLid1();
      }
      if (f.stem == "inquiry") {
        absl::StatusOr<StandardInquiry> inq = ParseStandardInquiry(f.bytes);
        three_pc = inq.ok() && inq->third_party_copy;
      }
    }
    EXPECT_EQ(info->extended_copy_lid1, copy_manager && three_pc) << dir;
    // Every tgt LUN carries unique designators (T10 vendor id, NAA); other
    // sources may legitimately lack one (QEMU scsi-hd without wwn=).
    if (dir.rfind("tgt/", 0) == 0 && info->identity.device_type == 0) {
      EXPECT_TRUE(info->identity.HasUniqueDesignator()) << dir;
    }
  }
}

TEST(FixtureFormatTest, KindFromFileName) {
  EXPECT_EQ(KindOfStem("inquiry"), FixtureKind::kInquiry);
  EXPECT_EQ(KindOfStem("inquiry_absent_lun"), FixtureKind::kInquiry);
  EXPECT_EQ(KindOfStem("vpd83"), FixtureKind::kVpd83);
  EXPECT_EQ(KindOfStem("vpd8f_lio"), FixtureKind::kVpd8f);
  EXPECT_EQ(KindOfStem("report_luns"), FixtureKind::kReportLuns);
  EXPECT_EQ(KindOfStem("sense_write_readonly"), FixtureKind::kSense);
  EXPECT_EQ(KindOfStem("sense"), FixtureKind::kUnknown);
  EXPECT_EQ(KindOfStem("vpdb1"), FixtureKind::kUnknown);
  EXPECT_EQ(KindOfStem("inquiryx"), FixtureKind::kUnknown);
  EXPECT_EQ(KindOfStem("inquiry_"), FixtureKind::kUnknown);
}

TEST(FixtureFormatTest, HexText) {
  absl::StatusOr<std::vector<std::uint8_t>> b = ParseHexFixture("# how\n00 83\t0A\n\n# more\r\nff\n");
  ASSERT_TRUE(b.ok());
  EXPECT_THAT(*b, ElementsAre(0x00, 0x83, 0x0A, 0xFF));
  b = ParseHexFixture("00 8\n");
  EXPECT_EQ(GetErrorCode(b.status()), ErrorCode::kInvalidArgument);
  EXPECT_NE(b.status().message().find("line 1"), absl::string_view::npos);
  EXPECT_FALSE(ParseHexFixture("# x\n0x12\n").ok());
  EXPECT_FALSE(ParseHexFixture("zz\n").ok());
}

}  // namespace
}  // namespace hwsnap::scsi::testing
