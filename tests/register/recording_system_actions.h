// recording_system_actions.h — a fake Windows machine for the installer tests.
//
// This file exists so the plan's behaviour (order, rollback, tolerance of
// half-removed installations) is proven against a model that behaves like
// the real system where it matters: it keeps state (what is installed),
// refuses to create what exists (AlreadyExists, as COM+ and IVssAdmin do),
// returns NotFound when removing what is absent, records every call with its
// arguments, and fails any action on demand (FailOn).
#ifndef HWSNAP_TESTS_REGISTER_RECORDING_SYSTEM_ACTIONS_H_
#define HWSNAP_TESTS_REGISTER_RECORDING_SYSTEM_ACTIONS_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "hwsnap/register/system_actions.h"

namespace hwsnap {
namespace installer {
namespace testing {

struct RecordedCall {
  std::string action;  // method name, e.g. "CreateComPlusApplication"
  std::string args;    // its arguments joined with "|"
};

// What is installed on the fake machine.
struct FakeMachine {
  bool com_class = false;
  std::map<std::string, std::string> files;  // path -> content
  std::optional<std::string> config_location;
  std::optional<std::string> event_source_message_file;
  bool complus_application = false;
  std::optional<ComPlusApplicationSpec> application_spec;
  std::vector<std::string> role_members;
  bool complus_component = false;
  std::optional<VssProviderSpec> vss_provider;

  // Everything register installs, except files (kept across unregister).
  bool FullyInstalled() const {
    return com_class && config_location.has_value() && event_source_message_file.has_value() &&
           complus_application && !role_members.empty() && complus_component && vss_provider.has_value();
  }
  bool NothingInstalled() const {
    return !com_class && !config_location.has_value() && !event_source_message_file.has_value() &&
           !complus_application && role_members.empty() && !complus_component && !vss_provider.has_value();
  }
};

class RecordingSystemActions : public SystemActions {
 public:
  FakeMachine machine;
  std::vector<RecordedCall> calls;
  // SID -> account name, as LookupAccountSid would answer.
  std::map<std::string, std::string> accounts = {{"S-1-5-32-544", "BUILTIN\\Administrators"},
                                                 {"S-1-5-18", "NT AUTHORITY\\SYSTEM"}};

  // Every later call of `action` fails with `status` (after being recorded).
  void FailOn(const std::string& action, absl::Status status) { failures_[action] = std::move(status); }
  void ClearFailures() { failures_.clear(); }
  void ClearCalls() { calls.clear(); }

  // The action names of the calls, in order.
  std::vector<std::string> Actions() const {
    std::vector<std::string> names;
    for (const RecordedCall& call : calls) names.push_back(call.action);
    return names;
  }

  absl::Status RegisterComServer(const std::string& dll_path) override {
    if (absl::Status s = Record("RegisterComServer", {dll_path}); !s.ok()) return s;
    machine.com_class = true;
    return absl::OkStatus();
  }
  absl::Status UnregisterComServer(const std::string& dll_path, const std::string& clsid) override {
    if (absl::Status s = Record("UnregisterComServer", {dll_path, clsid}); !s.ok()) return s;
    if (!machine.com_class) return absl::NotFoundError("class not registered");
    machine.com_class = false;
    return absl::OkStatus();
  }
  absl::StatusOr<bool> CreateFileIfAbsent(const std::string& path, const std::string& content) override {
    if (absl::Status s = Record("CreateFileIfAbsent", {path}); !s.ok()) return s;
    if (machine.files.count(path) != 0) return false;
    machine.files[path] = content;
    return true;
  }
  absl::Status RemoveFile(const std::string& path) override {
    if (absl::Status s = Record("RemoveFile", {path}); !s.ok()) return s;
    if (machine.files.erase(path) == 0) return absl::NotFoundError("no such file");
    return absl::OkStatus();
  }
  absl::Status SetConfigFileLocation(const std::string& key, const std::string& value_name,
                                     const std::string& config_path) override {
    if (absl::Status s = Record("SetConfigFileLocation", {key, value_name, config_path}); !s.ok()) return s;
    machine.config_location = config_path;
    return absl::OkStatus();
  }
  absl::Status RemoveConfigFileLocation(const std::string& key, const std::string& value_name) override {
    if (absl::Status s = Record("RemoveConfigFileLocation", {key, value_name}); !s.ok()) return s;
    if (!machine.config_location.has_value()) return absl::NotFoundError("no value");
    machine.config_location.reset();
    return absl::OkStatus();
  }
  absl::Status AddEventSource(const std::string& source, const std::string& message_file,
                                   unsigned long types_supported) override {
    if (absl::Status s = Record("AddEventSource", {source, message_file, absl::StrCat(types_supported)});
        !s.ok()) {
      return s;
    }
    machine.event_source_message_file = message_file;
    return absl::OkStatus();
  }
  absl::Status RemoveEventSource(const std::string& source) override {
    if (absl::Status s = Record("RemoveEventSource", {source}); !s.ok()) return s;
    if (!machine.event_source_message_file.has_value()) return absl::NotFoundError("no event source");
    machine.event_source_message_file.reset();
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> AccountNameForSid(const std::string& sid) override {
    if (absl::Status s = Record("AccountNameForSid", {sid}); !s.ok()) return s;
    auto it = accounts.find(sid);
    if (it == accounts.end()) return absl::NotFoundError(absl::StrCat("no account with SID ", sid));
    return it->second;
  }
  absl::Status CreateComPlusApplication(const ComPlusApplicationSpec& spec) override {
    if (absl::Status s = Record("CreateComPlusApplication", {spec.name, spec.identity}); !s.ok()) return s;
    if (machine.complus_application) return absl::AlreadyExistsError("application exists");
    machine.complus_application = true;
    machine.application_spec = spec;
    return absl::OkStatus();
  }
  absl::Status RemoveComPlusApplication(const std::string& name) override {
    if (absl::Status s = Record("RemoveComPlusApplication", {name}); !s.ok()) return s;
    if (!machine.complus_application) return absl::NotFoundError("no application");
    machine.complus_application = false;
    machine.application_spec.reset();
    machine.role_members.clear();
    machine.complus_component = false;
    return absl::OkStatus();
  }
  absl::Status AddComPlusRole(const std::string& application, const std::string& role,
                              const std::string& description, const std::vector<std::string>& members) override {
    if (absl::Status s = Record("AddComPlusRole", {application, role, absl::StrJoin(members, ",")}); !s.ok()) {
      return s;
    }
    if (!machine.complus_application) return absl::FailedPreconditionError("no application");
    machine.role_members = members;
    return absl::OkStatus();
  }
  absl::Status InstallComPlusComponent(const std::string& application, const std::string& dll_path,
                                       const std::string& clsid) override {
    if (absl::Status s = Record("InstallComPlusComponent", {application, dll_path, clsid}); !s.ok()) return s;
    if (!machine.complus_application) return absl::FailedPreconditionError("no application");
    machine.complus_component = true;
    return absl::OkStatus();
  }
  absl::Status RegisterHardwareProvider(const VssProviderSpec& spec) override {
    if (absl::Status s = Record("RegisterHardwareProvider",
                                {spec.provider_id, spec.class_id, spec.name, spec.version, spec.version_id});
        !s.ok()) {
      return s;
    }
    if (machine.vss_provider.has_value()) return absl::AlreadyExistsError("provider registered");
    machine.vss_provider = spec;
    return absl::OkStatus();
  }
  absl::Status UnregisterProvider(const std::string& provider_id) override {
    if (absl::Status s = Record("UnregisterProvider", {provider_id}); !s.ok()) return s;
    if (!machine.vss_provider.has_value()) return absl::NotFoundError("provider not registered");
    machine.vss_provider.reset();
    return absl::OkStatus();
  }

 private:
  absl::Status Record(const std::string& action, const std::vector<std::string>& args) {
    calls.push_back({action, absl::StrJoin(args, "|")});
    auto it = failures_.find(action);
    return it == failures_.end() ? absl::OkStatus() : it->second;
  }

  std::map<std::string, absl::Status> failures_;
};

}  // namespace testing
}  // namespace installer
}  // namespace hwsnap

#endif  // HWSNAP_TESTS_REGISTER_RECORDING_SYSTEM_ACTIONS_H_
