// Tests of the administrator's event-log sentence (platform-neutral).
//
// This file exists to prove that the text an administrator reads says what
// failed, on which LUN, and what to do — for statuses produced by the real
// core (a SnapshotProvider over a fault-injecting mock), not hand-written
// strings, so a change in how the core names LUNs breaks this test.
#include "hwsnap/windows/admin_event_text.h"

#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hwsnap/ids.h"
#include "hwsnap/mock/fault_injecting_backend.h"
#include "hwsnap/mock/mock_backend.h"
#include "hwsnap/provider.h"
#include "hwsnap/status.h"
#include "hwsnap/windows/vss_results.h"

namespace hwsnap {
namespace windows {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A provider over a mock whose faults the test scripts.
struct Rig {
  Rig() : mock(std::make_shared<MockBackend>()), faults(std::make_shared<FaultInjectingBackend>(mock)) {
    luns = {mock->AddSourceLun(), mock->AddSourceLun()};
    provider = std::make_shared<SnapshotProvider>(faults);
  }
  std::shared_ptr<MockBackend> mock;
  std::shared_ptr<FaultInjectingBackend> faults;
  std::shared_ptr<SnapshotProvider> provider;
  std::vector<LunIdentity> luns;
};

// The status EndPrepareSnapshots returns when preparing `lun` fails with `code`.
absl::Status EndPrepareFailure(Rig& rig, const LunIdentity& lun, ErrorCode code, const SnapshotSetId& set) {
  rig.faults->AddRule(MakeFaultRule(BackendOp::kPrepare, FaultKind::kError, lun, code));
  EXPECT_TRUE(rig.provider->BeginPrepareSnapshot(set, SnapshotId::Random(), 0, rig.luns).ok());
  return rig.provider->EndPrepareSnapshots(set);
}

AdminEventFacts Facts(VssMethod method, const absl::Status& status, std::optional<SnapshotSetId> set) {
  AdminEventFacts facts;
  facts.method = method;
  facts.status = status;
  facts.result = MapStatusToResult(method, status);
  facts.set_id = set;
  return facts;
}

TEST(AdminEventTextTest, InsufficientStorageFromTheCoreNamesTheLunAndSaysWhatToDo) {
  Rig rig;
  const SnapshotSetId set = SnapshotSetId::Random();
  const absl::Status status = EndPrepareFailure(rig, rig.luns[1], ErrorCode::kInsufficientStorage, set);
  ASSERT_EQ(GetErrorCode(status), ErrorCode::kInsufficientStorage) << status;
  const AdminEventFacts facts = Facts(VssMethod::kEndPrepareSnapshots, status, set);
  ASSERT_EQ(facts.result, kVSS_E_INSUFFICIENT_STORAGE);

  const std::string text = AdminEventText(facts);
  EXPECT_THAT(text, HasSubstr("could not prepare the snapshot targets (VSS call EndPrepareSnapshots)"));
  EXPECT_THAT(text, HasSubstr("for snapshot set " + set.ToString()));
  EXPECT_THAT(text, HasSubstr("on LUN " + rig.luns[1].ToString() + "."));
  EXPECT_THAT(text, HasSubstr("(insufficient-storage)"));
  EXPECT_THAT(text, HasSubstr("The shadow copy was not created"));
  EXPECT_THAT(text, HasSubstr("VSS_E_INSUFFICIENT_STORAGE (0x8004231F)"));
  EXPECT_THAT(text, HasSubstr("What to do: Free space in the storage pool"));
  // The LUN is said once: the core's "prepare <LUN>: " prefix is not repeated as the reason.
  EXPECT_THAT(text, Not(HasSubstr("Reason: prepare ")));
  EXPECT_LE(text.size(), kMaxAdminEventTextLength);
}

TEST(AdminEventTextTest, VetoCarriesItsOwnRemedy) {
  Rig rig;
  const SnapshotSetId set = SnapshotSetId::Random();
  const absl::Status status = EndPrepareFailure(rig, rig.luns[0], ErrorCode::kVeto, set);
  ASSERT_EQ(GetErrorCode(status), ErrorCode::kVeto) << status;
  ASSERT_FALSE(GetVetoRemedy(status).empty());
  const AdminEventFacts facts = Facts(VssMethod::kEndPrepareSnapshots, status, set);
  ASSERT_EQ(facts.result, kVSS_E_PROVIDER_VETO);
  ASSERT_TRUE(NeedsEventLogEntry(facts.result));

  const std::string text = AdminEventText(facts);
  EXPECT_THAT(text, HasSubstr("on LUN " + rig.luns[0].ToString()));
  EXPECT_THAT(text, HasSubstr("VSS_E_PROVIDER_VETO (0x80042306)"));
  EXPECT_THAT(text, HasSubstr("What to do: " + GetVetoRemedy(status)));
  EXPECT_EQ(RemedyFor(VssMethod::kEndPrepareSnapshots, status), GetVetoRemedy(status));
}

TEST(AdminEventTextTest, VetoWithoutRemedyStillSaysWhatToDo) {
  const absl::Status status = VetoError("the array refused the snapshot", "");
  const std::string remedy = RemedyFor(VssMethod::kCommitSnapshots, status);
  EXPECT_THAT(remedy, HasSubstr("hwsnap log file"));
  const std::string text = AdminEventText(Facts(VssMethod::kCommitSnapshots, status, SnapshotSetId::Random()));
  EXPECT_THAT(text, HasSubstr("could not take the snapshots (VSS call CommitSnapshots)"));
  EXPECT_THAT(text, HasSubstr("Reason: the array refused the snapshot (veto)."));
  EXPECT_THAT(text, Not(HasSubstr(" on LUN ")));  // the status names none
}

TEST(AdminEventTextTest, UnsupportedLunNamedInlineByTheCore) {
  // BeginPrepareSnapshot rejects a LUN without a unique designator, naming it inline.
  Rig rig;
  LunIdentity anonymous = rig.luns[0];
  anonymous.designators.clear();
  const absl::Status status =
      rig.provider->BeginPrepareSnapshot(SnapshotSetId::Random(), SnapshotId::Random(), 0, {anonymous});
  ASSERT_EQ(GetErrorCode(status), ErrorCode::kNotSupported) << status;
  const std::optional<LunMention> found = FindLunInMessage(status.message());
  ASSERT_TRUE(found.has_value()) << status;
  EXPECT_EQ(found->lun, anonymous.ToString());  // nested parentheses included
  EXPECT_EQ(found->detail, std::string(status.message()));
}

TEST(AdminEventTextTest, FindLunInMessageForms) {
  auto lun_of = [](absl::string_view message) {
    std::optional<LunMention> found = FindLunInMessage(message);
    return found ? found->lun : std::string("<none>");
  };
  EXPECT_EQ(lun_of("prepare IET VD sn=1 naa:6001: pool full"), "IET VD sn=1 naa:6001");
  EXPECT_EQ(lun_of("describe target of A B sn=2 eui64:01: gone"), "A B sn=2 eui64:01");
  EXPECT_EQ(lun_of("commit: another LUN of the set failed: prepare X Y: boom"), "X Y");
  EXPECT_EQ(FindLunInMessage("another LUN of the set failed: prepare X Y: boom")->detail,
            "another LUN of the set failed: boom");
  EXPECT_EQ(lun_of("LUN 3 (V P (no unique designator)) has no unique designator"), "V P (no unique designator)");
  // Not LUN mentions: no separator after the marker, empty LUN, no index, unbalanced.
  EXPECT_EQ(lun_of("prepare failed"), "<none>");
  EXPECT_EQ(lun_of("prepare : x"), "<none>");
  EXPECT_EQ(lun_of("LUN (x) is odd"), "<none>");
  EXPECT_EQ(lun_of("LUN 2 (unbalanced"), "<none>");
  EXPECT_EQ(lun_of("LUN 2 () empty"), "<none>");
  EXPECT_EQ(lun_of(""), "<none>");
}

TEST(AdminEventTextTest, ExplicitLunWinsAndTheMessageStaysWhole) {
  AdminEventFacts facts = Facts(VssMethod::kOnLunEmpty, BackendFailureError("array unreachable"), std::nullopt);
  facts.lun = "VENDOR PRODUCT sn=42 naa:60014";
  const std::string text = AdminEventText(facts);
  EXPECT_THAT(text, HasSubstr("could not delete a snapshot LUN that is no longer needed (VSS call OnLunEmpty) on "
                              "LUN VENDOR PRODUCT sn=42 naa:60014."));
  EXPECT_THAT(text, HasSubstr("Reason: array unreachable (backend-failure)."));
  EXPECT_THAT(text, HasSubstr("keep using space"));
  EXPECT_THAT(text, HasSubstr("Check that the storage array is reachable"));
  EXPECT_THAT(text, Not(HasSubstr("snapshot set")));
}

TEST(AdminEventTextTest, EveryCodeAndMethodGivesACompleteSentence) {
  for (ErrorCode code : kAllErrorCodes) {
    for (VssMethod method : kAllVssMethods) {
      const absl::Status status = code == ErrorCode::kVeto ? VetoError("refused", "Do the thing.")
                                                          : MakeError(code, "something happened");
      const AdminEventFacts facts = Facts(method, status, SnapshotSetId::Random());
      const std::string text = AdminEventText(facts);
      SCOPED_TRACE(text);
      EXPECT_THAT(text, HasSubstr("hwsnap could not "));
      EXPECT_THAT(text, HasSubstr(std::string(VssMethodName(method))));
      EXPECT_THAT(text, HasSubstr("VSS was told " + VssResultName(facts.result)));
      EXPECT_THAT(text, HasSubstr("What to do: "));
      EXPECT_FALSE(RemedyFor(method, status).empty());
      if (code != ErrorCode::kOk) {
        EXPECT_THAT(text, HasSubstr(std::string(ErrorCodeName(code))));
      }
    }
  }
}

TEST(AdminEventTextTest, DeadlineAdviceDependsOnTheStep) {
  const absl::Status late = DeadlineExceededError("commit took 12 s");
  EXPECT_THAT(RemedyFor(VssMethod::kCommitSnapshots, late), HasSubstr("10 seconds"));
  EXPECT_THAT(RemedyFor(VssMethod::kEndPrepareSnapshots, late), Not(HasSubstr("10 seconds")));
}

TEST(AdminEventTextTest, HugeAndEmptyMessagesAreBounded) {
  const std::string huge(100000, 'x');
  const std::string text =
      AdminEventText(Facts(VssMethod::kEndPrepareSnapshots, BackendFailureError(huge), SnapshotSetId::Random()));
  EXPECT_LE(text.size(), kMaxAdminEventTextLength);
  EXPECT_THAT(text, HasSubstr("[...]"));
  EXPECT_THAT(text, HasSubstr("What to do: "));  // the remedy survives a long reason

  AdminEventFacts huge_lun = Facts(VssMethod::kOnLunEmpty, BackendFailureError("x"), std::nullopt);
  huge_lun.lun = huge;
  EXPECT_LE(AdminEventText(huge_lun).size(), kMaxAdminEventTextLength);

  const std::string empty =
      AdminEventText(Facts(VssMethod::kEndPrepareSnapshots, absl::InternalError(""), std::nullopt));
  EXPECT_THAT(empty, HasSubstr("Reason: no details were given (backend-failure)."));
}

TEST(AdminEventTextTest, StatusesWithoutHwsnapPayloadAreClassified) {
  const std::string text = AdminEventText(
      Facts(VssMethod::kEndPrepareSnapshots, absl::ResourceExhaustedError("no room"), SnapshotSetId::Random()));
  EXPECT_THAT(text, HasSubstr("(insufficient-storage)"));
  EXPECT_THAT(text, HasSubstr("Free space in the storage pool"));
}

}  // namespace
}  // namespace windows
}  // namespace hwsnap
