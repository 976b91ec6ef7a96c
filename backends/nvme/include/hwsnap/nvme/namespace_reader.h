// hwsnap/nvme/namespace_reader.h — reads a namespace's identity the way Windows does.
//
// Sends Identify Controller (CNS 01h), Identify Namespace (CNS 00h, or 11h
// with `allocated` for a namespace not attached to this controller) and the
// Namespace Identification Descriptor list (CNS 03h; a controller that
// rejects CNS 03h with Invalid Field — NVMe < 1.3 — is read without it) over
// any NvmeTransport, each with `timeout`, and builds the identity with
// `mapping`. Errors: the transport's, or NvmeStatusToStatus of the failing
// command; kObjectNotFound for an inactive namespace (all-zero Identify);
// kBackendFailure for Identify data that does not parse (a device fault);
// kInvalidArgument for NSID 0 or FFFFFFFFh.
#ifndef HWSNAP_NVME_NAMESPACE_READER_H_
#define HWSNAP_NVME_NAMESPACE_READER_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "hwsnap/nvme/identity_mapping.h"
#include "hwsnap/nvme/namespace_info.h"
#include "hwsnap/nvme/nvme_transport.h"

namespace hwsnap::nvme {

struct ReadNamespaceOptions {
  IdentityMapping mapping;
  absl::Duration timeout = absl::Seconds(10);
  bool allocated = false;   // CNS 11h instead of 00h (the namespace may be detached)
};

absl::StatusOr<NvmeNamespaceInfo> ReadNamespaceInfo(NvmeTransport& transport, std::uint32_t nsid,
                                                    const ReadNamespaceOptions& options = {});

// The active NSIDs of the controller (CNS 02h, following the list past 1024
// entries). Errors as above.
absl::StatusOr<std::vector<std::uint32_t>> ReadActiveNamespaces(NvmeTransport& transport,
                                                                absl::Duration timeout);

}  // namespace hwsnap::nvme

#endif  // HWSNAP_NVME_NAMESPACE_READER_H_
