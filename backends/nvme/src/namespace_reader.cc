// ReadNamespaceInfo and ReadActiveNamespaces (see hwsnap/nvme/namespace_reader.h):
// the Identify sequence that describes one namespace, decoded by the parsers
// of this directory, over any NvmeTransport.
//
// Order: Identify Controller (CNS 01h), Identify Namespace (CNS 00h, or 11h
// for an allocated namespace), then the Namespace Identification Descriptor
// list (CNS 03h). CNS 03h exists since NVMe 1.3: a controller that answers it
// with Invalid Field in Command is read without descriptors (ids then come
// from Identify Namespace). For an allocated namespace that is not attached
// to this controller, CNS 03h (defined for active NSIDs) may also answer
// Invalid Namespace or Format; that too is read without descriptors.
// Identify data that does not parse is a device fault: kBackendFailure.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "hwsnap/nvme/identify.h"
#include "hwsnap/nvme/namespace_reader.h"
#include "hwsnap/nvme/nvme_commands.h"
#include "hwsnap/nvme/nvme_status.h"
#include "hwsnap/status.h"

namespace hwsnap::nvme {
namespace {

constexpr std::uint32_t kBroadcastNsid = 0xffffffff;
constexpr std::size_t kNamespaceListEntries = 1024;
// 4096 pages of 1024 NSIDs cover every NSID a controller can report
// (NN is at most FFFFFFFEh); more means the device loops.
constexpr int kMaxNamespaceListPages = 4096;

absl::StatusOr<std::vector<std::uint8_t>> IdentifyData(NvmeTransport& transport, std::uint8_t cns,
                                                       std::uint32_t nsid, absl::Duration timeout) {
  NvmeCommand command = BuildIdentify(cns, nsid);
  command.timeout = timeout;
  const std::string context = absl::StrCat(DescribeNvmeCommand(command), " on ", transport.Address());
  absl::StatusOr<NvmeCompletion> completion = CheckNvmeCompletion(transport.Execute(command), context);
  if (!completion.ok()) return completion.status();
  return std::move(completion->data_in);
}

// A parser's refusal of device data, as the device fault it is.
absl::Status Malformed(const absl::Status& parse_error, NvmeTransport& transport) {
  return BackendFailureError(
      absl::StrCat("malformed Identify data from ", transport.Address(), ": ", parse_error.message()));
}

}  // namespace

absl::StatusOr<NvmeNamespaceInfo> ReadNamespaceInfo(NvmeTransport& transport, std::uint32_t nsid,
                                                    const ReadNamespaceOptions& options) {
  if (nsid == 0 || nsid == kBroadcastNsid) {
    return InvalidArgumentError(absl::StrCat("ReadNamespaceInfo: NSID ", nsid, " does not name one namespace"));
  }
  NvmeNamespaceInfo info;
  info.address = transport.Address();
  info.nsid = nsid;

  absl::StatusOr<std::vector<std::uint8_t>> controller_data =
      IdentifyData(transport, kCnsController, 0, options.timeout);
  if (!controller_data.ok()) return controller_data.status();
  absl::StatusOr<IdentifyController> controller = ParseIdentifyController(*controller_data);
  if (!controller.ok()) return Malformed(controller.status(), transport);
  info.controller = std::move(*controller);

  const std::uint8_t ns_cns = options.allocated ? kCnsAllocatedNamespace : kCnsNamespace;
  absl::StatusOr<std::vector<std::uint8_t>> ns_data = IdentifyData(transport, ns_cns, nsid, options.timeout);
  if (!ns_data.ok()) return ns_data.status();
  absl::StatusOr<IdentifyNamespace> ns = ParseIdentifyNamespace(*ns_data);
  if (!ns.ok()) return Malformed(ns.status(), transport);
  if (!ns->active()) {
    return ObjectNotFoundError(absl::StrCat("namespace ", nsid, " on ", transport.Address(), " is not ",
                                            options.allocated ? "allocated" : "active", " (Identify returned zeros)"));
  }
  info.ns = std::move(*ns);

  NvmeCommand descriptors_command = BuildIdentify(kCnsNamespaceIdDescriptors, nsid);
  descriptors_command.timeout = options.timeout;
  absl::StatusOr<NvmeCompletion> descriptors = transport.Execute(descriptors_command);
  if (!descriptors.ok()) return descriptors.status();
  const NvmeStatusField status = descriptors->status;
  const bool unsupported = status.sct() == 0 && status.sc() == 0x02;               // Invalid Field in Command
  const bool not_active_here = options.allocated && status.sct() == 0 && status.sc() == 0x0b;  // Invalid NS
  if (!status.ok() && !unsupported && !not_active_here) {
    return NvmeStatusToStatus(
        status, absl::StrCat(DescribeNvmeCommand(descriptors_command), " on ", transport.Address()));
  }
  if (status.ok()) {
    absl::StatusOr<std::vector<NamespaceIdDescriptor>> list = ParseNamespaceIdDescriptors(descriptors->data_in);
    if (!list.ok()) return Malformed(list.status(), transport);
    info.descriptors = std::move(*list);
  }

  info.identity = BuildNamespaceIdentity(info.controller, info.ns, info.descriptors, options.mapping);
  return info;
}

absl::StatusOr<std::vector<std::uint32_t>> ReadActiveNamespaces(NvmeTransport& transport,
                                                                absl::Duration timeout) {
  std::vector<std::uint32_t> all;
  for (int page = 0; page < kMaxNamespaceListPages; ++page) {
    // CNS 02h lists active NSIDs greater than the NSID field.
    const std::uint32_t after = all.empty() ? 0 : all.back();
    absl::StatusOr<std::vector<std::uint8_t>> data =
        IdentifyData(transport, kCnsActiveNamespaceList, after, timeout);
    if (!data.ok()) return data.status();
    absl::StatusOr<std::vector<std::uint32_t>> list = ParseNamespaceList(*data);
    if (!list.ok()) return Malformed(list.status(), transport);
    if (!list->empty() && list->front() <= after) {
      return BackendFailureError(absl::StrCat("malformed Identify data from ", transport.Address(),
                                              ": active namespace list after NSID ", after, " starts at NSID ",
                                              list->front()));
    }
    all.insert(all.end(), list->begin(), list->end());
    if (list->size() < kNamespaceListEntries || all.back() >= kBroadcastNsid - 1) return all;
  }
  return BackendFailureError(absl::StrCat("active namespace list of ", transport.Address(), " did not end after ",
                                          kMaxNamespaceListPages, " pages"));
}

}  // namespace hwsnap::nvme
