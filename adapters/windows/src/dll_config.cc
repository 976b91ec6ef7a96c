// The DLL's configuration inputs (see dll_config.h). Windows only.
#include "dll_config.h"

#include <windows.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <spdlog/sinks/rotating_file_sink.h>

#include "absl/strings/str_cat.h"
#include "hwsnap/backend_registry.h"
#include "hwsnap/catalog.h"
#include "hwsnap/logging.h"
#include "hwsnap/mock/mock_registration.h"
#if HWSNAP_DLL_HAVE_SCSI
#include "hwsnap/scsi/scsi_registration.h"
#endif
#if HWSNAP_DLL_HAVE_NVME
#include "hwsnap/nvme/nvme_registration.h"
#endif
#include "hwsnap/status.h"
#include "hwsnap/windows/configured_backend.h"
#include "hwsnap/windows/provider_config.h"
#include "hwsnap/windows/provider_ids.h"
#include "hwsnap/windows/utf16.h"

namespace hwsnap {
namespace windows {
namespace {

constexpr size_t kMaxConfigFileBytes = 64 * 1024;

std::optional<std::wstring> EnvironmentVariable(const wchar_t* name) {
  const DWORD needed = GetEnvironmentVariableW(name, nullptr, 0);
  if (needed == 0) return std::nullopt;
  std::wstring value(needed, L'\0');
  const DWORD length = GetEnvironmentVariableW(name, value.data(), needed);
  if (length == 0 || length >= needed) return std::nullopt;
  value.resize(length);
  return value;
}

// HKLM\SOFTWARE\hwsnap\ConfigFile (REG_SZ or REG_EXPAND_SZ, expanded);
// nullopt when the key or value does not exist (no configuration: the
// defaults); an error for anything else (access denied, wrong type), which
// must not pass for "not configured".
absl::StatusOr<std::optional<std::wstring>> RegistryConfigPath() {
  const std::string where = "HKLM\\SOFTWARE\\hwsnap value ConfigFile";
  for (int attempt = 0; attempt < 3; ++attempt) {  // the value may grow between the two calls
    DWORD bytes = 0;
    LSTATUS status = RegGetValueW(HKEY_LOCAL_MACHINE, kConfigRegistryKey, kConfigFileValue, RRF_RT_REG_SZ, nullptr,
                                  nullptr, &bytes);
    if (status == ERROR_FILE_NOT_FOUND || status == ERROR_PATH_NOT_FOUND) return std::optional<std::wstring>();
    if (status != ERROR_SUCCESS) {
      return InvalidArgumentError(absl::StrCat("cannot read ", where, ": Win32 error ", status,
                                               " (it must be a REG_SZ or REG_EXPAND_SZ path)"));
    }
    std::wstring value(bytes / sizeof(wchar_t) + 1, L'\0');
    bytes = static_cast<DWORD>(value.size() * sizeof(wchar_t));
    status = RegGetValueW(HKEY_LOCAL_MACHINE, kConfigRegistryKey, kConfigFileValue, RRF_RT_REG_SZ, nullptr,
                          value.data(), &bytes);
    if (status == ERROR_MORE_DATA) continue;
    if (status == ERROR_FILE_NOT_FOUND) return std::optional<std::wstring>();
    if (status != ERROR_SUCCESS) {
      return InvalidArgumentError(absl::StrCat("cannot read ", where, ": Win32 error ", status));
    }
    value.resize(wcsnlen(value.c_str(), value.size()));
    if (value.empty()) return InvalidArgumentError(absl::StrCat(where, " is empty"));
    return std::optional<std::wstring>(std::move(value));
  }
  return InvalidArgumentError(absl::StrCat("cannot read ", where, ": it keeps changing"));
}

absl::StatusOr<std::string> ReadConfigFile(const std::wstring& path) {
  FILE* file = _wfopen(path.c_str(), L"rb");
  if (file == nullptr) {
    return ObjectNotFoundError(absl::StrCat("cannot open configuration file ", Narrow(path)));
  }
  std::string text(kMaxConfigFileBytes + 1, '\0');
  const size_t read = std::fread(text.data(), 1, text.size(), file);
  const bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed) return BackendFailureError(absl::StrCat("cannot read configuration file ", Narrow(path)));
  text.resize(read);  // an oversized file is refused by the parser, with its size
  return text;
}

// The configuration, or the error that makes the DLL support no LUN.
absl::StatusOr<ProviderConfig> ReadConfig() {
  std::optional<std::wstring> path = EnvironmentVariable(L"HWSNAP_CONFIG");
  if (!path) {
    absl::StatusOr<std::optional<std::wstring>> recorded = RegistryConfigPath();
    if (!recorded.ok()) return recorded.status();
    path = *std::move(recorded);
  }
  ProviderConfig config;
  if (path) {
    absl::StatusOr<std::string> text = ReadConfigFile(*path);
    if (!text.ok()) return text.status();
    absl::StatusOr<ProviderConfig> parsed = ParseProviderConfig(*text, Narrow(*path));
    if (!parsed.ok()) return parsed.status();
    config = *std::move(parsed);
  }
  absl::Status overridden = ApplyEnvironmentOverrides(
      [](absl::string_view name) -> std::optional<std::string> {
        std::optional<std::wstring> value = EnvironmentVariable(Widen(std::string(name)).c_str());
        if (!value) return std::nullopt;
        return Narrow(*value);
      },
      config);
  if (!overridden.ok()) return overridden;
  return config;
}

// <log_directory or %ProgramData%\hwsnap\logs>\hwsnap_vss.log.
std::filesystem::path LogFilePath(const ProviderConfig& config) {
  std::filesystem::path directory;
  if (!config.log_directory.empty()) {
    directory = std::filesystem::path(Widen(config.log_directory));
  } else {
    const std::optional<std::wstring> program_data = EnvironmentVariable(L"ProgramData");
    directory = std::filesystem::path(program_data.value_or(L"C:\\ProgramData")) / L"hwsnap" / L"logs";
  }
  return directory / L"hwsnap_vss.log";
}

// Sends every hwsnap logger to a rotating file, once per process: the
// loggers are asynchronous and their sinks must not be swapped while they
// run. The level follows the latest configuration.
void ConfigureLogging(const ProviderConfig& config) {
  static std::once_flag once;
  std::call_once(once, [&config] {
    // Registered after the core's own exit flush (the first GetLogger creates
    // the log registry, which registers it), so it runs first: atexit is
    // LIFO. This DLL is pinned, so its atexit handlers run only at process
    // exit, after ExitProcess killed the logging thread — which may have died
    // holding a sink's lock; flushing then would hang the host process.
    GetLogger("adapter.config");
    std::atexit([] { SkipFlushAtExit(); });
    const std::filesystem::path file = LogFilePath(config);
    std::error_code error;
    std::filesystem::create_directories(file.parent_path(), error);
    try {
      auto sink = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
          Narrow(file.wstring()), static_cast<size_t>(config.log_max_bytes), static_cast<size_t>(config.log_max_files));
      SetLogSinks({sink});
    } catch (const std::exception& e) {
      // Keep the default sink; say why once (the log file is what failed).
      GetLogger("adapter.config")->error("cannot open log file {}: {}", Narrow(file.wstring()), e.what());
    }
  });
  SetLogLevel(spdlog::level::from_str(config.log_level));
}

}  // namespace

namespace {

// The configured backend (or a NoBackend saying why not) and the configuration
// it came from (nullopt when the configuration could not be read).
std::pair<std::shared_ptr<Backend>, std::optional<ProviderConfig>> LoadBackend() {
  BackendRegistry registry;
  if (absl::Status registered = RegisterMockBackend(registry); !registered.ok()) {
    return {std::make_shared<NoBackend>(std::string(registered.message())), std::nullopt};
  }
#if HWSNAP_DLL_HAVE_SCSI
  // backend = scsi: LUNs through SCSI pass-through, snapshots by EXTENDED COPY.
  if (absl::Status registered = scsi::RegisterScsiBackend(registry); !registered.ok()) {
    return {std::make_shared<NoBackend>(std::string(registered.message())), std::nullopt};
  }
#endif
#if HWSNAP_DLL_HAVE_NVME
  // backend = nvme: namespaces through storage protocol commands, snapshots as namespace copies.
  if (absl::Status registered = nvme::RegisterNvmeBackend(registry); !registered.ok()) {
    return {std::make_shared<NoBackend>(std::string(registered.message())), std::nullopt};
  }
#endif
  absl::StatusOr<ProviderConfig> config = ReadConfig();
  if (!config.ok()) {
    ConfigureLogging(ProviderConfig{});
    const std::string reason =
        absl::StrCat("hwsnap cannot read its configuration, so it supports no LUN: ", config.status().message(),
                     ". Fix the configuration file named by HKLM\\SOFTWARE\\hwsnap\\ConfigFile (see docs/windows.md).");
    GetLogger("adapter.config")->error("{}", reason);
    return {std::make_shared<NoBackend>(reason), std::nullopt};
  }
  ConfigureLogging(*config);
  return {CreateConfiguredBackendOrNone(*config, registry), *std::move(config)};
}

}  // namespace

DllConfiguration LoadDllConfiguration() {
  auto [backend, config] = LoadBackend();
  DllConfiguration loaded;
  loaded.backend = std::move(backend);
  if (config.has_value() && dynamic_cast<const NoBackend*>(loaded.backend.get()) == nullptr) {
    loaded.options.catalog_path = config->catalog.empty() ? Catalog::DefaultPath() : config->catalog;
  } else {
    GetLogger("adapter.config")->info("no backend: the catalog is not opened (nothing can be snapshotted)");
  }
  return loaded;
}

}  // namespace windows
}  // namespace hwsnap
