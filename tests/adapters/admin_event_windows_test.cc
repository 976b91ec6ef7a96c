// Tests of the Windows half of the event-log path (Windows only; runs under Wine).
//
// This file exists to prove what only the Windows build can: hwsnap_vss.dll
// carries the message table Event Viewer needs (message 1000 formats to
// exactly the sentence hwsnap passes as insertion string 1, and the category
// names), and the process's AdminEventLog over spdlog's win_eventlog_sink
// writes without failing. Wine's ReportEvent is a stub that accepts every
// entry, so what reaches the real log is not observable here; the DLL test
// loads the DLL the build produced, copied next to this test.
#include <windows.h>

#include <cstdint>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "hwsnap/ids.h"
#include "hwsnap/status.h"
#include "hwsnap/windows/admin_event_log.h"
#include "hwsnap/windows/admin_event_log_windows.h"
#include "hwsnap/windows/vss_results.h"

namespace hwsnap {
namespace windows {
namespace {

std::wstring DllPath() {
  wchar_t path[MAX_PATH] = {};
  GetModuleFileNameW(nullptr, path, MAX_PATH);
  std::wstring dir(path);
  dir.resize(dir.find_last_of(L"\\/") + 1);
  return dir + L"hwsnap_vss.dll";
}

// The DLL loaded as Event Viewer loads a message file: as data.
class MessageTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    module_ = LoadLibraryExW(DllPath().c_str(), nullptr, LOAD_LIBRARY_AS_DATAFILE);
    ASSERT_NE(module_, nullptr) << "cannot load hwsnap_vss.dll, error " << GetLastError();
  }
  void TearDown() override {
    if (module_ != nullptr) FreeLibrary(module_);
  }

  // FormatMessage of `id` from the DLL with one insertion string; "" on failure.
  std::wstring Format(DWORD id, const wchar_t* insertion) {
    DWORD_PTR args[] = {reinterpret_cast<DWORD_PTR>(insertion)};
    wchar_t buffer[8192] = {};
    const DWORD n = FormatMessageW(FORMAT_MESSAGE_FROM_HMODULE | FORMAT_MESSAGE_ARGUMENT_ARRAY, module_, id,
                                   MAKELANGID(LANG_ENGLISH, SUBLANG_ENGLISH_US), buffer, 8192,
                                   reinterpret_cast<va_list*>(args));
    if (n == 0) ADD_FAILURE() << "FormatMessage(" << id << ") failed, error " << GetLastError();
    return std::wstring(buffer, n);
  }

  HMODULE module_ = nullptr;
};

TEST_F(MessageTableTest, TheDllCarriesAMessageTable) {
  EXPECT_NE(FindResourceW(module_, MAKEINTRESOURCEW(1), MAKEINTRESOURCEW(11) /* RT_MESSAGETABLE */), nullptr)
      << "error " << GetLastError();
}

TEST_F(MessageTableTest, EventIdFormatsToTheSentenceAlone) {
  const wchar_t* sentence =
      L"hwsnap could not take the snapshots (VSS call CommitSnapshots) for snapshot set "
      L"{8EE29BA3-1CDF-44E8-B8DF-14599F25F908}. What to do: 100% sure: retry.";
  EXPECT_EQ(Format(kAdminEventMessageId, sentence), std::wstring(sentence));  // no line break, no prefix
}

TEST_F(MessageTableTest, CategoriesAreNamed) {
  // win_eventlog_sink's category is the spdlog level number.
  EXPECT_EQ(Format(static_cast<DWORD>(spdlog::level::err), L""), L"Error");
  EXPECT_EQ(Format(static_cast<DWORD>(spdlog::level::warn), L""), L"Warning");
  EXPECT_EQ(Format(static_cast<DWORD>(spdlog::level::info), L""), L"Information");
}

TEST(ProcessAdminEventLogTest, WritesThroughTheWindowsEventLogSink) {
  std::shared_ptr<AdminEventLog> log = ProcessAdminEventLog();
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(ProcessAdminEventLog(), log);  // one per process

  AdminEventFacts facts;
  facts.method = VssMethod::kCommitSnapshots;
  facts.status = VetoError("the array refused the snapshot", "Check the array, then run the backup again.");
  facts.result = kVSS_E_PROVIDER_VETO;
  facts.set_id = SnapshotSetId::Random();
  log->EnterFreezeWindow(*facts.set_id);
  log->Report(facts);
  EXPECT_EQ(log->gate().held(), 1u);
  log->LeaveFreezeWindow("test: PostCommitSnapshots returned");
  EXPECT_EQ(log->gate().held(), 0u);
  log->Report(facts);
  EXPECT_EQ(log->gate().write_failures(), 0u);  // RegisterEventSource and ReportEvent succeeded
}

TEST(ProcessAdminEventLogTest, ApplicationEventLogSinkIsTheWindowsSink) {
  absl::StatusOr<spdlog::sink_ptr> sink = MakeApplicationEventLogSink();
  ASSERT_TRUE(sink.ok()) << sink.status();
  ASSERT_NE(*sink, nullptr);
}

}  // namespace
}  // namespace windows
}  // namespace hwsnap
