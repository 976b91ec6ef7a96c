// hwsnap/scsi/scsi_address.h — the text forms that name a LUN to a transport.
//
// OpenScsiTransport (hwsnap/scsi/scsi_transport.h) takes one string; this file
// turns it into a tagged struct, on every platform and without touching the
// system, so malformed addresses are refused with a message before any
// socket, device or handle is opened:
//
//   iscsi://HOST[:PORT]/TARGET-NAME/LUN   kIscsi (PORT defaults to 3260)
//   /dev/sgN, /dev/sdX                    kLinuxDevice (whole disks, no partitions)
//   \\.\PhysicalDriveN                    kWindowsPhysicalDrive
//
//   absl::StatusOr<ScsiAddress> a =
//       ParseScsiAddress("iscsi://127.0.0.1:3261/iqn.2026-12.invalid.hwsnap:src/1");
//   a->iscsi.Portal();   // "127.0.0.1:3261"
//   a->ToString();       // canonical text, always with the port
#ifndef HWSNAP_SCSI_SCSI_ADDRESS_H_
#define HWSNAP_SCSI_SCSI_ADDRESS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hwsnap::scsi {

enum class ScsiAddressKind { kIscsi, kLinuxDevice, kWindowsPhysicalDrive };

// The iSCSI default port (RFC 7143).
inline constexpr std::uint16_t kDefaultIscsiPort = 3260;
// Largest LUN accepted: 14 bits, the SAM flat/peripheral addressing range.
inline constexpr std::uint32_t kMaxIscsiLun = 16383;

// iscsi://HOST[:PORT]/TARGET-NAME/LUN, validated.
struct IscsiAddress {
  std::string host;                     // IPv4 literal or DNS name
  std::uint16_t port = kDefaultIscsiPort;
  std::string target;                   // iqn./eui./naa. name (RFC 3720/3721)
  std::uint32_t lun = 0;                // 0..kMaxIscsiLun

  // "HOST:PORT", the portal libiscsi connects to.
  std::string Portal() const;
};

// A parsed address. Exactly the members that belong to `kind` are set.
struct ScsiAddress {
  ScsiAddressKind kind = ScsiAddressKind::kIscsi;
  IscsiAddress iscsi;        // kIscsi
  std::string device_path;   // kLinuxDevice ("/dev/sg2") and
                             // kWindowsPhysicalDrive ("\\.\PhysicalDrive3")
  std::uint32_t drive_number = 0;  // kWindowsPhysicalDrive

  // The canonical text: iSCSI addresses always carry the port; device paths
  // are returned as given (PhysicalDrive spelled in this case).
  std::string ToString() const;
};

// Parses `text`. Errors: kInvalidArgument with a message that names the part
// that is wrong (scheme, host, port, target name, LUN, device name).
absl::StatusOr<ScsiAddress> ParseScsiAddress(absl::string_view text);

// Checks an iSCSI name (target or initiator): iqn.YYYY-MM.reversed.domain[:id]
// in lower case, eui. + 16 hex digits, or naa. + 16/32 hex digits; at most
// 223 bytes. Errors: kInvalidArgument naming what is wrong.
absl::Status CheckIscsiName(absl::string_view name);

}  // namespace hwsnap::scsi

#endif  // HWSNAP_SCSI_SCSI_ADDRESS_H_
