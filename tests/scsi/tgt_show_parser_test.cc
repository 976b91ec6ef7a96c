// Tests of hwsnap/scsi/tgt_show_parser.h over real `tgtadm --op show --mode
// target` output captured from tgtd 1.0.85 (fixtures/tgt/), plus malformed,
// empty and hostile input (the parser must never crash).
#include "hwsnap/scsi/tgt_show_parser.h"

#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "hwsnap/status.h"

namespace hwsnap::scsi {
namespace {

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(HWSNAP_TGT_FIXTURE_DIR) + "/" + name, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(TgtShowParserTest, EmptyOutputMeansNoTargets) {
  auto targets = ParseTgtShowTargets("");
  ASSERT_TRUE(targets.ok()) << targets.status();
  EXPECT_TRUE(targets->empty());
  targets = ParseTgtShowTargets("\n\n  \n");
  ASSERT_TRUE(targets.ok()) << targets.status();
  EXPECT_TRUE(targets->empty());
}

TEST(TgtShowParserTest, TwoTargetsWithLunsAndAcls) {
  const std::string text = Fixture("show_two_targets.txt");
  ASSERT_FALSE(text.empty()) << "fixture missing";
  auto targets = ParseTgtShowTargets(text);
  ASSERT_TRUE(targets.ok()) << targets.status();
  ASSERT_EQ(targets->size(), 2u);

  const TgtTarget& src = (*targets)[0];
  EXPECT_EQ(src.tid, 1);
  EXPECT_EQ(src.name, "iqn.2026-12.invalid.hwsnap:src");
  EXPECT_EQ(src.driver, "iscsi");
  EXPECT_EQ(src.state, "ready");
  EXPECT_TRUE(src.nexuses.empty());
  ASSERT_EQ(src.luns.size(), 3u);

  const TgtLun* controller = src.FindLun(0);
  ASSERT_NE(controller, nullptr);
  EXPECT_EQ(controller->type, "controller");
  EXPECT_EQ(controller->backing_store_type, "null");
  EXPECT_EQ(controller->backing_store_path, "None");
  EXPECT_EQ(controller->scsi_id, "IET     00010000");

  const TgtLun* lun1 = src.FindLun(1);
  ASSERT_NE(lun1, nullptr);
  EXPECT_EQ(lun1->type, "disk");
  EXPECT_EQ(lun1->scsi_id, "IET     00010001");
  EXPECT_EQ(lun1->scsi_sn, "beaf11");
  EXPECT_EQ(lun1->size_mb, 8u);
  EXPECT_EQ(lun1->block_size, 512u);
  EXPECT_TRUE(lun1->online);
  EXPECT_FALSE(lun1->readonly);
  EXPECT_FALSE(lun1->thin_provisioning);
  EXPECT_EQ(lun1->backing_store_type, "rdwr");
  EXPECT_EQ(lun1->backing_store_path, "/tmp/tgtexp/a.img");
  EXPECT_EQ(lun1->backing_store_flags, "");

  const TgtLun* lun2 = src.FindLun(2);
  ASSERT_NE(lun2, nullptr);
  EXPECT_EQ(lun2->scsi_id, "hwsnap-id-0002");
  EXPECT_EQ(lun2->scsi_sn, "HWSNAP0002");
  EXPECT_TRUE(lun2->readonly);
  EXPECT_EQ(src.FindLun(3), nullptr);

  EXPECT_TRUE(src.accounts.empty());
  ASSERT_EQ(src.acls.size(), 3u);
  EXPECT_EQ(src.acls[0], "ALL");
  EXPECT_EQ(src.acls[1], "127.0.0.1");
  EXPECT_EQ(src.acls[2], "iqn.2026-12.invalid.hwsnap:control");
  EXPECT_TRUE(src.HasAcl("127.0.0.1"));
  EXPECT_FALSE(src.HasAcl("10.0.0.1"));

  const TgtTarget& empty = (*targets)[1];
  EXPECT_EQ(empty.tid, 2);
  EXPECT_EQ(empty.name, "iqn.2026-12.invalid.hwsnap:snap-empty");
  ASSERT_EQ(empty.luns.size(), 1u);
  EXPECT_EQ(empty.luns[0].lun, 0);
  EXPECT_TRUE(empty.acls.empty());

  EXPECT_EQ(FindTargetByName(*targets, "iqn.2026-12.invalid.hwsnap:snap-empty"), &empty);
  EXPECT_EQ(FindTargetByName(*targets, "iqn.none"), nullptr);
}

TEST(TgtShowParserTest, AccountBinding) {
  auto targets = ParseTgtShowTargets(Fixture("show_account.txt"));
  ASSERT_TRUE(targets.ok()) << targets.status();
  ASSERT_EQ(targets->size(), 2u);
  ASSERT_EQ((*targets)[0].accounts.size(), 1u);
  EXPECT_EQ((*targets)[0].accounts[0], "alice");
  EXPECT_TRUE((*targets)[1].accounts.empty());
}

TEST(TgtShowParserTest, LoggedInInitiator) {
  auto targets = ParseTgtShowTargets(Fixture("show_nexus.txt"));
  ASSERT_TRUE(targets.ok()) << targets.status();
  ASSERT_FALSE(targets->empty());
  ASSERT_EQ((*targets)[0].nexuses.size(), 1u);
  const TgtNexus& nexus = (*targets)[0].nexuses[0];
  EXPECT_EQ(nexus.nexus, 1u);
  EXPECT_EQ(nexus.initiator, "iqn.2026-12.invalid.hwsnap:control");
  ASSERT_EQ(nexus.ip_addresses.size(), 1u);
  EXPECT_EQ(nexus.ip_addresses[0], "127.0.0.1");
  EXPECT_EQ((*targets)[0].luns.size(), 3u);  // the nexus block does not swallow LUNs
}

TEST(TgtShowParserTest, ToleratesCrlfAndUnknownLines) {
  const std::string text =
      "Target 4: iqn.x:y\r\n"
      "    System information:\r\n"
      "        Driver: iscsi\r\n"
      "        Future key: whatever\r\n"
      "    Some new section:\r\n"
      "        anything at all\r\n"
      "    LUN information:\r\n"
      "        LUN: 1\r\n"
      "            Type: disk\r\n"
      "            Unknown attribute: 5\r\n";
  auto targets = ParseTgtShowTargets(text);
  ASSERT_TRUE(targets.ok()) << targets.status();
  ASSERT_EQ(targets->size(), 1u);
  EXPECT_EQ((*targets)[0].tid, 4);
  EXPECT_EQ((*targets)[0].driver, "iscsi");
  ASSERT_EQ((*targets)[0].luns.size(), 1u);
  EXPECT_EQ((*targets)[0].luns[0].type, "disk");
}

TEST(TgtShowParserTest, RejectsMalformedStructure) {
  const char* bad[] = {
      "garbage before any target\n",
      "    LUN information:\n",
      "Target x: iqn.x:y\n",
      "Target 0: iqn.x:y\n",
      "Target -3: iqn.x:y\n",
      "Target 1 iqn.x:y\n",
      "Target 1:\n",
      "Target 1: a\nTarget 1: b\n",
      "Target 1: a\n    LUN information:\n        LUN: one\n",
      "Target 1: a\n    LUN information:\n            Type: disk\n",
      "Target 1: a\n    LUN information:\n        Type: disk\n",
      "Target 1: a\n    I_T nexus information:\n        I_T nexus: z\n",
      "Target 1: a\n    I_T nexus information:\n            Initiator: q\n",
      "Target 1: a\n        Driver: iscsi\n",
  };
  for (const char* text : bad) {
    auto targets = ParseTgtShowTargets(text);
    EXPECT_EQ(GetErrorCode(targets.status()), ErrorCode::kBackendFailure) << text;
    EXPECT_NE(targets.status().message().find("line"), absl::string_view::npos) << text;
  }
}

TEST(TgtShowParserTest, TruncatedFixturesNeverCrash) {
  const std::string text = Fixture("show_nexus.txt");
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    (void)ParseTgtShowTargets(absl::string_view(text).substr(0, cut));
  }
}

TEST(TgtShowParserTest, RandomMutationsNeverCrash) {
  std::string text = Fixture("show_two_targets.txt");
  ASSERT_FALSE(text.empty());
  std::mt19937 rng(12345);
  for (int i = 0; i < 2000; ++i) {
    std::string mutated = text;
    for (int k = 0; k < 8; ++k) {
      size_t at = rng() % mutated.size();
      mutated[at] = static_cast<char>(rng() % 256);
    }
    (void)ParseTgtShowTargets(mutated);
  }
}

}  // namespace
}  // namespace hwsnap::scsi
