// Tests of the freeze-window gate sink (platform-neutral; also run under TSan).
//
// This file exists to prove the one rule the gate enforces — nothing reaches
// the wrapped sink while the window is open — and everything around it:
// order, flushing on close and on the safety timeout (with a fake clock),
// the bound and the dropped-count note, failures of the wrapped sink, and
// many threads logging while another opens and closes the window.
#include "hwsnap/windows/admin_event_gate.h"

#include <atomic>
#include <cstdio>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/logger.h>

#include "admin_event_capture_sink.h"

namespace hwsnap {
namespace windows {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A clock the test moves by hand (read from the gate under its mutex).
class FakeClock {
 public:
  std::chrono::steady_clock::time_point Now() const {
    return std::chrono::steady_clock::time_point(std::chrono::milliseconds(ms_.load()));
  }
  void Advance(std::chrono::milliseconds d) { ms_.fetch_add(d.count()); }

 private:
  std::atomic<long long> ms_{1000000};
};

class FreezeWindowGateTest : public ::testing::Test {
 protected:
  void Make(std::size_t capacity = 8) {
    FreezeWindowGateOptions options;
    options.capacity = capacity;
    options.max_window = std::chrono::seconds(70);
    options.now = [this] { return clock_.Now(); };
    gate_ = std::make_shared<FreezeWindowGate>(capture_, options);
    logger_ = std::make_shared<spdlog::logger>("hwsnap", gate_);
    logger_->set_level(spdlog::level::trace);
  }

  FakeClock clock_;
  std::shared_ptr<CaptureSink> capture_ = std::make_shared<CaptureSink>();
  std::shared_ptr<FreezeWindowGate> gate_;
  std::shared_ptr<spdlog::logger> logger_;
};

TEST_F(FreezeWindowGateTest, ClosedWindowWritesAtOnce) {
  Make();
  logger_->error("one");
  EXPECT_THAT(capture_->texts(), ElementsAre("one"));
  EXPECT_FALSE(gate_->is_open());
}

TEST_F(FreezeWindowGateTest, OpenWindowHoldsEntriesUntilCloseInOrder) {
  Make();
  logger_->error("before");
  gate_->Open();
  logger_->error("frozen 1");
  logger_->warn("frozen 2");
  logger_->flush();  // flushing is I/O too: not while frozen
  EXPECT_THAT(capture_->texts(), ElementsAre("before"));
  EXPECT_EQ(capture_->flushes(), 0);
  EXPECT_EQ(gate_->held(), 2u);

  gate_->Close("PostCommitSnapshots returned");
  logger_->error("after");
  const auto entries = capture_->entries();
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[1].text, "frozen 1");
  EXPECT_EQ(entries[1].level, spdlog::level::err);
  EXPECT_EQ(entries[2].text, "frozen 2");
  EXPECT_EQ(entries[2].level, spdlog::level::warn);
  EXPECT_EQ(entries[3].text, "after");
  EXPECT_EQ(gate_->held(), 0u);
  logger_->flush();
  EXPECT_EQ(capture_->flushes(), 1);
}

TEST_F(FreezeWindowGateTest, CloseWhenClosedIsHarmless) {
  Make();
  gate_->Close("AbortSnapshots returned");
  logger_->error("x");
  gate_->Close("AbortSnapshots returned");
  EXPECT_THAT(capture_->texts(), ElementsAre("x"));
}

TEST_F(FreezeWindowGateTest, BoundedBufferCountsDropsAndSaysSoWhenReleasing) {
  Make(/*capacity=*/3);
  gate_->Open();
  for (int i = 0; i < 10; ++i) logger_->error("entry {}", i);
  EXPECT_EQ(gate_->held(), 3u);
  EXPECT_EQ(gate_->dropped_total(), 7u);
  EXPECT_EQ(capture_->size(), 0u);
  gate_->Close("AbortSnapshots returned");
  const auto entries = capture_->entries();
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0].text, "entry 0");  // the first failures are kept: they are the causes
  EXPECT_EQ(entries[2].text, "entry 2");
  EXPECT_EQ(entries[3].level, spdlog::level::warn);
  EXPECT_THAT(entries[3].text, HasSubstr("7 more event-log entries raised while volumes were frozen"));
  EXPECT_THAT(entries[3].text, HasSubstr("at most 3"));

  // The count starts again with the next window; the total keeps growing.
  gate_->Open();
  for (int i = 0; i < 4; ++i) logger_->error("again {}", i);
  gate_->Close("PostCommitSnapshots returned");
  const auto again = capture_->texts();
  ASSERT_EQ(again.size(), 8u);
  EXPECT_THAT(again.back(), HasSubstr("1 more event-log entry raised"));
  EXPECT_THAT(again.back(), HasSubstr("was dropped"));
  EXPECT_EQ(gate_->dropped_total(), 8u);
}

TEST_F(FreezeWindowGateTest, SafetyTimeoutReleasesOnTheNextCall) {
  Make();
  gate_->Open();
  logger_->error("held");
  clock_.Advance(std::chrono::seconds(69));
  EXPECT_TRUE(gate_->Poll());
  EXPECT_EQ(capture_->size(), 0u);
  clock_.Advance(std::chrono::seconds(2));  // 71 s: PostCommitSnapshots was lost
  logger_->error("late");                   // the log call itself notices
  EXPECT_THAT(capture_->texts(), ElementsAre("held", "late"));
  EXPECT_FALSE(gate_->is_open());
}

TEST_F(FreezeWindowGateTest, SafetyTimeoutThroughPollAndFlush) {
  Make();
  gate_->Open();
  logger_->error("a");
  clock_.Advance(std::chrono::seconds(71));
  EXPECT_FALSE(gate_->Poll());
  EXPECT_THAT(capture_->texts(), ElementsAre("a"));

  gate_->Open();
  logger_->error("b");
  clock_.Advance(std::chrono::seconds(71));
  logger_->flush();
  EXPECT_THAT(capture_->texts(), ElementsAre("a", "b"));
  EXPECT_EQ(capture_->flushes(), 1);
}

TEST_F(FreezeWindowGateTest, ReopeningRestartsTheClockAndKeepsWhatIsHeld) {
  Make();
  gate_->Open();
  logger_->error("old set");
  clock_.Advance(std::chrono::seconds(60));
  gate_->Open();  // a new set froze before the old window closed
  clock_.Advance(std::chrono::seconds(60));
  EXPECT_TRUE(gate_->Poll());  // 120 s after the first Open, 60 s after the second
  EXPECT_EQ(capture_->size(), 0u);
  gate_->Close("PostCommitSnapshots returned");
  EXPECT_THAT(capture_->texts(), ElementsAre("old set"));
}

TEST_F(FreezeWindowGateTest, WrappedSinkFailuresAreCountedNotThrown) {
  Make();
  capture_->FailNextWrites(1);
  EXPECT_NO_THROW(logger_->error("lost"));
  EXPECT_EQ(gate_->write_failures(), 1u);
  gate_->Open();
  logger_->error("kept 1");
  logger_->error("kept 2");
  capture_->FailNextWrites(1);
  EXPECT_NO_THROW(gate_->Close("AbortSnapshots returned"));
  EXPECT_EQ(gate_->write_failures(), 2u);
  EXPECT_THAT(capture_->texts(), ElementsAre("kept 2"));  // one failure does not stop the rest
}

TEST_F(FreezeWindowGateTest, PatternGoesToTheWrappedSink) {
  Make();
  logger_->set_pattern("[%l] %v");
  logger_->error("x");
  const auto entries = capture_->entries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_THAT(entries[0].formatted, HasSubstr("[error] x"));
}

TEST_F(FreezeWindowGateTest, DestructionWritesWhatIsHeld) {
  Make();
  gate_->Open();
  logger_->error("pending");
  logger_.reset();
  gate_.reset();
  EXPECT_THAT(capture_->texts(), ElementsAre("pending"));
}

TEST_F(FreezeWindowGateTest, NullSinkDropsWithoutCrashing) {
  auto gate = std::make_shared<FreezeWindowGate>(nullptr);
  spdlog::logger logger("hwsnap", gate);
  gate->Open();
  logger.error("x");
  gate->Close("AbortSnapshots returned");
  logger.error("y");
  logger.flush();
  EXPECT_FALSE(gate->is_open());
}

// A sink that notices writes made while the test says the window is open.
class FrozenWatchSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit FrozenWatchSink(const std::atomic<bool>* frozen) : frozen_(frozen) {}
  std::vector<std::string> texts() {
    std::lock_guard<std::mutex> lock(mutex_);
    return texts_;
  }
  int violations() {
    std::lock_guard<std::mutex> lock(mutex_);
    return violations_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (frozen_->load()) ++violations_;
    texts_.emplace_back(msg.payload.data(), msg.payload.size());
  }
  void flush_() override {
    if (frozen_->load()) ++violations_;
  }

 private:
  const std::atomic<bool>* frozen_;
  std::vector<std::string> texts_;
  int violations_ = 0;
};

// Many reporters while another thread opens and closes the window: every
// entry is written exactly once, none while the window is open (the toggler
// raises `frozen` after Open returns and lowers it before Close), and each
// thread's entries keep their order.
TEST(FreezeWindowGateConcurrencyTest, ConcurrentReportersAndWindowChanges) {
  std::atomic<bool> frozen{false};
  auto watch = std::make_shared<FrozenWatchSink>(&frozen);
  FreezeWindowGateOptions options;
  options.capacity = 100000;
  auto gate = std::make_shared<FreezeWindowGate>(watch, options);
  auto logger = std::make_shared<spdlog::logger>("hwsnap", gate);

  constexpr int kThreads = 4;
  constexpr int kPerThread = 500;
  std::atomic<bool> stop{false};
  std::atomic<int> windows{0};
  std::thread toggler([&] {
    while (!stop.load()) {
      gate->Open();
      frozen = true;
      std::this_thread::yield();
      gate->Poll();
      std::this_thread::yield();
      frozen = false;
      gate->Close("PostCommitSnapshots returned");
      windows.fetch_add(1);
      std::this_thread::yield();
    }
  });
  std::vector<std::thread> reporters;
  for (int t = 0; t < kThreads; ++t) {
    reporters.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        logger->error("t{} n{}", t, i);
        if (i % 50 == 0) logger->flush();
      }
    });
  }
  for (auto& r : reporters) r.join();
  stop = true;
  toggler.join();
  gate->Close("test over");

  EXPECT_GT(windows.load(), 0);
  EXPECT_EQ(watch->violations(), 0);
  const auto texts = watch->texts();
  ASSERT_EQ(texts.size(), static_cast<std::size_t>(kThreads * kPerThread));
  std::vector<int> next(kThreads, 0);
  for (const std::string& text : texts) {
    int t = -1, n = -1;
    ASSERT_EQ(std::sscanf(text.c_str(), "t%d n%d", &t, &n), 2) << text;
    ASSERT_GE(t, 0);
    ASSERT_LT(t, kThreads);
    EXPECT_EQ(n, next[static_cast<std::size_t>(t)]) << "thread " << t << " out of order";
    next[static_cast<std::size_t>(t)] = n + 1;
  }
  EXPECT_EQ(gate->dropped_total(), 0u);
}

}  // namespace
}  // namespace windows
}  // namespace hwsnap
