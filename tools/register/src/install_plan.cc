// The installer's steps, their order and undo, and the runner (see
// install_plan.h). No Windows headers: HRESULTs appear only as numbers, for
// choosing a remedy and for printing.
#include "hwsnap/register/install_plan.h"

#include <array>
#include <cstddef>
#include <memory>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace hwsnap {
namespace installer {
namespace {

constexpr char kHresultPayloadUrl[] = "type.hwsnap.dev/register.hresult";

// HRESULTs the remedies recognise (values from winerror.h).
constexpr std::uint32_t kE_ACCESSDENIED = 0x80070005u;
constexpr std::uint32_t kE_INVALIDARG = 0x80070057u;
constexpr std::uint32_t kREGDB_E_CLASSNOTREG = 0x80040154u;

constexpr char kElevationRemedy[] =
    "Run hwsnap-register from an elevated prompt (\"Run as administrator\") as a member of the local "
    "Administrators group.";

std::string HresultText(std::uint32_t hresult) { return absl::StrFormat("0x%08X", hresult); }

bool IsStep(const InstallStep& step, absl::string_view prefix) {
  return absl::string_view(step.id).substr(0, prefix.size()) == prefix;
}

// "register [3/8] config-location".
std::string Label(absl::string_view phase, std::size_t index, std::size_t count, const InstallStep& step) {
  return absl::StrCat(phase, " [", index + 1, "/", count, "] ", step.id);
}

// "<message> (HRESULT 0x...)" when one is attached.
std::string Describe(const absl::Status& status) {
  const std::optional<std::uint32_t> hresult = GetHresult(status);
  if (!hresult.has_value()) return std::string(status.message());
  return absl::StrCat(status.message(), " (HRESULT ", HresultText(*hresult), ")");
}

// The same status with a new message, keeping its code and payloads.
absl::Status Remessage(const absl::Status& status, absl::string_view message) {
  absl::Status result(status.code(), message);
  status.ForEachPayload(
      [&result](absl::string_view url, const absl::Cord& payload) { result.SetPayload(url, payload); });
  return result;
}

// Removes every piece in reverse order; NotFound counts as removed.
// `phase` prefixes the log lines. Returns the ids of the steps that failed.
std::vector<std::string> RemoveAll(InstallPlan& plan, SystemActions& actions, std::ostream& log,
                                   absl::string_view phase) {
  std::vector<std::string> failed;
  const std::size_t count = plan.steps.size();
  for (std::size_t i = count; i-- > 0;) {
    const InstallStep& step = plan.steps[i];
    const std::string label = Label(phase, count - 1 - i, count, step);
    if (!step.uninstall) {
      log << label << ": " << step.removal_description << "\n";
      continue;
    }
    const absl::Status status = step.uninstall(actions);
    if (status.ok()) {
      log << label << ": " << step.removal_description << ": removed\n";
    } else if (absl::IsNotFound(status)) {
      log << label << ": " << step.removal_description << ": already absent\n";
    } else {
      log << label << ": " << step.removal_description << ": FAILED: " << Describe(status) << "\n";
      failed.push_back(step.id);
    }
  }
  return failed;
}

void PrintRemoval(const InstallPlan& plan, std::ostream& log, absl::string_view phase) {
  const std::size_t count = plan.steps.size();
  for (std::size_t i = count; i-- > 0;) {
    const InstallStep& step = plan.steps[i];
    log << "dry-run: " << Label(phase, count - 1 - i, count, step) << ": " << step.removal_description << "\n";
  }
}

std::uint64_t Fnv1a64(absl::string_view text, std::uint64_t basis) {
  std::uint64_t hash = basis;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

}  // namespace

int RunResult::ExitCode() const {
  if (status.ok()) return 0;
  return failed_undos.empty() ? 1 : 3;
}

absl::Status WithHresult(absl::Status status, std::uint32_t hresult) {
  status.SetPayload(kHresultPayloadUrl, absl::Cord(HresultText(hresult)));
  return status;
}

std::optional<std::uint32_t> GetHresult(const absl::Status& status) {
  const auto payload = status.GetPayload(kHresultPayloadUrl);
  if (!payload.has_value()) return std::nullopt;
  std::string text(*payload);
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) text = text.substr(2);
  std::uint32_t value = 0;
  if (!absl::SimpleHexAtoi(text, &value)) return std::nullopt;
  return value;
}

std::string RemedyFor(const InstallStep& step, const absl::Status& status) {
  const std::optional<std::uint32_t> hresult = GetHresult(status);
  if (absl::IsPermissionDenied(status) || hresult == kE_ACCESSDENIED) return kElevationRemedy;
  if (IsStep(step, "vss-provider") && hresult == kE_INVALIDARG) {
    return "VSS refused the hardware provider type (E_INVALIDARG): VSS accepts hardware providers only on "
           "Windows Server editions. Install hwsnap on Windows Server.";
  }
  if (IsStep(step, "complus-") && hresult == kREGDB_E_CLASSNOTREG) {
    return "The COM+ catalog (COMAdmin.COMAdminCatalog) is not available on this system: hwsnap must be "
           "installed on Windows Server with COM+ (Component Services).";
  }
  if (IsStep(step, "vss-provider") && hresult == kREGDB_E_CLASSNOTREG) {
    return "The Volume Shadow Copy service (VSS coordinator) is not registered on this system: hwsnap must "
           "be installed on Windows Server with the Volume Shadow Copy service.";
  }
  return step.remedy;
}

std::string VersionIdFor(absl::string_view version) {
  const std::string seed = absl::StrCat("hwsnap VSS hardware provider version ", version);
  const std::uint64_t high = Fnv1a64(seed, 0xcbf29ce484222325ULL);
  const std::uint64_t low = Fnv1a64(seed, 0x84222325cbf29ce4ULL);
  std::array<unsigned char, 16> bytes{};
  for (int i = 0; i < 8; ++i) {
    bytes[static_cast<std::size_t>(i)] = static_cast<unsigned char>(high >> (56 - 8 * i));
    bytes[static_cast<std::size_t>(8 + i)] = static_cast<unsigned char>(low >> (56 - 8 * i));
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x80);  // RFC 9562 version 8 (custom)
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string text = "{";
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text += '-';
    absl::StrAppend(&text, absl::StrFormat("%02X", bytes[i]));
  }
  text += '}';
  return text;
}

std::string DefaultConfigFileContent(const InstallSettings& settings) {
  return absl::StrCat(
      "# hwsnap configuration, read by hwsnap_vss.dll each time VSS loads the provider.\r\n"
      "# Written by hwsnap-register because no file existed; it never overwrites this file,\r\n"
      "# so your changes survive re-registration and upgrades. Its location is the value\r\n"
      "# ",
      settings.config_registry_value, " of HKLM\\", settings.config_registry_key,
      ".\r\n"
      "#\r\n"
      "# One \"key = value\" per line; lines starting with '#' are comments. Keys:\r\n"
      "#   backend           storage backend the provider drives. \"none\" supports no LUN,\r\n"
      "#                     so VSS never chooses this provider until you set a real one.\r\n"
      "#   log_level         how much the provider logs (trace, debug, info, warn, error).\r\n"
      "#   log_directory     directory of the rotating log files\r\n"
      "#                     (default: %ProgramData%\\hwsnap\\logs).\r\n"
      "#   log_max_bytes     size at which a log file is rotated.\r\n"
      "#   log_max_files     number of rotated log files kept.\r\n"
      "#   backend.<option>  an option handed to the backend, e.g. backend.pool = gold\r\n"
      "#                     (see your backend's documentation for its options).\r\n"
      "#\r\n"
      "# See docs/windows.md for details.\r\n"
      "backend = none\r\n");
}

InstallPlan BuildInstallPlan(const InstallSettings& input) {
  InstallPlan plan;
  plan.settings = input;
  if (plan.settings.provider_version_id.empty()) {
    plan.settings.provider_version_id = VersionIdFor(plan.settings.provider_version);
  }
  const InstallSettings& s = plan.settings;
  std::vector<InstallStep>& steps = plan.steps;

  {
    InstallStep step;
    step.id = "com-registration";
    step.description = absl::StrCat("register COM class ", s.provider_clsid, " of ", s.dll_path,
                                    " (DllRegisterServer: HKCR\\CLSID\\", s.provider_clsid,
                                    "\\InprocServer32, ThreadingModel Both)");
    step.removal_description = absl::StrCat("remove COM class ", s.provider_clsid,
                                            " (DllUnregisterServer, or delete HKCR\\CLSID\\", s.provider_clsid,
                                            " if the DLL is gone)");
    step.remedy = absl::StrCat("Check that ", s.dll_path,
                               " exists, is the 64-bit hwsnap_vss.dll, and is readable; pass its full path "
                               "with --dll.");
    step.apply = [dll = s.dll_path](SystemActions& a) { return a.RegisterComServer(dll); };
    step.rollback = [dll = s.dll_path, clsid = s.provider_clsid](SystemActions& a) {
      return a.UnregisterComServer(dll, clsid);
    };
    step.uninstall = step.rollback;
    steps.push_back(std::move(step));
  }
  {
    // Shared between apply and rollback of this run: only a file this run
    // created is deleted again; unregister never deletes it.
    auto created = std::make_shared<bool>(false);
    InstallStep step;
    step.id = "config-file";
    step.description = absl::StrCat("create the configuration file ", s.config_path,
                                    " with defaults (backend = none) unless it exists; an existing file is "
                                    "kept unchanged");
    step.removal_description = absl::StrCat("keep the configuration file ", s.config_path,
                                            " (your settings; delete it by hand to discard them)");
    step.remedy = absl::StrCat("Check that the folder of ", s.config_path,
                               " can be created and written by Administrators, or choose another path with "
                               "--config.");
    step.apply = [created, path = s.config_path, content = DefaultConfigFileContent(s)](SystemActions& a) {
      absl::StatusOr<bool> made = a.CreateFileIfAbsent(path, content);
      if (!made.ok()) return made.status();
      *created = *made;
      return absl::OkStatus();
    };
    step.rollback = [created, path = s.config_path](SystemActions& a) {
      if (!*created) return absl::OkStatus();
      absl::Status status = a.RemoveFile(path);
      if (status.ok()) *created = false;
      return status;
    };
    steps.push_back(std::move(step));
  }
  {
    InstallStep step;
    step.id = "config-location";
    step.description = absl::StrCat("set HKLM\\", s.config_registry_key, " ", s.config_registry_value, " = ",
                                    s.config_path);
    step.removal_description =
        absl::StrCat("remove HKLM\\", s.config_registry_key, " ", s.config_registry_value);
    step.remedy = absl::StrCat("Check that HKLM\\", s.config_registry_key,
                               " can be written (no policy or security software denies it).");
    step.apply = [key = s.config_registry_key, value = s.config_registry_value,
                  path = s.config_path](SystemActions& a) { return a.SetConfigFileLocation(key, value, path); };
    step.rollback = [key = s.config_registry_key, value = s.config_registry_value](SystemActions& a) {
      return a.RemoveConfigFileLocation(key, value);
    };
    step.uninstall = step.rollback;
    steps.push_back(std::move(step));
  }
  {
    InstallStep step;
    step.id = "event-source";
    step.description = absl::StrCat(
        "register event source ", s.event_source,
        " (HKLM\\SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\", s.event_source,
        ": EventMessageFile = ", s.dll_path, ", TypesSupported = ", kEventTypesSupported, ")");
    step.removal_description = absl::StrCat("remove event source ", s.event_source);
    step.remedy =
        "Check that HKLM\\SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application can be written.";
    step.apply = [source = s.event_source, dll = s.dll_path](SystemActions& a) {
      return a.AddEventSource(source, dll, kEventTypesSupported);
    };
    step.rollback = [source = s.event_source](SystemActions& a) { return a.RemoveEventSource(source); };
    step.uninstall = step.rollback;
    steps.push_back(std::move(step));
  }
  {
    ComPlusApplicationSpec spec;
    spec.name = s.provider_name;
    spec.description = absl::StrCat(s.provider_name, " (hwsnap ", s.provider_version,
                                    "): hosts hwsnap_vss.dll out of process for VSS");
    spec.identity = s.complus_identity;
    spec.shutdown_after_minutes = s.shutdown_after_minutes;
    InstallStep step;
    step.id = "complus-application";
    step.description = absl::StrCat(
        "create COM+ server application \"", spec.name, "\" (Activation server, Identity ", spec.identity,
        ", access checks at application and component level, Authentication packet privacy, secure "
        "references, ImpersonationLevel identify, ShutdownAfter ",
        spec.shutdown_after_minutes, " min)");
    step.removal_description = absl::StrCat("shut down and remove COM+ application \"", spec.name,
                                            "\" with its role and component");
    step.remedy = absl::StrCat("Open Component Services (dcomcnfg), check that COM+ Applications can be listed "
                               "and that no application named \"",
                               spec.name, "\" is left, then run register again.");
    step.apply = [spec](SystemActions& a) { return a.CreateComPlusApplication(spec); };
    step.rollback = [name = spec.name](SystemActions& a) { return a.RemoveComPlusApplication(name); };
    step.uninstall = step.rollback;
    steps.push_back(std::move(step));
  }
  {
    InstallStep step;
    step.id = "complus-role";
    step.description = absl::StrCat("add role \"", s.role_name, "\" to \"", s.provider_name,
                                    "\" with the accounts whose SIDs are ", absl::StrJoin(s.role_member_sids, ", "),
                                    " (names looked up by SID with LookupAccountSid)");
    step.removal_description = "role goes with the COM+ application";
    step.remedy = absl::StrCat("Check that the accounts with SIDs ", absl::StrJoin(s.role_member_sids, ", "),
                               " exist and can be looked up (LookupAccountSid) on this machine.");
    step.apply = [app = s.provider_name, role = s.role_name, sids = s.role_member_sids](SystemActions& a) {
      std::vector<std::string> members;
      for (const std::string& sid : sids) {
        absl::StatusOr<std::string> name = a.AccountNameForSid(sid);
        if (!name.ok()) {
          return Remessage(name.status(),
                           absl::StrCat("looking up the account of SID ", sid, ": ", name.status().message()));
        }
        members.push_back(*name);
      }
      return a.AddComPlusRole(app, role, "Accounts allowed to call the hwsnap VSS provider", members);
    };
    steps.push_back(std::move(step));
  }
  {
    InstallStep step;
    step.id = "complus-component";
    step.description = absl::StrCat("install ", s.dll_path, " (class ", s.provider_clsid, ") into \"",
                                    s.provider_name, "\"");
    step.removal_description = "component goes with the COM+ application";
    step.remedy = absl::StrCat("Check ", s.dll_path,
                               " and the COM+ entries in the Application and System event logs.");
    step.apply = [app = s.provider_name, dll = s.dll_path, clsid = s.provider_clsid](SystemActions& a) {
      return a.InstallComPlusComponent(app, dll, clsid);
    };
    steps.push_back(std::move(step));
  }
  {
    VssProviderSpec spec;
    spec.provider_id = s.provider_id;
    spec.class_id = s.provider_clsid;
    spec.name = s.provider_name;
    spec.version = s.provider_version;
    spec.version_id = s.provider_version_id;
    InstallStep step;
    step.id = "vss-provider";
    step.description = absl::StrCat("register with VSS: IVssAdmin::UnregisterProvider(", spec.provider_id,
                                    ") if registered, then RegisterProvider(", spec.provider_id, ", ",
                                    spec.class_id, ", \"", spec.name, "\", VSS_PROV_HARDWARE, ", spec.version,
                                    ", ", spec.version_id, ")");
    step.removal_description = absl::StrCat("unregister VSS provider ", spec.provider_id);
    step.remedy = "Check that the Volume Shadow Copy service can start (services.msc) and that "
                  "`vssadmin list providers` works, then run register again.";
    step.apply = [spec](SystemActions& a) {
      absl::Status old = a.UnregisterProvider(spec.provider_id);
      if (!old.ok() && !absl::IsNotFound(old)) return old;
      return a.RegisterHardwareProvider(spec);
    };
    step.rollback = [id = spec.provider_id](SystemActions& a) { return a.UnregisterProvider(id); };
    step.uninstall = step.rollback;
    steps.push_back(std::move(step));
  }
  return plan;
}

RunResult RunRegister(InstallPlan& plan, SystemActions& actions, std::ostream& log, RunMode mode) {
  RunResult result;
  const std::size_t count = plan.steps.size();
  if (mode == RunMode::kDryRun) {
    log << "dry-run: nothing is changed. register would first remove any existing installation:\n";
    PrintRemoval(plan, log, "cleanup");
    log << "dry-run: then install:\n";
    for (std::size_t i = 0; i < count; ++i) {
      log << "dry-run: " << Label("register", i, count, plan.steps[i]) << ": " << plan.steps[i].description
          << "\n";
    }
    return result;
  }

  // Unregister-then-register: whatever an earlier (or half-finished)
  // installation left is removed first. Failures here are only warnings: the
  // step that then cannot be applied reports the real problem.
  const std::vector<std::string> cleanup_failures = RemoveAll(plan, actions, log, "cleanup");
  if (!cleanup_failures.empty()) {
    log << "warning: could not remove the old " << absl::StrJoin(cleanup_failures, ", ")
        << "; installing anyway\n";
  }

  for (std::size_t i = 0; i < count; ++i) {
    InstallStep& step = plan.steps[i];
    const std::string label = Label("register", i, count, step);
    const absl::Status status = step.apply(actions);
    if (status.ok()) {
      log << label << ": " << step.description << ": done\n";
      continue;
    }
    log << label << ": " << step.description << ": FAILED: " << Describe(status) << "\n";
    result.failed_step = step.id;
    result.remedy = RemedyFor(step, status);

    // Roll back this step (it may have half-applied) and every earlier one.
    for (std::size_t j = i + 1; j-- > 0;) {
      InstallStep& done = plan.steps[j];
      if (!done.rollback) continue;
      const absl::Status undo = done.rollback(actions);
      const std::string undo_label = Label("rollback", i - j, i + 1, done);
      if (undo.ok()) {
        log << undo_label << ": undone\n";
      } else if (absl::IsNotFound(undo)) {
        log << undo_label << ": nothing to undo\n";
      } else {
        log << undo_label << ": FAILED: " << Describe(undo) << "\n";
        result.failed_undos.push_back(done.id);
      }
    }
    const std::string rolled_back =
        result.failed_undos.empty()
            ? "Every change was rolled back."
            : absl::StrCat("Rollback incomplete: could not undo ", absl::StrJoin(result.failed_undos, ", "),
                           "; run `hwsnap-register unregister` after fixing the cause.");
    result.status = Remessage(status, absl::StrCat("register failed at step ", step.id, ": ", Describe(status),
                                                   ". Remedy: ", result.remedy, " ", rolled_back));
    return result;
  }
  log << "registered \"" << plan.settings.provider_name << "\" (ProviderId " << plan.settings.provider_id
      << ", version " << plan.settings.provider_version << ")\n";
  return result;
}

RunResult RunUnregister(InstallPlan& plan, SystemActions& actions, std::ostream& log, RunMode mode) {
  RunResult result;
  if (mode == RunMode::kDryRun) {
    log << "dry-run: nothing is changed. unregister would:\n";
    PrintRemoval(plan, log, "unregister");
    return result;
  }
  result.failed_undos = RemoveAll(plan, actions, log, "unregister");
  if (!result.failed_undos.empty()) {
    result.failed_step = result.failed_undos.front();
    result.remedy =
        "See the FAILED lines above (the usual cause is a prompt that is not elevated: \"Run as "
        "administrator\"), fix the cause, then run unregister again; pieces already removed are skipped.";
    result.status = absl::InternalError(absl::StrCat("unregister could not remove: ",
                                                     absl::StrJoin(result.failed_undos, ", "),
                                                     ". Remedy: ", result.remedy));
    return result;
  }
  log << "unregistered \"" << plan.settings.provider_name << "\"\n";
  return result;
}

}  // namespace installer
}  // namespace hwsnap
