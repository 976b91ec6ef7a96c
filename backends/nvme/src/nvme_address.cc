// Parses the NVMe address strings of hwsnap/nvme/nvme_address.h. Pure.
#include "hwsnap/nvme/nvme_address.h"

#include <cstddef>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "hwsnap/status.h"

namespace hwsnap::nvme {
namespace {

constexpr absl::string_view kDev = "/dev/";
constexpr absl::string_view kWindowsDevicePrefix = "\\\\.\\";
constexpr absl::string_view kPhysicalDrive = "PhysicalDrive";
constexpr std::size_t kMaxQuotedLength = 120;
constexpr std::size_t kMaxDigits = 6;

std::string Quote(absl::string_view text) {
  std::string shown = absl::CHexEscape(text.substr(0, kMaxQuotedLength));
  if (text.size() > kMaxQuotedLength) absl::StrAppend(&shown, "...");
  return absl::StrCat("'", shown, "'");
}

absl::Status Invalid(absl::string_view address, absl::string_view what) {
  return InvalidArgumentError(absl::StrCat("NVMe address ", Quote(address), ": ", what));
}

// Consumes a decimal number (1..kMaxDigits digits, no leading zero unless
// "0") from the front of `*s`.
bool ConsumeNumber(absl::string_view* s, std::uint32_t* value) {
  std::size_t n = 0;
  while (n < s->size() && absl::ascii_isdigit(static_cast<unsigned char>((*s)[n]))) ++n;
  if (n == 0 || n > kMaxDigits || (n > 1 && (*s)[0] == '0')) return false;
  if (!absl::SimpleAtoi(s->substr(0, n), value)) return false;
  s->remove_prefix(n);
  return true;
}

absl::StatusOr<NvmeAddress> ParseLinux(absl::string_view text) {
  absl::string_view name = text.substr(kDev.size());
  NvmeAddress address;
  address.device_path = std::string(text);
  address.device_name = std::string(name);
  absl::string_view rest = name;
  const bool generic = absl::ConsumePrefix(&rest, "ng");
  if (!generic && !absl::ConsumePrefix(&rest, "nvme")) {
    return Invalid(text, "unsupported device; NVMe commands go to /dev/nvmeN, /dev/nvmeNnM or /dev/ngNnM");
  }
  if (!ConsumeNumber(&rest, &address.instance)) {
    return Invalid(text, "expected an instance number after the device prefix");
  }
  if (rest.empty()) {
    if (generic) return Invalid(text, "a generic namespace device is /dev/ngNnM");
    address.kind = NvmeAddressKind::kLinuxController;
    return address;
  }
  if (rest[0] == 'c') {
    return Invalid(text, "names a hidden multipath path device; use the namespace head /dev/nvmeNnM");
  }
  if (!absl::ConsumePrefix(&rest, "n") || !ConsumeNumber(&rest, &address.namespace_instance)) {
    return Invalid(text, "expected /dev/nvmeN, /dev/nvmeNnM or /dev/ngNnM");
  }
  if (!rest.empty()) {
    if (rest[0] == 'p') {
      return Invalid(text, "names a partition; NVMe commands go to the whole namespace (/dev/nvmeNnM)");
    }
    return Invalid(text, "trailing characters after the namespace number");
  }
  address.kind = generic ? NvmeAddressKind::kLinuxNamespaceGeneric : NvmeAddressKind::kLinuxNamespaceBlock;
  return address;
}

absl::StatusOr<NvmeAddress> ParseWindowsDrive(absl::string_view text) {
  absl::string_view name = text.substr(kWindowsDevicePrefix.size());
  if (name.size() < kPhysicalDrive.size() ||
      !absl::EqualsIgnoreCase(name.substr(0, kPhysicalDrive.size()), kPhysicalDrive)) {
    return Invalid(text, "unsupported Windows device; NVMe commands go to \\\\.\\PhysicalDriveN");
  }
  absl::string_view number = name.substr(kPhysicalDrive.size());
  NvmeAddress address;
  if (!ConsumeNumber(&number, &address.instance) || !number.empty()) {
    return Invalid(text, "a Windows disk is \\\\.\\PhysicalDriveN with N a number");
  }
  address.kind = NvmeAddressKind::kWindowsPhysicalDrive;
  address.device_path = absl::StrCat(kWindowsDevicePrefix, kPhysicalDrive, address.instance);
  return address;
}

}  // namespace

absl::StatusOr<NvmeAddress> ParseNvmeAddress(absl::string_view text) {
  if (text.empty()) return Invalid(text, "empty address");
  if (absl::StartsWith(text, kDev)) return ParseLinux(text);
  if (absl::StartsWith(text, kWindowsDevicePrefix)) return ParseWindowsDrive(text);
  return Invalid(text, "expected /dev/nvmeN, /dev/nvmeNnM, /dev/ngNnM or \\\\.\\PhysicalDriveN");
}

}  // namespace hwsnap::nvme
