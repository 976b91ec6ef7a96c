// scsi_vm_test — the SCSI backend's pieces against real SCSI devices, run
// inside the hwsnap test VM (tools/vm/run-scsi-vm-tests.sh; CTest:
// scsi_vm_tier). The CI host kernel has no SCSI stack, so this is where the
// real SG_IO transport, ReadLunInfo on live pages, sense classification of a
// real CHECK CONDITION and a real EXTENDED COPY between LIO LUNs are proven.
//
// The guest's /init finds the devices and passes their /dev/sg paths in the
// environment (tools/vm/guest/setup-scsi.sh): HWSNAP_SG_SCSI_DEBUG,
// HWSNAP_SG_QEMU, HWSNAP_SG_LIO_A, HWSNAP_SG_LIO_B, plus the identity the
// host gave the QEMU disk (hwsnap_qemu_wwn, hwsnap_qemu_serial). Outside
// the VM every case skips.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "hwsnap/cancel_token.h"
#include "hwsnap/lun_identity.h"
#include "hwsnap/scsi/cdb.h"
#include "hwsnap/scsi/lun_reader.h"
#include "hwsnap/scsi/scsi_transport.h"
#include "hwsnap/scsi/sense.h"
#include "hwsnap/scsi/xcopy_array_control.h"
#include "hwsnap/status.h"
#ifdef HWSNAP_VM_HAVE_SCSI_BACKEND
#include "hwsnap/scsi/scsi_backend.h"
#endif

namespace hwsnap::scsi {
namespace {

using Bytes = std::vector<std::uint8_t>;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

#define REQUIRE_DEVICE(var, env)                                             \
  const std::string var = Env(env);                                          \
  if (var.empty()) GTEST_SKIP() << env << " not set: not inside the hwsnap test VM"

std::unique_ptr<ScsiTransport> Open(const std::string& path) {
  absl::StatusOr<std::unique_ptr<ScsiTransport>> t = OpenScsiTransport(path);
  EXPECT_TRUE(t.ok()) << path << ": " << t.status();
  return t.ok() ? std::move(*t) : nullptr;
}

const Designator* FindDesignator(const LunIdentity& id, DesignatorType type, std::size_t size) {
  for (const Designator& d : id.designators) {
    if (d.association == Association::kLogicalUnit && d.type == type && d.bytes.size() == size) return &d;
  }
  return nullptr;
}

// "0x5000c0ffee00d15c" -> its 8 bytes.
Bytes WwnBytes(const std::string& text) {
  std::uint64_t v = 0;
  EXPECT_TRUE(absl::SimpleHexAtoi(text, &v)) << text;
  Bytes b(8);
  for (int i = 0; i < 8; ++i) b[i] = static_cast<std::uint8_t>(v >> (56 - 8 * i));
  return b;
}

// Runs a command until it gets past UNIT ATTENTION; the classified outcome.
absl::StatusOr<Bytes> Execute(ScsiTransport& t, const ScsiCommand& c, const std::string& what) {
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<ScsiResult> r = t.Execute(c);
    if (!r.ok()) return r.status();
    absl::StatusOr<SenseData> sense = ParseSense(r->sense);
    if (r->status == kStatusCheckCondition && sense.ok() && sense->sense_key == SenseKey::kUnitAttention &&
        attempt < 3) {
      continue;
    }
    if (absl::Status s = CheckScsiResult(*r, what); !s.ok()) return s;
    return r->data_in;
  }
}

ScsiCommand ReadWrite16(bool write, std::uint64_t lba, std::uint32_t blocks, std::uint32_t block_length) {
  ScsiCommand c;
  c.cdb = write ? BuildWrite16(lba, blocks) : BuildRead16(lba, blocks);
  c.direction = write ? DataDirection::kToDevice : DataDirection::kFromDevice;
  c.data_in_length = write ? 0 : blocks * block_length;
  return c;
}

// A recognisable pattern for `blocks` blocks starting at `lba`.
Bytes Pattern(std::uint64_t lba, std::uint32_t blocks, std::uint32_t block_length, std::uint8_t salt) {
  Bytes b(static_cast<std::size_t>(blocks) * block_length);
  for (std::size_t i = 0; i < b.size(); ++i) {
    b[i] = static_cast<std::uint8_t>((lba * 131 + i * 7 + salt) ^ (i >> 9));
  }
  return b;
}

TEST(ScsiVmTest, ScsiDebugIdentityAndCapacityOverSgIo) {
  REQUIRE_DEVICE(path, "HWSNAP_SG_SCSI_DEBUG");
  std::unique_ptr<ScsiTransport> t = Open(path);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->bus_type(), BusType::kScsi);
  absl::StatusOr<ScsiLunInfo> info = ReadLunInfo(*t);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->address, path);
  EXPECT_EQ(info->identity.vendor_id, "Linux");
  EXPECT_EQ(info->identity.product_id, "scsi_debug");
  EXPECT_EQ(info->identity.device_type, 0);
  EXPECT_EQ(info->block_length, 512u);
  EXPECT_EQ(info->capacity_bytes(), 16u * 1024 * 1024);  // dev_size_mb=16
  EXPECT_TRUE(info->thin_provisioned);                    // lbpu=1: LBPME
  EXPECT_TRUE(info->identity.HasUniqueDesignator()) << info->identity.ToString();
  EXPECT_FALSE(info->extended_copy_lid1);
  std::printf("scsi_debug: %s\n", info->identity.ToString().c_str());
}

TEST(ScsiVmTest, QemuScsiHdShowsTheWwnAndSerialItWasGiven) {
  REQUIRE_DEVICE(path, "HWSNAP_SG_QEMU");
  const std::string wwn = Env("hwsnap_qemu_wwn");
  const std::string serial = Env("hwsnap_qemu_serial");
  ASSERT_FALSE(wwn.empty());
  ASSERT_FALSE(serial.empty());
  std::unique_ptr<ScsiTransport> t = Open(path);
  ASSERT_NE(t, nullptr);
  absl::StatusOr<ScsiLunInfo> info = ReadLunInfo(*t);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->identity.vendor_id, "QEMU");
  EXPECT_EQ(info->identity.product_id, "QEMU HARDDISK");
  EXPECT_EQ(info->identity.serial_number, serial);  // VPD 0x80
  const Designator* naa = FindDesignator(info->identity, DesignatorType::kNaa, 8);
  ASSERT_NE(naa, nullptr) << info->identity.ToString();
  EXPECT_EQ(naa->bytes, WwnBytes(wwn));
  EXPECT_EQ(naa->code_set, CodeSet::kBinary);
  ASSERT_NE(info->identity.PrimaryDesignator(), nullptr);
  EXPECT_EQ(*info->identity.PrimaryDesignator(), *naa);
  EXPECT_EQ(info->capacity_bytes(), 16u * 1024 * 1024);
  EXPECT_FALSE(info->extended_copy_lid1);
  std::printf("qemu scsi-hd: %s\n", info->identity.ToString().c_str());
}

TEST(ScsiVmTest, CheckConditionThroughSgIoIsClassified) {
  REQUIRE_DEVICE(path, "HWSNAP_SG_QEMU");
  std::unique_ptr<ScsiTransport> t = Open(path);
  ASSERT_NE(t, nullptr);
  // An opcode QEMU does not implement: ILLEGAL REQUEST, INVALID COMMAND OPERATION CODE.
  ScsiCommand unknown;
  unknown.cdb = {0xc5, 0, 0, 0, 0, 0};
  absl::StatusOr<ScsiResult> r = t->Execute(unknown);
  ASSERT_TRUE(r.ok()) << r.status();  // a completed command, not a transport error
  EXPECT_EQ(r->status, kStatusCheckCondition);
  ASSERT_FALSE(r->sense.empty());
  absl::Status s = CheckScsiResult(*r, "opcode 0xc5");
  EXPECT_EQ(GetErrorCode(s), ErrorCode::kNotSupported) << s;
  EXPECT_NE(s.message().find("ILLEGAL REQUEST"), absl::string_view::npos) << s;
  // EXTENDED COPY on a LUN without a copy manager.
  ScsiCommand xcopy;
  xcopy.cdb = BuildExtendedCopyLid1(0);
  absl::StatusOr<Bytes> x = Execute(*t, xcopy, "EXTENDED COPY");
  EXPECT_EQ(GetErrorCode(x.status()), ErrorCode::kNotSupported) << x.status();
  // READ(16) past the end: LOGICAL BLOCK ADDRESS OUT OF RANGE.
  absl::StatusOr<Bytes> past = Execute(*t, ReadWrite16(false, 1ull << 40, 1, 512), "READ(16)");
  EXPECT_FALSE(past.ok());
  EXPECT_NE(past.status().message().find("0x21"), absl::string_view::npos) << past.status();
}

TEST(ScsiVmTest, LioLunsCarryTheirUnitSerialAndNaa) {
  REQUIRE_DEVICE(path_a, "HWSNAP_SG_LIO_A");
  REQUIRE_DEVICE(path_b, "HWSNAP_SG_LIO_B");
  std::unique_ptr<ScsiTransport> a = Open(path_a);
  std::unique_ptr<ScsiTransport> b = Open(path_b);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  absl::StatusOr<ScsiLunInfo> ia = ReadLunInfo(*a);
  absl::StatusOr<ScsiLunInfo> ib = ReadLunInfo(*b);
  ASSERT_TRUE(ia.ok()) << ia.status();
  ASSERT_TRUE(ib.ok()) << ib.status();
  EXPECT_EQ(ia->identity.vendor_id, "LIO-ORG");
  EXPECT_EQ(ia->identity.serial_number, "HWSNAP-LIO-A-600D0A01");  // wwn/vpd_unit_serial
  EXPECT_EQ(ib->identity.serial_number, "HWSNAP-LIO-B-600D0B02");
  const Designator* naa_a = FindDesignator(ia->identity, DesignatorType::kNaa, 16);
  const Designator* naa_b = FindDesignator(ib->identity, DesignatorType::kNaa, 16);
  ASSERT_NE(naa_a, nullptr) << ia->identity.ToString();
  ASSERT_NE(naa_b, nullptr) << ib->identity.ToString();
  EXPECT_EQ((naa_a->bytes[0] >> 4), 6);  // NAA 6, OUI 00-14-05 (LIO)
  EXPECT_NE(naa_a->bytes, naa_b->bytes);
  EXPECT_FALSE(ia->identity.SameLunAs(ib->identity));
  EXPECT_EQ(ia->capacity_bytes(), 16u * 1024 * 1024);
  // LIO has no VPD 0x8F: it advertises EXTENDED COPY (LID1) by the 3PC bit
  // and RECEIVE COPY OPERATING PARAMETERS (see fixtures/vm/README.md).
  EXPECT_TRUE(ia->extended_copy_lid1)
      << "ReadLunInfo missed LIO's EXTENDED COPY (LID1): 3PC is set and RECEIVE COPY OPERATING PARAMETERS "
         "answers, but LIO lists no VPD 0x8F";
  std::printf("LIO lun0: %s\nLIO lun1: %s\n", ia->identity.ToString().c_str(), ib->identity.ToString().c_str());
}

TEST(ScsiVmTest, ExtendedCopyBetweenLioLunsCopiesTheData) {
  REQUIRE_DEVICE(path_a, "HWSNAP_SG_LIO_A");
  REQUIRE_DEVICE(path_b, "HWSNAP_SG_LIO_B");
  std::unique_ptr<ScsiTransport> a = Open(path_a);
  std::unique_ptr<ScsiTransport> b = Open(path_b);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  absl::StatusOr<ScsiLunInfo> source = ReadLunInfo(*a);
  ASSERT_TRUE(source.ok()) << source.status();
  const std::uint32_t bl = source->block_length;
  const std::uint64_t last = source->block_count - 1;

  // Data the copy must carry: the first 64 blocks and the last block.
  ScsiCommand w1 = ReadWrite16(true, 0, 64, bl);
  w1.data_out = Pattern(0, 64, bl, 0x5a);
  ASSERT_TRUE(Execute(*a, w1, "WRITE(16)").ok());
  ScsiCommand w2 = ReadWrite16(true, last, 1, bl);
  w2.data_out = Pattern(last, 1, bl, 0xa5);
  ASSERT_TRUE(Execute(*a, w2, "WRITE(16)").ok());
  absl::StatusOr<Bytes> before = Execute(*b, ReadWrite16(false, 0, 64, bl), "READ(16)");
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_NE(*before, w1.data_out);

  if (!source->extended_copy_lid1) {  // reported by LioLunsCarryTheirUnitSerialAndNaa
    std::printf("note: ReadLunInfo missed LIO's EXTENDED COPY (LID1); exercising the copy anyway\n");
    source->extended_copy_lid1 = true;
  }
  XcopyArrayControlOptions options;
  options.pool = {path_b};
  options.max_blocks_per_segment = 8192;  // 4 commands: LIO takes one segment descriptor per command
  XcopyArrayControl control(std::move(options));
  ASSERT_EQ(control.WhyCannotSnapshot(*source), "");
  absl::StatusOr<std::string> target = control.Provision(*source, CancelToken());
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ(*target, path_b);
  EXPECT_EQ(*control.TargetAddress(*target), path_b);

  // A window already closed copies nothing.
  EXPECT_EQ(GetErrorCode(control.TakePointInTime({*target}, absl::Now() - absl::Seconds(1))),
            ErrorCode::kDeadlineExceeded);
  const absl::Time start = absl::Now();
  absl::Status committed = control.TakePointInTime({*target}, absl::Now() + absl::Seconds(60));
  const absl::Duration took = absl::Now() - start;
  ASSERT_TRUE(committed.ok()) << committed;
  std::printf("EXTENDED COPY of %llu blocks (4 commands) took %s\n",
              static_cast<unsigned long long>(source->block_count), absl::FormatDuration(took).c_str());

  absl::StatusOr<Bytes> head = Execute(*b, ReadWrite16(false, 0, 64, bl), "READ(16)");
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(*head, w1.data_out);
  absl::StatusOr<Bytes> tail = Execute(*b, ReadWrite16(false, last, 1, bl), "READ(16)");
  ASSERT_TRUE(tail.ok()) << tail.status();
  EXPECT_EQ(*tail, w2.data_out);

  EXPECT_TRUE(control.Expose(*target).ok());
  EXPECT_TRUE(control.Delete(*target).ok());
  EXPECT_TRUE(control.ListTargets()->empty());
}

#ifdef HWSNAP_VM_HAVE_SCSI_BACKEND
// The VSS sequence through ScsiBackend with the EXTENDED COPY strategy:
// identify, abort mid-prepare, prepare, commit, describe, expose, release.
TEST(ScsiVmTest, ScsiBackendSnapshotsALioLunByExtendedCopy) {
  REQUIRE_DEVICE(path_a, "HWSNAP_SG_LIO_A");
  REQUIRE_DEVICE(path_b, "HWSNAP_SG_LIO_B");
  std::unique_ptr<ScsiTransport> a = Open(path_a);
  std::unique_ptr<ScsiTransport> b = Open(path_b);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  absl::StatusOr<ScsiLunInfo> source = ReadLunInfo(*a);
  ASSERT_TRUE(source.ok()) << source.status();
  ASSERT_TRUE(source->extended_copy_lid1)
      << "ReadLunInfo does not report LIO's EXTENDED COPY (LID1), so the backend would refuse the LUN";
  XcopyArrayControlOptions pool;
  pool.pool = {path_b};
  auto control = std::make_shared<XcopyArrayControl>(std::move(pool));
  ScsiBackendOptions options;
  options.source_addresses = {path_a};
  ScsiBackend backend(options, control);

  absl::StatusOr<LunSupport> support = backend.IdentifyLun(source->identity);
  ASSERT_TRUE(support.ok()) << support.status();
  ASSERT_TRUE(support->supported) << support->reason;

  CancelSource abort;
  abort.Cancel("aborted by the test");
  EXPECT_EQ(GetErrorCode(backend.PrepareTarget(source->identity, abort.token()).status()),
            ErrorCode::kCancelled);
  EXPECT_TRUE(control->ListTargets()->empty());

  absl::StatusOr<TargetId> target = backend.PrepareTarget(source->identity, CancelToken());
  ASSERT_TRUE(target.ok()) << target.status();
  ScsiCommand write = ReadWrite16(true, 100, 8, source->block_length);
  write.data_out = Pattern(100, 8, source->block_length, 0x3c);
  ASSERT_TRUE(Execute(*a, write, "WRITE(16)").ok());
  ASSERT_TRUE(backend.CommitTargets({*target}, absl::Now() + absl::Seconds(60)).ok());
  // Writes after the commit must not reach the copy.
  ScsiCommand later = ReadWrite16(true, 100, 8, source->block_length);
  later.data_out = Pattern(100, 8, source->block_length, 0xc3);
  ASSERT_TRUE(Execute(*a, later, "WRITE(16)").ok());

  absl::StatusOr<LunIdentity> described = backend.DescribeTarget(*target);
  ASSERT_TRUE(described.ok()) << described.status();
  EXPECT_EQ(described->serial_number, "HWSNAP-LIO-B-600D0B02");
  EXPECT_TRUE(described->HasUniqueDesignator());
  EXPECT_FALSE(described->SameLunAs(source->identity));
  EXPECT_TRUE(backend.ExposeTarget(*target).ok());
  absl::StatusOr<Bytes> copy = Execute(*b, ReadWrite16(false, 100, 8, source->block_length), "READ(16)");
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_EQ(*copy, write.data_out);

  EXPECT_TRUE(backend.ReleaseTarget(*target).ok());
  EXPECT_TRUE(backend.ReleaseTarget(*target).ok());
  EXPECT_TRUE(control->ListTargets()->empty());
}
#endif  // HWSNAP_VM_HAVE_SCSI_BACKEND

}  // namespace
}  // namespace hwsnap::scsi
