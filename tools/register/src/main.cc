// hwsnap-register.exe: installs, re-installs and removes the hwsnap VSS
// hardware provider on Windows Server.
//
//   hwsnap-register register [--dry-run] [--dll PATH] [--config PATH] [--shutdown-after MINUTES]
//   hwsnap-register unregister [--dry-run] [--dll PATH] [--config PATH]
//
// This file exists only to connect the pieces: it converts the UTF-16 command
// line, fills the settings (the fixed identities from provider_ids.h, default
// paths), initialises COM and runs the platform-neutral plan
// (install_plan.h) over the real WindowsSystemActions. Exit codes: see
// UsageText().
#include <windows.h>
#include <objbase.h>
#include <shellapi.h>
#include <shlobj.h>

#include <iostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "hwsnap/register/command_line.h"
#include "hwsnap/register/install_plan.h"
#include "hwsnap/windows/provider_ids.h"
#include "windows_system_actions.h"

namespace hwsnap {
namespace installer {
namespace {

std::vector<std::string> Arguments() {
  std::vector<std::string> args;
  int count = 0;
  wchar_t** argv = CommandLineToArgvW(GetCommandLineW(), &count);
  if (argv == nullptr) return args;
  for (int i = 1; i < count; ++i) args.push_back(Narrow(argv[i]));
  LocalFree(argv);
  return args;
}

// The folder holding this executable, with a trailing backslash.
std::wstring ExecutableFolder() {
  std::wstring path(32768, L'\0');
  const DWORD length = GetModuleFileNameW(nullptr, path.data(), static_cast<DWORD>(path.size()));
  path.resize(length);
  const std::size_t slash = path.find_last_of(L"\\/");
  return slash == std::wstring::npos ? std::wstring() : path.substr(0, slash + 1);
}

// %ProgramData% (C:\ProgramData on a default installation).
std::wstring ProgramDataFolder() {
  wchar_t* folder = nullptr;
  std::wstring result = L"C:\\ProgramData";
  if (SUCCEEDED(SHGetKnownFolderPath(FOLDERID_ProgramData, 0, nullptr, &folder)) && folder != nullptr) {
    result = folder;
  }
  CoTaskMemFree(folder);
  return result;
}

// The absolute form of `path` (relative to the current directory).
std::string Absolute(const std::string& path) {
  const std::wstring wide = Widen(path);
  const DWORD needed = GetFullPathNameW(wide.c_str(), 0, nullptr, nullptr);
  if (needed == 0) return path;
  std::wstring full(needed, L'\0');
  const DWORD length = GetFullPathNameW(wide.c_str(), needed, full.data(), nullptr);
  full.resize(length);
  return Narrow(full);
}

// The configuration file an earlier installation recorded in
// HKLM\SOFTWARE\hwsnap\ConfigFile, or empty. Re-registering (an upgrade)
// without --config keeps it: resetting it to the default would silently leave
// the provider with "backend = none".
std::string RecordedConfigPath() {
  using namespace hwsnap::windows;  // provider_ids.h
  wchar_t value[MAX_PATH * 4] = {};
  DWORD bytes = sizeof(value);
  if (RegGetValueW(HKEY_LOCAL_MACHINE, kConfigRegistryKey, kConfigFileValue, RRF_RT_REG_SZ, nullptr, value,
                   &bytes) != ERROR_SUCCESS) {
    return {};
  }
  return Narrow(value);
}

InstallSettings SettingsFor(const CommandLine& command_line) {
  using namespace hwsnap::windows;  // provider_ids.h
  InstallSettings settings;
  settings.dll_path = command_line.dll_path.has_value() ? Absolute(*command_line.dll_path)
                                                        : Narrow(ExecutableFolder() + L"hwsnap_vss.dll");
  const std::string recorded = RecordedConfigPath();
  if (command_line.config_path.has_value()) {
    settings.config_path = Absolute(*command_line.config_path);
  } else if (!recorded.empty()) {
    settings.config_path = recorded;
    if (command_line.command == Command::kRegister) std::cout << "hwsnap-register: keeping the configuration file of the existing installation, " << recorded
              << " (pass --config to choose another)\n";
  } else {
    settings.config_path = Narrow(ProgramDataFolder() + L"\\hwsnap\\hwsnap.conf");
  }
  settings.provider_name = Narrow(kProviderName);
  settings.provider_id = Narrow(kProviderIdText);
  settings.provider_clsid = Narrow(kProviderClsidText);
  settings.provider_version = HWSNAP_VERSION;
  settings.event_source = Narrow(kEventSourceName);
  settings.config_registry_key = Narrow(kConfigRegistryKey);
  settings.config_registry_value = Narrow(kConfigFileValue);
  if (command_line.shutdown_after_minutes.has_value()) {
    settings.shutdown_after_minutes = *command_line.shutdown_after_minutes;
  }
  return settings;
}

int Run() {
  const absl::StatusOr<CommandLine> command_line = ParseCommandLine(Arguments());
  if (!command_line.ok()) {
    std::cerr << "hwsnap-register: " << command_line.status().message() << "\n\n" << UsageText();
    return kUsageExitCode;
  }
  if (command_line->command == Command::kHelp) {
    std::cout << UsageText();
    return 0;
  }
  InstallPlan plan = BuildInstallPlan(SettingsFor(*command_line));
  const RunMode mode = command_line->dry_run ? RunMode::kDryRun : RunMode::kApply;

  // The COM+ catalog is an apartment-threaded in-process server.
  const HRESULT com = CoInitializeEx(nullptr, COINIT_APARTMENTTHREADED);
  if (FAILED(com) && mode == RunMode::kApply) {
    std::cerr << "hwsnap-register: CoInitializeEx failed\n";
    return 1;
  }
  RunResult result;
  {
    WindowsSystemActions actions;
    result = command_line->command == Command::kRegister ? RunRegister(plan, actions, std::cout, mode)
                                                         : RunUnregister(plan, actions, std::cout, mode);
  }
  if (SUCCEEDED(com)) CoUninitialize();
  std::cout.flush();
  if (!result.status.ok()) std::cerr << "hwsnap-register: " << result.status.message() << "\n";
  return result.ExitCode();
}

}  // namespace
}  // namespace installer
}  // namespace hwsnap

int main() {
  // Account names and paths may be non-ASCII: print UTF-8, restore the console afterwards.
  const UINT previous = GetConsoleOutputCP();
  SetConsoleOutputCP(CP_UTF8);
  const int code = hwsnap::installer::Run();
  if (previous != 0) SetConsoleOutputCP(previous);
  return code;
}
