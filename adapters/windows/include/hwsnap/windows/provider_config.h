// hwsnap/windows/provider_config.h — what the provider DLL is configured to do.
//
// This file exists because an administrator (and a test) must be able to
// choose the backend, its settings and the logging of a DLL that VSS loads
// with no command line: the DLL finds a configuration file through the
// registry (HKLM\SOFTWARE\hwsnap, value ConfigFile; see provider_ids.h), and
// environment variables override it for tests. Parsing and overriding are
// platform-neutral so they are tested on Linux; the DLL only supplies the
// file's text and the environment. docs/windows.md documents the format.
//
// The file is UTF-8 (a BOM is skipped), one "key = value" per line, '#' or
// ';' starts a comment line, " #" starts a trailing comment:
//
//   backend = mock                 # a registered backend name, or none
//   backend.prepare-ms = 250       # backend options: backend.<option> = value
//   log_level = info               # trace|debug|info|warn|error|critical|off
//   log_directory = D:\logs\hwsnap # default: %ProgramData%\hwsnap\logs
//   log_max_bytes = 10485760       # per file, then the log rotates
//   log_max_files = 5              # rotated files kept
//   catalog = D:\hwsnap\catalog.hwsnap # the durable catalog; default
//                                  # %ProgramData%\hwsnap\catalog.hwsnap
//
//   absl::StatusOr<ProviderConfig> config = ParseProviderConfig(text, path);
//   ApplyEnvironmentOverrides(lookup, *config);
#ifndef HWSNAP_WINDOWS_PROVIDER_CONFIG_H_
#define HWSNAP_WINDOWS_PROVIDER_CONFIG_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hwsnap {
namespace windows {

// The backend name that selects no backend: the provider supports no LUN.
inline constexpr char kNoBackend[] = "none";

struct ProviderConfig {
  std::string backend = kNoBackend;
  std::map<std::string, std::string> backend_options;  // handed to the backend's registry factory
  std::string log_level = "info";
  std::string log_directory;                // empty: the platform default (%ProgramData%\hwsnap\logs)
  std::uint64_t log_max_bytes = 10u << 20;  // per file
  int log_max_files = 5;
  // The durable catalog of snapshot sets (ProviderOptions::catalog_path);
  // empty: the platform default, hwsnap::Catalog::DefaultPath(). There is no
  // way to turn it off: a provider that forgets its snapshots when VSS
  // unloads it cannot honour GetTargetLuns or OnLunEmpty later.
  std::string catalog;
  // Where the settings came from ("C:\ProgramData\hwsnap\hwsnap.conf",
  // "environment"), for the log line that says how the DLL is configured.
  std::vector<std::string> origins;
};

// Parses the text of a configuration file. `origin` (the file's path) is
// quoted in errors, which are invalid-argument and name the line and key:
// unknown keys, duplicate keys, lines without '=', bad numbers or levels.
absl::StatusOr<ProviderConfig> ParseProviderConfig(absl::string_view text, absl::string_view origin);

// The environment variables that override a configuration:
//   HWSNAP_BACKEND           backend
//   HWSNAP_MOCK_PREPARE_MS   backend option prepare-ms (the mock's prepare latency)
//   HWSNAP_MOCK_FAULT        backend option fault, e.g. prepare:hang,
//                            prepare:insufficient-storage (see ParseFaultRule)
//   HWSNAP_LOG_LEVEL         log_level
//   HWSNAP_LOG_DIR           log_directory
//   HWSNAP_CATALOG           catalog (tests point it at a scratch file)
// (HWSNAP_CONFIG, the configuration file's path, is read by the DLL itself.)
// Returns nullopt for a variable that is not set.
using EnvironmentLookup = std::function<std::optional<std::string>(absl::string_view name)>;

// Applies the variables `lookup` finds to `config`. Invalid-argument, naming
// the variable, for a value the file would not accept either (then `config`
// is unchanged).
absl::Status ApplyEnvironmentOverrides(const EnvironmentLookup& lookup, ProviderConfig& config);

// One line for the log: backend, options, level and origins.
std::string DescribeProviderConfig(const ProviderConfig& config);

}  // namespace windows
}  // namespace hwsnap

#endif  // HWSNAP_WINDOWS_PROVIDER_CONFIG_H_
