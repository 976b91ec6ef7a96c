// Argument parsing of hwsnap-register (see command_line.h).
#include "hwsnap/register/command_line.h"

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace hwsnap {
namespace installer {

std::string UsageText() {
  return "usage: hwsnap-register register   [--dry-run] [--dll PATH] [--config PATH] [--shutdown-after MINUTES]\n"
         "       hwsnap-register unregister [--dry-run] [--dll PATH] [--config PATH]\n"
         "       hwsnap-register help\n"
         "\n"
         "register    installs the hwsnap VSS hardware provider: COM registration of the DLL, the\n"
         "            configuration file (created only when absent) and its registry value, the\n"
         "            event source, the COM+ server application (LocalSystem, role by SID) and the\n"
         "            VSS registration. Anything an earlier installation left is removed first;\n"
         "            if a step fails, everything done so far is rolled back.\n"
         "unregister  removes all of it except the configuration file; missing pieces are skipped.\n"
         "\n"
         "--dry-run         print every step; change nothing\n"
         "--dll PATH        hwsnap_vss.dll to register (default: next to hwsnap-register.exe)\n"
         "--config PATH     configuration file (default: %ProgramData%\\hwsnap\\hwsnap.conf)\n"
         "--shutdown-after  minutes the idle COM+ host process stays up (0-1440, default 3)\n"
         "\n"
         "Run from an elevated prompt. Exit codes: 0 success, 1 failed and rolled back,\n"
         "2 usage error, 3 failed and something could not be undone or removed.\n";
}

absl::StatusOr<CommandLine> ParseCommandLine(const std::vector<std::string>& args) {
  CommandLine result;
  bool have_command = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const absl::string_view arg = args[i];
    if (absl::StartsWith(arg, "--")) {
      absl::string_view name = arg;
      std::optional<std::string> value;
      const std::size_t equals = arg.find('=');
      if (equals != absl::string_view::npos) {
        name = arg.substr(0, equals);
        value = std::string(arg.substr(equals + 1));
      }
      if (name == "--dry-run") {
        if (value.has_value()) return absl::InvalidArgumentError("--dry-run takes no value");
        result.dry_run = true;
        continue;
      }
      if (name == "--help") {
        result.command = Command::kHelp;
        return result;
      }
      if (name != "--dll" && name != "--config" && name != "--shutdown-after") {
        return absl::InvalidArgumentError(absl::StrCat("unknown option ", name));
      }
      if (!value.has_value()) {
        if (i + 1 >= args.size()) return absl::InvalidArgumentError(absl::StrCat(name, " needs a value"));
        value = args[++i];
      }
      if (value->empty()) return absl::InvalidArgumentError(absl::StrCat(name, " needs a non-empty value"));
      if (name == "--dll") {
        result.dll_path = *value;
      } else if (name == "--config") {
        result.config_path = *value;
      } else {
        long minutes = 0;
        if (!absl::SimpleAtoi(*value, &minutes) || minutes < 0 || minutes > 1440) {
          return absl::InvalidArgumentError(
              absl::StrCat("--shutdown-after needs a whole number of minutes from 0 to 1440, not \"", *value, "\""));
        }
        result.shutdown_after_minutes = minutes;
      }
      continue;
    }
    if (have_command) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"", arg, "\" (one command only)"));
    }
    have_command = true;
    if (arg == "register") {
      result.command = Command::kRegister;
    } else if (arg == "unregister") {
      result.command = Command::kUnregister;
    } else if (arg == "help" || arg == "/?" || arg == "-h") {
      result.command = Command::kHelp;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown command \"", arg, "\" (expected register, unregister or help)"));
    }
  }
  if (!have_command) return absl::InvalidArgumentError("missing command (register, unregister or help)");
  if (result.command == Command::kUnregister && result.shutdown_after_minutes.has_value()) {
    return absl::InvalidArgumentError("--shutdown-after applies to register only");
  }
  return result;
}

}  // namespace installer
}  // namespace hwsnap
