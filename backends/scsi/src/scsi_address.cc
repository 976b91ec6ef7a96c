// Parses the address strings of hwsnap/scsi/scsi_address.h. Pure: no system
// calls, no name resolution (a DNS name is checked for syntax only).
#include "hwsnap/scsi/scsi_address.h"

#include <cstddef>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi {
namespace {

constexpr absl::string_view kIscsiScheme = "iscsi://";
constexpr absl::string_view kWindowsDevicePrefix = "\\\\.\\";
constexpr absl::string_view kPhysicalDrive = "PhysicalDrive";
constexpr std::size_t kMaxIscsiNameLength = 223;  // RFC 3720 section 3.2.6.1
constexpr std::size_t kMaxHostLength = 253;
constexpr std::size_t kMaxQuotedLength = 120;

// The address as it may appear in a message: escaped, bounded.
std::string Quote(absl::string_view text) {
  std::string shown = absl::CHexEscape(text.substr(0, kMaxQuotedLength));
  if (text.size() > kMaxQuotedLength) absl::StrAppend(&shown, "...");
  return absl::StrCat("'", shown, "'");
}

absl::Status Invalid(absl::string_view address, absl::string_view what) {
  return InvalidArgumentError(absl::StrCat("SCSI address ", Quote(address), ": ", what));
}

bool AllDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool AllHex(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// A decimal number of at most `max_digits` digits, no sign, no spaces.
bool ParseDecimal(absl::string_view s, std::size_t max_digits, std::uint32_t* value) {
  if (!AllDigits(s) || s.size() > max_digits) return false;
  return absl::SimpleAtoi(s, value);
}

bool IsIpv4Literal(absl::string_view host) {
  std::vector<absl::string_view> parts = absl::StrSplit(host, '.');
  if (parts.size() != 4) return false;
  for (absl::string_view part : parts) {
    std::uint32_t octet = 0;
    if (!ParseDecimal(part, 3, &octet) || octet > 255) return false;
  }
  return true;
}

bool IsDnsLabel(absl::string_view label) {
  if (label.empty() || label.size() > 63) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  for (char c : label) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  return true;
}

// Empty when `host` is an IPv4 literal or a DNS name; else what is wrong.
std::string HostProblem(absl::string_view host) {
  if (host.empty()) return "missing host";
  if (host.front() == '[') return "IPv6 literals are not supported; use an IPv4 address or a name";
  bool digits_and_dots = true;
  for (char c : host) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '.') digits_and_dots = false;
  }
  if (digits_and_dots) {
    return IsIpv4Literal(host) ? "" : absl::StrCat("host ", Quote(host), " is not a valid IPv4 address");
  }
  if (host.size() > kMaxHostLength) return "host name longer than 253 characters";
  for (absl::string_view label : absl::StrSplit(host, '.')) {
    if (!IsDnsLabel(label)) return absl::StrCat("host ", Quote(host), " is not a valid host name");
  }
  return "";
}

bool IsIscsiNameChar(char c) {
  return absl::ascii_islower(static_cast<unsigned char>(c)) ||
         absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == ':';
}

// "iqn.YYYY-MM.reversed.domain[:anything]".
std::string IqnProblem(absl::string_view name) {
  absl::string_view rest = name.substr(4);  // after "iqn."
  if (rest.size() < 8 || rest[4] != '-' || rest[7] != '.') {
    return "an iqn. name continues with a date and a domain: iqn.YYYY-MM.reversed.domain[:id]";
  }
  std::uint32_t year = 0;
  std::uint32_t month = 0;
  if (!ParseDecimal(rest.substr(0, 4), 4, &year) || !ParseDecimal(rest.substr(5, 2), 2, &month) ||
      month < 1 || month > 12) {
    return absl::StrCat("invalid date ", Quote(rest.substr(0, 7)), " in iqn. name (want YYYY-MM)");
  }
  absl::string_view authority = rest.substr(8);
  std::size_t colon = authority.find(':');
  if (colon != absl::string_view::npos) authority = authority.substr(0, colon);
  if (authority.empty()) return "iqn. name lacks the naming authority (a reversed domain name)";
  for (absl::string_view label : absl::StrSplit(authority, '.')) {
    if (label.empty()) return "empty label in the naming authority of the iqn. name";
  }
  return "";
}

// Empty when `name` is a sane iSCSI name (RFC 3720 3.2.6.3, RFC 3980).
std::string IscsiNameProblem(absl::string_view name) {
  if (name.empty()) return "missing name";
  if (name.size() > kMaxIscsiNameLength) return "longer than 223 bytes";
  if (absl::StartsWith(name, "iqn.")) {
    for (char c : name) {
      if (!IsIscsiNameChar(c)) {
        return "an iqn. name may contain only lower-case letters, digits, '-', '.' and ':'";
      }
    }
    return IqnProblem(name);
  }
  if (absl::StartsWith(name, "eui.")) {
    absl::string_view hex = name.substr(4);
    if (hex.size() != 16 || !AllHex(hex)) return "an eui. name has exactly 16 hex digits";
    return "";
  }
  if (absl::StartsWith(name, "naa.")) {
    absl::string_view hex = name.substr(4);
    if ((hex.size() != 16 && hex.size() != 32) || !AllHex(hex)) {
      return "a naa. name has 16 or 32 hex digits";
    }
    return "";
  }
  return "does not start with iqn., eui. or naa.";
}

absl::StatusOr<ScsiAddress> ParseIscsi(absl::string_view text) {
  absl::string_view rest = text.substr(kIscsiScheme.size());
  std::size_t slash = rest.find('/');
  if (slash == absl::string_view::npos) {
    return Invalid(text, "expected iscsi://HOST[:PORT]/TARGET-NAME/LUN");
  }
  absl::string_view authority = rest.substr(0, slash);
  absl::string_view path = rest.substr(slash + 1);

  ScsiAddress address;
  address.kind = ScsiAddressKind::kIscsi;
  IscsiAddress& iscsi = address.iscsi;

  if (authority.find('@') != absl::string_view::npos) {
    return Invalid(text, "user names and passwords (CHAP) are not accepted in the address");
  }
  absl::string_view host = authority;
  std::size_t colon = authority.rfind(':');
  if (colon != absl::string_view::npos && !absl::StartsWith(authority, "[")) {
    host = authority.substr(0, colon);
    absl::string_view port_text = authority.substr(colon + 1);
    std::uint32_t port = 0;
    if (!ParseDecimal(port_text, 5, &port) || port < 1 || port > 65535) {
      return Invalid(text, absl::StrCat("port ", Quote(port_text), " is not a number from 1 to 65535"));
    }
    iscsi.port = static_cast<std::uint16_t>(port);
  }
  if (std::string problem = HostProblem(host); !problem.empty()) return Invalid(text, problem);
  iscsi.host = std::string(host);

  std::size_t lun_slash = path.rfind('/');
  if (lun_slash == absl::string_view::npos) {
    return Invalid(text, "missing LUN: expected iscsi://HOST[:PORT]/TARGET-NAME/LUN");
  }
  absl::string_view target = path.substr(0, lun_slash);
  absl::string_view lun_text = path.substr(lun_slash + 1);
  if (target.find('/') != absl::string_view::npos) {
    return Invalid(text, "too many '/': expected iscsi://HOST[:PORT]/TARGET-NAME/LUN");
  }
  if (std::string problem = IscsiNameProblem(target); !problem.empty()) {
    return Invalid(text, absl::StrCat("target name: ", problem));
  }
  iscsi.target = std::string(target);
  if (lun_text.empty()) return Invalid(text, "missing LUN after the target name");
  std::uint32_t lun = 0;
  if (!ParseDecimal(lun_text, 5, &lun) || lun > kMaxIscsiLun) {
    return Invalid(text, absl::StrCat("LUN ", Quote(lun_text), " is not a number from 0 to 16383"));
  }
  iscsi.lun = lun;
  return address;
}

absl::StatusOr<ScsiAddress> ParseLinuxDevice(absl::string_view text) {
  absl::string_view name = text.substr(5);  // after "/dev/"
  ScsiAddress address;
  address.kind = ScsiAddressKind::kLinuxDevice;
  address.device_path = std::string(text);
  if (absl::StartsWith(name, "sg")) {
    absl::string_view number = name.substr(2);
    std::uint32_t n = 0;
    if (!ParseDecimal(number, 6, &n) || (number.size() > 1 && number[0] == '0')) {
      return Invalid(text, "a SCSI generic device is /dev/sgN with N a number");
    }
    return address;
  }
  if (absl::StartsWith(name, "sd")) {
    absl::string_view letters = name.substr(2);
    std::size_t n = 0;
    while (n < letters.size() && absl::ascii_islower(static_cast<unsigned char>(letters[n]))) ++n;
    if (n == 0 || n > 4) return Invalid(text, "a SCSI disk is /dev/sdX with X one to four letters");
    if (n < letters.size()) {
      if (AllDigits(letters.substr(n))) {
        return Invalid(text, "names a partition; SCSI commands go to the whole disk (/dev/sdX)");
      }
      return Invalid(text, "a SCSI disk is /dev/sdX with X one to four letters");
    }
    return address;
  }
  return Invalid(text, "unsupported device; SCSI commands go to /dev/sgN or /dev/sdX");
}

absl::StatusOr<ScsiAddress> ParseWindowsDrive(absl::string_view text) {
  absl::string_view name = text.substr(kWindowsDevicePrefix.size());
  if (name.size() < kPhysicalDrive.size() ||
      !absl::EqualsIgnoreCase(name.substr(0, kPhysicalDrive.size()), kPhysicalDrive)) {
    return Invalid(text, "unsupported Windows device; SCSI commands go to \\\\.\\PhysicalDriveN");
  }
  absl::string_view number = name.substr(kPhysicalDrive.size());
  std::uint32_t n = 0;
  if (!ParseDecimal(number, 5, &n)) {
    return Invalid(text, "a Windows disk is \\\\.\\PhysicalDriveN with N a number");
  }
  ScsiAddress address;
  address.kind = ScsiAddressKind::kWindowsPhysicalDrive;
  address.drive_number = n;
  address.device_path = absl::StrCat(kWindowsDevicePrefix, kPhysicalDrive, n);
  return address;
}

}  // namespace

std::string IscsiAddress::Portal() const { return absl::StrCat(host, ":", port); }

std::string ScsiAddress::ToString() const {
  switch (kind) {
    case ScsiAddressKind::kIscsi:
      return absl::StrCat(kIscsiScheme, iscsi.Portal(), "/", iscsi.target, "/", iscsi.lun);
    case ScsiAddressKind::kLinuxDevice:
    case ScsiAddressKind::kWindowsPhysicalDrive:
    default:
      return device_path;
  }
}

absl::Status CheckIscsiName(absl::string_view name) {
  std::string problem = IscsiNameProblem(name);
  if (problem.empty()) return absl::OkStatus();
  return InvalidArgumentError(absl::StrCat("iSCSI name ", Quote(name), ": ", problem));
}

absl::StatusOr<ScsiAddress> ParseScsiAddress(absl::string_view text) {
  if (text.empty()) return InvalidArgumentError("SCSI address is empty");
  if (text.size() >= kIscsiScheme.size() &&
      absl::EqualsIgnoreCase(text.substr(0, kIscsiScheme.size()), kIscsiScheme)) {
    return ParseIscsi(text);
  }
  if (absl::StartsWith(text, "/dev/")) return ParseLinuxDevice(text);
  if (absl::StartsWith(text, kWindowsDevicePrefix)) return ParseWindowsDrive(text);
  return Invalid(text,
                 "unrecognized; expected iscsi://HOST[:PORT]/TARGET-NAME/LUN, /dev/sgN, /dev/sdX "
                 "or \\\\.\\PhysicalDriveN");
}

}  // namespace hwsnap::scsi
