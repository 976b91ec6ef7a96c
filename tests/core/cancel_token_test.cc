// Tests of hwsnap/cancel_token.h: AbortSnapshots relies on a cancel reaching
// every sleeping backend call at once, from another thread, so the wake-up and
// the first-reason-wins rule are tested across threads.
#include "hwsnap/cancel_token.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "hwsnap/status.h"

namespace hwsnap {
namespace {

using ::testing::HasSubstr;

TEST(CancelTokenTest, DefaultTokenIsNeverCancelled) {
  const CancelToken token;
  EXPECT_FALSE(token.IsCancelled());
  EXPECT_TRUE(token.status().ok());
  EXPECT_FALSE(token.WaitUntil(absl::Now() + absl::Milliseconds(1)));
}

TEST(CancelTokenTest, FreshSourceIsNotCancelled) {
  const CancelSource source;
  EXPECT_FALSE(source.IsCancelled());
  EXPECT_FALSE(source.token().IsCancelled());
  EXPECT_TRUE(source.token().status().ok());
}

TEST(CancelTokenTest, SleepForWithoutCancelSleepsTheWholeTime) {
  const CancelSource source;
  const absl::Time start = absl::Now();
  EXPECT_TRUE(source.token().SleepFor(absl::Milliseconds(20)).ok());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(19));  // a lower bound, never flaky
  EXPECT_TRUE(source.token().SleepFor(absl::ZeroDuration()).ok());
  EXPECT_TRUE(source.token().SleepFor(-absl::Seconds(1)).ok());
}

TEST(CancelTokenTest, CancelWakesASleeperOnAnotherThreadPromptly) {
  CancelSource source;
  const CancelToken token = source.token();
  std::atomic<bool> started{false};
  absl::Status slept;
  absl::Duration took;
  std::thread sleeper([&] {
    started = true;
    const absl::Time start = absl::Now();
    slept = token.SleepFor(absl::Seconds(60));
    took = absl::Now() - start;
  });
  while (!started) std::this_thread::yield();
  absl::SleepFor(absl::Milliseconds(20));  // let it reach the wait (not required for correctness)
  EXPECT_TRUE(source.Cancel("aborted by VSS"));
  sleeper.join();
  EXPECT_EQ(GetErrorCode(slept), ErrorCode::kCancelled) << slept;
  EXPECT_THAT(std::string(slept.message()), HasSubstr("aborted by VSS"));
  EXPECT_LT(took, absl::Seconds(5)) << "the 60 s sleep was not interrupted";
}

TEST(CancelTokenTest, CancelWakesEveryWaiter) {
  CancelSource source;
  constexpr int kWaiters = 8;
  std::atomic<int> woken{0};
  std::vector<std::thread> waiters;
  const absl::Time start = absl::Now();
  for (int i = 0; i < kWaiters; ++i) {
    waiters.emplace_back([&, i] {
      const CancelToken token = source.token();
      const bool cancelled = i % 2 == 0 ? token.WaitUntil(absl::InfiniteFuture())
                                        : !token.SleepFor(absl::Seconds(60)).ok();
      if (cancelled) ++woken;
    });
  }
  absl::SleepFor(absl::Milliseconds(20));
  source.Cancel("stop");
  for (std::thread& t : waiters) t.join();
  EXPECT_EQ(woken.load(), kWaiters);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST(CancelTokenTest, WaitUntilReturnsFalseAtTheDeadline) {
  const CancelSource source;
  EXPECT_FALSE(source.token().WaitUntil(absl::Now() + absl::Milliseconds(10)));
  EXPECT_FALSE(source.token().WaitUntil(absl::Now() - absl::Seconds(1)));
  EXPECT_FALSE(source.token().WaitUntil(absl::InfinitePast()));
}

TEST(CancelTokenTest, AlreadyCancelledTokenReturnsAtOnce) {
  CancelSource source;
  source.Cancel("early");
  const absl::Time start = absl::Now();
  EXPECT_TRUE(source.token().WaitUntil(absl::InfiniteFuture()));
  EXPECT_EQ(GetErrorCode(source.token().SleepFor(absl::Seconds(60))), ErrorCode::kCancelled);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST(CancelTokenTest, FirstReasonWinsAndOnlyTheFirstCallCancels) {
  CancelSource source;
  const CancelToken before = source.token();
  EXPECT_TRUE(source.Cancel("first"));
  EXPECT_FALSE(source.Cancel("second"));
  EXPECT_TRUE(source.IsCancelled());
  const CancelToken after = source.token();
  for (const CancelToken& token : {before, after}) {
    EXPECT_TRUE(token.IsCancelled());
    const absl::Status s = token.status();
    EXPECT_EQ(GetErrorCode(s), ErrorCode::kCancelled);
    EXPECT_EQ(s.code(), absl::StatusCode::kCancelled);
    EXPECT_THAT(std::string(s.message()), HasSubstr("first"));
    EXPECT_THAT(std::string(s.message()), ::testing::Not(HasSubstr("second")));
  }
}

TEST(CancelTokenTest, EmptyReasonStillGivesAMessage) {
  CancelSource source;
  source.Cancel("");
  const absl::Status s = source.token().status();
  EXPECT_EQ(GetErrorCode(s), ErrorCode::kCancelled);
  EXPECT_FALSE(s.message().empty());
}

TEST(CancelTokenTest, ConcurrentCancelsHaveExactlyOneWinner) {
  for (int round = 0; round < 20; ++round) {
    CancelSource source;
    std::atomic<int> winners{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i) {
      threads.emplace_back([&source, &winners, i] {
        if (source.Cancel("thread " + std::to_string(i))) ++winners;
      });
    }
    for (std::thread& t : threads) t.join();
    EXPECT_EQ(winners.load(), 1) << "round " << round;
    EXPECT_THAT(std::string(source.token().status().message()), HasSubstr("thread "));
  }
}

TEST(CancelTokenTest, TokensOutliveTheirSource) {
  CancelToken token;
  {
    CancelSource source;
    token = source.token();
    source.Cancel("gone");
  }
  EXPECT_TRUE(token.IsCancelled());
  EXPECT_THAT(std::string(token.status().message()), HasSubstr("gone"));
}

TEST(CancelTokenTest, IndependentSourcesDoNotInterfere) {
  CancelSource a;
  CancelSource b;
  a.Cancel("a only");
  EXPECT_TRUE(a.token().IsCancelled());
  EXPECT_FALSE(b.token().IsCancelled());
  EXPECT_TRUE(b.token().status().ok());
}

}  // namespace
}  // namespace hwsnap
