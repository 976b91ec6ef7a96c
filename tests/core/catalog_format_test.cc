// Tests of the catalog's byte layout (core/src/catalog/catalog_format.h):
// the fast CRC equals Boost.CRC's CRC-32C, every record type encodes and
// decodes to itself, and the decoder rejects every truncation and bad length
// without reading out of bounds.
#include "catalog/catalog_format.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fuzz/catalog_sample.h"

namespace hwsnap {
namespace catalog_internal {
namespace {

// Both fast paths (the CPU instruction where this machine has it, and the
// table-driven fallback every build carries) against Boost's definition.
TEST(CatalogFormatTest, FastCrcEqualsBoostCrc32c) {
  EXPECT_EQ(Crc32cBoost("123456789", 9), 0xE3069283u);  // the CRC-32C check value
  EXPECT_EQ(Crc32c("123456789", 9), 0xE3069283u);
  EXPECT_EQ(Crc32cPortable("123456789", 9), 0xE3069283u);
  std::mt19937 random(7);
  std::string buffer(4096, '\0');
  for (char& c : buffer) c = static_cast<char>(random());
  for (size_t offset = 0; offset < 9; ++offset) {
    for (size_t size : {0u, 1u, 7u, 8u, 9u, 15u, 16u, 63u, 1000u, 4000u}) {
      const std::uint32_t expected = Crc32cBoost(buffer.data() + offset, size);
      EXPECT_EQ(Crc32c(buffer.data() + offset, size), expected) << offset << "+" << size;
      EXPECT_EQ(Crc32cPortable(buffer.data() + offset, size), expected) << offset << "+" << size;
    }
  }
}

TEST(CatalogFormatTest, HeaderLayout) {
  const std::string header = EncodeHeader(1);
  ASSERT_EQ(header.size(), kHeaderSize);
  EXPECT_EQ(header.substr(0, 8), std::string(kMagic, 8));
  EXPECT_EQ(LoadU32(header.data() + 8), 1u);
  EXPECT_EQ(LoadU32(header.data() + 12), Crc32cBoost(header.data(), 12));
}

// A set with a target in every state: described (exposed, flagged), prepared,
// released with and without a target id, and preparing.
CatalogSet SampleImage() {
  CatalogSet set;
  set.id = catalog_sample::SetId(40);
  set.context = -7;
  set.state = SetState::kCommitted;
  set.created = absl::FromUnixMicros(1767225600000001);
  set.updated = absl::FromUnixMicros(1767225600999999);
  set.snapshots = {catalog_sample::SnapId(41), catalog_sample::SnapId(42)};
  for (std::uint32_t i = 0; i < 5; ++i) {
    CatalogTarget t;
    t.set_id = set.id;
    t.source = catalog_sample::Lun(100 + i);
    t.updated = absl::FromUnixMicros(1767225600500000 + i);
    switch (i) {
      case 0:
        t.target_id = "described";
        t.identity = catalog_sample::TargetLun(100);
        t.state = CatalogTarget::State::kDescribed;
        t.exposed = true;
        t.flags = kTargetReadWrite | kTargetMasked;
        break;
      case 1:
        t.target_id = "prepared";
        t.state = CatalogTarget::State::kPrepared;
        break;
      case 2:
        t.target_id = "released";
        t.identity = catalog_sample::TargetLun(102);
        t.state = CatalogTarget::State::kReleased;
        t.flags = kTargetPreRecovery;
        break;
      case 3:
        t.state = CatalogTarget::State::kReleased;  // the prepare ended without a target
        break;
      default:
        t.state = CatalogTarget::State::kPreparing;
        t.updated = absl::InfinitePast();
        break;
    }
    set.targets.push_back(t);
  }
  return set;
}

std::vector<Record> EveryType() {
  std::vector<Record> out;
  for (std::uint8_t t = 1; t <= kMaxRecordType; ++t) {
    Record r;
    r.type = static_cast<RecordType>(t);
    r.when = absl::FromUnixMicros(1767225600123456 + t);
    r.set = catalog_sample::SetId(t);
    r.snapshot = catalog_sample::SnapId(t);
    r.context = -5;
    r.slot = 3;
    r.target = "target-" + std::to_string(t);
    r.identity = catalog_sample::Lun(t);
    r.state = 6;
    r.exposed = true;
    r.flags = 0x900;
    r.clear = 0x100;
    if (r.type == RecordType::kSetImage) r.image = SampleImage();
    out.push_back(r);
  }
  return out;
}

TEST(CatalogFormatTest, EveryRecordTypeRoundTrips) {
  for (const Record& r : EveryType()) {
    SCOPED_TRACE(RecordTypeName(r.type));
    std::string framed;
    AppendRecord(r, &framed);
    ASSERT_GT(framed.size(), kFrameSize);
    const std::uint32_t length = LoadU32(framed.data());
    ASSERT_EQ(length, framed.size() - kFrameSize);
    EXPECT_EQ(LoadU32(framed.data() + 4), Crc32cBoost(framed.data() + kFrameSize, length));
    const absl::string_view payload(framed.data() + kFrameSize, length);
    Record back;
    ASSERT_EQ(DecodePayload(payload, &back), nullptr);
    EXPECT_EQ(back.type, r.type);
    EXPECT_EQ(back.when, r.when);
    // Re-encoding what was decoded gives the same bytes: every field the type
    // carries was read back.
    std::string again;
    AppendRecord(back, &again);
    EXPECT_EQ(again, framed);
    // Every truncation and every extension is refused, never over-read.
    for (size_t n = 0; n < payload.size(); ++n) {
      Record partial;
      EXPECT_NE(DecodePayload(payload.substr(0, n), &partial), nullptr) << n;
    }
    std::string longer(payload);
    longer.push_back('\0');
    Record extended;
    EXPECT_NE(DecodePayload(longer, &extended), nullptr);
  }
}

TEST(CatalogFormatTest, SetImageRoundTripsEveryField) {
  const CatalogSet set = SampleImage();
  std::string framed;
  AppendSetImage(set, &framed);
  Record image;
  image.type = RecordType::kSetImage;
  image.when = set.updated;
  image.image = set;
  std::string via_record;
  AppendRecord(image, &via_record);
  EXPECT_EQ(via_record, framed);
  Record back;
  ASSERT_EQ(DecodePayload(absl::string_view(framed).substr(kFrameSize), &back), nullptr);
  EXPECT_EQ(back.type, RecordType::kSetImage);
  EXPECT_EQ(back.when, set.updated);
  EXPECT_EQ(catalog_sample::DiffSets({back.image}, {set}), "");
  // Decoding into a record that held a bigger image leaves nothing behind.
  Record reused;
  reused.image = set;
  reused.image.targets.push_back(set.targets[0]);
  reused.image.snapshots.push_back(catalog_sample::SnapId(43));
  ASSERT_EQ(DecodePayload(absl::string_view(framed).substr(kFrameSize), &reused), nullptr);
  EXPECT_EQ(catalog_sample::DiffSets({reused.image}, {set}), "");
}

TEST(CatalogFormatTest, SetImageBadValuesAreRejected) {
  std::string framed;
  AppendSetImage(SampleImage(), &framed);
  const std::string payload = framed.substr(kFrameSize);
  // type(1) when(8) id(16) context(4) | state
  const size_t state_at = 1 + 8 + 16 + 4;
  std::string bad = payload;
  bad[state_at] = 9;
  Record back;
  EXPECT_NE(DecodePayload(bad, &back), nullptr);
  // snapshot count(at state + 1 + 8 + 8) larger than the record
  const size_t count_at = state_at + 1 + 16;
  bad = payload;
  bad[count_at + 3] = 0x7f;
  EXPECT_NE(DecodePayload(bad, &back), nullptr);
  // target count larger than the record
  const size_t targets_at = count_at + 4 + 2 * 16;
  bad = payload;
  bad[targets_at + 3] = 0x7f;
  EXPECT_NE(DecodePayload(bad, &back), nullptr);
}

TEST(CatalogFormatTest, InfiniteTimesSurvive) {
  EXPECT_EQ(MicrosToTime(TimeToMicros(absl::InfinitePast())), absl::InfinitePast());
  EXPECT_EQ(MicrosToTime(TimeToMicros(absl::InfiniteFuture())), absl::InfiniteFuture());
  EXPECT_EQ(StoredTime(absl::FromUnixNanos(1500)), absl::FromUnixMicros(1));
}

TEST(CatalogFormatTest, ImpossibleValuesAreRejected) {
  Record r = EveryType()[static_cast<int>(RecordType::kSetState) - 1];
  std::string framed;
  AppendRecord(r, &framed);
  std::string payload = framed.substr(kFrameSize);
  payload.back() = 9;  // SetState has nine values, 0..8
  Record back;
  EXPECT_NE(DecodePayload(payload, &back), nullptr);
  payload[0] = 0;  // record type 0
  EXPECT_NE(DecodePayload(payload, &back), nullptr);
  payload[0] = static_cast<char>(kMaxRecordType + 1);
  EXPECT_NE(DecodePayload(payload, &back), nullptr);
  EXPECT_NE(DecodePayload("", &back), nullptr);
}

}  // namespace
}  // namespace catalog_internal
}  // namespace hwsnap
