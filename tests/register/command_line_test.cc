// Tests of hwsnap-register's command line: commands, options in both
// spellings and positions, and a clear error for every misuse.
#include "hwsnap/register/command_line.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hwsnap {
namespace installer {
namespace {

using ::testing::HasSubstr;

CommandLine Parse(const std::vector<std::string>& args) {
  absl::StatusOr<CommandLine> parsed = ParseCommandLine(args);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.ok() ? *parsed : CommandLine{};
}

std::string Error(const std::vector<std::string>& args) {
  absl::StatusOr<CommandLine> parsed = ParseCommandLine(args);
  EXPECT_FALSE(parsed.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(parsed.status()));
  return std::string(parsed.status().message());
}

TEST(CommandLineTest, Commands) {
  EXPECT_EQ(Parse({"register"}).command, Command::kRegister);
  EXPECT_EQ(Parse({"unregister"}).command, Command::kUnregister);
  EXPECT_EQ(Parse({"help"}).command, Command::kHelp);
  EXPECT_EQ(Parse({"--help"}).command, Command::kHelp);
  EXPECT_EQ(Parse({"/?"}).command, Command::kHelp);
  EXPECT_FALSE(Parse({"register"}).dry_run);
}

TEST(CommandLineTest, OptionsInBothSpellingsAndPositions) {
  const CommandLine a = Parse({"register", "--dry-run", "--dll", "C:\\x\\hwsnap_vss.dll", "--config=D:\\c.conf",
                               "--shutdown-after", "10"});
  EXPECT_EQ(a.command, Command::kRegister);
  EXPECT_TRUE(a.dry_run);
  EXPECT_EQ(a.dll_path, "C:\\x\\hwsnap_vss.dll");
  EXPECT_EQ(a.config_path, "D:\\c.conf");
  EXPECT_EQ(a.shutdown_after_minutes, 10);

  const CommandLine b = Parse({"--dry-run", "--dll=C:\\with space\\a.dll", "unregister"});
  EXPECT_EQ(b.command, Command::kUnregister);
  EXPECT_TRUE(b.dry_run);
  EXPECT_EQ(b.dll_path, "C:\\with space\\a.dll");
  EXPECT_FALSE(b.config_path.has_value());
}

TEST(CommandLineTest, UsageErrorsSayWhatIsWrong) {
  EXPECT_THAT(Error({}), HasSubstr("missing command"));
  EXPECT_THAT(Error({"install"}), HasSubstr("unknown command \"install\""));
  EXPECT_THAT(Error({"register", "unregister"}), HasSubstr("one command only"));
  EXPECT_THAT(Error({"register", "--force"}), HasSubstr("unknown option --force"));
  EXPECT_THAT(Error({"register", "--dll"}), HasSubstr("--dll needs a value"));
  EXPECT_THAT(Error({"register", "--config="}), HasSubstr("--config needs a non-empty value"));
  EXPECT_THAT(Error({"register", "--dry-run=yes"}), HasSubstr("--dry-run takes no value"));
  EXPECT_THAT(Error({"register", "--shutdown-after", "1441"}), HasSubstr("0 to 1440"));
  EXPECT_THAT(Error({"register", "--shutdown-after", "-1"}), HasSubstr("0 to 1440"));
  EXPECT_THAT(Error({"register", "--shutdown-after", "ten"}), HasSubstr("\"ten\""));
  EXPECT_THAT(Error({"unregister", "--shutdown-after", "5"}), HasSubstr("register only"));
}

TEST(CommandLineTest, UsageTextNamesEveryCommandOptionAndExitCode) {
  const std::string usage = UsageText();
  for (const char* word : {"register", "unregister", "--dry-run", "--dll", "--config", "--shutdown-after",
                           "0 success", "1 failed and rolled back", "2 usage error", "3 failed"}) {
    EXPECT_THAT(usage, HasSubstr(word));
  }
  EXPECT_EQ(usage.back(), '\n');
}

}  // namespace
}  // namespace installer
}  // namespace hwsnap
