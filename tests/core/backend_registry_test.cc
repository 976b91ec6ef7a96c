// Tests of BackendRegistry: hosts create backends by name, and a backend from
// outside the tree plugs in with one Register call.
#include "hwsnap/backend_registry.h"

#include <memory>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hwsnap/mock/mock_backend.h"
#include "hwsnap/mock/mock_registration.h"
#include "hwsnap/status.h"

namespace hwsnap {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

absl::StatusOr<BackendSession> OneLunMock(const BackendRequest&) {
  auto mock = std::make_shared<MockBackend>();
  BackendSession session;
  session.source_luns.push_back(mock->AddSourceLun());
  session.backend = mock;
  return session;
}

TEST(BackendRegistryTest, CreatesRegisteredBackendsByName) {
  BackendRegistry registry;
  ASSERT_TRUE(RegisterMockBackend(registry).ok());
  ASSERT_TRUE(registry.Register("vendor", "an out-of-tree array", &OneLunMock).ok());
  EXPECT_THAT(registry.Names(), ElementsAre("mock", "vendor"));
  EXPECT_EQ(registry.Description("vendor"), "an out-of-tree array");

  BackendRequest request;
  request.luns = 3;
  request.capacity = 1;
  auto mock = registry.Create("mock", request);
  ASSERT_TRUE(mock.ok()) << mock.status();
  EXPECT_EQ(mock->source_luns.size(), 3u);
  EXPECT_EQ(mock->backend->Name(), "mock");
  ASSERT_TRUE(mock->live_targets);
  EXPECT_EQ(mock->live_targets(), 0);
  // The requested capacity reached the mock: a second target does not fit.
  ASSERT_TRUE(mock->backend->PrepareTarget(mock->source_luns[0], CancelToken()).ok());
  EXPECT_EQ(GetErrorCode(mock->backend->PrepareTarget(mock->source_luns[1], CancelToken()).status()),
            ErrorCode::kInsufficientStorage);

  auto vendor = registry.Create("vendor", request);
  ASSERT_TRUE(vendor.ok());
  EXPECT_EQ(vendor->source_luns.size(), 1u);
}

TEST(BackendRegistryTest, UnknownNameListsTheKnownOnes) {
  BackendRegistry registry;
  ASSERT_TRUE(RegisterMockBackend(registry).ok());
  const auto missing = registry.Create("acme", {});
  EXPECT_EQ(GetErrorCode(missing.status()), ErrorCode::kObjectNotFound);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("mock"));
}

TEST(BackendRegistryTest, BadRegistrationsAreRefused) {
  BackendRegistry registry;
  EXPECT_EQ(GetErrorCode(registry.Register("", "x", &OneLunMock)), ErrorCode::kInvalidArgument);
  EXPECT_EQ(GetErrorCode(registry.Register("x", "x", nullptr)), ErrorCode::kInvalidArgument);
  ASSERT_TRUE(registry.Register("x", "x", &OneLunMock).ok());
  EXPECT_EQ(GetErrorCode(registry.Register("x", "again", &OneLunMock)), ErrorCode::kInvalidArgument);
  EXPECT_THAT(registry.Names(), ElementsAre("x"));
}

TEST(BackendRegistryTest, FactoryErrorsAndNullBackendsAreReported) {
  BackendRegistry registry;
  ASSERT_TRUE(registry.Register("down", "", [](const BackendRequest&) -> absl::StatusOr<BackendSession> {
                return BackendFailureError("array unreachable");
              }).ok());
  ASSERT_TRUE(registry.Register("empty", "", [](const BackendRequest&) -> absl::StatusOr<BackendSession> {
                return BackendSession{};
              }).ok());
  auto down = registry.Create("down", {});
  EXPECT_EQ(GetErrorCode(down.status()), ErrorCode::kBackendFailure);
  EXPECT_THAT(std::string(down.status().message()), HasSubstr("array unreachable"));
  EXPECT_EQ(GetErrorCode(registry.Create("empty", {}).status()), ErrorCode::kBackendFailure);
}

TEST(BackendRegistryTest, MockRefusesOptionsItDoesNotKnow) {
  BackendRegistry registry;
  ASSERT_TRUE(RegisterMockBackend(registry).ok());
  BackendRequest request;
  request.options["pool"] = "gold";
  EXPECT_EQ(GetErrorCode(registry.Create("mock", request).status()), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace hwsnap
