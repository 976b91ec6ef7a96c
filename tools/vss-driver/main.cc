// hwsnap-vss-driver — drives hwsnap's VSS hardware provider the way VSS does.
//
// This program exists to test hwsnap_vss.dll as VSS would meet it: through
// COM only. It registers the DLL (its DllRegisterServer, like regsvr32),
// joins the multithreaded apartment, creates the provider with
// CoCreateInstance(CLSID {7B841816-E71D-4E70-A493-220DF9F3884D},
// CLSCTX_INPROC_SERVER, IID_IVssHardwareSnapshotProvider), asks for
// IVssHardwareSnapshotProviderEx, IVssProviderCreateSnapshotSet and
// IVssProviderNotifications, calls OnLoad, runs one named scenario (a
// sequence of provider calls, some from a second thread), and ends with
// OnUnload(TRUE). It prints a timeline, one line per call:
//
//   +    41.233 ms  T1  BeginPrepareSnapshot(set=S1, snap=V2, ctx=0x0, luns=2[B,C], devs) -> S_OK  (0.2 ms)
//   +    41.561 ms  T2  EndPrepareSnapshots(set=S1) ... waiting
//
// and exits 0 when every result was legal for its method
// (hwsnap::windows::IsLegalResult: what VSS accepts without turning it into
// VSS_E_UNEXPECTED_PROVIDER_ERROR) and what the scenario expects; 1 when any
// was not; 2 for a usage or setup error (DLL missing, class not registered);
// 3 when a provider call never returned.
//
//   hwsnap-vss-driver --list
//   hwsnap-vss-driver success                      # registers ./hwsnap_vss.dll first
//   hwsnap-vss-driver --dll D:\build\hwsnap_vss.dll out-of-order
//   hwsnap-vss-driver --no-register --context all unknown-set
//
// The tests (tools/vss-driver/CMakeLists.txt, under Wine) give the DLL its
// backend through the environment, which reaches an in-process DLL:
// HWSNAP_BACKEND=mock (a mock array that adopts any LUN with a unique 0x83
// identifier), HWSNAP_MOCK_PREPARE_MS, HWSNAP_MOCK_FAULT (see --list for what
// each scenario needs).
//
// On a real Windows Server, an administrator can run it against the installed
// provider: pass --no-register (registering this copy would repoint the
// installed CLSID at it; the driver refuses unless --force-register) and
// --context all (the installed provider runs in its COM+ server application,
// as LocalSystem, so run the driver elevated). Only the scenarios whose "needs"
// column in --list is empty (unknown-set, malformed-input-only,
// unsupported-lun, ex-interface) are meant for that: they create no snapshot,
// send only LUNs no array has, and call BeginPrepareSnapshot only with input
// a correct provider refuses before touching any set. Even so, run them only
// when no snapshot is being created on the machine: the provider serves
// every caller, and one that wrongly accepted such a call would abort VSS's
// set in creation (a new set id implicitly aborts the old one).
#include <windows.h>
#include <shellapi.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "com_session.h"
#include "lun_fixture.h"
#include "scenario.h"
#include "timeline.h"
#include "vss_calls.h"

namespace hwsnap {
namespace vss_driver {
namespace {

constexpr int kExitPass = 0;
constexpr int kExitFail = 1;
constexpr int kExitUsage = 2;

struct Options {
  bool list = false;
  bool help = false;
  std::string scenario;
  SessionOptions session;
  bool no_register = false;
  std::string error;  // non-empty: bad command line
};

void PrintUsage(std::FILE* out) {
  std::fprintf(out,
               "usage: hwsnap-vss-driver [--dll PATH | --no-register] [--force-register] [--context inproc|all] "
               "SCENARIO\n"
               "       hwsnap-vss-driver --list\n"
               "  --dll PATH        the DLL to register first (default: hwsnap_vss.dll beside this program)\n"
               "  --no-register     use the provider the registry already names (an installed provider)\n"
               "  --force-register  register even if the CLSID points at another file\n"
               "  --context         CLSCTX for CoCreateInstance: inproc (default) or all (COM+ application)\n"
               "exit status: 0 all results legal and expected, 1 otherwise, 2 usage/setup error, 3 a call hung\n");
}

void PrintList() {
  for (const Scenario& s : AllScenarios()) {
    std::printf("%-30s needs: %s\n  %s\n", s.name, *s.needs ? s.needs : "(any backend; creates nothing)", s.summary);
  }
}

std::wstring ProgramDirectory() {
  wchar_t path[MAX_PATH * 2] = {};
  const DWORD n = GetModuleFileNameW(nullptr, path, MAX_PATH * 2);
  std::wstring dir(path, n);
  const std::size_t slash = dir.find_last_of(L"\\/");
  return slash == std::wstring::npos ? std::wstring() : dir.substr(0, slash + 1);
}

Options ParseArguments(const std::vector<std::wstring>& args) {
  Options options;
  std::wstring dll = ProgramDirectory() + L"hwsnap_vss.dll";
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::wstring& a = args[i];
    if (a == L"--list") {
      options.list = true;
    } else if (a == L"--help" || a == L"-h" || a == L"/?") {
      options.help = true;
    } else if (a == L"--no-register") {
      options.no_register = true;
    } else if (a == L"--force-register") {
      options.session.force_register = true;
    } else if (a == L"--dll" || a == L"--context") {
      if (i + 1 >= args.size()) {
        options.error = Narrow(a) + " needs a value";
        return options;
      }
      const std::wstring value = args[++i];
      if (a == L"--dll") {
        dll = value;
      } else if (value == L"inproc") {
        options.session.context = CLSCTX_INPROC_SERVER;
      } else if (value == L"all") {
        options.session.context = CLSCTX_ALL;
      } else {
        options.error = "--context takes inproc or all, not " + Narrow(value);
        return options;
      }
    } else if (!a.empty() && a[0] == L'-') {
      options.error = "unknown option " + Narrow(a);
      return options;
    } else if (options.scenario.empty()) {
      options.scenario = Narrow(a);
    } else {
      options.error = "one scenario at a time (got " + options.scenario + " and " + Narrow(a) + ")";
      return options;
    }
  }
  if (!options.no_register) options.session.dll_path = dll;
  return options;
}

std::vector<std::wstring> Arguments() {
  int count = 0;
  LPWSTR* argv = CommandLineToArgvW(GetCommandLineW(), &count);
  std::vector<std::wstring> args;
  for (int i = 1; argv != nullptr && i < count; ++i) args.emplace_back(argv[i]);
  if (argv != nullptr) LocalFree(argv);
  return args;
}

std::string Environment(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string("(unset)") : std::string(value);
}

int Run(const Options& options) {
  const Scenario* scenario = FindScenario(options.scenario);
  if (scenario == nullptr) {
    std::fprintf(stderr, "hwsnap-vss-driver: no scenario \"%s\" (see --list)\n", options.scenario.c_str());
    return kExitUsage;
  }
  Timeline timeline(stdout);
  timeline.Note("scenario " + std::string(scenario->name) + ": " + scenario->summary);
  timeline.Note(std::string("needs: ") + (*scenario->needs ? scenario->needs : "any backend"));
  timeline.Note("HWSNAP_CONFIG=" + Environment("HWSNAP_CONFIG") + " HWSNAP_BACKEND=" + Environment("HWSNAP_BACKEND") + " HWSNAP_MOCK_PREPARE_MS=" +
                Environment("HWSNAP_MOCK_PREPARE_MS") + " HWSNAP_MOCK_FAULT=" + Environment("HWSNAP_MOCK_FAULT"));
  std::unique_ptr<ComSession> session = ComSession::Open(options.session, timeline);
  if (session == nullptr) {
    timeline.PrintSummary(scenario->name);
    return kExitUsage;
  }
  {
    VssCalls vss(*session, timeline);
    LunFactory luns;
    ScenarioContext context{scenario->name, vss, timeline, luns};
    vss.OnLoad(Expect::Ok());
    scenario->run(context);
    vss.OnUnload(true, Expect::Ok());
  }
  session.reset();  // releases the provider: the DLL's provider shuts down here
  timeline.PrintSummary(scenario->name);
  return timeline.failures() == 0 ? kExitPass : kExitFail;
}

}  // namespace
}  // namespace vss_driver
}  // namespace hwsnap

int main() {
  using namespace hwsnap::vss_driver;
  const Options options = ParseArguments(Arguments());
  if (!options.error.empty()) {
    std::fprintf(stderr, "hwsnap-vss-driver: %s\n", options.error.c_str());
    PrintUsage(stderr);
    return kExitUsage;
  }
  if (options.help) {
    PrintUsage(stdout);
    return kExitPass;
  }
  if (options.list) {
    PrintList();
    return kExitPass;
  }
  if (options.scenario.empty()) {
    PrintUsage(stderr);
    return kExitUsage;
  }
  return Run(options);
}
