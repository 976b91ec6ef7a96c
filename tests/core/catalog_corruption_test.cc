// Tests of the catalog's corruption policy (hwsnap/catalog.h, docs/catalog.md):
// damage before the last record fails Open with kVeto naming file, offset and
// remedy; an incomplete or CRC-failing last record is moved aside and cut off;
// Verify changes nothing; no input crashes and no earlier record is ever
// dropped silently.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <boost/crc.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "fuzz/catalog_sample.h"
#include "hwsnap/catalog.h"
#include "hwsnap/status.h"

namespace hwsnap {
namespace {

using ::testing::HasSubstr;
using namespace catalog_sample;  // NOLINT

constexpr size_t kHeader = 16;

// A small journal and the state before and after its last record.
struct Sample {
  std::string bytes;                  // the whole journal
  size_t last_record_at = 0;          // offset of the last record
  std::vector<CatalogSet> all;        // state with every record
  std::vector<CatalogSet> but_last;   // state without the last record
};

class CatalogCorruptionTest : public ::testing::Test {
 protected:
  CatalogCorruptionTest() : dir_("catalog-corruption") {}

  std::string Path() const { return dir_.File("catalog.hwsnap"); }
  CatalogOptions Options() const {
    CatalogOptions o;
    o.path = Path();
    o.sync = false;
    return o;
  }

  Sample MakeSample() {
    Sample s;
    auto c = Catalog::Open(Options());
    EXPECT_TRUE(c.ok());
    const absl::Time t0 = absl::FromUnixSeconds(1767225600);
    EXPECT_TRUE((*c)->RecordSetCreated(SetId(1), 0, t0).ok());
    EXPECT_TRUE((*c)->RecordPrepareStarted(SetId(1), Lun(1)).ok());
    EXPECT_TRUE((*c)->RecordTargetPrepared(SetId(1), Lun(1), "target-1").ok());
    s.but_last = (*c)->Sets();
    s.last_record_at = ReadBytes(Path()).size();
    EXPECT_TRUE((*c)->RecordTargetDescribed("target-1", TargetLun(1)).ok());
    s.all = (*c)->Sets();
    c->reset();
    s.bytes = ReadBytes(Path());
    return s;
  }

  // Removes the journal's companions (torn copies) between cases.
  void RemoveTornCopies() {
    for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
      if (entry.path().filename().string().find(".torn-") != std::string::npos) std::filesystem::remove(entry.path());
    }
  }
  std::vector<std::string> TornCopies() const {
    std::vector<std::string> out;
    for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
      if (entry.path().filename().string().find(".torn-") != std::string::npos) out.push_back(entry.path().string());
    }
    return out;
  }

  void ExpectVeto(const absl::Status& status, const std::string& offset_text) {
    EXPECT_EQ(GetErrorCode(status), ErrorCode::kVeto) << status;
    EXPECT_THAT(status.message(), HasSubstr(Path()));
    EXPECT_THAT(status.message(), HasSubstr("offset " + offset_text));
    EXPECT_THAT(status.message(), HasSubstr("hwsnapctl catalog verify"));
    EXPECT_THAT(GetVetoRemedy(status), HasSubstr("move it aside"));
  }

  ScratchDir dir_;
};

TEST_F(CatalogCorruptionTest, TruncatedHeaderIsVetoed) {
  const Sample s = MakeSample();
  for (size_t n = 0; n < kHeader; ++n) {
    WriteBytes(Path(), s.bytes.substr(0, n));
    auto c = Catalog::Open(Options());
    ASSERT_FALSE(c.ok()) << n;
    ExpectVeto(c.status(), "0");
    EXPECT_THAT(c.status().message(), HasSubstr("header is truncated"));
    EXPECT_EQ(ReadBytes(Path()), s.bytes.substr(0, n)) << "the file is kept as it is";
  }
}

TEST_F(CatalogCorruptionTest, WrongMagicIsVetoed) {
  Sample s = MakeSample();
  s.bytes[0] = 'X';
  WriteBytes(Path(), s.bytes);
  auto c = Catalog::Open(Options());
  ExpectVeto(c.status(), "0");
  EXPECT_THAT(c.status().message(), HasSubstr("not an hwsnap catalog"));
}

TEST_F(CatalogCorruptionTest, UnknownVersionIsVetoedEvenWithAValidHeaderCrc) {
  Sample s = MakeSample();
  // A well-formed header of version 2 (as a newer hwsnap would write it).
  std::string header = s.bytes.substr(0, 8) + std::string("\x02\x00\x00\x00", 4);
  boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true> crc;
  crc.process_bytes(header.data(), header.size());
  const std::uint32_t sum = crc.checksum();
  for (int i = 0; i < 4; ++i) header.push_back(static_cast<char>((sum >> (8 * i)) & 0xff));
  WriteBytes(Path(), header + s.bytes.substr(kHeader));
  auto c = Catalog::Open(Options());
  ASSERT_FALSE(c.ok());
  ExpectVeto(c.status(), "8");
  EXPECT_THAT(c.status().message(), HasSubstr("unknown format version 2"));
  EXPECT_EQ(ReadBytes(Path()), header + s.bytes.substr(kHeader));
}

TEST_F(CatalogCorruptionTest, HeaderCrcMismatchIsVetoed) {
  Sample s = MakeSample();
  s.bytes[13] = static_cast<char>(s.bytes[13] ^ 1);
  WriteBytes(Path(), s.bytes);
  auto c = Catalog::Open(Options());
  ExpectVeto(c.status(), "0");
  EXPECT_THAT(c.status().message(), HasSubstr("header's CRC"));
}

TEST_F(CatalogCorruptionTest, TruncationAtEveryByteOfTheLastRecordIsRecovered) {
  const Sample s = MakeSample();
  for (size_t cut = s.last_record_at + 1; cut < s.bytes.size(); ++cut) {
    SCOPED_TRACE(absl::StrCat("cut at ", cut));
    RemoveTornCopies();
    const std::string damaged = s.bytes.substr(0, cut);
    WriteBytes(Path(), damaged);

    // Verify reports it and changes nothing.
    auto verified = Catalog::Verify(Path());
    ASSERT_FALSE(verified.ok());
    EXPECT_EQ(GetErrorCode(verified.status()), ErrorCode::kVeto);
    EXPECT_THAT(verified.status().message(), HasSubstr(absl::StrCat("offset ", s.last_record_at)));
    EXPECT_THAT(verified.status().message(), HasSubstr("incomplete"));
    EXPECT_EQ(ReadBytes(Path()), damaged);
    EXPECT_TRUE(TornCopies().empty());

    auto c = Catalog::Open(Options());
    ASSERT_TRUE(c.ok()) << c.status();
    const CatalogLoadReport& report = (*c)->load_report();
    EXPECT_EQ(report.torn_tail_bytes, cut - s.last_record_at);
    EXPECT_EQ(report.file_bytes, s.last_record_at);
    EXPECT_EQ(report.records, 3u);
    ASSERT_FALSE(report.torn_tail_copy.empty());
    EXPECT_THAT(report.torn_tail_copy, HasSubstr(Path() + ".torn-"));
    EXPECT_EQ(ReadBytes(report.torn_tail_copy), damaged.substr(s.last_record_at));
    EXPECT_EQ(DiffSets((*c)->Sets(), s.but_last), "");
    EXPECT_EQ(ReadBytes(Path()), s.bytes.substr(0, s.last_record_at));
    // The recovered journal takes the record again and reopens cleanly.
    EXPECT_TRUE((*c)->RecordTargetDescribed("target-1", TargetLun(1)).ok());
    c->reset();
    EXPECT_TRUE(Catalog::Verify(Path()).ok());
  }
}

// A journal above 1 MiB is mapped rather than read (catalog_file_posix.cc):
// the torn tail is copied out of the mapping and cut, and the result equals
// what a small journal gives.
TEST_F(CatalogCorruptionTest, LargeJournalWithATornTailIsRecoveredLikeASmallOne) {
  const absl::Time t0 = absl::FromUnixSeconds(1767225600);
  std::vector<CatalogSet> sets;
  {
    auto c = Catalog::Open(Options());
    ASSERT_TRUE(c.ok()) << c.status();
    for (std::uint32_t n = 1; std::filesystem::file_size(Path()) < (3u << 19); ++n) {  // 1.5 MiB
      ASSERT_TRUE((*c)->RecordSetCreated(SetId(n), 0, t0).ok());
      ASSERT_TRUE((*c)->RecordPrepareStarted(SetId(n), Lun(n)).ok());
      ASSERT_TRUE((*c)->RecordTargetPrepared(SetId(n), Lun(n), absl::StrCat("target-", n)).ok());
      ASSERT_TRUE((*c)->RecordTargetDescribed(absl::StrCat("target-", n), TargetLun(n)).ok());
    }
    sets = (*c)->Sets();
  }
  const std::string whole = ReadBytes(Path());
  const std::string tail = "\x40\x00\x00\x00torn";  // a frame promising 64 bytes, then 4
  WriteBytes(Path(), whole + tail);

  auto c = Catalog::Open(Options());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ((*c)->load_report().torn_tail_bytes, tail.size());
  ASSERT_FALSE((*c)->load_report().torn_tail_copy.empty());
  EXPECT_EQ(ReadBytes((*c)->load_report().torn_tail_copy), tail);
  EXPECT_EQ(ReadBytes(Path()), whole);
  EXPECT_EQ(DiffSets((*c)->Sets(), sets), "");
  // The journal takes records after the cut and reopens cleanly.
  EXPECT_TRUE((*c)->RecordSetCreated(SetId(0xFFFFFF), 0, t0).ok());
  c->reset();
  auto verified = Catalog::Verify(Path());
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->sets, sets.size() + 1);
}

TEST_F(CatalogCorruptionTest, BitFlipAnywhereRecoversTheLastRecordOrVetoes) {
  const Sample s = MakeSample();
  int recovered = 0, vetoed = 0;
  for (size_t i = 0; i < s.bytes.size(); ++i) {
    for (int bit : {0, 5}) {
      SCOPED_TRACE(absl::StrCat("flip bit ", bit, " of byte ", i));
      RemoveTornCopies();
      std::string damaged = s.bytes;
      damaged[i] = static_cast<char>(damaged[i] ^ (1 << bit));
      WriteBytes(Path(), damaged);
      auto verified = Catalog::Verify(Path());
      EXPECT_FALSE(verified.ok());  // a flip never goes unnoticed
      EXPECT_EQ(ReadBytes(Path()), damaged);

      auto c = Catalog::Open(Options());
      if (c.ok()) {
        // Only damage inside the last record may be recovered, and then
        // exactly the records before it survive.
        ++recovered;
        EXPECT_GE(i, s.last_record_at);
        EXPECT_EQ((*c)->load_report().torn_tail_bytes, s.bytes.size() - s.last_record_at);
        EXPECT_EQ(DiffSets((*c)->Sets(), s.but_last), "");
        c->reset();
      } else {
        ++vetoed;
        EXPECT_EQ(GetErrorCode(c.status()), ErrorCode::kVeto) << c.status();
        EXPECT_THAT(c.status().message(), HasSubstr(Path()));
        EXPECT_THAT(c.status().message(), HasSubstr("offset "));
        EXPECT_EQ(ReadBytes(Path()), damaged) << "a vetoed file is left untouched";
        if (i >= kHeader && i < s.last_record_at) {
          // Damage in an earlier record names a record offset at or before it.
          EXPECT_THAT(c.status().message(), ::testing::Not(HasSubstr("offset 0:")));
        }
      }
    }
  }
  EXPECT_GT(recovered, 0);
  EXPECT_GT(vetoed, 0);
}

TEST_F(CatalogCorruptionTest, CrcMismatchInAnEarlierRecordIsVetoedAtItsOffset) {
  Sample s = MakeSample();
  // The first record's payload starts at 16 + 8; damage its last byte.
  const size_t first_payload = kHeader + 8;
  s.bytes[first_payload + 5] = static_cast<char>(s.bytes[first_payload + 5] ^ 0x40);
  WriteBytes(Path(), s.bytes);
  auto c = Catalog::Open(Options());
  ExpectVeto(c.status(), "16");
  EXPECT_THAT(c.status().message(), HasSubstr("CRC mismatch"));
  EXPECT_THAT(c.status().message(), HasSubstr("valid records follow"));
}

TEST_F(CatalogCorruptionTest, TrailingGarbage) {
  const Sample s = MakeSample();
  // A few stray bytes: an incomplete frame, recovered like a torn append.
  WriteBytes(Path(), s.bytes + std::string("\x07\x00\x00", 3));
  {
    auto c = Catalog::Open(Options());
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_EQ((*c)->load_report().torn_tail_bytes, 3u);
    EXPECT_EQ(DiffSets((*c)->Sets(), s.all), "");
  }
  // Zeros a crash can leave after the last record: recovered too.
  RemoveTornCopies();
  WriteBytes(Path(), s.bytes + std::string(4096, '\0'));
  {
    auto c = Catalog::Open(Options());
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_EQ((*c)->load_report().torn_tail_bytes, 4096u);
    EXPECT_EQ(DiffSets((*c)->Sets(), s.all), "");
  }
  // Garbage followed by a valid record: not a torn append.
  RemoveTornCopies();
  WriteBytes(Path(), s.bytes + std::string(20, '\xff') + s.bytes.substr(s.last_record_at));
  {
    auto c = Catalog::Open(Options());
    ExpectVeto(c.status(), std::to_string(s.bytes.size()));
  }
  // More garbage than one record can be: not a torn append either.
  WriteBytes(Path(), s.bytes + std::string((1u << 20) + 100, '\x5a'));
  {
    auto c = Catalog::Open(Options());
    ExpectVeto(c.status(), std::to_string(s.bytes.size()));
  }
  // A valid frame whose record makes no sense (the set created again): corruption.
  const auto* u = reinterpret_cast<const unsigned char*>(s.bytes.data() + kHeader);
  const size_t first_length = u[0] | (u[1] << 8) | (u[2] << 16) | (static_cast<size_t>(u[3]) << 24);
  WriteBytes(Path(), s.bytes + s.bytes.substr(kHeader, 8 + first_length));
  {
    auto c = Catalog::Open(Options());
    ExpectVeto(c.status(), std::to_string(s.bytes.size()));
    EXPECT_THAT(c.status().message(), HasSubstr("does not apply"));
  }
}

TEST_F(CatalogCorruptionTest, ReadOnlyOpenOfATornJournalChangesNothing) {
  const Sample s = MakeSample();
  const std::string damaged = s.bytes.substr(0, s.bytes.size() - 2);
  WriteBytes(Path(), damaged);
  CatalogOptions o = Options();
  o.read_only = true;
  auto c = Catalog::Open(o);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ((*c)->load_report().torn_tail_bytes, s.bytes.size() - 2 - s.last_record_at);
  EXPECT_TRUE((*c)->load_report().torn_tail_copy.empty());
  EXPECT_EQ(DiffSets((*c)->Sets(), s.but_last), "");
  EXPECT_EQ(ReadBytes(Path()), damaged);
  EXPECT_TRUE(TornCopies().empty());
}

TEST_F(CatalogCorruptionTest, VerifyReportsAHealthyCatalog) {
  const Sample s = MakeSample();
  auto report = Catalog::Verify(Path());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->records, 4u);
  EXPECT_EQ(report->file_bytes, s.bytes.size());
  EXPECT_EQ(report->sets, 1u);
  EXPECT_EQ(report->live_targets, 1u);
  EXPECT_EQ(ReadBytes(Path()), s.bytes);
  EXPECT_EQ(GetErrorCode(Catalog::Verify(dir_.File("missing")).status()), ErrorCode::kObjectNotFound);
}

}  // namespace
}  // namespace hwsnap
