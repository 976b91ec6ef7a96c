// Tests of the mock's registry entry: the options a host (hwsnapctl, the
// Windows DLL's configuration) passes by name, and what each one changes in
// the created backend.
#include "hwsnap/mock/mock_registration.h"

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hwsnap/backend_registry.h"
#include "hwsnap/cancel_token.h"
#include "hwsnap/mock/mock_backend.h"
#include "hwsnap/status.h"

namespace hwsnap {
namespace {

using ::testing::HasSubstr;

class MockRegistrationTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(RegisterMockBackend(registry_).ok()); }

  absl::StatusOr<BackendSession> Create(std::map<std::string, std::string> options, int luns = 0) {
    BackendRequest request;
    request.luns = luns;
    request.options = std::move(options);
    return registry_.Create("mock", request);
  }

  // A LUN of some other array: unknown to the created mock, with a unique NAA.
  static LunIdentity ForeignLun() { return MockBackend().AddSourceLun(); }

  BackendRegistry registry_;
};

TEST_F(MockRegistrationTest, WithoutAdoptionAForeignLunIsNotSupported) {
  absl::StatusOr<BackendSession> session = Create({});
  ASSERT_TRUE(session.ok()) << session.status();
  absl::StatusOr<LunSupport> support = session->backend->IdentifyLun(ForeignLun());
  ASSERT_TRUE(support.ok()) << support.status();
  EXPECT_FALSE(support->supported);
  EXPECT_EQ(GetErrorCode(session->backend->PrepareTarget(ForeignLun(), CancelToken()).status()),
            ErrorCode::kNotSupported);
}

TEST_F(MockRegistrationTest, AdoptLunsSupportsAndSnapshotsAnyLunWithAUniqueDesignator) {
  absl::StatusOr<BackendSession> session = Create({{"adopt-luns", "true"}});
  ASSERT_TRUE(session.ok()) << session.status();
  const LunIdentity foreign = ForeignLun();
  absl::StatusOr<LunSupport> support = session->backend->IdentifyLun(foreign);
  ASSERT_TRUE(support.ok()) << support.status();
  EXPECT_TRUE(support->supported);
  EXPECT_EQ(session->live_targets(), 0) << "identify has no side effect";

  absl::StatusOr<TargetId> target = session->backend->PrepareTarget(foreign, CancelToken());
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ(session->live_targets(), 1);
  ASSERT_TRUE(session->backend->CommitTargets({*target}, absl::Now() + absl::Seconds(10)).ok());
  absl::StatusOr<LunIdentity> described = session->backend->DescribeTarget(*target);
  ASSERT_TRUE(described.ok()) << described.status();
  EXPECT_TRUE(described->HasUniqueDesignator());
  EXPECT_FALSE(described->SameLunAs(foreign)) << "the snapshot is a different LUN";
  ASSERT_TRUE(session->backend->ReleaseTarget(*target).ok());
  EXPECT_EQ(session->live_targets(), 0);
}

TEST_F(MockRegistrationTest, AdoptLunsStillRefusesALunWithoutAUniqueDesignator) {
  absl::StatusOr<BackendSession> session = Create({{"adopt-luns", "yes"}});
  ASSERT_TRUE(session.ok()) << session.status();
  LunIdentity anonymous = ForeignLun();
  anonymous.designators.clear();
  absl::StatusOr<LunSupport> support = session->backend->IdentifyLun(anonymous);
  ASSERT_TRUE(support.ok()) << support.status();
  EXPECT_FALSE(support->supported);
  EXPECT_THAT(support->reason, HasSubstr("unique"));
  EXPECT_EQ(GetErrorCode(session->backend->PrepareTarget(anonymous, CancelToken()).status()),
            ErrorCode::kNotSupported);
  EXPECT_EQ(session->live_targets(), 0);
}

TEST_F(MockRegistrationTest, FaultShorthandFailsEveryPrepare) {
  absl::StatusOr<BackendSession> session =
      Create({{"adopt-luns", "true"}, {"fault", "prepare:insufficient-storage"}});
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_EQ(GetErrorCode(session->backend->PrepareTarget(ForeignLun(), CancelToken()).status()),
            ErrorCode::kInsufficientStorage);
  EXPECT_EQ(session->live_targets(), 0);
}

TEST_F(MockRegistrationTest, SeveralFaultRulesAndLunIndexesApply) {
  absl::StatusOr<BackendSession> session =
      Create({{"fault", "prepare:1:veto ; commit:backend-failure"}}, /*luns=*/2);
  ASSERT_TRUE(session.ok()) << session.status();
  ASSERT_EQ(session->source_luns.size(), 2u);
  absl::StatusOr<TargetId> first = session->backend->PrepareTarget(session->source_luns[0], CancelToken());
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(GetErrorCode(session->backend->PrepareTarget(session->source_luns[1], CancelToken()).status()),
            ErrorCode::kVeto);
  EXPECT_EQ(GetErrorCode(session->backend->CommitTargets({*first}, absl::Now() + absl::Seconds(10))),
            ErrorCode::kBackendFailure);
  EXPECT_TRUE(session->backend->ReleaseTarget(*first).ok());
}

TEST_F(MockRegistrationTest, HangingPrepareEndsWhenCancelled) {
  absl::StatusOr<BackendSession> session = Create({{"fault", "prepare:hang"}}, /*luns=*/1);
  ASSERT_TRUE(session.ok()) << session.status();
  CancelSource cancel;
  cancel.Cancel("test aborts the set");
  EXPECT_EQ(GetErrorCode(session->backend->PrepareTarget(session->source_luns[0], cancel.token()).status()),
            ErrorCode::kCancelled);
}

TEST_F(MockRegistrationTest, CapacityAndLatencyOptionsOverrideTheRequest) {
  absl::StatusOr<BackendSession> session = Create({{"capacity", "1"}, {"prepare-ms", "0"}}, /*luns=*/2);
  ASSERT_TRUE(session.ok()) << session.status();
  absl::StatusOr<TargetId> first = session->backend->PrepareTarget(session->source_luns[0], CancelToken());
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(GetErrorCode(session->backend->PrepareTarget(session->source_luns[1], CancelToken()).status()),
            ErrorCode::kInsufficientStorage);
  EXPECT_TRUE(session->backend->ReleaseTarget(*first).ok());
}

TEST_F(MockRegistrationTest, StateDirMakesSessionsOnTheSameDirectoryOneArray) {
  const std::string dir =
      (std::filesystem::path(::testing::TempDir()) /
       ("hwsnap-mock-registration-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed())))
          .string();
  std::filesystem::remove_all(dir);
  TargetId target;
  std::vector<LunIdentity> first_luns;
  {
    absl::StatusOr<BackendSession> first = Create({{"state-dir", dir}}, /*luns=*/2);
    ASSERT_TRUE(first.ok()) << first.status();
    first_luns = first->source_luns;
    absl::StatusOr<TargetId> made = first->backend->PrepareTarget(first_luns[1], CancelToken());
    ASSERT_TRUE(made.ok()) << made.status();
    target = *made;
  }
  absl::StatusOr<BackendSession> second = Create({{"state-dir", dir}, {"resync-ms", "0"}}, /*luns=*/3);
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_EQ(second->source_luns.size(), 3u);
  EXPECT_EQ(second->source_luns[0], first_luns[0]) << "the array's LUNs are reused";
  EXPECT_EQ(second->source_luns[1], first_luns[1]);
  EXPECT_FALSE(second->source_luns[2].SameLunAs(first_luns[0]));
  EXPECT_EQ(second->live_targets(), 1) << "the first session's target is still on the array";
  EXPECT_TRUE(second->backend->ReleaseTarget(target).ok());
  EXPECT_EQ(second->live_targets(), 0);
  std::filesystem::remove_all(dir);
}

TEST_F(MockRegistrationTest, BadOptionsAreInvalidArgumentsNamingTheOption) {
  struct Case {
    const char* key;
    const char* value;
    const char* message;
  };
  const Case cases[] = {
      {"pool", "gold", "no option 'pool'"},
      {"adopt-luns", "maybe", "true or false"},
      {"prepare-ms", "-5", "whole number"},
      {"prepare-ms", "soon", "whole number"},
      {"commit-ms", "", "whole number"},
      {"capacity", "0", "whole number"},
      {"resync-ms", "x", "whole number"},
      {"state-dir", "", "expected a directory"},
      {"fault", " ; ", "one or more rules"},
      {"fault", "prepare:explode", "fault 'prepare:explode'"},
      {"fault", "prepare:7:veto", "out of range"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<BackendSession> session = Create({{c.key, c.value}});
    ASSERT_FALSE(session.ok()) << c.key << "=" << c.value;
    EXPECT_EQ(GetErrorCode(session.status()), ErrorCode::kInvalidArgument) << session.status();
    EXPECT_THAT(std::string(session.status().message()), HasSubstr(c.message)) << c.key << "=" << c.value;
  }
}

}  // namespace
}  // namespace hwsnap
