// Runs the real hwsnap-register.exe under Wine (Windows build only).
//
// Wine has a registry, files and COM, but no COM+ catalog and no VSS
// service. That makes it a good place to prove what must hold on any
// machine: --dry-run prints every step and changes nothing; unregister on a
// clean machine succeeds; and a real register that cannot go on (here: at
// the COM+ step) fails with a clear message, exit code 1, and leaves no
// registry key or file behind. hwsnap-register.exe and hwsnap_vss.dll are
// copied next to this test by tests/register/CMakeLists.txt.
#include <windows.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hwsnap/windows/provider_ids.h"
#include "hwsnap/windows/utf16.h"

namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::wstring TestFolder() {
  std::wstring path(32768, L'\0');
  path.resize(GetModuleFileNameW(nullptr, path.data(), static_cast<DWORD>(path.size())));
  return path.substr(0, path.find_last_of(L"\\/") + 1);
}

using hwsnap::windows::Narrow;

struct ToolRun {
  DWORD exit_code = 0xffffffff;
  std::string output;  // stdout and stderr, interleaved
};

// Runs hwsnap-register.exe with `arguments`, capturing its output.
ToolRun RunTool(const std::wstring& arguments) {
  ToolRun run;
  SECURITY_ATTRIBUTES inherit{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
  HANDLE read_end = nullptr;
  HANDLE write_end = nullptr;
  if (!CreatePipe(&read_end, &write_end, &inherit, 0)) return run;
  SetHandleInformation(read_end, HANDLE_FLAG_INHERIT, 0);
  STARTUPINFOW startup{};
  startup.cb = sizeof(startup);
  startup.dwFlags = STARTF_USESTDHANDLES;
  startup.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
  startup.hStdOutput = write_end;
  startup.hStdError = write_end;
  PROCESS_INFORMATION process{};
  std::wstring command_line = L"\"" + TestFolder() + L"hwsnap-register.exe\" " + arguments;
  const BOOL started = CreateProcessW(nullptr, command_line.data(), nullptr, nullptr, TRUE, 0, nullptr, nullptr,
                                      &startup, &process);
  CloseHandle(write_end);
  if (!started) {
    CloseHandle(read_end);
    run.output = "CreateProcess failed";
    return run;
  }
  char buffer[4096];
  DWORD read = 0;
  while (ReadFile(read_end, buffer, sizeof(buffer), &read, nullptr) && read > 0) run.output.append(buffer, read);
  CloseHandle(read_end);
  WaitForSingleObject(process.hProcess, INFINITE);
  GetExitCodeProcess(process.hProcess, &run.exit_code);
  CloseHandle(process.hThread);
  CloseHandle(process.hProcess);
  return run;
}

bool KeyExists(HKEY root, const std::wstring& path) {
  HKEY key = nullptr;
  if (RegOpenKeyExW(root, path.c_str(), 0, KEY_READ | KEY_WOW64_64KEY, &key) != ERROR_SUCCESS) return false;
  RegCloseKey(key);
  return true;
}

bool FileExists(const std::wstring& path) { return GetFileAttributesW(path.c_str()) != INVALID_FILE_ATTRIBUTES; }

const std::wstring kClsidKey = std::wstring(L"CLSID\\") + hwsnap::windows::kProviderClsidText;
const std::wstring kConfigKey = hwsnap::windows::kConfigRegistryKey;
const std::wstring kEventSourceKey =
    std::wstring(L"SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\") + hwsnap::windows::kEventSourceName;

class RegisterExeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    wchar_t temp[MAX_PATH + 1] = {};
    GetTempPathW(MAX_PATH, temp);
    config_folder_ = std::wstring(temp) + L"hwsnap-register-test";
    config_ = config_folder_ + L"\\hwsnap.conf";
    dll_ = TestFolder() + L"register-test\\hwsnap_vss.dll";
    ASSERT_TRUE(FileExists(dll_)) << Narrow(dll_);
    DeleteFileW(config_.c_str());
    // Start from a machine without hwsnap (earlier runs clean up after themselves).
    const ToolRun clean = RunTool(L"unregister" + PathArguments());
    ASSERT_EQ(clean.exit_code, 0u) << clean.output;
  }
  void TearDown() override {
    RunTool(L"unregister" + PathArguments());
    DeleteFileW(config_.c_str());
    RemoveDirectoryW(config_folder_.c_str());
  }

  std::wstring PathArguments() const { return L" --dll \"" + dll_ + L"\" --config \"" + config_ + L"\""; }

  void ExpectNothingInstalled() const {
    EXPECT_FALSE(KeyExists(HKEY_CLASSES_ROOT, kClsidKey)) << "COM class left behind";
    EXPECT_FALSE(KeyExists(HKEY_LOCAL_MACHINE, kConfigKey)) << "HKLM\\SOFTWARE\\hwsnap left behind";
    EXPECT_FALSE(KeyExists(HKEY_LOCAL_MACHINE, kEventSourceKey)) << "event source left behind";
  }

  std::wstring config_folder_;
  std::wstring config_;
  std::wstring dll_;
};

TEST_F(RegisterExeTest, HelpAndUsageErrors) {
  const ToolRun help = RunTool(L"help");
  EXPECT_EQ(help.exit_code, 0u);
  EXPECT_THAT(help.output, HasSubstr("usage: hwsnap-register register"));
  const ToolRun wrong = RunTool(L"install");
  EXPECT_EQ(wrong.exit_code, 2u);
  EXPECT_THAT(wrong.output, HasSubstr("unknown command \"install\""));
  const ToolRun none = RunTool(L"");
  EXPECT_EQ(none.exit_code, 2u);
  EXPECT_THAT(none.output, HasSubstr("missing command"));
}

TEST_F(RegisterExeTest, DryRunPrintsEveryStepAndChangesNothing) {
  const ToolRun run = RunTool(L"register --dry-run" + PathArguments());
  ASSERT_EQ(run.exit_code, 0u) << run.output;
  for (const char* step : {"com-registration", "config-file", "config-location", "event-source",
                           "complus-application", "complus-role", "complus-component", "vss-provider"}) {
    EXPECT_THAT(run.output, HasSubstr(std::string("] ") + step + ": ")) << step;
  }
  EXPECT_THAT(run.output, HasSubstr("dry-run: register [8/8] vss-provider"));
  EXPECT_THAT(run.output, HasSubstr(Narrow(hwsnap::windows::kProviderIdText)));
  EXPECT_THAT(run.output, HasSubstr(Narrow(hwsnap::windows::kProviderClsidText)));
  EXPECT_THAT(run.output, HasSubstr("VSS_PROV_HARDWARE"));
  EXPECT_THAT(run.output, HasSubstr("S-1-5-32-544"));
  EXPECT_THAT(run.output, HasSubstr(Narrow(dll_)));
  EXPECT_THAT(run.output, HasSubstr(Narrow(config_)));
  ExpectNothingInstalled();
  EXPECT_FALSE(FileExists(config_));

  const ToolRun unregister = RunTool(L"unregister --dry-run" + PathArguments());
  ASSERT_EQ(unregister.exit_code, 0u) << unregister.output;
  EXPECT_THAT(unregister.output, HasSubstr("dry-run: unregister [1/8] vss-provider"));
}

TEST_F(RegisterExeTest, UnregisterOnACleanMachineSucceeds) {
  const ToolRun run = RunTool(L"unregister" + PathArguments());
  EXPECT_EQ(run.exit_code, 0u) << run.output;
  EXPECT_THAT(run.output, HasSubstr("already absent"));
  EXPECT_THAT(run.output, Not(HasSubstr("FAILED")));
}

// Wine has no COM+ catalog: register gets through COM registration, the
// configuration file and registry value, and the event source, then fails at
// the COM+ application, says so with the HRESULT and a remedy, and undoes
// all four.
TEST_F(RegisterExeTest, RegisterFailsCleanlyAtTheComPlusStepAndLeavesNothingBehind) {
  const ToolRun run = RunTool(L"register" + PathArguments());
  EXPECT_EQ(run.exit_code, 1u) << run.output;
  EXPECT_THAT(run.output, HasSubstr("register [1/8] com-registration"));
  EXPECT_THAT(run.output, HasSubstr("register [4/8] event-source"));
  EXPECT_THAT(run.output, HasSubstr("register [5/8] complus-application"));
  EXPECT_THAT(run.output, HasSubstr("register failed at step complus-application"));
  EXPECT_THAT(run.output, HasSubstr("HRESULT 0x"));
  EXPECT_THAT(run.output, HasSubstr("Remedy: "));
  EXPECT_THAT(run.output, HasSubstr("COM+"));
  EXPECT_THAT(run.output, HasSubstr("Every change was rolled back."));
  EXPECT_THAT(run.output, Not(HasSubstr("register [6/8]"))) << "nothing after the failed step";
  ExpectNothingInstalled();
  EXPECT_FALSE(FileExists(config_)) << "the configuration file this run created is removed again";
}

TEST_F(RegisterExeTest, FailedRegisterKeepsAnAdministratorsConfigFile) {
  CreateDirectoryW(config_folder_.c_str(), nullptr);
  HANDLE file = CreateFileW(config_.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
  ASSERT_NE(file, INVALID_HANDLE_VALUE);
  const char content[] = "backend = acme\r\n";
  DWORD written = 0;
  WriteFile(file, content, sizeof(content) - 1, &written, nullptr);
  CloseHandle(file);

  const ToolRun run = RunTool(L"register" + PathArguments());
  EXPECT_EQ(run.exit_code, 1u) << run.output;
  ExpectNothingInstalled();
  ASSERT_TRUE(FileExists(config_));
  file = CreateFileW(config_.c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr, OPEN_EXISTING, 0, nullptr);
  ASSERT_NE(file, INVALID_HANDLE_VALUE);
  char buffer[256] = {};
  DWORD read = 0;
  ReadFile(file, buffer, sizeof(buffer) - 1, &read, nullptr);
  CloseHandle(file);
  EXPECT_EQ(std::string(buffer, read), content);
}

}  // namespace
