// Tests of the namespace identity mapping (hwsnap/nvme/identity_mapping.h):
// the default table, each alternative form, ids from descriptors versus
// Identify Namespace, the translation-form serial, ParseIdentityMapping's
// refusals, and that every identity passes ValidateLunIdentity.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixture_loader.h"
#include "hwsnap/lun_identity.h"
#include "hwsnap/nvme/identity_mapping.h"
#include "hwsnap/status.h"

namespace hwsnap::nvme {
namespace {

using ::testing::HasSubstr;
using Bytes = std::vector<std::uint8_t>;

const Bytes kEui = {0x00, 0x25, 0x38, 0x52, 0x91, 0xb2, 0x3a, 0x1d};
const Bytes kNguid = {0xe8, 0x23, 0x8f, 0xa6, 0xbf, 0x53, 0x00, 0x01, 0x00, 0x1b, 0x44, 0x8b, 0x45, 0x66, 0xa6, 0xf1};
const Bytes kUuid = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};

IdentifyController Controller() {
  IdentifyController c;
  c.vid = 0x1b36;
  c.serial_number = "HWSNAP-NVME-01";
  c.model_number = "QEMU NVMe Ctrl with a long model name";
  c.firmware_revision = "8.0.4";
  return c;
}

IdentifyNamespace Namespace() {
  IdentifyNamespace ns;
  ns.nsze = ns.ncap = 1024;
  ns.lba_formats = {LbaFormat{0, 9, 0}};
  return ns;
}

std::vector<NamespaceIdDescriptor> AllIds() { return {{1, kEui}, {2, kNguid}, {3, kUuid}, {4, {0}}}; }

Bytes NameBytes(const std::string& text) {
  Bytes b(text.begin(), text.end());
  b.push_back(0);
  while (b.size() % 4 != 0) b.push_back(0);
  return b;
}

LunIdentity Build(const IdentityMapping& m, const std::vector<NamespaceIdDescriptor>& d = AllIds(),
                  const IdentifyNamespace& ns = Namespace(), const IdentifyController& c = Controller()) {
  LunIdentity lun = BuildNamespaceIdentity(c, ns, d, m);
  EXPECT_TRUE(ValidateLunIdentity(lun).ok()) << ValidateLunIdentity(lun);
  return lun;
}

TEST(IdentityMappingTest, DefaultTable) {
  const LunIdentity lun = Build(IdentityMapping());
  EXPECT_EQ(lun.device_type, 0);
  EXPECT_EQ(lun.bus_type, BusType::kNvme);
  EXPECT_TRUE(lun.command_queueing);
  EXPECT_EQ(lun.vendor_id, "NVMe");
  EXPECT_EQ(lun.product_id, "QEMU NVMe Ctrl with a long model name");
  EXPECT_EQ(lun.product_revision, "8.0.4");
  EXPECT_EQ(lun.serial_number, "HWSNAP-NVME-01");
  ASSERT_EQ(lun.designators.size(), 3u);
  EXPECT_EQ(lun.designators[0], (Designator{CodeSet::kBinary, Association::kLogicalUnit, DesignatorType::kEui64, kEui}));
  EXPECT_EQ(lun.designators[1],
            (Designator{CodeSet::kBinary, Association::kLogicalUnit, DesignatorType::kEui64, kNguid}));
  EXPECT_EQ(lun.designators[2], (Designator{CodeSet::kUtf8, Association::kLogicalUnit, DesignatorType::kScsiNameString,
                                            NameBytes("uuid.12345678-9abc-def0-0123-456789abcdef")}));
  EXPECT_EQ(lun.designators[2].bytes.size(), 44u);
  EXPECT_TRUE(lun.HasUniqueDesignator());
}

TEST(IdentityMappingTest, ScsiNameForms) {
  IdentityMapping m;
  m.eui64 = DesignatorForm::kScsiNameString;
  m.nguid = DesignatorForm::kScsiNameString;
  m.uuid = DesignatorForm::kOmit;
  const LunIdentity lun = Build(m);
  ASSERT_EQ(lun.designators.size(), 2u);
  EXPECT_EQ(lun.designators[0].bytes, NameBytes("eui.0025385291B23A1D"));
  EXPECT_EQ(lun.designators[0].bytes.size(), 24u);  // 20 characters + NUL, padded to 4
  EXPECT_EQ(lun.designators[1].bytes, NameBytes("eui.E8238FA6BF530001001B448B4566A6F1"));
  EXPECT_EQ(lun.designators[1].bytes.size(), 40u);
  for (const Designator& d : lun.designators) {
    EXPECT_EQ(d.type, DesignatorType::kScsiNameString);
    EXPECT_EQ(d.code_set, CodeSet::kUtf8);
    EXPECT_EQ(d.bytes.back(), 0);
  }
}

TEST(IdentityMappingTest, OmittingEverythingLeavesNoUniqueDesignator) {
  IdentityMapping m;
  m.eui64 = m.nguid = m.uuid = DesignatorForm::kOmit;
  const LunIdentity lun = Build(m);
  EXPECT_TRUE(lun.designators.empty());
  EXPECT_FALSE(lun.HasUniqueDesignator());
}

TEST(IdentityMappingTest, UuidAsEui64TypeIsReportedAsScsiName) {
  IdentityMapping m;
  m.uuid = DesignatorForm::kEui64Type;
  const LunIdentity lun = Build(m, {{3, kUuid}});
  ASSERT_EQ(lun.designators.size(), 1u);
  EXPECT_EQ(lun.designators[0].type, DesignatorType::kScsiNameString);
}

TEST(IdentityMappingTest, VendorProductRevisionAlternatives) {
  IdentityMapping m;
  m.vendor = VendorSource::kPciVendorId;
  m.truncate_product_to_16 = true;
  m.truncate_revision_to_4 = true;
  const LunIdentity lun = Build(m);
  EXPECT_EQ(lun.vendor_id, "1B36");
  EXPECT_EQ(lun.product_id, "QEMU NVMe Ctrl w");
  EXPECT_EQ(lun.product_revision, "8.0.");
  // Truncation that ends in a space trims it.
  IdentifyController c = Controller();
  c.model_number = "ABCDEFGHIJKLMNO PQRS";  // byte 16 is a space
  c.firmware_revision = "1.2 b";
  const LunIdentity cut = Build(m, AllIds(), Namespace(), c);
  EXPECT_EQ(cut.product_id, "ABCDEFGHIJKLMNO");
  EXPECT_EQ(cut.product_revision, "1.2");
}

TEST(IdentityMappingTest, TranslationSerial) {
  IdentityMapping m;
  m.serial = SerialSource::kTranslationNguidEui64;
  EXPECT_EQ(Build(m).serial_number, "E823_8FA6_BF53_0001_001B_448B_4566_A6F1.");
  EXPECT_EQ(Build(m).serial_number.size(), 40u);
  EXPECT_EQ(Build(m, {{1, kEui}}).serial_number, "0025_3852_91B2_3A1D.");
  EXPECT_EQ(Build(m, {{3, kUuid}}).serial_number, "HWSNAP-NVME-01");  // neither: the controller SN
}

TEST(IdentityMappingTest, IdsFallBackToIdentifyNamespace) {
  IdentifyNamespace ns = Namespace();
  std::copy(kEui.begin(), kEui.end(), ns.eui64.begin());
  std::copy(kNguid.begin(), kNguid.end(), ns.nguid.begin());
  // No descriptor list at all (NVMe < 1.3).
  LunIdentity lun = Build(IdentityMapping(), {}, ns);
  ASSERT_EQ(lun.designators.size(), 2u);
  EXPECT_EQ(lun.designators[0].bytes, kEui);
  EXPECT_EQ(lun.designators[1].bytes, kNguid);
  // A descriptor wins over the Identify Namespace field; missing types fall back.
  const Bytes other_eui = {1, 2, 3, 4, 5, 6, 7, 8};
  lun = Build(IdentityMapping(), {{1, other_eui}}, ns);
  ASSERT_EQ(lun.designators.size(), 2u);
  EXPECT_EQ(lun.designators[0].bytes, other_eui);
  EXPECT_EQ(lun.designators[1].bytes, kNguid);
}

TEST(IdentityMappingTest, ZeroIdsAndDuplicatesAndUnknownTypes) {
  const std::vector<NamespaceIdDescriptor> d = {
      {1, Bytes(8, 0)}, {1, kEui}, {1, {9, 9, 9, 9, 9, 9, 9, 9}}, {0x55, Bytes(16, 7)}, {2, Bytes(16, 0)}};
  const LunIdentity lun = Build(IdentityMapping(), d);
  ASSERT_EQ(lun.designators.size(), 1u);  // the first non-zero EUI-64 only
  EXPECT_EQ(lun.designators[0].bytes, kEui);
  // A namespace without any id.
  EXPECT_FALSE(Build(IdentityMapping(), {}).HasUniqueDesignator());
}

TEST(IdentityMappingTest, DeviceStringsAreMadePrintable) {
  IdentifyController c = Controller();
  c.serial_number = std::string("SN\x01\x7f\xff", 5);
  c.model_number = "Model\tX";
  c.firmware_revision = std::string("\x80", 1);
  const LunIdentity lun = Build(IdentityMapping(), AllIds(), Namespace(), c);
  EXPECT_EQ(lun.serial_number, "SN???");
  EXPECT_EQ(lun.product_id, "Model?X");
  EXPECT_EQ(lun.product_revision, "?");
}

TEST(IdentityMappingTest, Deterministic) {
  EXPECT_EQ(Build(IdentityMapping()), Build(IdentityMapping()));
}

TEST(ParseIdentityMappingTest, DefaultsAndEveryKey) {
  absl::StatusOr<IdentityMapping> m = ParseIdentityMapping("");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->eui64, DesignatorForm::kEui64Type);
  EXPECT_EQ(m->nguid, DesignatorForm::kEui64Type);
  EXPECT_EQ(m->uuid, DesignatorForm::kScsiNameString);
  EXPECT_EQ(m->serial, SerialSource::kControllerSerial);
  EXPECT_EQ(m->vendor, VendorSource::kNvmeLiteral);
  EXPECT_FALSE(m->truncate_product_to_16);
  EXPECT_FALSE(m->truncate_revision_to_4);

  m = ParseIdentityMapping("eui64:scsi-name,nguid:eui64,uuid:omit,serial:translation,vendor:pci-vid,"
                           "product:16,revision:4");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->eui64, DesignatorForm::kScsiNameString);
  EXPECT_EQ(m->nguid, DesignatorForm::kEui64Type);
  EXPECT_EQ(m->uuid, DesignatorForm::kOmit);
  EXPECT_EQ(m->serial, SerialSource::kTranslationNguidEui64);
  EXPECT_EQ(m->vendor, VendorSource::kPciVendorId);
  EXPECT_TRUE(m->truncate_product_to_16);
  EXPECT_TRUE(m->truncate_revision_to_4);

  m = ParseIdentityMapping(" nguid : omit , serial:controller, vendor:nvme, product:full, revision:full ");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->nguid, DesignatorForm::kOmit);
  EXPECT_EQ(m->eui64, DesignatorForm::kEui64Type);
}

TEST(ParseIdentityMappingTest, Refusals) {
  struct Case {
    const char* text;
    const char* mentions;
  };
  for (const Case& c : {Case{"colour:blue", "unknown key 'colour'"}, Case{"eui64:naa", "'naa'"},
                        Case{"uuid:eui64", "scsi-name, omit"}, Case{"serial", "not key:value"},
                        Case{"eui64:omit,,uuid:omit", "not key:value"}, Case{"eui64:omit,eui64:omit", "twice"},
                        Case{"product:20", "'20'"}, Case{"revision:8", "'8'"}, Case{"vendor:", "''"},
                        Case{"serial:nguid", "'nguid'"}}) {
    absl::StatusOr<IdentityMapping> m = ParseIdentityMapping(c.text);
    ASSERT_FALSE(m.ok()) << c.text;
    EXPECT_EQ(GetErrorCode(m.status()), ErrorCode::kInvalidArgument) << c.text;
    EXPECT_THAT(m.status().message(), HasSubstr(c.mentions)) << c.text;
  }
}

// The identity of the captured QEMU namespace 1 (fixtures/README.md), under
// the default table and the translation-form serial.
TEST(IdentityMappingTest, QemuCapture) {
  absl::StatusOr<std::vector<std::uint8_t>> c = testing::LoadNvmeFixture("vm/qemu-nvme/identify-ctrl.bin");
  absl::StatusOr<std::vector<std::uint8_t>> n = testing::LoadNvmeFixture("vm/qemu-nvme/ns-1.identify.bin");
  absl::StatusOr<std::vector<std::uint8_t>> d = testing::LoadNvmeFixture("vm/qemu-nvme/ns-1.descriptors.bin");
  if (!c.ok() || !n.ok() || !d.ok()) GTEST_SKIP() << "QEMU capture not present";
  const IdentifyController controller = *ParseIdentifyController(*c);
  const IdentifyNamespace ns = *ParseIdentifyNamespace(*n);
  const std::vector<NamespaceIdDescriptor> descriptors = *ParseNamespaceIdDescriptors(*d);
  const LunIdentity lun = Build(IdentityMapping(), descriptors, ns, controller);
  EXPECT_EQ(lun.vendor_id, "NVMe");
  EXPECT_EQ(lun.product_id, "QEMU NVMe Ctrl");
  EXPECT_EQ(lun.serial_number, "HWSNAP-NVME-01");
  ASSERT_EQ(lun.designators.size(), 2u);
  EXPECT_EQ(lun.designators[0], (Designator{CodeSet::kBinary, Association::kLogicalUnit, DesignatorType::kEui64,
                                            {0x00, 0xc0, 0xff, 0xee, 0x00, 0x00, 0x00, 0x01}}));
  EXPECT_EQ(lun.designators[1].bytes, NameBytes("uuid.6e766d65-0000-4000-8000-000000000001"));
  EXPECT_EQ(lun.designators[1].type, DesignatorType::kScsiNameString);
  IdentityMapping translation;
  translation.serial = SerialSource::kTranslationNguidEui64;
  translation.vendor = VendorSource::kPciVendorId;
  const LunIdentity translated = Build(translation, descriptors, ns, controller);
  EXPECT_EQ(translated.serial_number, "00C0_FFEE_0000_0001.");  // no NGUID: the EUI-64
  EXPECT_EQ(translated.vendor_id, "1B36");
  EXPECT_TRUE(lun.SameLunAs(translated));
}

}  // namespace
}  // namespace hwsnap::nvme
