// OpenScsiTransport (hwsnap/scsi/scsi_transport.h): parses the address and
// hands it to the transport built for its kind. Which transports exist is
// decided by the build (backends/scsi/transports.cmake defines
// HWSNAP_HAVE_LIBISCSI, HWSNAP_HAVE_SG_IO, HWSNAP_HAVE_SPTI); this is the only
// file that looks at those definitions.
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "hwsnap/scsi/scsi_address.h"
#include "hwsnap/scsi/scsi_transport.h"
#include "hwsnap/status.h"

#if defined(HWSNAP_HAVE_LIBISCSI)
#include "hwsnap/scsi/libiscsi_transport.h"
#endif
#if defined(HWSNAP_HAVE_SG_IO)
#include "hwsnap/scsi/sg_io_transport.h"
#endif
#if defined(HWSNAP_HAVE_SPTI)
#include "hwsnap/scsi/spti_transport.h"
#endif

namespace hwsnap::scsi {
namespace {

absl::Status Missing(const ScsiAddress& address, absl::string_view what) {
  return NotSupportedError(absl::StrCat("cannot open ", address.ToString(), ": ", what));
}

}  // namespace

absl::StatusOr<std::unique_ptr<ScsiTransport>> OpenScsiTransport(absl::string_view text,
                                                                 const TransportOptions& options) {
  absl::StatusOr<ScsiAddress> address = ParseScsiAddress(text);
  if (!address.ok()) return address.status();
  switch (address->kind) {
    case ScsiAddressKind::kIscsi:
#if defined(HWSNAP_HAVE_LIBISCSI)
      return OpenLibiscsiTransport(address->iscsi, options);
#else
      return Missing(*address, "this binary was built without libiscsi (iSCSI transport)");
#endif
    case ScsiAddressKind::kLinuxDevice:
#if defined(HWSNAP_HAVE_SG_IO)
      return OpenSgIoTransport(address->device_path);
#else
      return Missing(*address, "the SG_IO transport for /dev devices exists only in Linux builds");
#endif
    case ScsiAddressKind::kWindowsPhysicalDrive:
#if defined(HWSNAP_HAVE_SPTI)
      return OpenSptiTransport(address->device_path);
#else
      return Missing(*address,
                     "SCSI pass-through to PhysicalDrive devices exists only in Windows builds");
#endif
    default:
      return InvalidArgumentError("unknown SCSI address kind");
  }
}

}  // namespace hwsnap::scsi
