// Reads NVMe controllers and namespaces from sysfs (nvme_sysfs.h).
#include "src/nvme_sysfs.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "hwsnap/status.h"

namespace hwsnap::nvme::internal {
namespace {

namespace fs = std::filesystem;

// The trimmed content of a sysfs attribute, or nullopt when unreadable.
std::optional<std::string> ReadAttribute(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return std::nullopt;
  return std::string(absl::StripAsciiWhitespace(text));
}

std::optional<std::uint32_t> ReadNumber(const fs::path& path) {
  std::optional<std::string> text = ReadAttribute(path);
  std::uint32_t value = 0;
  if (!text || !absl::SimpleAtoi(*text, &value)) return std::nullopt;
  return value;
}

bool Exists(const fs::path& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

// The canonical form of `path`, or empty when it does not resolve.
fs::path Canonical(const fs::path& path) {
  std::error_code ec;
  fs::path resolved = fs::canonical(path, ec);
  return ec ? fs::path() : resolved;
}

bool AllDigits(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c));
  });
}

// "nvme12" (a controller name).
bool IsControllerName(absl::string_view name) {
  return absl::ConsumePrefix(&name, "nvme") && AllDigits(name);
}

// "nvme3n1" (a namespace block device, not a hidden path device "nvme3c0n1").
bool IsNamespaceBlockName(absl::string_view name) {
  if (!absl::ConsumePrefix(&name, "nvme")) return false;
  const std::size_t n = name.find('n');
  return n != absl::string_view::npos && AllDigits(name.substr(0, n)) && AllDigits(name.substr(n + 1));
}

// A directory sysfs shows for a controller (it has cntlid).
bool IsControllerDir(const fs::path& dir) { return Exists(dir / "cntlid"); }

absl::StatusOr<SysfsController> ReadControllerDir(const fs::path& dir, std::string name) {
  SysfsController controller;
  controller.name = std::move(name);
  std::optional<std::string> nqn = ReadAttribute(dir / "subsysnqn");
  std::optional<std::uint32_t> cntlid = ReadNumber(dir / "cntlid");
  if (!nqn || !cntlid) {
    return BackendFailureError(absl::StrCat("sysfs: cannot read subsysnqn/cntlid of controller ",
                                            controller.name, " in ", dir.string()));
  }
  controller.subsysnqn = *nqn;
  controller.cntlid = *cntlid;
  controller.serial = ReadAttribute(dir / "serial").value_or("");
  controller.state = ReadAttribute(dir / "state").value_or("");
  return controller;
}

// The controllers a multipath subsystem directory links to, "live" first,
// then by number.
absl::StatusOr<SysfsController> ControllerOfSubsystem(const fs::path& subsystem,
                                                      absl::string_view device_name) {
  std::vector<SysfsController> controllers;
  std::error_code ec;
  for (fs::directory_iterator it(subsystem, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!IsControllerName(name) || !IsControllerDir(it->path())) continue;
    absl::StatusOr<SysfsController> controller = ReadControllerDir(it->path(), name);
    if (controller.ok()) controllers.push_back(*std::move(controller));
  }
  if (controllers.empty()) {
    return ObjectNotFoundError(absl::StrCat("sysfs: the NVMe subsystem of ", device_name, " (",
                                            subsystem.string(), ") lists no controller"));
  }
  auto number = [](const SysfsController& c) {
    std::uint32_t n = 0;
    (void)absl::SimpleAtoi(absl::string_view(c.name).substr(4), &n);
    return n;
  };
  std::sort(controllers.begin(), controllers.end(), [&](const SysfsController& a, const SysfsController& b) {
    const bool a_live = a.state == "live";
    const bool b_live = b.state == "live";
    if (a_live != b_live) return a_live;
    return number(a) < number(b);
  });
  return controllers.front();
}

}  // namespace

std::string NvmeHostPaths::DevicePath(absl::string_view name) const {
  return absl::StrCat(dev, "/", name);
}

absl::StatusOr<SysfsController> ReadSysfsController(const NvmeHostPaths& paths,
                                                    absl::string_view name) {
  const fs::path dir = fs::path(paths.sysfs) / "class" / "nvme" / std::string(name);
  if (!Exists(dir)) {
    return ObjectNotFoundError(absl::StrCat("sysfs: no NVMe controller ", name, " (", dir.string(), ")"));
  }
  return ReadControllerDir(dir, std::string(name));
}

absl::StatusOr<SysfsController> FindControllerOf(const NvmeHostPaths& paths,
                                                 absl::string_view device_name) {
  if (IsControllerName(device_name)) return ReadSysfsController(paths, device_name);
  const fs::path sysfs(paths.sysfs);
  fs::path device_dir = absl::StartsWith(device_name, "ng")
                            ? sysfs / "class" / "nvme-generic" / std::string(device_name)
                            : sysfs / "block" / std::string(device_name);
  const fs::path parent = Canonical(device_dir / "device");
  if (parent.empty()) {
    return ObjectNotFoundError(absl::StrCat("sysfs: ", device_dir.string(),
                                            "/device does not name an NVMe controller or subsystem"));
  }
  if (IsControllerDir(parent)) return ReadControllerDir(parent, parent.filename().string());
  return ControllerOfSubsystem(parent, device_name);
}

absl::StatusOr<SysfsNamespaceDevice> FindNamespaceBlockDevice(const NvmeHostPaths& paths,
                                                              const SysfsController& controller,
                                                              std::uint32_t nsid) {
  const fs::path sysfs(paths.sysfs);
  const fs::path controller_dir = Canonical(sysfs / "class" / "nvme" / controller.name);
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(sysfs / "block", ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (IsNamespaceBlockName(name)) names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  std::optional<std::string> same_subsystem;
  for (const std::string& name : names) {
    const fs::path dir = sysfs / "block" / name;
    if (ReadNumber(dir / "nsid") != nsid) continue;
    const fs::path parent = Canonical(dir / "device");
    if (parent.empty()) continue;
    if (!controller_dir.empty() && parent == controller_dir) {
      same_subsystem = name;
      break;
    }
    if (!same_subsystem && ReadAttribute(parent / "subsysnqn") == controller.subsysnqn) {
      same_subsystem = name;
    }
  }
  if (!same_subsystem) {
    return ObjectNotFoundError(absl::StrCat("no block device for namespace ", nsid, " of controller ",
                                            controller.name, " (", controller.subsysnqn, ") under ",
                                            (sysfs / "block").string()));
  }
  SysfsNamespaceDevice device;
  device.name = *same_subsystem;
  struct stat st {};
  if (::stat((sysfs / "block" / device.name).c_str(), &st) == 0) device.sysfs_inode = st.st_ino;
  return device;
}

bool NamespaceDeviceStillPresent(const NvmeHostPaths& paths, const SysfsNamespaceDevice& device,
                                 std::uint32_t nsid) {
  const fs::path dir = fs::path(paths.sysfs) / "block" / device.name;
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return false;
  if (static_cast<std::uint64_t>(st.st_ino) != device.sysfs_inode) return false;
  return ReadNumber(dir / "nsid") == nsid;
}

}  // namespace hwsnap::nvme::internal
