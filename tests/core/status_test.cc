// Tests of hwsnap/status.h: the domain-code payload must survive every path a
// status takes (construction, annotation, classification of foreign statuses),
// because the Windows adapter picks HRESULTs from it.
#include "hwsnap/status.h"

#include <set>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "absl/strings/cord.h"

namespace hwsnap {
namespace {

using ::testing::HasSubstr;

TEST(StatusTest, EveryCodeRoundTripsThroughMakeErrorAndItsName) {
  std::set<std::string> names;
  for (ErrorCode code : kAllErrorCodes) {
    const absl::Status s = MakeError(code, "something happened");
    EXPECT_EQ(GetErrorCode(s), code) << ErrorCodeName(code);
    EXPECT_EQ(s.code(), CanonicalCodeFor(code)) << ErrorCodeName(code);
    if (code == ErrorCode::kOk) {
      EXPECT_TRUE(s.ok());
    } else {
      EXPECT_FALSE(s.ok()) << ErrorCodeName(code);
      EXPECT_TRUE(HasErrorCode(s)) << ErrorCodeName(code);
      EXPECT_EQ(s.message(), "something happened");
    }
    const absl::string_view name = ErrorCodeName(code);
    EXPECT_NE(name, "unknown");
    names.insert(std::string(name));
    const std::optional<ErrorCode> parsed = ParseErrorCode(name);
    ASSERT_TRUE(parsed.has_value()) << name;
    EXPECT_EQ(*parsed, code) << name;
  }
  EXPECT_EQ(names.size(), kAllErrorCodes.size()) << "names must be distinct";
}

TEST(StatusTest, NamesAreTheDocumentedKebabCase) {
  EXPECT_EQ(ErrorCodeName(ErrorCode::kInsufficientStorage), "insufficient-storage");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kBackendFailure), "backend-failure");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kOk), "ok");
}

TEST(StatusTest, UnknownNamesDoNotParse) {
  for (absl::string_view text : {"", "Insufficient-Storage", "insufficient_storage", "kVeto", "veto ", "nope"}) {
    EXPECT_FALSE(ParseErrorCode(text).has_value()) << "'" << text << "'";
  }
}

TEST(StatusTest, ConvenienceConstructorsCarryTheirCode) {
  EXPECT_EQ(GetErrorCode(InvalidArgumentError("x")), ErrorCode::kInvalidArgument);
  EXPECT_EQ(GetErrorCode(OutOfMemoryError("x")), ErrorCode::kOutOfMemory);
  EXPECT_EQ(GetErrorCode(InsufficientStorageError("x")), ErrorCode::kInsufficientStorage);
  EXPECT_EQ(GetErrorCode(ObjectNotFoundError("x")), ErrorCode::kObjectNotFound);
  EXPECT_EQ(GetErrorCode(CancelledError("x")), ErrorCode::kCancelled);
  EXPECT_EQ(GetErrorCode(BadStateError("x")), ErrorCode::kBadState);
  EXPECT_EQ(GetErrorCode(NotSupportedError("x")), ErrorCode::kNotSupported);
  EXPECT_EQ(GetErrorCode(DeadlineExceededError("x")), ErrorCode::kDeadlineExceeded);
  EXPECT_EQ(GetErrorCode(BackendFailureError("x")), ErrorCode::kBackendFailure);
  EXPECT_EQ(GetErrorCode(VetoError("x", "y")), ErrorCode::kVeto);
}

TEST(StatusTest, CodesSharingACanonicalCodeStayDistinct) {
  const absl::Status storage = InsufficientStorageError("pool is full");
  const absl::Status memory = OutOfMemoryError("allocation failed");
  EXPECT_EQ(storage.code(), memory.code()) << "both are resource-exhausted for generic tooling";
  EXPECT_EQ(GetErrorCode(storage), ErrorCode::kInsufficientStorage);
  EXPECT_EQ(GetErrorCode(memory), ErrorCode::kOutOfMemory);

  const absl::Status veto = VetoError("replicated", "pause replication");
  const absl::Status bad_state = BadStateError("wrong order");
  EXPECT_EQ(veto.code(), bad_state.code());
  EXPECT_EQ(GetErrorCode(veto), ErrorCode::kVeto);
  EXPECT_EQ(GetErrorCode(bad_state), ErrorCode::kBadState);
}

TEST(StatusTest, VetoCarriesReasonAndRemedy) {
  const absl::Status v = VetoError("LUN 3 is replicated synchronously",
                                   "Pause replication on the array, then retry the backup.");
  EXPECT_EQ(GetErrorCode(v), ErrorCode::kVeto);
  EXPECT_EQ(v.message(), "LUN 3 is replicated synchronously");
  EXPECT_EQ(GetVetoRemedy(v), "Pause replication on the array, then retry the backup.");
  EXPECT_EQ(GetVetoRemedy(BackendFailureError("x")), "");
  EXPECT_EQ(GetVetoRemedy(absl::OkStatus()), "");
}

TEST(StatusTest, AnnotateKeepsCodeAndPayloads) {
  const absl::Status v = VetoError("replicated", "pause replication");
  const absl::Status annotated = Annotate(v, "prepare LUN 3");
  EXPECT_EQ(annotated.code(), v.code());
  EXPECT_EQ(GetErrorCode(annotated), ErrorCode::kVeto);
  EXPECT_EQ(GetVetoRemedy(annotated), "pause replication");
  EXPECT_EQ(annotated.message(), "prepare LUN 3: replicated");

  absl::Status with_extra = InsufficientStorageError("full");
  with_extra.SetPayload("type.example/extra", absl::Cord("detail"));
  const absl::Status twice = Annotate(Annotate(with_extra, "inner"), "outer");
  EXPECT_EQ(GetErrorCode(twice), ErrorCode::kInsufficientStorage);
  ASSERT_TRUE(twice.GetPayload("type.example/extra").has_value());
  EXPECT_EQ(std::string(*twice.GetPayload("type.example/extra")), "detail");
  EXPECT_THAT(std::string(twice.message()), HasSubstr("outer: inner: full"));

  EXPECT_TRUE(Annotate(absl::OkStatus(), "context").ok());
}

TEST(StatusTest, StatusesWithoutPayloadAreClassifiedFromTheirCanonicalCode) {
  struct Case {
    absl::Status status;
    ErrorCode expected;
  };
  const Case cases[] = {
      {absl::OkStatus(), ErrorCode::kOk},
      {absl::InvalidArgumentError("x"), ErrorCode::kInvalidArgument},
      {absl::NotFoundError("x"), ErrorCode::kObjectNotFound},
      {absl::CancelledError("x"), ErrorCode::kCancelled},
      {absl::DeadlineExceededError("x"), ErrorCode::kDeadlineExceeded},
      {absl::FailedPreconditionError("x"), ErrorCode::kBadState},
      {absl::UnimplementedError("x"), ErrorCode::kNotSupported},
      {absl::ResourceExhaustedError("x"), ErrorCode::kInsufficientStorage},
      {absl::InternalError("x"), ErrorCode::kBackendFailure},
      {absl::UnknownError("x"), ErrorCode::kBackendFailure},
      {absl::DataLossError("x"), ErrorCode::kBackendFailure},
      {absl::UnavailableError("x"), ErrorCode::kBackendFailure},
  };
  for (const Case& c : cases) {
    EXPECT_FALSE(HasErrorCode(c.status)) << c.status;
    EXPECT_EQ(GetErrorCode(c.status), c.expected) << c.status;
  }
}

TEST(StatusTest, ActionabilityRanksStorageAboveBackendFailureAboveCancelled) {
  EXPECT_GT(ActionabilityRank(ErrorCode::kInsufficientStorage), ActionabilityRank(ErrorCode::kBackendFailure));
  EXPECT_GT(ActionabilityRank(ErrorCode::kBackendFailure), ActionabilityRank(ErrorCode::kCancelled));
  EXPECT_GT(ActionabilityRank(ErrorCode::kVeto), ActionabilityRank(ErrorCode::kCancelled));
  for (ErrorCode code : kAllErrorCodes) {
    if (code == ErrorCode::kOk || code == ErrorCode::kCancelled) continue;
    EXPECT_GT(ActionabilityRank(code), ActionabilityRank(ErrorCode::kCancelled))
        << ErrorCodeName(code) << " must be preferred to a cancellation";
  }
}

}  // namespace
}  // namespace hwsnap
