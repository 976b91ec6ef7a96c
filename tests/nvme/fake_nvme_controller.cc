// FakeNvmeController (see fake_nvme_controller.h). Every structure is laid
// out here from the specification's byte offsets with local helpers — none of
// hwsnap's parsers or builders — so the backend's tests cross-check them.
#include "fake_nvme_controller.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "hwsnap/status.h"

namespace hwsnap::nvme::testing {
namespace {

constexpr std::size_t kIdentifyBytes = 4096;
constexpr std::size_t kCopyRangeBytes = 32;
constexpr std::size_t kCreateDataBytes = 384;  // through NMIC and the first LBA formats
constexpr std::uint32_t kMaxListEntries = 1024;

// Admin opcodes.
constexpr std::uint8_t kIdentify = 0x06;
constexpr std::uint8_t kNsManagement = 0x0d;
constexpr std::uint8_t kNsAttachment = 0x15;
// NVM opcodes.
constexpr std::uint8_t kWrite = 0x01;
constexpr std::uint8_t kRead = 0x02;
constexpr std::uint8_t kWriteZeroes = 0x08;
constexpr std::uint8_t kCopy = 0x19;

void Put16(std::vector<std::uint8_t>& b, std::size_t o, std::uint16_t v) {
  b[o] = static_cast<std::uint8_t>(v);
  b[o + 1] = static_cast<std::uint8_t>(v >> 8);
}
void Put32(std::vector<std::uint8_t>& b, std::size_t o, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[o + i] = static_cast<std::uint8_t>(v >> (8 * i));
}
void Put64(std::vector<std::uint8_t>& b, std::size_t o, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) b[o + i] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::uint16_t Get16(const std::vector<std::uint8_t>& b, std::size_t o) {
  return static_cast<std::uint16_t>(b[o] | (b[o + 1] << 8));
}
std::uint32_t Get32(const std::vector<std::uint8_t>& b, std::size_t o) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | b[o + i];
  return v;
}
std::uint64_t Get64(const std::vector<std::uint8_t>& b, std::size_t o) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | b[o + i];
  return v;
}
// An ASCII field, space padded (SN, MN, FR).
void PutAscii(std::vector<std::uint8_t>& b, std::size_t o, std::size_t length, const std::string& text) {
  for (std::size_t i = 0; i < length; ++i) b[o + i] = i < text.size() ? static_cast<std::uint8_t>(text[i]) : ' ';
}

NvmeCompletion Status(std::uint16_t status) {
  NvmeCompletion c;
  c.status.raw = status == 0 ? 0 : static_cast<std::uint16_t>(status | kStatusDnr);
  return c;
}

NvmeCompletion Data(std::vector<std::uint8_t> bytes, std::uint32_t length) {
  NvmeCompletion c;
  bytes.resize(std::min<std::size_t>(bytes.size(), length));
  c.data_in = std::move(bytes);
  return c;
}

class FakeTransport : public NvmeTransport {
 public:
  explicit FakeTransport(std::shared_ptr<FakeNvmeController> controller) : controller_(std::move(controller)) {}
  std::string Address() const override { return controller_->options().address; }
  std::uint32_t nsid() const override { return 0; }
  absl::StatusOr<NvmeCompletion> Execute(const NvmeCommand& command) override { return controller_->Execute(command); }
  absl::Status Rescan() override {
    controller_->Rescan();
    return absl::OkStatus();
  }

 private:
  std::shared_ptr<FakeNvmeController> controller_;
};

}  // namespace

FakeNvmeController::FakeNvmeController() : FakeNvmeController(Options{}) {}
FakeNvmeController::FakeNvmeController(Options options) : options_(std::move(options)) {}

std::uint32_t FakeNvmeController::FormatBytes(std::uint8_t lba_format) { return lba_format == 1 ? 4096 : 512; }

std::uint32_t FakeNvmeController::MaxTransferBytes() const {
  return options_.mdts == 0 ? 0xffffffffu : (4096u << options_.mdts);
}

std::set<std::uint16_t> FakeNvmeController::Controllers() const {
  std::set<std::uint16_t> all(options_.other_controllers.begin(), options_.other_controllers.end());
  all.insert(options_.cntlid);
  return all;
}

FakeNvmeController::Namespace FakeNvmeController::MakeNamespace(std::uint32_t nsid,
                                                                const FakeNamespaceSpec& spec) const {
  Namespace ns;
  ns.blocks = spec.blocks;
  ns.lba_format = spec.lba_format;
  ns.eui64 = spec.eui64;
  ns.nguid = spec.nguid;
  ns.uuid = spec.uuid;
  auto zero = [](const auto& a) { return std::all_of(a.begin(), a.end(), [](std::uint8_t b) { return b == 0; }); };
  if (zero(ns.eui64)) ns.eui64 = {0x52, 0x54, 0x00, 0x10, 0x00, 0x00, static_cast<std::uint8_t>(nsid >> 8),
                                  static_cast<std::uint8_t>(nsid)};
  if (zero(ns.nguid)) {
    ns.nguid = {0x48, 0x57, 0x53, 0x4e, 0x41, 0x50, 0x00, 0x01};
    ns.nguid[12] = static_cast<std::uint8_t>(nsid >> 24);
    ns.nguid[13] = static_cast<std::uint8_t>(nsid >> 16);
    ns.nguid[14] = static_cast<std::uint8_t>(nsid >> 8);
    ns.nguid[15] = static_cast<std::uint8_t>(nsid);
  }
  if (zero(ns.uuid)) {
    ns.uuid = {0x5a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f, 0x40, 0x61, 0x82, 0x93};
    ns.uuid[14] = static_cast<std::uint8_t>(nsid >> 8);
    ns.uuid[15] = static_cast<std::uint8_t>(nsid);
  }
  ns.data.assign(ns.blocks * FormatBytes(spec.lba_format), 0);
  if (spec.attached) ns.attached.insert(options_.cntlid);
  return ns;
}

void FakeNvmeController::AddNamespace(std::uint32_t nsid, const FakeNamespaceSpec& spec) {
  std::lock_guard<std::mutex> lock(mu_);
  namespaces_[nsid] = MakeNamespace(nsid, spec);
}

bool FakeNvmeController::Exists(std::uint32_t nsid) const {
  std::lock_guard<std::mutex> lock(mu_);
  return namespaces_.count(nsid) != 0;
}

std::set<std::uint16_t> FakeNvmeController::AttachedControllers(std::uint32_t nsid) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = namespaces_.find(nsid);
  return it == namespaces_.end() ? std::set<std::uint16_t>{} : it->second.attached;
}

bool FakeNvmeController::IsAttached(std::uint32_t nsid) const {
  return AttachedControllers(nsid).count(options_.cntlid) != 0;
}

bool FakeNvmeController::SetAttached(std::uint32_t nsid, std::uint16_t cntlid, bool attached) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = namespaces_.find(nsid);
  if (it == namespaces_.end()) return false;
  if (attached) {
    it->second.attached.insert(cntlid);
  } else {
    it->second.attached.erase(cntlid);
  }
  return true;
}

std::vector<std::uint32_t> FakeNvmeController::AllocatedNamespaces() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::uint32_t> out;
  for (const auto& [nsid, ns] : namespaces_) out.push_back(nsid);
  return out;
}

std::uint32_t FakeNvmeController::BlockBytes(std::uint32_t nsid) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = namespaces_.find(nsid);
  return it == namespaces_.end() ? 0 : FormatBytes(it->second.lba_format);
}

std::vector<std::uint8_t> FakeNvmeController::ReadBlocks(std::uint32_t nsid, std::uint64_t lba,
                                                         std::uint64_t blocks) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = namespaces_.find(nsid);
  if (it == namespaces_.end()) return {};
  const std::uint64_t bs = FormatBytes(it->second.lba_format);
  const std::uint64_t begin = std::min<std::uint64_t>(lba * bs, it->second.data.size());
  const std::uint64_t end = std::min<std::uint64_t>((lba + blocks) * bs, it->second.data.size());
  return std::vector<std::uint8_t>(it->second.data.begin() + static_cast<std::ptrdiff_t>(begin),
                                   it->second.data.begin() + static_cast<std::ptrdiff_t>(end));
}

void FakeNvmeController::WriteBlocks(std::uint32_t nsid, std::uint64_t lba, const std::vector<std::uint8_t>& bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = namespaces_.find(nsid);
  if (it == namespaces_.end()) return;
  const std::uint64_t offset = lba * FormatBytes(it->second.lba_format);
  for (std::size_t i = 0; i < bytes.size() && offset + i < it->second.data.size(); ++i) {
    it->second.data[offset + i] = bytes[i];
  }
}

void FakeNvmeController::Fill(std::uint32_t nsid, std::uint8_t byte) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = namespaces_.find(nsid);
  if (it != namespaces_.end()) std::fill(it->second.data.begin(), it->second.data.end(), byte);
}

void FakeNvmeController::SetCreateSupported(bool supported) {
  std::lock_guard<std::mutex> lock(mu_);
  options_.create_supported = supported;
}

void FakeNvmeController::SetCrossNamespaceCopy(bool supported) {
  std::lock_guard<std::mutex> lock(mu_);
  options_.cross_namespace_copy = supported;
}

void FakeNvmeController::FailCommand(NvmeQueue queue, std::uint8_t opcode, int nth, std::uint16_t status) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.push_back(Fault{queue, opcode, nth, status, absl::OkStatus()});
}

void FakeNvmeController::FailTransport(NvmeQueue queue, std::uint8_t opcode, int nth, absl::Status error) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.push_back(Fault{queue, opcode, nth, 0, std::move(error)});
}

void FakeNvmeController::SetLatency(absl::Duration latency) {
  std::lock_guard<std::mutex> lock(mu_);
  latency_ = latency;
}

void FakeNvmeController::SetOpcodeLatency(NvmeQueue queue, std::uint8_t opcode, absl::Duration latency) {
  std::lock_guard<std::mutex> lock(mu_);
  opcode_latency_[{static_cast<int>(queue), opcode}] = latency;
}

std::vector<FakeCommandRecord> FakeNvmeController::CommandLog() const {
  std::lock_guard<std::mutex> lock(mu_);
  return log_;
}

void FakeNvmeController::ClearCommandLog() {
  std::lock_guard<std::mutex> lock(mu_);
  log_.clear();
}

int FakeNvmeController::CountCommands(NvmeQueue queue, std::uint8_t opcode) const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(std::count_if(log_.begin(), log_.end(), [&](const FakeCommandRecord& r) {
    return r.queue == queue && r.opcode == opcode;
  }));
}

int FakeNvmeController::RescanCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rescans_;
}

int FakeNvmeController::OpenCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return opens_;
}

std::unique_ptr<NvmeTransport> FakeNvmeController::NewTransport() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++opens_;
  }
  return std::make_unique<FakeTransport>(shared_from_this());
}

NvmeTransportOpener FakeNvmeController::Opener() {
  std::weak_ptr<FakeNvmeController> weak = weak_from_this();
  return [weak](absl::string_view address) -> absl::StatusOr<std::unique_ptr<NvmeTransport>> {
    std::shared_ptr<FakeNvmeController> self = weak.lock();
    if (self == nullptr) return BackendFailureError("fake NVMe controller: gone");
    if (address != self->options().address) {
      return BackendFailureError(absl::StrCat("fake NVMe controller: no controller at ", address));
    }
    return self->NewTransport();
  };
}

void FakeNvmeController::Rescan() {
  std::lock_guard<std::mutex> lock(mu_);
  ++rescans_;
}

absl::StatusOr<NvmeCompletion> FakeNvmeController::Execute(const NvmeCommand& command) {
  // What every transport checks before sending.
  if (command.timeout <= absl::ZeroDuration()) return InvalidArgumentError("fake NVMe: timeout must be positive");
  switch (command.direction) {
    case NvmeDataDirection::kNone:
      if (!command.data_out.empty() || command.data_in_length != 0) {
        return InvalidArgumentError("fake NVMe: data with direction none");
      }
      break;
    case NvmeDataDirection::kFromDevice:
      if (command.data_in_length == 0 || !command.data_out.empty()) {
        return InvalidArgumentError("fake NVMe: from-device without a length, or with data out");
      }
      break;
    case NvmeDataDirection::kToDevice:
      if (command.data_out.empty() || command.data_in_length != 0) {
        return InvalidArgumentError("fake NVMe: to-device without data, or with a length");
      }
      break;
  }
  if (command.queue == NvmeQueue::kIo && command.nsid == 0) return InvalidArgumentError("fake NVMe: I/O to NSID 0");

  absl::Duration latency;
  {
    std::lock_guard<std::mutex> lock(mu_);
    latency = latency_;
    auto it = opcode_latency_.find({static_cast<int>(command.queue), command.opcode});
    if (it != opcode_latency_.end()) latency = std::max(latency, it->second);
  }
  if (latency > command.timeout) {
    absl::SleepFor(command.timeout);
    std::lock_guard<std::mutex> lock(mu_);
    FakeCommandRecord record{command.queue, command.opcode, command.nsid, command.cdw10, command.cdw11,
                             command.cdw12, command.data_out.size(), command.data_in_length, 0, true};
    log_.push_back(record);
    return DeadlineExceededError("fake NVMe: command timed out");
  }
  if (latency > absl::ZeroDuration()) absl::SleepFor(latency);

  std::lock_guard<std::mutex> lock(mu_);
  FakeCommandRecord record{command.queue, command.opcode, command.nsid, command.cdw10, command.cdw11,
                           command.cdw12, command.data_out.size(), command.data_in_length, 0, false};
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (it->queue != command.queue || it->opcode != command.opcode) continue;
    if (--it->remaining > 0) continue;
    Fault fault = *it;
    faults_.erase(it);
    if (!fault.error.ok()) {
      record.transport_error = true;
      log_.push_back(record);
      return fault.error;
    }
    NvmeCompletion c = Status(fault.status);
    record.status = c.status.raw;
    log_.push_back(record);
    return c;
  }
  NvmeCompletion c = Run(command);
  record.status = c.status.raw;
  log_.push_back(record);
  return c;
}

NvmeCompletion FakeNvmeController::Run(const NvmeCommand& command) {
  if (command.queue == NvmeQueue::kAdmin) {
    switch (command.opcode) {
      case kIdentify: return Identify(command);
      case kNsManagement: return NamespaceManagement(command);
      case kNsAttachment: return NamespaceAttachment(command);
      default: return Status(kStatusInvalidOpcode);
    }
  }
  switch (command.opcode) {
    case kRead:
    case kWrite:
    case kWriteZeroes: return ReadWrite(command);
    case kCopy: return Copy(command);
    default: return Status(kStatusInvalidOpcode);
  }
}

// Identify Controller (CNS 01h), NVMe Base 2.0 figure 275.
std::vector<std::uint8_t> FakeNvmeController::IdentifyControllerData() const {
  std::vector<std::uint8_t> b(kIdentifyBytes, 0);
  Put16(b, 0, options_.vid);
  Put16(b, 2, options_.ssvid);
  PutAscii(b, 4, 20, options_.serial);
  PutAscii(b, 24, 40, options_.model);
  PutAscii(b, 64, 8, options_.firmware);
  b[72] = 6;  // RAB
  b[73] = options_.ieee[0];
  b[74] = options_.ieee[1];
  b[75] = options_.ieee[2];
  b[76] = options_.other_controllers.empty() ? 0 : 0x02;  // CMIC: two or more controllers
  b[77] = options_.mdts;
  Put16(b, 78, options_.cntlid);
  Put32(b, 80, 0x00010400);  // VER 1.4
  Put16(b, 256, static_cast<std::uint16_t>(options_.namespace_management ? 1u << 3 : 0));  // OACS
  Put32(b, 516, options_.nn);                                                             // NN
  std::uint16_t oncs = 0;
  if (options_.write_zeroes) oncs |= 1u << 3;
  if (options_.copy) oncs |= 1u << 8;
  Put16(b, 520, oncs);  // ONCS
  std::uint16_t ocfs = 0;
  if (options_.copy) ocfs |= 1u << 0;
  if (options_.copy && options_.cross_namespace_copy) ocfs |= 1u << 2;
  Put16(b, 534, ocfs);          // OCFS
  Put32(b, 540, options_.nn);   // MNAN
  for (std::size_t i = 0; i < options_.subnqn.size() && i < 255; ++i) {
    b[768 + i] = static_cast<std::uint8_t>(options_.subnqn[i]);
  }
  return b;
}

// Identify Namespace (CNS 00h/11h), NVM Command Set 1.0 figure 97.
std::vector<std::uint8_t> FakeNvmeController::IdentifyNamespaceData(const Namespace& ns) const {
  std::vector<std::uint8_t> b(kIdentifyBytes, 0);
  Put64(b, 0, ns.blocks);   // NSZE
  Put64(b, 8, ns.blocks);   // NCAP
  Put64(b, 16, ns.blocks);  // NUSE
  b[24] = 0;                // NSFEAT
  b[25] = 1;                // NLBAF: two formats (0-based)
  b[26] = ns.lba_format;    // FLBAS
  b[30] = options_.other_controllers.empty() ? 0 : 1;  // NMIC: may be attached to several controllers
  Put16(b, 74, options_.mssrl);  // MSSRL
  Put32(b, 76, options_.mcl);    // MCL
  b[80] = options_.msrc;         // MSRC
  std::copy(ns.nguid.begin(), ns.nguid.end(), b.begin() + 104);
  std::copy(ns.eui64.begin(), ns.eui64.end(), b.begin() + 120);
  // LBAF0: 512-byte blocks, no metadata, RP 0 (best); LBAF1: 4096 bytes, RP 1.
  Put16(b, 128, 0);
  b[130] = 9;
  b[131] = 0;
  Put16(b, 132, 0);
  b[134] = 12;
  b[135] = 1;
  return b;
}

NvmeCompletion FakeNvmeController::Identify(const NvmeCommand& command) {
  if (command.direction != NvmeDataDirection::kFromDevice || command.data_in_length < kIdentifyBytes) {
    return Status(kStatusInvalidField);
  }
  const std::uint8_t cns = static_cast<std::uint8_t>(command.cdw10 & 0xff);
  const std::uint16_t cntid = static_cast<std::uint16_t>(command.cdw10 >> 16);
  const std::uint32_t nsid = command.nsid;
  const bool valid_nsid = nsid != 0 && nsid <= options_.nn;
  auto ns_it = namespaces_.find(nsid);
  const bool allocated = ns_it != namespaces_.end();
  const bool active = allocated && ns_it->second.attached.count(options_.cntlid) != 0;
  std::vector<std::uint8_t> b(kIdentifyBytes, 0);
  switch (cns) {
    case 0x01:
      return Data(IdentifyControllerData(), command.data_in_length);
    case 0x00:
    case 0x11:
      if (!valid_nsid) return Status(kStatusInvalidNamespace);
      if (cns == 0x00 ? active : allocated) b = IdentifyNamespaceData(ns_it->second);
      return Data(std::move(b), command.data_in_length);
    case 0x02:
    case 0x10: {
      if (nsid >= 0xfffffffe) return Status(kStatusInvalidNamespace);
      std::uint32_t n = 0;
      for (const auto& [id, ns] : namespaces_) {
        if (id <= nsid) continue;
        if (cns == 0x02 && ns.attached.count(options_.cntlid) == 0) continue;
        if (n == kMaxListEntries) break;
        Put32(b, 4 * n++, id);
      }
      return Data(std::move(b), command.data_in_length);
    }
    case 0x03: {
      if (!options_.descriptor_list) return Status(kStatusInvalidField);
      if (!valid_nsid || !active) return Status(kStatusInvalidNamespace);
      const Namespace& ns = ns_it->second;
      std::size_t o = 0;
      auto put = [&](std::uint8_t type, const std::uint8_t* id, std::uint8_t length) {
        b[o] = type;        // NIDT
        b[o + 1] = length;  // NIDL
        std::copy(id, id + length, b.begin() + static_cast<std::ptrdiff_t>(o + 4));
        o += 4 + length;
      };
      put(1, ns.eui64.data(), 8);
      put(2, ns.nguid.data(), 16);
      put(3, ns.uuid.data(), 16);
      const std::uint8_t csi = 0;  // NVM command set
      put(4, &csi, 1);
      return Data(std::move(b), command.data_in_length);
    }
    case 0x12:
    case 0x13: {
      std::set<std::uint16_t> ids;
      if (cns == 0x12) {
        if (!valid_nsid) return Status(kStatusInvalidNamespace);
        if (allocated) ids = ns_it->second.attached;
      } else {
        ids = Controllers();
      }
      std::uint16_t n = 0;
      for (std::uint16_t id : ids) {
        if (id < cntid) continue;
        Put16(b, 2 + 2 * std::size_t{n}, id);
        ++n;
      }
      Put16(b, 0, n);
      return Data(std::move(b), command.data_in_length);
    }
    default:
      return Status(kStatusInvalidField);
  }
}

NvmeCompletion FakeNvmeController::NamespaceManagement(const NvmeCommand& command) {
  const std::uint32_t sel = command.cdw10 & 0xf;
  if (!options_.namespace_management) return Status(kStatusInvalidOpcode);
  if (sel == 0) {  // create
    if (!options_.create_supported) return Status(kStatusInvalidOpcode);
    if (command.direction != NvmeDataDirection::kToDevice || command.data_out.size() < kCreateDataBytes) {
      return Status(kStatusInvalidField);
    }
    const std::uint64_t nsze = Get64(command.data_out, 0);
    const std::uint64_t ncap = Get64(command.data_out, 8);
    const std::uint8_t format = command.data_out[26] & 0x0f;
    if (nsze == 0 || ncap != nsze || format > 1) return Status(kStatusInvalidField);
    if (options_.capacity_blocks != 0) {
      std::uint64_t used = 0;
      for (const auto& [id, ns] : namespaces_) used += ns.data.size() / 512;
      if (used + nsze * FormatBytes(format) / 512 > options_.capacity_blocks) {
        return Status(kStatusInsufficientCapacity);
      }
    }
    std::uint32_t nsid = 1;
    while (nsid <= options_.nn && namespaces_.count(nsid) != 0) ++nsid;
    if (nsid > options_.nn) return Status(kStatusNsidUnavailable);
    // A created namespace gets identifiers never used before (EUI-64 and
    // NGUID are unique for the subsystem's life), even on a reused NSID.
    const std::uint32_t generation = ++creations_;
    FakeNamespaceSpec spec;
    spec.blocks = nsze;
    spec.lba_format = format;
    spec.attached = false;
    spec.eui64 = {0x52, 0x54, 0x00, 0x20, static_cast<std::uint8_t>(generation >> 16),
                  static_cast<std::uint8_t>(generation >> 8), static_cast<std::uint8_t>(generation),
                  static_cast<std::uint8_t>(nsid)};
    spec.nguid = {0x48, 0x57, 0x53, 0x4e, 0x41, 0x50, 0x00, 0x02};
    spec.nguid[8] = static_cast<std::uint8_t>(generation >> 24);
    spec.nguid[9] = static_cast<std::uint8_t>(generation >> 16);
    spec.nguid[10] = static_cast<std::uint8_t>(generation >> 8);
    spec.nguid[11] = static_cast<std::uint8_t>(generation);
    spec.nguid[15] = static_cast<std::uint8_t>(nsid);
    spec.uuid = {0x5a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f, 0x40, 0x62, 0x82, 0x93};
    spec.uuid[12] = static_cast<std::uint8_t>(generation >> 8);
    spec.uuid[13] = static_cast<std::uint8_t>(generation);
    spec.uuid[15] = static_cast<std::uint8_t>(nsid);
    namespaces_[nsid] = MakeNamespace(nsid, spec);
    NvmeCompletion c;
    c.result = nsid;
    return c;
  }
  if (sel == 1) {  // delete
    if (command.nsid == 0xffffffffu) {
      namespaces_.clear();
      return Status(0);
    }
    if (namespaces_.erase(command.nsid) == 0) return Status(kStatusInvalidNamespace);
    return Status(0);
  }
  return Status(kStatusInvalidField);
}

NvmeCompletion FakeNvmeController::NamespaceAttachment(const NvmeCommand& command) {
  const std::uint32_t sel = command.cdw10 & 0xf;
  if (sel > 1) return Status(kStatusInvalidField);
  auto it = namespaces_.find(command.nsid);
  if (it == namespaces_.end()) return Status(kStatusInvalidNamespace);
  if (command.direction != NvmeDataDirection::kToDevice || command.data_out.size() < 2) {
    return Status(kStatusInvalidField);
  }
  const std::uint16_t count = Get16(command.data_out, 0);
  if (count == 0 || command.data_out.size() < 2 + 2 * std::size_t{count}) return Status(kStatusControllerListInvalid);
  const std::set<std::uint16_t> known = Controllers();
  std::set<std::uint16_t> listed;
  for (std::uint16_t i = 0; i < count; ++i) {
    const std::uint16_t id = Get16(command.data_out, 2 + 2 * std::size_t{i});
    if (known.count(id) == 0) return Status(kStatusControllerListInvalid);
    listed.insert(id);
  }
  Namespace& ns = it->second;
  for (std::uint16_t id : listed) {
    const bool attached = ns.attached.count(id) != 0;
    if (sel == 0 && attached) return Status(kStatusAlreadyAttached);
    if (sel == 1 && !attached) return Status(kStatusNotAttached);
  }
  for (std::uint16_t id : listed) {
    if (sel == 0) {
      ns.attached.insert(id);
    } else {
      ns.attached.erase(id);
    }
  }
  return Status(0);
}

NvmeCompletion FakeNvmeController::ReadWrite(const NvmeCommand& command) {
  if (command.opcode == kWriteZeroes && !options_.write_zeroes) return Status(kStatusInvalidOpcode);
  auto it = namespaces_.find(command.nsid);
  if (it == namespaces_.end() || it->second.attached.count(options_.cntlid) == 0) {
    return Status(kStatusInvalidNamespace);
  }
  Namespace& ns = it->second;
  const std::uint64_t slba = (std::uint64_t{command.cdw11} << 32) | command.cdw10;
  const std::uint64_t nlb = (command.cdw12 & 0xffff) + 1;
  if (slba > ns.blocks || nlb > ns.blocks - slba) return Status(kStatusLbaOutOfRange);
  const std::uint64_t bs = FormatBytes(ns.lba_format);
  const std::uint64_t bytes = nlb * bs;
  const auto offset = static_cast<std::ptrdiff_t>(slba * bs);
  switch (command.opcode) {
    case kRead: {
      if (command.direction != NvmeDataDirection::kFromDevice || command.data_in_length < bytes ||
          bytes > MaxTransferBytes()) {
        return Status(kStatusInvalidField);
      }
      NvmeCompletion c;
      c.data_in.assign(ns.data.begin() + offset, ns.data.begin() + offset + static_cast<std::ptrdiff_t>(bytes));
      return c;
    }
    case kWrite:
      if (command.direction != NvmeDataDirection::kToDevice || command.data_out.size() != bytes ||
          bytes > MaxTransferBytes()) {
        return Status(kStatusInvalidField);
      }
      std::copy(command.data_out.begin(), command.data_out.end(), ns.data.begin() + offset);
      return Status(0);
    default:  // Write Zeroes
      if (command.direction != NvmeDataDirection::kNone) return Status(kStatusInvalidField);
      std::fill(ns.data.begin() + offset, ns.data.begin() + offset + static_cast<std::ptrdiff_t>(bytes), 0);
      return Status(0);
  }
}

NvmeCompletion FakeNvmeController::Copy(const NvmeCommand& command) {
  if (!options_.copy) return Status(kStatusInvalidOpcode);
  auto it = namespaces_.find(command.nsid);
  if (it == namespaces_.end() || it->second.attached.count(options_.cntlid) == 0) {
    return Status(kStatusInvalidNamespace);
  }
  const std::uint32_t format = (command.cdw12 >> 8) & 0xf;
  const std::uint32_t ranges = (command.cdw12 & 0xff) + 1;
  if (format != 0 && !(format == 2 && options_.cross_namespace_copy)) return Status(kStatusInvalidField);
  if (command.direction != NvmeDataDirection::kToDevice || command.data_out.size() < ranges * kCopyRangeBytes) {
    return Status(kStatusInvalidField);
  }
  if (ranges > std::uint32_t{options_.msrc} + 1) return Status(kStatusInvalidField);
  Namespace& destination = it->second;
  const std::uint64_t bs = FormatBytes(destination.lba_format);
  const std::uint64_t sdlba = (std::uint64_t{command.cdw11} << 32) | command.cdw10;
  std::vector<std::uint8_t> copied;
  std::uint64_t total = 0;
  for (std::uint32_t r = 0; r < ranges; ++r) {
    const std::size_t o = r * kCopyRangeBytes;
    // Format 0h: bytes 07:00 reserved; format 2h: 03:00 SNSID, 07:04 reserved.
    const std::uint32_t snsid = format == 2 ? Get32(command.data_out, o) : command.nsid;
    const std::uint64_t slba = Get64(command.data_out, o + 8);
    const std::uint64_t nlb = std::uint64_t{Get16(command.data_out, o + 16)} + 1;
    auto src = namespaces_.find(snsid);
    if (src == namespaces_.end() || src->second.attached.count(options_.cntlid) == 0) {
      return Status(kStatusInvalidNamespace);
    }
    if (FormatBytes(src->second.lba_format) != bs) return Status(kStatusInvalidField);
    if (nlb > options_.mssrl) return Status(kStatusInvalidField);
    if (slba > src->second.blocks || nlb > src->second.blocks - slba) return Status(kStatusLbaOutOfRange);
    total += nlb;
    const auto begin = src->second.data.begin() + static_cast<std::ptrdiff_t>(slba * bs);
    copied.insert(copied.end(), begin, begin + static_cast<std::ptrdiff_t>(nlb * bs));
  }
  if (total > options_.mcl) return Status(kStatusInvalidField);
  if (sdlba > destination.blocks || total > destination.blocks - sdlba) return Status(kStatusLbaOutOfRange);
  std::copy(copied.begin(), copied.end(), destination.data.begin() + static_cast<std::ptrdiff_t>(sdlba * bs));
  return Status(0);
}

}  // namespace hwsnap::nvme::testing
