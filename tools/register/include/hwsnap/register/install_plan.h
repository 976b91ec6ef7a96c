// hwsnap/register/install_plan.h — the ordered steps of `hwsnap-register
// register` and `unregister`, and the runner that applies, rolls back and
// prints them.
//
// This file exists so that what the installer does, in which order, and how
// each step is undone is written once, as data, with no Windows headers: the
// Linux tests prove the order, dry-run, rollback and tolerance of
// half-removed installations against a fake SystemActions, and the Windows
// executable only supplies the real SystemActions and the settings.
//
//   InstallPlan plan = BuildInstallPlan(settings);
//   RunResult r = RunRegister(plan, actions, std::cout, RunMode::kApply);
//   if (!r.status.ok()) { std::cerr << r.status.message() << "\n"; }
//
// register = best-effort unregister of whatever is there (so re-running over
// an existing or half-removed installation works), then every step in order.
// When a step fails, that step and every step before it are undone in
// reverse order, and the result names the failed step, its HRESULT and a
// remedy. unregister = every step's removal in reverse order; a piece that is
// already gone counts as removed; it carries on past failures and reports them.
#ifndef HWSNAP_REGISTER_INSTALL_PLAN_H_
#define HWSNAP_REGISTER_INSTALL_PLAN_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "hwsnap/register/system_actions.h"

namespace hwsnap {
namespace installer {

// SIDs of the accounts put into the COM+ role. Names are looked up from
// these at run time: "Administrators" is "Administratoren", "Administrateurs",
// ... on localized Windows.
inline constexpr char kAdministratorsSid[] = "S-1-5-32-544";  // BUILTIN\Administrators
inline constexpr char kLocalSystemSid[] = "S-1-5-18";         // NT AUTHORITY\SYSTEM (VSS runs as it)

// EVENTLOG_ERROR_TYPE | EVENTLOG_WARNING_TYPE | EVENTLOG_INFORMATION_TYPE.
inline constexpr unsigned long kEventTypesSupported = 7;

// Everything the plan needs to know about this machine and this build. The
// Windows executable fills the identities from provider_ids.h; tests use
// their own values.
struct InstallSettings {
  std::string dll_path;     // absolute path of hwsnap_vss.dll
  std::string config_path;  // absolute path of the configuration file
  std::string provider_name;        // VSS provider name and COM+ application name
  std::string provider_id;          // "{D493FBFD-...}": never changes between versions
  std::string provider_clsid;       // "{7B841816-...}"
  std::string provider_version;     // "0.1.0"
  std::string provider_version_id;  // VersionIdFor(provider_version) unless given
  std::string event_source;         // "hwsnap"
  std::string config_registry_key;    // "SOFTWARE\\hwsnap" under HKLM
  std::string config_registry_value;  // "ConfigFile"
  std::string role_name = "VSS callers";
  std::vector<std::string> role_member_sids = {kAdministratorsSid, kLocalSystemSid};
  // "nt authority\system" is how the COM+ Identity property documents LocalSystem.
  std::string complus_identity = "nt authority\\system";
  long shutdown_after_minutes = 3;  // COM+ default; see docs/windows.md
};

// One step of the installation.
struct InstallStep {
  std::string id;           // stable, e.g. "complus-application"
  std::string description;  // what register does (printed by --dry-run and the log)
  // What unregister does for this step (printed likewise). For steps whose
  // piece goes away with another one (the COM+ role and component go with
  // the application) or that unregister keeps (the configuration file), it
  // says so and `uninstall` is empty.
  std::string removal_description;
  std::string remedy;  // advice when the step fails and no more specific one applies
  std::function<absl::Status(SystemActions&)> apply;
  // Undoes `apply` of this run during a rollback (also run for the failing
  // step itself, which may have half-applied). Empty: nothing to undo.
  std::function<absl::Status(SystemActions&)> rollback;
  // Removes the piece for `unregister`, whoever created it. Empty: nothing.
  std::function<absl::Status(SystemActions&)> uninstall;
};

// The register steps in order. Build a fresh plan for every run: steps keep
// per-run state (whether this run created the configuration file).
struct InstallPlan {
  InstallSettings settings;
  std::vector<InstallStep> steps;
};

InstallPlan BuildInstallPlan(const InstallSettings& settings);

// The configuration file written when none exists: comments explaining every
// key, then `backend = none` (the provider then supports no LUN, so VSS never
// picks it until an administrator chooses a backend).
std::string DefaultConfigFileContent(const InstallSettings& settings);

// A registry-form GUID derived from `version` (stable for a version, different
// between versions), used as RegisterProvider's VersionId.
std::string VersionIdFor(absl::string_view version);

enum class RunMode {
  kApply,   // change the system
  kDryRun,  // print every step; never touch SystemActions
};

struct RunResult {
  absl::Status status;                     // OK, or what failed
  std::string failed_step;                 // register: the step that failed
  std::string remedy;                      // what the administrator should do
  std::vector<std::string> failed_undos;   // steps whose rollback/removal failed
  // 0 success, 1 failed (everything rolled back), 3 failed and something
  // could not be undone/removed. (2 is the executable's usage error.)
  int ExitCode() const;
};

// Runs `register` (see the file comment). One line per step goes to `log`.
RunResult RunRegister(InstallPlan& plan, SystemActions& actions, std::ostream& log, RunMode mode);
// Runs `unregister`. One line per step goes to `log`.
RunResult RunUnregister(InstallPlan& plan, SystemActions& actions, std::ostream& log, RunMode mode);

// Attaches / reads the HRESULT of a failed Windows call (a payload, so the
// canonical code stays meaningful). GetHresult is nullopt when none is attached.
absl::Status WithHresult(absl::Status status, std::uint32_t hresult);
std::optional<std::uint32_t> GetHresult(const absl::Status& status);

// The advice shown when `step` fails with `status`: specific to well-known
// HRESULTs (access denied, client Windows refusing hardware providers, no
// COM+ catalog, no VSS), else the step's own remedy.
std::string RemedyFor(const InstallStep& step, const absl::Status& status);

}  // namespace installer
}  // namespace hwsnap

#endif  // HWSNAP_REGISTER_INSTALL_PLAN_H_
