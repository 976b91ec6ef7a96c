// XcopyArrayControl (see hwsnap/scsi/xcopy_array_control.h): snapshot LUNs
// made by SCSI EXTENDED COPY (LID1) into a pool of pre-provisioned LUNs.
//
// Layout of this file: the pure parts first (RECEIVE COPY OPERATING
// PARAMETERS decoding, the copy plan), then the command helper shared by
// prepare and commit (one UNIT ATTENTION retry policy, one classification
// through CheckScsiResult), then the strategy itself.
#include "hwsnap/scsi/xcopy_array_control.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "hwsnap/scsi/cdb.h"
#include "hwsnap/scsi/lun_reader.h"
#include "hwsnap/scsi/sense.h"
#include "hwsnap/scsi/vpd.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi {
namespace {

constexpr std::size_t kCscdDescriptorLength = 32;
constexpr std::size_t kSegmentDescriptorLength = 28;
constexpr std::uint32_t kMaxBlocksPerSegment = 0xFFFF;  // NUMBER OF BLOCKS is 16 bits
constexpr std::uint32_t kOperatingParametersLength = 1024;
constexpr std::uint8_t kVpdThirdPartyCopyPage = 0x8F;
constexpr int kUnitAttentionRetries = 2;

std::uint16_t Be16(absl::Span<const std::uint8_t> b, std::size_t o) {
  return static_cast<std::uint16_t>((b[o] << 8) | b[o + 1]);
}
std::uint32_t Be32(absl::Span<const std::uint8_t> b, std::size_t o) {
  return (static_cast<std::uint32_t>(b[o]) << 24) | (static_cast<std::uint32_t>(b[o + 1]) << 16) |
         (static_cast<std::uint32_t>(b[o + 2]) << 8) | b[o + 3];
}

// The association-0 NAA designator EXTENDED COPY names a LUN by: 16-byte
// (NAA 6, the only kind LIO accepts) preferred over 8-byte.
const Designator* CopyDesignator(const LunIdentity& identity) {
  const Designator* eight = nullptr;
  for (const Designator& d : identity.designators) {
    if (d.association != Association::kLogicalUnit || d.type != DesignatorType::kNaa) continue;
    if (d.bytes.size() == 16) return &d;
    if (d.bytes.size() == 8 && eight == nullptr) eight = &d;
  }
  return eight;
}

std::string Bytes(std::uint64_t n) { return absl::StrCat(n, " bytes"); }

// Why `source` itself rules this strategy out (the pool aside), or empty.
std::string SourceProblem(const ScsiLunInfo& source) {
  if (!source.extended_copy_lid1) {
    return "the LUN does not offer SCSI EXTENDED COPY (LID1): its INQUIRY data lacks the 3PC bit or its copy "
           "manager does not list the command";
  }
  if (CopyDesignator(source.identity) == nullptr) {
    return "the LUN has no NAA designator (VPD 0x83, association 0), which EXTENDED COPY needs to name it";
  }
  if (source.block_count == 0 || source.block_length == 0) {
    return "the LUN's capacity is unknown (READ CAPACITY returned no blocks)";
  }
  return "";
}

// Why pool LUN `candidate` cannot hold a copy of `source`, or empty.
std::string FitProblem(const ScsiLunInfo& source, const ScsiLunInfo& candidate) {
  if (candidate.identity.SameLunAs(source.identity)) return "it is the source LUN itself";
  if (CopyDesignator(candidate.identity) == nullptr) return "it has no NAA designator";
  if (candidate.block_length != source.block_length) {
    return absl::StrCat("its block length is ", candidate.block_length, " bytes, the source's ",
                        source.block_length);
  }
  if (candidate.block_count < source.block_count) {
    return absl::StrCat("it holds ", Bytes(candidate.capacity_bytes()), ", the source ",
                        Bytes(source.capacity_bytes()));
  }
  return "";
}

bool IsUnitAttention(const ScsiResult& result) {
  if (result.status != kStatusCheckCondition) return false;
  absl::StatusOr<SenseData> sense = ParseSense(result.sense);
  return sense.ok() && sense->sense_key == SenseKey::kUnitAttention;
}

// Runs `command`, retrying after UNIT ATTENTION (the command did not run),
// and classifies the outcome. The data-in bytes on success.
absl::StatusOr<std::vector<std::uint8_t>> Run(ScsiTransport& transport, const ScsiCommand& command,
                                              absl::string_view what) {
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<ScsiResult> result = transport.Execute(command);
    if (!result.ok()) return Annotate(result.status(), absl::StrCat(transport.Address(), ": ", what));
    if (IsUnitAttention(*result) && attempt < kUnitAttentionRetries) continue;
    if (absl::Status s = CheckScsiResult(*result, what); !s.ok()) {
      return Annotate(s, transport.Address());
    }
    return std::move(result->data_in);
  }
}

// The copy manager's limits: RECEIVE COPY OPERATING PARAMETERS (what LID1
// copy managers such as LIO implement), else VPD 0x8F's parameter data,
// else nothing known (the plan then uses one segment per command).
absl::StatusOr<CopyManagerLimits> ReadLimits(ScsiTransport& transport, const ScsiLunInfo& source,
                                             absl::Duration timeout) {
  ScsiCommand rcop;
  rcop.cdb = BuildReceiveCopyResults(kSaOperatingParameters, 0, kOperatingParametersLength);
  rcop.direction = DataDirection::kFromDevice;
  rcop.data_in_length = kOperatingParametersLength;
  rcop.timeout = timeout;
  absl::StatusOr<std::vector<std::uint8_t>> data = Run(transport, rcop, "RECEIVE COPY OPERATING PARAMETERS");
  if (data.ok()) return ParseCopyOperatingParameters(*data);
  if (GetErrorCode(data.status()) != ErrorCode::kNotSupported) return data.status();

  CopyManagerLimits limits;
  if (std::find(source.vpd_pages.begin(), source.vpd_pages.end(), kVpdThirdPartyCopyPage) ==
      source.vpd_pages.end()) {
    return limits;
  }
  ScsiCommand vpd;
  vpd.cdb = BuildInquiryVpd(kVpdThirdPartyCopyPage, 4096);
  vpd.direction = DataDirection::kFromDevice;
  vpd.data_in_length = 4096;
  vpd.timeout = timeout;
  data = Run(transport, vpd, "INQUIRY VPD 0x8f");
  if (!data.ok()) return data.status();
  absl::StatusOr<ThirdPartyCopyPage> page = ParseVpdThirdPartyCopy(*data);
  if (!page.ok()) return page.status();
  limits.max_cscd_descriptor_count = page->max_cscd_descriptor_count.value_or(0);
  limits.max_segment_descriptor_count = page->max_segment_descriptor_count.value_or(0);
  limits.max_descriptor_list_length = page->max_descriptor_list_length.value_or(0);
  return limits;
}

}  // namespace

absl::StatusOr<CopyManagerLimits> ParseCopyOperatingParameters(absl::Span<const std::uint8_t> data) {
  constexpr std::size_t kNeeded = 20;  // through MAXIMUM SEGMENT LENGTH
  if (data.size() < kNeeded) {
    return BackendFailureError(absl::StrFormat(
        "RECEIVE COPY OPERATING PARAMETERS: %d bytes, need at least %d", data.size(), kNeeded));
  }
  const std::uint32_t available = Be32(data, 0);
  if (available < kNeeded - 4) {
    return BackendFailureError(absl::StrFormat(
        "RECEIVE COPY OPERATING PARAMETERS: AVAILABLE DATA %u does not cover the limits (need %d)", available,
        kNeeded - 4));
  }
  CopyManagerLimits limits;
  limits.max_cscd_descriptor_count = Be16(data, 8);
  limits.max_segment_descriptor_count = Be16(data, 10);
  limits.max_descriptor_list_length = Be32(data, 12);
  limits.max_segment_length = Be32(data, 16);
  return limits;
}

absl::StatusOr<std::vector<std::vector<std::uint8_t>>> PlanExtendedCopy(const ScsiLunInfo& source,
                                                                        const ScsiLunInfo& destination,
                                                                        const CopyManagerLimits& limits,
                                                                        std::uint32_t max_blocks_per_segment) {
  const Designator* source_naa = CopyDesignator(source.identity);
  const Designator* destination_naa = CopyDesignator(destination.identity);
  if (source_naa == nullptr || destination_naa == nullptr) {
    const char* which = source_naa == nullptr ? "source" : "destination";
    return InvalidArgumentError(absl::StrCat("EXTENDED COPY plan: the ", which, " LUN has no NAA designator"));
  }
  if (source.block_count == 0 || source.block_length == 0) {
    return InvalidArgumentError("EXTENDED COPY plan: the source LUN is empty");
  }
  if (std::string fit = FitProblem(source, destination); !fit.empty()) {
    return InvalidArgumentError(absl::StrCat("EXTENDED COPY plan: the destination does not fit: ", fit));
  }
  if (limits.max_cscd_descriptor_count != 0 && limits.max_cscd_descriptor_count < 2) {
    return InvalidArgumentError(absl::StrCat("EXTENDED COPY plan: the copy manager takes ",
                                             limits.max_cscd_descriptor_count, " CSCD descriptor(s), need 2"));
  }

  std::uint64_t blocks_per_segment = kMaxBlocksPerSegment;
  if (limits.max_segment_length != 0) {
    blocks_per_segment = std::min<std::uint64_t>(blocks_per_segment, limits.max_segment_length / source.block_length);
  }
  if (max_blocks_per_segment != 0) {
    blocks_per_segment = std::min<std::uint64_t>(blocks_per_segment, max_blocks_per_segment);
  }
  if (blocks_per_segment == 0) {
    return InvalidArgumentError(absl::StrCat("EXTENDED COPY plan: maximum segment length ",
                                             limits.max_segment_length, " is below one block"));
  }
  std::uint64_t segments_per_command =
      limits.max_segment_descriptor_count == 0 ? 1 : limits.max_segment_descriptor_count;
  if (limits.max_descriptor_list_length != 0) {
    const std::uint64_t room = limits.max_descriptor_list_length < 2 * kCscdDescriptorLength
                                   ? 0
                                   : (limits.max_descriptor_list_length - 2 * kCscdDescriptorLength) /
                                         kSegmentDescriptorLength;
    segments_per_command = std::min(segments_per_command, room);
  }
  if (segments_per_command == 0) {
    return InvalidArgumentError(absl::StrCat("EXTENDED COPY plan: a descriptor list of ",
                                             limits.max_descriptor_list_length, " bytes holds no segment"));
  }

  CopyLun from;
  from.naa = source_naa->bytes;
  from.peripheral_device_type = source.identity.device_type;
  from.block_length = source.block_length;
  CopyLun to;
  to.naa = destination_naa->bytes;
  to.peripheral_device_type = destination.identity.device_type;
  to.block_length = destination.block_length;

  std::vector<std::vector<std::uint8_t>> lists;
  std::vector<CopySegment> segments;
  for (std::uint64_t lba = 0; lba < source.block_count;) {
    CopySegment segment;
    segment.source_lba = lba;
    segment.destination_lba = lba;
    segment.block_count =
        static_cast<std::uint16_t>(std::min<std::uint64_t>(blocks_per_segment, source.block_count - lba));
    lba += segment.block_count;
    segments.push_back(segment);
    if (segments.size() == segments_per_command || lba == source.block_count) {
      absl::StatusOr<std::vector<std::uint8_t>> list = BuildExtendedCopyLid1Parameters(from, to, segments);
      if (!list.ok()) return list.status();
      lists.push_back(std::move(*list));
      segments.clear();
    }
  }
  return lists;
}

// One reserved pool LUN. `source` is the transport EXTENDED COPY goes to (the
// source LUN's copy manager); only the thread working on this target uses it.
// An adopted reservation (a restart) has no source and no plan.
struct XcopyArrayControl::Reservation {
  std::string pool_lun;
  std::string source_address;
  std::unique_ptr<ScsiTransport> source;
  std::vector<std::vector<std::uint8_t>> parameter_lists;
};

XcopyArrayControl::XcopyArrayControl(XcopyArrayControlOptions options) : options_(std::move(options)) {}

XcopyArrayControl::~XcopyArrayControl() = default;

absl::StatusOr<std::unique_ptr<ScsiTransport>> XcopyArrayControl::Open(absl::string_view address) const {
  absl::StatusOr<std::unique_ptr<ScsiTransport>> transport =
      options_.open_transport ? options_.open_transport(address) : OpenScsiTransport(address);
  if (transport.ok() && *transport == nullptr) {
    return BackendFailureError(absl::StrCat("opening ", address, " returned no transport"));
  }
  return transport;
}

absl::StatusOr<ScsiLunInfo> XcopyArrayControl::PoolLunInfo(const std::string& address, bool refresh) const {
  if (!refresh) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pool_info_.find(address);
    if (it != pool_info_.end()) return it->second;
  }
  absl::StatusOr<std::unique_ptr<ScsiTransport>> transport = Open(address);
  if (!transport.ok()) return transport.status();
  absl::StatusOr<ScsiLunInfo> info = ReadLunInfo(**transport, options_.command_timeout);
  if (!info.ok()) return info.status();
  std::lock_guard<std::mutex> lock(mu_);
  pool_info_[address] = *info;
  return info;
}

bool XcopyArrayControl::InPool(const std::string& address) const {
  return std::find(options_.pool.begin(), options_.pool.end(), address) != options_.pool.end();
}

std::string XcopyArrayControl::WhyCannotSnapshot(const ScsiLunInfo& source) const {
  if (std::string problem = SourceProblem(source); !problem.empty()) return problem;
  std::vector<std::string> reasons;
  for (const std::string& address : options_.pool) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (reserved_.count(address) != 0) {
        reasons.push_back(absl::StrCat(address, ": reserved"));
        continue;
      }
    }
    absl::StatusOr<ScsiLunInfo> candidate = PoolLunInfo(address, /*refresh=*/false);
    if (!candidate.ok()) {
      reasons.push_back(absl::StrCat(address, ": unreadable (", candidate.status().message(), ")"));
      continue;
    }
    std::string fit = FitProblem(source, *candidate);
    if (fit.empty()) return "";
    reasons.push_back(absl::StrCat(address, ": ", fit));
  }
  if (options_.pool.empty()) return "the EXTENDED COPY pool has no LUNs configured";
  return absl::StrCat("no free pool LUN can hold a copy of ", Bytes(source.capacity_bytes()), " in ",
                      source.block_length, "-byte blocks (", absl::StrJoin(reasons, "; "), ")");
}

absl::StatusOr<std::string> XcopyArrayControl::Provision(const ScsiLunInfo& source, const CancelToken& cancel) {
  if (absl::Status s = cancel.status(); !s.ok()) return s;
  if (std::string problem = SourceProblem(source); !problem.empty()) return NotSupportedError(problem);

  // The source side first: its copy manager receives the EXTENDED COPY.
  absl::StatusOr<std::unique_ptr<ScsiTransport>> source_transport = Open(source.address);
  if (!source_transport.ok()) return Annotate(source_transport.status(), "opening the source LUN");
  absl::StatusOr<CopyManagerLimits> limits = ReadLimits(**source_transport, source, options_.command_timeout);
  if (!limits.ok()) return Annotate(limits.status(), "reading the copy manager's limits");

  std::vector<std::string> reasons;
  for (const std::string& address : options_.pool) {
    if (absl::Status s = cancel.status(); !s.ok()) return s;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (reserved_.count(address) != 0) continue;
      reserved_[address] = nullptr;  // claimed while we look at it
    }
    auto unclaim = [&] {
      std::lock_guard<std::mutex> lock(mu_);
      reserved_.erase(address);
    };
    // A pool LUN that cannot be read or does not fit is skipped.
    absl::StatusOr<ScsiLunInfo> candidate = PoolLunInfo(address, /*refresh=*/true);
    std::string problem = candidate.ok() ? FitProblem(source, *candidate)
                                         : absl::StrCat("unreadable (", candidate.status().message(), ")");
    if (!problem.empty()) {
      unclaim();
      reasons.push_back(absl::StrCat(address, ": ", problem));
      continue;
    }
    if (absl::Status s = cancel.status(); !s.ok()) {
      unclaim();
      return s;
    }
    absl::StatusOr<std::vector<std::vector<std::uint8_t>>> lists =
        PlanExtendedCopy(source, *candidate, *limits, options_.max_blocks_per_segment);
    if (!lists.ok()) {  // the copy manager's limits rule the source out
      unclaim();
      return BackendFailureError(lists.status().message());
    }
    auto reservation = std::make_shared<Reservation>();
    reservation->pool_lun = address;
    reservation->source_address = source.address;
    reservation->source = std::move(*source_transport);
    reservation->parameter_lists = std::move(*lists);
    std::lock_guard<std::mutex> lock(mu_);
    reserved_[address] = std::move(reservation);
    return address;
  }
  if (options_.pool.empty()) return InsufficientStorageError("the EXTENDED COPY pool has no LUNs configured");
  if (reasons.empty()) {
    return InsufficientStorageError(absl::StrCat("every LUN of the EXTENDED COPY pool (", options_.pool.size(),
                                                 ") is reserved"));
  }
  return InsufficientStorageError(absl::StrCat("no free pool LUN can hold a copy of ", source.address, " (",
                                               Bytes(source.capacity_bytes()), "): ", absl::StrJoin(reasons, "; ")));
}

absl::Status XcopyArrayControl::TakePointInTime(absl::Span<const std::string> targets, absl::Time deadline) {
  std::vector<std::shared_ptr<Reservation>> group;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const std::string& target : targets) {
      auto it = reserved_.find(target);
      if (it == reserved_.end() || it->second == nullptr) {
        return ObjectNotFoundError(absl::StrCat("EXTENDED COPY pool LUN ", target, " is not provisioned"));
      }
      if (it->second->source == nullptr) {
        return BadStateError(absl::StrCat("EXTENDED COPY pool LUN ", target,
                                          " was reserved before a restart (its source is not known here); "
                                          "release it"));
      }
      group.push_back(it->second);
    }
  }
  for (const std::shared_ptr<Reservation>& r : group) {
    for (std::size_t i = 0; i < r->parameter_lists.size(); ++i) {
      const std::vector<std::uint8_t>& list = r->parameter_lists[i];
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) {
        return DeadlineExceededError(absl::StrFormat(
            "commit window closed: copy of %s to %s stopped at command %d of %d", r->source_address, r->pool_lun,
            i + 1, r->parameter_lists.size()));
      }
      ScsiCommand command;
      command.cdb = BuildExtendedCopyLid1(static_cast<std::uint32_t>(list.size()));
      command.direction = DataDirection::kToDevice;
      command.data_out = list;
      command.timeout = left;
      const std::string what =
          absl::StrFormat("EXTENDED COPY (LID1) %d/%d to %s", i + 1, r->parameter_lists.size(), r->pool_lun);
      absl::StatusOr<std::vector<std::uint8_t>> done = Run(*r->source, command, what);
      if (!done.ok()) return done.status();
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> XcopyArrayControl::TargetAddress(const std::string& target) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = reserved_.find(target);
  if (it == reserved_.end() || it->second == nullptr) {
    return ObjectNotFoundError(absl::StrCat("EXTENDED COPY pool LUN ", target, " is not reserved"));
  }
  return it->second->pool_lun;
}

absl::Status XcopyArrayControl::Expose(const std::string& target) {
  // Pool LUNs are mapped to the host when the pool is provisioned.
  std::lock_guard<std::mutex> lock(mu_);
  auto it = reserved_.find(target);
  if (it == reserved_.end() || it->second == nullptr) {
    return ObjectNotFoundError(absl::StrCat("EXTENDED COPY pool LUN ", target, " is not reserved"));
  }
  return absl::OkStatus();
}

absl::Status XcopyArrayControl::Delete(const std::string& target) {
  if (!InPool(target)) {
    return ObjectNotFoundError(absl::StrCat(target, " is not a LUN of the EXTENDED COPY pool"));
  }
  std::shared_ptr<Reservation> released;  // closes the source transport outside the lock
  std::lock_guard<std::mutex> lock(mu_);
  auto it = reserved_.find(target);
  if (it != reserved_.end() && it->second != nullptr) {
    released = std::move(it->second);
    reserved_.erase(it);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> XcopyArrayControl::ListTargets() {
  std::vector<std::string> targets;
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& address : options_.pool) {
    auto it = reserved_.find(address);
    if (it != reserved_.end() && it->second != nullptr) targets.push_back(address);
  }
  return targets;
}

absl::Status XcopyArrayControl::Adopt(const RestoredTarget& recorded) {
  const std::string& target = recorded.id;
  if (!InPool(target)) {
    return ObjectNotFoundError(absl::StrCat(target, " is not a LUN of the EXTENDED COPY pool"));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = reserved_.find(target);
    if (it != reserved_.end()) {
      if (it->second != nullptr) return absl::OkStatus();  // held already
      return BackendFailureError(absl::StrCat("EXTENDED COPY pool LUN ", target, " is being provisioned"));
    }
    reserved_[target] = nullptr;  // claimed while we look at it
  }
  auto unclaim = [&] {
    std::lock_guard<std::mutex> lock(mu_);
    reserved_.erase(target);
  };
  absl::StatusOr<ScsiLunInfo> lun = PoolLunInfo(target, /*refresh=*/true);
  if (!lun.ok()) {
    unclaim();
    return Annotate(lun.status(), absl::StrCat("adopting EXTENDED COPY pool LUN ", target));
  }
  if (recorded.identity.has_value() && !lun->identity.SameLunAs(*recorded.identity)) {
    unclaim();
    return ObjectNotFoundError(absl::StrCat("EXTENDED COPY pool LUN ", target, " is now ", lun->identity.ToString(),
                                            ", not the snapshot ", recorded.identity->ToString()));
  }
  auto reservation = std::make_shared<Reservation>();
  reservation->pool_lun = target;
  std::lock_guard<std::mutex> lock(mu_);
  reserved_[target] = std::move(reservation);
  return absl::OkStatus();
}

}  // namespace hwsnap::scsi
