// Tests of ParseIdentifyController (hwsnap/nvme/identify.h): every captured
// identify-ctrl.bin fixture, hand-built data with each field at a distinct
// value, string padding (spaces, NULs) and truncated buffers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixture_loader.h"
#include "hwsnap/nvme/identify.h"
#include "hwsnap/status.h"
#include "identify_data_builder.h"

namespace hwsnap::nvme {
namespace {

using ::testing::HasSubstr;
using testing::ControllerBytes;
using testing::ControllerSpec;

TEST(IdentifyControllerTest, ParsesEveryField) {
  ControllerSpec spec;
  spec.vid = 0x1234;
  spec.ssvid = 0x5678;
  spec.serial = "SERIAL-1";
  spec.model = "Model Number X";
  spec.firmware = "FW1.2";
  spec.ieee = {0x01, 0x02, 0x03};
  spec.cmic = 0x0b;
  spec.mdts = 5;
  spec.cntlid = 0x4142;
  spec.version = 0x00020000;
  spec.oacs = 0x0008;
  spec.nn = 1024;
  spec.oncs = 0x0108;
  spec.ocfs = 0x0005;
  spec.mnan = 77;
  spec.subnqn = "nqn.2014-08.org.example:subsys";
  absl::StatusOr<IdentifyController> c = ParseIdentifyController(ControllerBytes(spec));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->vid, 0x1234);
  EXPECT_EQ(c->ssvid, 0x5678);
  EXPECT_EQ(c->serial_number, "SERIAL-1");
  EXPECT_EQ(c->model_number, "Model Number X");
  EXPECT_EQ(c->firmware_revision, "FW1.2");
  EXPECT_EQ(c->ieee_oui, (std::array<std::uint8_t, 3>{0x01, 0x02, 0x03}));
  EXPECT_EQ(c->cmic, 0x0b);
  EXPECT_EQ(c->mdts, 5);
  EXPECT_EQ(c->cntlid, 0x4142);
  EXPECT_EQ(c->version, 0x00020000u);
  EXPECT_EQ(c->oacs, 0x0008);
  EXPECT_EQ(c->nn, 1024u);
  EXPECT_EQ(c->oncs, 0x0108);
  EXPECT_EQ(c->ocfs, 0x0005);
  EXPECT_EQ(c->mnan, 77u);
  EXPECT_EQ(c->subnqn, "nqn.2014-08.org.example:subsys");
  EXPECT_TRUE(c->SupportsNamespaceManagement());
  EXPECT_TRUE(c->SupportsCopy());
  EXPECT_TRUE(c->SupportsWriteZeroes());
  EXPECT_TRUE(c->SupportsCrossNamespaceCopy());  // OCFS bit 2 (format 2h)
}

TEST(IdentifyControllerTest, CapabilityBits) {
  ControllerSpec spec;
  spec.oacs = 0;
  spec.oncs = 0;
  spec.ocfs = 0x000c;
  absl::StatusOr<IdentifyController> c = ParseIdentifyController(ControllerBytes(spec));
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->SupportsNamespaceManagement());
  EXPECT_FALSE(c->SupportsCopy());
  EXPECT_FALSE(c->SupportsWriteZeroes());
  EXPECT_FALSE(c->SupportsCrossNamespaceCopy());  // formats without Copy itself
  spec.oncs = 0x0100;
  spec.ocfs = 0x0001;  // format 0h only
  c = ParseIdentifyController(ControllerBytes(spec));
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->SupportsCopy());
  EXPECT_FALSE(c->SupportsCrossNamespaceCopy());
}

TEST(IdentifyControllerTest, StringsLoseTrailingSpacesAndNuls) {
  ControllerSpec spec;
  spec.serial = "  SN WITH SPACES";
  spec.pad = '\0';
  spec.model = "M";
  spec.firmware = "";
  absl::StatusOr<IdentifyController> c = ParseIdentifyController(ControllerBytes(spec));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->serial_number, "  SN WITH SPACES");  // leading spaces are data
  EXPECT_EQ(c->model_number, "M");
  EXPECT_EQ(c->firmware_revision, "");
  // Spaces before NUL padding go too.
  spec.serial = "ABC   ";
  c = ParseIdentifyController(ControllerBytes(spec));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->serial_number, "ABC");
  // Full-width fields keep every byte.
  spec.serial = std::string(20, 'S');
  spec.model = std::string(40, 'M');
  spec.firmware = std::string(8, 'F');
  c = ParseIdentifyController(ControllerBytes(spec));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->serial_number, std::string(20, 'S'));
  EXPECT_EQ(c->model_number, std::string(40, 'M'));
  EXPECT_EQ(c->firmware_revision, std::string(8, 'F'));
}

TEST(IdentifyControllerTest, SubnqnFillingItsFieldIsCut) {
  ControllerSpec spec;
  spec.subnqn = std::string(300, 'q');  // the builder writes 256 bytes, no NUL
  absl::StatusOr<IdentifyController> c = ParseIdentifyController(ControllerBytes(spec));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->subnqn, std::string(256, 'q'));
}

TEST(IdentifyControllerTest, RefusesTruncatedData) {
  const std::vector<std::uint8_t> full = ControllerBytes(ControllerSpec());
  for (std::size_t size : {std::size_t{0}, std::size_t{4}, std::size_t{100}, std::size_t{1023}}) {
    absl::StatusOr<IdentifyController> c =
        ParseIdentifyController(absl::MakeConstSpan(full).subspan(0, size));
    ASSERT_FALSE(c.ok()) << size;
    EXPECT_EQ(GetErrorCode(c.status()), ErrorCode::kInvalidArgument);
    EXPECT_THAT(c.status().message(), HasSubstr("Identify Controller"));
  }
  EXPECT_TRUE(ParseIdentifyController(absl::MakeConstSpan(full).subspan(0, 1024)).ok());
}

TEST(IdentifyControllerTest, EveryCapturedFixtureParses) {
  for (const std::string& path : testing::ListNvmeFixtures("identify-ctrl.bin")) {
    absl::StatusOr<std::vector<std::uint8_t>> bytes = testing::LoadNvmeFixture(path);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    EXPECT_EQ(bytes->size(), kIdentifyDataBytes) << path;
    absl::StatusOr<IdentifyController> c = ParseIdentifyController(*bytes);
    ASSERT_TRUE(c.ok()) << path << ": " << c.status();
    EXPECT_FALSE(c->serial_number.empty()) << path;
    EXPECT_FALSE(c->model_number.empty()) << path;
  }
}

// Exact values of the QEMU 7.2 capture (fixtures/README.md); the firmware
// revision is QEMU's version and changes with a recapture.
TEST(IdentifyControllerTest, QemuCapture) {
  absl::StatusOr<std::vector<std::uint8_t>> bytes = testing::LoadNvmeFixture("vm/qemu-nvme/identify-ctrl.bin");
  if (!bytes.ok()) GTEST_SKIP() << bytes.status();
  absl::StatusOr<IdentifyController> c = ParseIdentifyController(*bytes);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->vid, 0x1b36);
  EXPECT_EQ(c->ssvid, 0x1af4);
  EXPECT_EQ(c->serial_number, "HWSNAP-NVME-01");
  EXPECT_EQ(c->model_number, "QEMU NVMe Ctrl");
  EXPECT_FALSE(c->firmware_revision.empty());
  EXPECT_EQ(c->ieee_oui, (std::array<std::uint8_t, 3>{0x00, 0x54, 0x52}));
  EXPECT_EQ(c->cmic, 0x02);
  EXPECT_EQ(c->cntlid, 0);
  EXPECT_EQ(c->version, 0x00010400u);
  EXPECT_EQ(c->oacs, 0x010a);
  EXPECT_EQ(c->oncs, 0x015d);
  EXPECT_EQ(c->nn, 256u);
  EXPECT_EQ(c->subnqn, "nqn.2019-08.org.qemu:nqn.2026-12.invalid.hwsnap:subsys0");
  EXPECT_TRUE(c->SupportsNamespaceManagement());
  EXPECT_TRUE(c->SupportsCopy());
  EXPECT_TRUE(c->SupportsWriteZeroes());
  EXPECT_FALSE(c->SupportsCrossNamespaceCopy());  // QEMU 7.2 has format 0h only
}

}  // namespace
}  // namespace hwsnap::nvme
