// hwsnap/register/system_actions.h — every change hwsnap-register makes to a
// Windows machine, as one abstract class.
//
// This file exists so the installer's logic (the step list, its order,
// rollback, tolerance of half-removed installations, dry-run) is plain C++
// that builds and is tested on Linux, while the Windows calls (registry,
// COM+ catalog, IVssAdmin, LookupAccountSid) live in exactly one
// implementation (src/windows_system_actions.cc). Tests substitute a
// recording fake with per-action failure injection.
//
//   WindowsSystemActions actions;                 // or a test fake
//   InstallPlan plan = BuildInstallPlan(settings);
//   RunResult result = RunRegister(plan, actions, std::cout, RunMode::kApply);
//
// Conventions for every method:
// - Strings are UTF-8; paths are absolute Windows paths.
// - Removal methods return NotFound when there was nothing to remove; the
//   plan counts that as done (this is what makes unregister and re-register
//   tolerate half-removed installations). Any other error is a real failure.
// - A failure from a Windows API carries its HRESULT as a payload
//   (WithHresult / GetHresult in install_plan.h).
// - Not thread-safe: one installer run drives one instance from one thread
//   (the Windows implementation needs COM initialised on that thread).
#ifndef HWSNAP_REGISTER_SYSTEM_ACTIONS_H_
#define HWSNAP_REGISTER_SYSTEM_ACTIONS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace hwsnap {
namespace installer {

// The COM+ server application that hosts hwsnap_vss.dll out of process.
// Property names and values are those of the COM+ Applications collection
// (learn.microsoft.com/windows/win32/cossdk/applications); the Windows
// implementation writes each one under its documented name.
struct ComPlusApplicationSpec {
  std::string name;         // "Name": also how unregister finds it again
  std::string description;  // "Description"
  // "Identity": the documented spelling for LocalSystem is "nt authority\system"
  // (with "Password" = "").
  std::string identity;
  long activation = 1;                    // "Activation": COMAdminActivationLocal (server app)
  bool access_checks_enabled = true;      // "ApplicationAccessChecksEnabled": only role members call in
  long access_checks_level = 1;           // "AccessChecksLevel": application and component level
  long authentication = 6;                // "Authentication": COMAdminAuthenticationPrivacy
  long authentication_capability = 2;     // "AuthenticationCapability": secure references
  long impersonation_level = 2;           // "ImpersonationLevel": identify (no impersonation)
  long shutdown_after_minutes = 3;        // "ShutdownAfter": idle minutes before dllhost exits (0-1440)
};

// What IVssAdmin::RegisterProvider is given (the type is always
// VSS_PROV_HARDWARE). GUIDs are in registry form, "{XXXXXXXX-...}".
struct VssProviderSpec {
  std::string provider_id;
  std::string class_id;
  std::string name;
  std::string version;
  std::string version_id;
};

class SystemActions {
 public:
  virtual ~SystemActions() = default;

  // Loads `dll_path` and calls its DllRegisterServer (COM class registration
  // under HKCR\CLSID). Fails if the DLL cannot be loaded or the call fails.
  virtual absl::Status RegisterComServer(const std::string& dll_path) = 0;
  // Removes the COM registration of `clsid`: through the DLL's
  // DllUnregisterServer when `dll_path` loads, else by deleting
  // HKCR\CLSID\<clsid> directly (the DLL may already be gone).
  // NotFound when the class was not registered.
  virtual absl::Status UnregisterComServer(const std::string& dll_path, const std::string& clsid) = 0;

  // Creates `path` (and missing parent directories, which get an ACL that lets
  // only Administrators and SYSTEM write) holding `content`, unless the file
  // exists: an existing file is never touched. Returns true when it created it.
  virtual absl::StatusOr<bool> CreateFileIfAbsent(const std::string& path, const std::string& content) = 0;
  // Deletes the file `path`. NotFound when it does not exist.
  virtual absl::Status RemoveFile(const std::string& path) = 0;

  // Sets HKLM\<key> value <value_name> (REG_SZ) to `config_path`.
  virtual absl::Status SetConfigFileLocation(const std::string& key, const std::string& value_name,
                                             const std::string& config_path) = 0;
  // Deletes that value, then the key if nothing else is left in it.
  // NotFound when the value did not exist.
  virtual absl::Status RemoveConfigFileLocation(const std::string& key, const std::string& value_name) = 0;

  // Creates HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\<source>
  // with EventMessageFile = `message_file` and TypesSupported = `types_supported`.
  virtual absl::Status AddEventSource(const std::string& source, const std::string& message_file,
                                           unsigned long types_supported) = 0;
  // Deletes that key. NotFound when it did not exist.
  virtual absl::Status RemoveEventSource(const std::string& source) = 0;

  // "DOMAIN\name" of the account or group with string SID `sid`
  // (LookupAccountSid): the localized name on non-English Windows.
  virtual absl::StatusOr<std::string> AccountNameForSid(const std::string& sid) = 0;

  // Creates and saves the COM+ application. AlreadyExists when an application
  // with that name exists; Unavailable when there is no COM+ catalog.
  virtual absl::Status CreateComPlusApplication(const ComPlusApplicationSpec& spec) = 0;
  // Shuts down (so its dllhost releases the DLL) and removes every COM+
  // application named `name`, with its roles and components. NotFound when
  // there is none, or no COM+ catalog at all.
  virtual absl::Status RemoveComPlusApplication(const std::string& name) = 0;
  // Adds role `role` to application `application` with the given members
  // ("DOMAIN\name" each, as AccountNameForSid returns them).
  virtual absl::Status AddComPlusRole(const std::string& application, const std::string& role,
                                      const std::string& description,
                                      const std::vector<std::string>& members) = 0;
  // Installs the classes of `dll_path` into `application` as configured
  // components (falls back to importing the registered class `clsid`).
  virtual absl::Status InstallComPlusComponent(const std::string& application, const std::string& dll_path,
                                               const std::string& clsid) = 0;

  // IVssAdmin::RegisterProvider(..., VSS_PROV_HARDWARE, ...). AlreadyExists
  // when the ProviderId is registered already.
  virtual absl::Status RegisterHardwareProvider(const VssProviderSpec& spec) = 0;
  // IVssAdmin::UnregisterProvider. NotFound when not registered (or when
  // there is no VSS on this machine).
  virtual absl::Status UnregisterProvider(const std::string& provider_id) = 0;
};

}  // namespace installer
}  // namespace hwsnap

#endif  // HWSNAP_REGISTER_SYSTEM_ACTIONS_H_
