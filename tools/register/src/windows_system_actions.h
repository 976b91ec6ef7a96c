// windows_system_actions.h — the real SystemActions: registry, files, COM+
// catalog, LookupAccountSid and IVssAdmin on the local Windows machine.
//
// This file exists to keep every Windows API call of hwsnap-register in one
// class (the plan and its tests never see Windows headers), with one function
// that turns a native error into an absl::Status carrying the HRESULT.
// Requires COM to be initialised on the calling thread (main() does it).
#ifndef HWSNAP_REGISTER_WINDOWS_SYSTEM_ACTIONS_H_
#define HWSNAP_REGISTER_WINDOWS_SYSTEM_ACTIONS_H_

#include <string>

#include "hwsnap/register/system_actions.h"
#include "hwsnap/windows/utf16.h"

namespace hwsnap {
namespace installer {

class WindowsSystemActions final : public SystemActions {
 public:
  absl::Status RegisterComServer(const std::string& dll_path) override;
  absl::Status UnregisterComServer(const std::string& dll_path, const std::string& clsid) override;
  absl::StatusOr<bool> CreateFileIfAbsent(const std::string& path, const std::string& content) override;
  absl::Status RemoveFile(const std::string& path) override;
  absl::Status SetConfigFileLocation(const std::string& key, const std::string& value_name,
                                     const std::string& config_path) override;
  absl::Status RemoveConfigFileLocation(const std::string& key, const std::string& value_name) override;
  absl::Status AddEventSource(const std::string& source, const std::string& message_file,
                                   unsigned long types_supported) override;
  absl::Status RemoveEventSource(const std::string& source) override;
  absl::StatusOr<std::string> AccountNameForSid(const std::string& sid) override;
  absl::Status CreateComPlusApplication(const ComPlusApplicationSpec& spec) override;
  absl::Status RemoveComPlusApplication(const std::string& name) override;
  absl::Status AddComPlusRole(const std::string& application, const std::string& role,
                              const std::string& description, const std::vector<std::string>& members) override;
  absl::Status InstallComPlusComponent(const std::string& application, const std::string& dll_path,
                                       const std::string& clsid) override;
  absl::Status RegisterHardwareProvider(const VssProviderSpec& spec) override;
  absl::Status UnregisterProvider(const std::string& provider_id) override;
};

// UTF-8 <-> UTF-16 (hwsnap/windows/utf16.h).
using windows::Narrow;
using windows::Widen;

}  // namespace installer
}  // namespace hwsnap

#endif  // HWSNAP_REGISTER_WINDOWS_SYSTEM_ACTIONS_H_
