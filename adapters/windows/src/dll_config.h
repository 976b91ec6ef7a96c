// dll_config.h — how hwsnap_vss.dll finds its configuration (Windows only).
//
// This file exists to keep the DLL's only contact with its environment (the
// registry, the configuration file, environment variables, the program-data
// directory) in one place, apart from the COM plumbing in dll_main.cc. The
// parsing and backend selection it relies on are platform-neutral
// (hwsnap/windows/provider_config.h, configured_backend.h) and tested on
// Linux; this file only fetches their inputs.
#ifndef HWSNAP_ADAPTERS_WINDOWS_SRC_DLL_CONFIG_H_
#define HWSNAP_ADAPTERS_WINDOWS_SRC_DLL_CONFIG_H_

#include <memory>

#include "hwsnap/backend.h"
#include "hwsnap/provider.h"

namespace hwsnap {
namespace windows {

// What the DLL builds its SnapshotProvider from.
struct DllConfiguration {
  std::shared_ptr<Backend> backend;  // never null
  ProviderOptions options;           // catalog_path: see LoadDllConfiguration
};

// Reads the configuration — the file named by HWSNAP_CONFIG, else by
// HKLM\SOFTWARE\hwsnap\ConfigFile, else the defaults — applies the
// environment overrides, points the logs at a rotating file in the
// configured directory (first call in a process only: loggers are then
// running) and creates the configured backend. Never throws for a bad
// configuration: a configuration that cannot be read or honoured gives a
// backend that supports no LUN and logs why.
//
// options.catalog_path is `catalog` from the configuration, else
// hwsnap::Catalog::DefaultPath() (%ProgramData%\hwsnap\catalog.hwsnap). It is
// left empty (sets in memory only) only when there is no backend (`backend =
// none`, or a configuration that could not be honoured): such a provider
// creates no snapshot, and recovering an earlier catalog through a backend
// that can release nothing would only turn its targets into reclaim
// problems; the catalog is left alone until a backend is configured again.
DllConfiguration LoadDllConfiguration();

}  // namespace windows
}  // namespace hwsnap

#endif  // HWSNAP_ADAPTERS_WINDOWS_SRC_DLL_CONFIG_H_
