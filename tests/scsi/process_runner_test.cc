// Tests of hwsnap/scsi/process_runner.h: argv without a shell, captured
// streams, exit codes, signals, timeouts (killed and reaped), missing programs.
#include "hwsnap/scsi/process_runner.h"

#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "hwsnap/status.h"

namespace hwsnap::scsi {
namespace {

TEST(RunProcessTest, CapturesStdoutStderrAndExitCode) {
  auto r = RunProcess({"sh", "-c", "echo out; echo err >&2; exit 3"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->term_signal, 0);
  EXPECT_FALSE(r->Succeeded());
  EXPECT_EQ(r->stdout_text, "out\n");
  EXPECT_EQ(r->stderr_text, "err\n");
  EXPECT_EQ(r->Describe(), "exit 3");
}

TEST(RunProcessTest, ArgumentsAreNotReparsedByAShell) {
  auto r = RunProcess({"printf", "%s|", "a b", "$HOME", "; rm -rf x", "*"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->Succeeded());
  EXPECT_EQ(r->stdout_text, "a b|$HOME|; rm -rf x|*|");
}

TEST(RunProcessTest, StdinIsEmpty) {
  auto r = RunProcess({"cat"}, RunOptions{absl::Seconds(5)});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->Succeeded());
  EXPECT_EQ(r->stdout_text, "");
}

TEST(RunProcessTest, ReportsTheKillingSignal) {
  auto r = RunProcess({"sh", "-c", "kill -TERM $$"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->term_signal, SIGTERM);
  EXPECT_EQ(r->exit_code, -1);
  EXPECT_EQ(r->Describe(), "killed by signal 15");
}

TEST(RunProcessTest, TimeoutKillsAndReapsTheChild) {
  const absl::Time start = absl::Now();
  auto r = RunProcess({"sleep", "30"}, RunOptions{absl::Milliseconds(200)});
  EXPECT_EQ(GetErrorCode(r.status()), ErrorCode::kDeadlineExceeded) << r.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  // Reaped: no child of ours is left (waitpid finds none).
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST(RunProcessTest, TimeoutAlsoAppliesWhenTheChildClosesItsStreams) {
  auto r = RunProcess({"sh", "-c", "exec >&- 2>&-; sleep 30"}, RunOptions{absl::Milliseconds(200)});
  EXPECT_EQ(GetErrorCode(r.status()), ErrorCode::kDeadlineExceeded) << r.status();
}

TEST(RunProcessTest, OutputIsBounded) {
  RunOptions options;
  options.max_output_bytes = 1000;
  auto r = RunProcess({"sh", "-c", "head -c 100000 /dev/zero"}, options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->Succeeded());
  EXPECT_EQ(r->stdout_text.size(), 1000u);
}

TEST(RunProcessTest, MissingProgramIsNotSupported) {
  auto r = RunProcess({"hwsnap-no-such-program-xyz"});
  EXPECT_EQ(GetErrorCode(r.status()), ErrorCode::kNotSupported) << r.status();
  EXPECT_EQ(GetErrorCode(RunProcess({}).status()), ErrorCode::kInvalidArgument);
  EXPECT_EQ(GetErrorCode(FindExecutable("/nonexistent/dir/prog").status()), ErrorCode::kNotSupported);
}

TEST(FindExecutableTest, FindsProgramsInPath) {
  auto sh = FindExecutable("sh");
  ASSERT_TRUE(sh.ok()) << sh.status();
  EXPECT_EQ(sh->front(), '/');
}

TEST(ChildProcessTest, WritesLogAndReportsExit) {
  const std::filesystem::path log =
      std::filesystem::temp_directory_path() / ("hwsnap-child-" + std::to_string(::getpid()) + ".log");
  {
    auto child = ChildProcess::Spawn({"sh", "-c", "echo hello; echo oops >&2; exit 7"}, log.string());
    ASSERT_TRUE(child.ok()) << child.status();
    ASSERT_TRUE(child->WaitForExit(absl::Seconds(5)));
    ASSERT_TRUE(child->result().has_value());
    EXPECT_EQ(child->result()->exit_code, 7);
  }
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "hello\noops\n");
  std::filesystem::remove(log);
}

TEST(ChildProcessTest, DestructorKillsARunningChild) {
  pid_t pid = -1;
  {
    auto child = ChildProcess::Spawn({"sleep", "30"}, "/dev/null");
    ASSERT_TRUE(child.ok()) << child.status();
    pid = child->pid();
    EXPECT_FALSE(child->HasExited());
    EXPECT_FALSE(child->WaitForExit(absl::Milliseconds(20)));
  }
  EXPECT_FALSE(std::filesystem::exists("/proc/" + std::to_string(pid)));
}

TEST(ChildProcessTest, SignalStopsTheChild) {
  auto child = ChildProcess::Spawn({"sleep", "30"}, "/dev/null");
  ASSERT_TRUE(child.ok()) << child.status();
  ASSERT_TRUE(child->Signal(SIGTERM).ok());
  ASSERT_TRUE(child->WaitForExit(absl::Seconds(5)));
  EXPECT_EQ(child->result()->term_signal, SIGTERM);
  EXPECT_TRUE(child->Signal(SIGTERM).ok());  // already gone: no-op
}

}  // namespace
}  // namespace hwsnap::scsi
