// hwsnapctl — the command-line front end (see cli.h): parses flags and
// dispatches the subcommand. All behaviour lives in libraries (simulate.h);
// this file only turns argv into options and results into exit codes:
//   0  the run ended as requested (simulate) / help printed
//   1  a leak or an unexpected failure
//   2  a usage error (unknown subcommand or flag, a bad value)
//
// Flags are declared with Abseil (typed values: durations such as 50ms,
// optionals) but matched here rather than by absl::ParseCommandLine, for three
// reasons: the documented spelling uses dashes (--prepare-latency) which
// Abseil flag names cannot contain; --fault is repeatable, which Abseil
// flags are not (a repeated flag keeps its last value); and a usage error
// must exit with 2, where ParseCommandLine exits with 1.
#include <cstdlib>
#include <functional>
#include <map>
#include <iostream>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <spdlog/common.h>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "hwsnap/logging.h"
#include "hwsnap/status.h"
#include "hwsnap/catalog.h"
#include "hwsnapctl/catalog_commands.h"
#include "hwsnapctl/cli.h"
#include "hwsnapctl/simulate.h"

ABSL_FLAG(std::string, backend, "mock", "storage backend to drive");
ABSL_FLAG(int, luns, 4, "source LUNs in the snapshot set (1..1024)");
ABSL_FLAG(int, snapshots, 0,
          "snapshots (volumes) in the set; LUNs are dealt round-robin, one BeginPrepareSnapshot per "
          "snapshot (0: min(luns, 8))");
ABSL_FLAG(absl::Duration, prepare_latency, absl::ZeroDuration(), "time the mock takes to prepare each target");
ABSL_FLAG(absl::Duration, commit_latency, absl::ZeroDuration(), "time the mock takes for each commit call");
ABSL_FLAG(std::optional<int>, capacity, std::nullopt,
          "snapshot targets the mock array can hold (unset: the mock's default)");
ABSL_FLAG(std::string, abort_after, "",
          "call AbortSnapshots right after STEP returns, then stop (are-luns-supported, begin-prepare, "
          "end-prepare, pre-commit, commit, post-commit, pre-final-commit, post-final-commit)");
ABSL_FLAG(std::optional<absl::Duration>, abort_delay, std::nullopt,
          "call AbortSnapshots from another thread this long after EndPrepareSnapshots starts waiting");
ABSL_FLAG(std::vector<std::string>, fault, {},
          "inject a fault, OP:LUN:KIND[:ARG][:xN] (repeatable; e.g. prepare:3:error:insufficient-storage, "
          "prepare:*:hang; see hwsnap/mock/fault_injecting_backend.h)");
ABSL_FLAG(std::vector<std::string>, backend_option, {},
          "a backend-specific setting, KEY=VALUE (repeatable; the mock takes none)");
ABSL_FLAG(bool, json, false, "print one JSON document on stdout instead of the timeline");
ABSL_FLAG(absl::Duration, progress_interval, absl::Milliseconds(500),
          "while EndPrepareSnapshots waits longer than this, print a progress line this often");
ABSL_FLAG(std::string, catalog, "",
          "the provider's durable catalog file (simulate: empty = in memory; catalog commands: empty = the "
          "platform default)");
ABSL_FLAG(std::string, stop_after, "",
          "stop right after STEP returns and exit at once, leaving the set unfinished as a crash would "
          "(the --abort-after steps, get-target-luns, locate-luns); a later run with the same --catalog "
          "rolls it back");
ABSL_FLAG(bool, keep, false, "skip OnLunEmpty: the completed set and its targets stay (see 'catalog reclaim')");
ABSL_FLAG(bool, dry_run, false, "catalog reclaim: only list what would be released");
ABSL_FLAG(absl::Duration, older_than, absl::ZeroDuration(),
          "catalog reclaim: only targets unchanged for at least this long (e.g. 72h; 0 = all)");
ABSL_FLAG(std::string, log_level, "warn",
          "level of the provider's own log on stderr (trace, debug, info, warn, error, critical, off)");

namespace {

constexpr int kExitUsage = 2;

// The registry of the current RunHwsnapctl call (null: the built-in backends).
const hwsnap::BackendRegistry* g_registry = nullptr;

// The flags of `simulate`, as documented (dashes), with a value placeholder.
struct FlagDoc {
  absl::string_view name;     // Abseil's name (underscores)
  absl::string_view metavar;  // empty for booleans
};
constexpr FlagDoc kSimulateFlags[] = {
    {"backend", "NAME"},         {"luns", "N"},
    {"snapshots", "M"},          {"prepare_latency", "DURATION"},
    {"commit_latency", "DURATION"}, {"capacity", "N"},
    {"abort_after", "STEP"},     {"abort_delay", "DURATION"},
    {"fault", "SPEC"},           {"backend_option", "KEY=VALUE"}, {"json", ""},
    {"progress_interval", "DURATION"}, {"log_level", "LEVEL"},
    {"catalog", "PATH"},         {"stop_after", "STEP"},     {"keep", ""},
};
// The flags of `catalog`; reclaim also takes --backend and --backend-option.
constexpr FlagDoc kCatalogFlags[] = {
    {"catalog", "PATH"}, {"json", ""},         {"dry_run", ""},       {"older_than", "DURATION"},
    {"backend", "NAME"}, {"backend_option", "KEY=VALUE"}, {"log_level", "LEVEL"},
};

// The flags given on this command line (Abseil names), to refuse one that
// does not apply to the command.
std::set<std::string> g_given_flags;

std::string Dashed(absl::string_view name) { return absl::StrReplaceAll(name, {{"_", "-"}}); }

constexpr size_t kHelpColumn = 32;

// Word-wraps `text` to `width` columns, continuation lines indented to `indent`.
std::string Wrap(absl::string_view text, size_t indent, size_t width) {
  std::string out;
  size_t column = indent;
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (column > indent && column + 1 + word.size() > width) {
      absl::StrAppend(&out, "\n", std::string(indent, ' '));
      column = indent;
    } else if (column > indent) {
      out += ' ';
      ++column;
    }
    absl::StrAppend(&out, word);
    column += word.size();
  }
  return out;
}

template <size_t N>
void AppendFlagHelp(std::string& text, const FlagDoc (&docs)[N]) {
  for (const FlagDoc& doc : docs) {
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(doc.name);
    if (!flag) continue;
    const std::string spelled =
        doc.metavar.empty() ? absl::StrCat("--", Dashed(doc.name)) : absl::StrCat("--", Dashed(doc.name), "=", doc.metavar);
    const std::string default_value = flag->DefaultValue();
    const std::string help =
        absl::StrCat(flag->Help(), default_value.empty() ? "" : absl::StrCat(" [default: ", default_value, "]"));
    absl::StrAppend(&text, "  ", spelled, std::string(spelled.size() < kHelpColumn - 2 ? kHelpColumn - 2 - spelled.size() : 1, ' '),
                    Wrap(help, kHelpColumn, 100), "\n");
  }
}

std::string Usage() {
  std::string text =
      "hwsnapctl - drive the hwsnap VSS hardware provider from the command line\n"
      "\n"
      "usage: hwsnapctl <command> [flags]\n"
      "\n"
      "commands:\n"
      "  simulate   run the complete VSS hardware-provider call sequence for one snapshot\n"
      "             set against a backend, printing every call with its start offset,\n"
      "             duration and result, then a summary and a leak audit\n"
      "  catalog    the durable catalog of snapshot sets:\n"
      "               catalog list              every recorded set\n"
      "               catalog show SET-ID       one set: source -> target LUNs, states\n"
      "               catalog verify            check the file (read-only; says what is wrong where)\n"
      "               catalog reclaim           release targets whose OnLunEmpty never came, and\n"
      "                                         targets no record knows, through --backend\n"
      "  help       print this text\n"
      "\n"
      "flags of simulate:\n";
  AppendFlagHelp(text, kSimulateFlags);
  absl::StrAppend(&text, "\nflags of catalog:\n");
  AppendFlagHelp(text, kCatalogFlags);
  absl::StrAppend(&text, "  (default catalog: ", hwsnap::Catalog::DefaultPath(), ")\n");
  absl::StrAppend(&text,
                  "\nbackends: ", absl::StrJoin(hwsnap::tools::KnownBackends(g_registry), ", "),
                  "\n"
                  "\n"
                  "exit status: 0 the run ended as requested (completed, or a requested abort or injected\n"
                  "fault ended cleanly with no target left behind) / the catalog command succeeded; 1 a leak\n"
                  "or an unexpected failure / the catalog command failed; 2 a usage error.\n"
                  "\n"
                  "examples:\n"
                  "  hwsnapctl simulate --backend=mock --luns=64\n"
                  "  hwsnapctl simulate --luns=64 --abort-after=end-prepare\n"
                  "  hwsnapctl simulate --luns=16 --prepare-latency=3s --abort-delay=500ms\n"
                  "  hwsnapctl simulate --luns=16 --fault=prepare:3:error:insufficient-storage --json\n"
                  "  hwsnapctl simulate --catalog=/tmp/c --backend-option=state-dir=/tmp/array --keep\n"
                  "  hwsnapctl catalog list --catalog=/tmp/c\n"
                  "  hwsnapctl catalog reclaim --catalog=/tmp/c --backend-option=state-dir=/tmp/array --dry-run\n");
  return text;
}

[[noreturn]] void UsageError(absl::string_view message) {
  std::cerr << "hwsnapctl: " << message << "\n(run 'hwsnapctl help' for usage)\n";
  std::exit(kExitUsage);
}

template <size_t N>
bool IsIn(absl::string_view name, const FlagDoc (&docs)[N]) {
  for (const FlagDoc& doc : docs) {
    if (doc.name == name) return true;
  }
  return false;
}

bool IsKnownFlag(absl::string_view name) { return IsIn(name, kSimulateFlags) || IsIn(name, kCatalogFlags); }

// Usage error for a given flag `allowed` refuses.
void CheckFlagsApply(absl::string_view command, const std::function<bool(const std::string&)>& allowed) {
  for (const std::string& name : g_given_flags) {
    if (!allowed(name)) UsageError(absl::StrCat("flag --", Dashed(name), " does not apply to '", command, "'"));
  }
}

void ApplyLogLevel() {
  const std::string level_name = absl::GetFlag(FLAGS_log_level);
  const spdlog::level::level_enum level = spdlog::level::from_str(level_name);
  if (level == spdlog::level::off && level_name != "off") {
    UsageError(absl::StrCat("unknown --log-level '", level_name,
                            "'; use trace, debug, info, warn, error, critical or off"));
  }
  hwsnap::SetLogLevel(level);
}

std::map<std::string, std::string> BackendOptions() {
  std::map<std::string, std::string> options;
  for (const std::string& setting : absl::GetFlag(FLAGS_backend_option)) {
    const size_t eq = setting.find('=');
    if (eq == std::string::npos || eq == 0) {
      UsageError(absl::StrCat("--backend-option wants KEY=VALUE, got '", setting, "'"));
    }
    options[setting.substr(0, eq)] = setting.substr(eq + 1);
  }
  return options;
}

// Parses argv: flags (either spelling, "--name=value", "--name value",
// "--bool", "--nobool") into the Abseil flags; returns the positional words.
std::vector<std::string> ParseArgs(int argc, char** argv) {
  std::vector<std::string> positional;
  std::vector<std::string> faults;
  std::vector<std::string> backend_options;
  bool flags_done = false;
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (flags_done || !absl::StartsWith(arg, "-") || arg == "-") {
      positional.emplace_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    if (arg == "-h" || arg == "--help" || arg == "-help") {
      std::cout << Usage();
      std::exit(0);
    }
    absl::string_view body = absl::StripPrefix(absl::StripPrefix(arg, "-"), "-");
    std::optional<std::string> value;
    if (const size_t eq = body.find('='); eq != absl::string_view::npos) {
      value = std::string(body.substr(eq + 1));
      body = body.substr(0, eq);
    }
    std::string name = absl::StrReplaceAll(body, {{"-", "_"}});
    absl::CommandLineFlag* flag = IsKnownFlag(name) ? absl::FindCommandLineFlag(name) : nullptr;
    if (!flag && !value && absl::StartsWith(name, "no") && IsKnownFlag(name.substr(2))) {
      absl::CommandLineFlag* negated = absl::FindCommandLineFlag(name.substr(2));
      if (negated && negated->IsOfType<bool>()) {
        flag = negated;
        name = name.substr(2);
        value = "false";
      }
    }
    if (!flag) UsageError(absl::StrCat("unknown flag --", body));
    if (!value) {
      if (flag->IsOfType<bool>()) {
        value = "true";
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        UsageError(absl::StrCat("flag --", Dashed(name), " needs a value"));
      }
    }
    g_given_flags.insert(name);
    std::string error;
    if (!flag->ParseFrom(*value, &error)) {
      UsageError(absl::StrCat("bad value for --", Dashed(name), ": ", error));
    }
    if (name == "fault") {
      for (std::string& rule : absl::GetFlag(FLAGS_fault)) faults.push_back(std::move(rule));
    }
    if (name == "backend_option") {
      for (std::string& option : absl::GetFlag(FLAGS_backend_option)) backend_options.push_back(std::move(option));
    }
  }
  absl::SetFlag(&FLAGS_fault, faults);
  absl::SetFlag(&FLAGS_backend_option, backend_options);
  return positional;
}

int Simulate(const std::vector<std::string>& extra) {
  if (!extra.empty()) UsageError(absl::StrCat("simulate takes no arguments, got '", absl::StrJoin(extra, " "), "'"));
  CheckFlagsApply("simulate", [](const std::string& name) { return IsIn(name, kSimulateFlags); });
  ApplyLogLevel();

  hwsnap::tools::SimulationOptions options;
  options.registry = g_registry;
  options.backend = absl::GetFlag(FLAGS_backend);
  options.backend_options = BackendOptions();
  options.catalog_path = absl::GetFlag(FLAGS_catalog);
  options.stop_after = absl::GetFlag(FLAGS_stop_after);
  options.keep = absl::GetFlag(FLAGS_keep);
  // A stop imitates a crash: exit at once, without the provider's destructor
  // (which would abort the unfinished set).
  options.on_stop = [](hwsnap::tools::Step) {
    std::cout << std::flush;
    hwsnap::FlushLogs();
    std::_Exit(0);
  };
  options.luns = absl::GetFlag(FLAGS_luns);
  options.snapshots = absl::GetFlag(FLAGS_snapshots);
  options.prepare_latency = absl::GetFlag(FLAGS_prepare_latency);
  options.commit_latency = absl::GetFlag(FLAGS_commit_latency);
  options.capacity = absl::GetFlag(FLAGS_capacity);
  options.abort_after = absl::GetFlag(FLAGS_abort_after);
  options.abort_delay = absl::GetFlag(FLAGS_abort_delay);
  options.faults = absl::GetFlag(FLAGS_fault);
  options.json = absl::GetFlag(FLAGS_json);
  options.progress_interval = absl::GetFlag(FLAGS_progress_interval);

  absl::StatusOr<hwsnap::tools::SimulationReport> report = hwsnap::tools::RunSimulation(options, std::cout);
  hwsnap::FlushLogs();
  if (!report.ok()) {
    if (hwsnap::GetErrorCode(report.status()) == hwsnap::ErrorCode::kInvalidArgument) {
      UsageError(absl::StrCat("simulate: ", report.status().message()));
    }
    std::cerr << "hwsnapctl simulate: " << report.status() << "\n";
    return 1;
  }
  return report->ExitCode();
}

int CatalogCommand(const std::vector<std::string>& words) {
  const std::string verb = words.size() > 1 ? words[1] : "";
  const std::vector<std::string> args(words.size() > 1 ? words.begin() + 2 : words.end(), words.end());
  const bool reclaim = verb == "reclaim";
  CheckFlagsApply(absl::StrCat("catalog ", verb), [reclaim](const std::string& name) {
    if (name == "catalog" || name == "json" || name == "log_level") return true;
    return reclaim && IsIn(name, kCatalogFlags);
  });
  ApplyLogLevel();
  hwsnap::tools::CatalogCommandOptions options;
  options.catalog_path = absl::GetFlag(FLAGS_catalog);
  options.json = absl::GetFlag(FLAGS_json);
  options.dry_run = absl::GetFlag(FLAGS_dry_run);
  options.older_than = absl::GetFlag(FLAGS_older_than);
  options.registry = g_registry;
  options.backend = absl::GetFlag(FLAGS_backend);
  options.backend_options = BackendOptions();
  absl::StatusOr<int> code = hwsnap::tools::RunCatalogCommand(verb, args, options, std::cout, std::cerr);
  hwsnap::FlushLogs();
  if (!code.ok()) UsageError(code.status().message());
  return *code;
}

}  // namespace

namespace hwsnap::tools {

int RunHwsnapctl(int argc, char** argv, const BackendRegistry* registry) {
  g_registry = registry;
  const std::vector<std::string> words = ParseArgs(argc, argv);
  if (words.empty() || words[0] == "help") {
    std::cout << Usage();
    return 0;
  }
  const std::vector<std::string> rest(words.begin() + 1, words.end());
  if (words[0] == "simulate") return Simulate(rest);
  if (words[0] == "catalog") return CatalogCommand(words);
  UsageError(absl::StrCat("unknown command '", words[0], "'; known commands: simulate, catalog, help"));
}

}  // namespace hwsnap::tools
