// hwsnap/register/command_line.h — the command line of hwsnap-register.
//
// This file exists so the argument rules (and their error messages) are
// platform-neutral and tested on Linux; the Windows main() only converts its
// UTF-16 arguments to UTF-8 and fills the defaults.
//
//   hwsnap-register register   [--dry-run] [--dll PATH] [--config PATH] [--shutdown-after MINUTES]
//   hwsnap-register unregister [--dry-run] [--dll PATH] [--config PATH]
//   hwsnap-register help
//
//   absl::StatusOr<CommandLine> cl = ParseCommandLine({"register", "--dry-run"});
#ifndef HWSNAP_REGISTER_COMMAND_LINE_H_
#define HWSNAP_REGISTER_COMMAND_LINE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace hwsnap {
namespace installer {

enum class Command { kRegister, kUnregister, kHelp };

struct CommandLine {
  Command command = Command::kHelp;
  bool dry_run = false;
  std::optional<std::string> dll_path;     // default: hwsnap_vss.dll next to the executable
  std::optional<std::string> config_path;  // default: %ProgramData%\hwsnap\hwsnap.conf
  std::optional<long> shutdown_after_minutes;  // COM+ ShutdownAfter, 0..1440
};

// Parses the arguments after the program name. Options may come before or
// after the command, as "--name value" or "--name=value". InvalidArgument with
// a one-line explanation for anything else (unknown command or option,
// missing or empty value, repeated command, value out of range).
absl::StatusOr<CommandLine> ParseCommandLine(const std::vector<std::string>& args);

// The help text (ends with a newline).
std::string UsageText();

// Process exit code for a usage error.
inline constexpr int kUsageExitCode = 2;

}  // namespace installer
}  // namespace hwsnap

#endif  // HWSNAP_REGISTER_COMMAND_LINE_H_
