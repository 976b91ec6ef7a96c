// hwsnap/nvme/namespace_info.h — what the NVMe backend knows about one namespace.
//
// Read from the controller (Identify Controller, Identify Namespace, the
// Namespace Identification Descriptor list) by ReadNamespaceInfo
// (hwsnap/nvme/namespace_reader.h); shared by the backend and its strategy,
// for sources and snapshot targets alike.
#ifndef HWSNAP_NVME_NAMESPACE_INFO_H_
#define HWSNAP_NVME_NAMESPACE_INFO_H_

#include <cstdint>
#include <string>
#include <vector>

#include "hwsnap/lun_identity.h"
#include "hwsnap/nvme/identify.h"

namespace hwsnap::nvme {

struct NvmeNamespaceInfo {
  std::string address;                          // transport address it was read through
  std::uint32_t nsid = 0;
  IdentifyController controller;
  IdentifyNamespace ns;
  std::vector<NamespaceIdDescriptor> descriptors;
  LunIdentity identity;                         // BuildNamespaceIdentity(...)

  std::uint64_t block_count() const { return ns.nsze; }
  std::uint32_t block_bytes() const { return ns.block_bytes(); }
  std::uint64_t capacity_bytes() const { return ns.nsze * ns.block_bytes(); }
};

}  // namespace hwsnap::nvme

#endif  // HWSNAP_NVME_NAMESPACE_INFO_H_
