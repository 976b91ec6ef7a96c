// Parsing of the provider configuration file and its environment overrides
// (see hwsnap/windows/provider_config.h). Platform-neutral.
#include "hwsnap/windows/provider_config.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "hwsnap/status.h"

namespace hwsnap {
namespace windows {
namespace {

constexpr size_t kMaxConfigBytes = 64 * 1024;
constexpr char kBackendOptionPrefix[] = "backend.";
constexpr const char* kLogLevels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};

bool IsLogLevel(absl::string_view level) {
  for (const char* known : kLogLevels) {
    if (level == known) return true;
  }
  return false;
}

// A backend option name: lowercase letters, digits and '-', '_'.
bool IsOptionName(absl::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!(absl::ascii_islower(static_cast<unsigned char>(c)) || absl::ascii_isdigit(static_cast<unsigned char>(c)) ||
          c == '-' || c == '_')) {
      return false;
    }
  }
  return true;
}

// Printable text without control characters (values end up in logs and paths).
bool IsPrintable(absl::string_view value) {
  for (char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return true;
}

// Sets one key; `where` ("hwsnap.conf line 3", "HWSNAP_LOG_LEVEL") prefixes errors.
absl::Status SetKey(ProviderConfig& config, absl::string_view key, absl::string_view value, absl::string_view where) {
  auto bad = [&](absl::string_view why) {
    return InvalidArgumentError(absl::StrCat(where, ": ", key, " = '", value, "': ", why));
  };
  if (!IsPrintable(value)) return bad("contains control characters");
  if (key == "backend") {
    if (!IsOptionName(value)) return bad("expected a backend name such as mock, or none");
    config.backend = std::string(value);
  } else if (absl::StartsWith(key, kBackendOptionPrefix)) {
    const absl::string_view option = key.substr(sizeof(kBackendOptionPrefix) - 1);
    if (!IsOptionName(option)) return bad("backend option names are lowercase letters, digits, '-' and '_'");
    config.backend_options[std::string(option)] = std::string(value);
  } else if (key == "log_level") {
    if (!IsLogLevel(value)) return bad(absl::StrCat("expected one of ", absl::StrJoin(kLogLevels, ", ")));
    config.log_level = std::string(value);
  } else if (key == "log_directory") {
    if (value.empty()) return bad("expected a directory");
    config.log_directory = std::string(value);
  } else if (key == "catalog") {
    if (value.empty()) return bad("expected the path of the catalog file");
    config.catalog = std::string(value);
  } else if (key == "log_max_bytes") {
    std::uint64_t bytes = 0;
    if (!absl::SimpleAtoi(value, &bytes) || bytes < 64 * 1024 || bytes > (std::uint64_t{1} << 32)) {
      return bad("expected a whole number of bytes from 65536 to 4294967296");
    }
    config.log_max_bytes = bytes;
  } else if (key == "log_max_files") {
    int files = 0;
    if (!absl::SimpleAtoi(value, &files) || files < 1 || files > 100) return bad("expected a whole number from 1 to 100");
    config.log_max_files = files;
  } else {
    return InvalidArgumentError(absl::StrCat(
        where, ": unknown key '", key,
        "' (known: backend, backend.<option>, log_level, log_directory, log_max_bytes, log_max_files, catalog)"));
  }
  return absl::OkStatus();
}

// The value without a trailing " # comment" and without surrounding quotes.
absl::string_view CleanValue(absl::string_view value) {
  for (size_t i = 1; i < value.size(); ++i) {
    if (value[i] == '#' && (value[i - 1] == ' ' || value[i - 1] == '\t')) {
      value = value.substr(0, i);
      break;
    }
  }
  value = absl::StripAsciiWhitespace(value);
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
  return value;
}

}  // namespace

absl::StatusOr<ProviderConfig> ParseProviderConfig(absl::string_view text, absl::string_view origin) {
  if (text.size() > kMaxConfigBytes) {
    return InvalidArgumentError(
        absl::StrCat(origin, ": ", text.size(), " bytes; a configuration file is at most ", kMaxConfigBytes));
  }
  absl::ConsumePrefix(&text, "\xEF\xBB\xBF");  // UTF-8 BOM (Notepad writes one)
  ProviderConfig config;
  config.origins.emplace_back(origin);
  std::set<std::string> seen;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);  // also drops the '\r' of CRLF files
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    const std::string where = absl::StrCat(origin, " line ", line_number);
    const size_t equals = line.find('=');
    if (equals == absl::string_view::npos) {
      return InvalidArgumentError(absl::StrCat(where, ": expected 'key = value', got '", line, "'"));
    }
    const absl::string_view key = absl::StripAsciiWhitespace(line.substr(0, equals));
    const absl::string_view value = CleanValue(line.substr(equals + 1));
    if (key.empty()) return InvalidArgumentError(absl::StrCat(where, ": a key is missing before '='"));
    if (!seen.insert(std::string(key)).second) {
      return InvalidArgumentError(absl::StrCat(where, ": '", key, "' is set twice"));
    }
    if (absl::Status set = SetKey(config, key, value, where); !set.ok()) return set;
  }
  return config;
}

absl::Status ApplyEnvironmentOverrides(const EnvironmentLookup& lookup, ProviderConfig& config) {
  static constexpr std::pair<const char*, const char*> kVariables[] = {
      {"HWSNAP_BACKEND", "backend"},
      {"HWSNAP_MOCK_PREPARE_MS", "backend.prepare-ms"},
      {"HWSNAP_MOCK_FAULT", "backend.fault"},
      {"HWSNAP_LOG_LEVEL", "log_level"},
      {"HWSNAP_LOG_DIR", "log_directory"},
      {"HWSNAP_CATALOG", "catalog"},
  };
  ProviderConfig updated = config;
  bool any = false;
  for (const auto& [variable, key] : kVariables) {
    const std::optional<std::string> value = lookup(variable);
    if (!value) continue;
    if (absl::Status set = SetKey(updated, key, absl::StripAsciiWhitespace(*value), variable); !set.ok()) return set;
    any = true;
  }
  if (any) updated.origins.emplace_back("environment");
  config = std::move(updated);
  return absl::OkStatus();
}

std::string DescribeProviderConfig(const ProviderConfig& config) {
  return absl::StrCat(
      "backend=", config.backend, " options={",
      absl::StrJoin(config.backend_options, ", ", absl::PairFormatter("=")), "} log_level=", config.log_level,
      " log_directory=", config.log_directory.empty() ? "(default)" : config.log_directory,
      " log_max_bytes=", config.log_max_bytes, " log_max_files=", config.log_max_files,
      " catalog=", config.catalog.empty() ? "(default)" : config.catalog, " from ",
      config.origins.empty() ? "defaults" : absl::StrJoin(config.origins, " + "));
}

}  // namespace windows
}  // namespace hwsnap
