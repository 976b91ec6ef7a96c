// fake_nvme_controller.h — an in-memory NVMe subsystem for the NVMe backend's tests.
//
// FakeNvmeController is one NVM subsystem with one or more controllers (the
// one the transports speak as, `Options::cntlid`, plus `other_controllers`)
// and namespaces held as bytes. It answers the commands the backend sends the
// way the NVMe Base Specification 2.0 / NVM Command Set 1.0 lay them out, and
// builds every Identify structure byte by byte from the specification's
// offsets — not through hwsnap's parsers or builders — so tests over it
// cross-check both:
//
//   Identify CNS 00h/11h (namespace), 01h (controller), 02h/10h (active /
//   allocated NSID lists), 03h (descriptor list), 12h/13h (controller lists);
//   Namespace Management create/delete (create switchable to Invalid Opcode,
//   as QEMU 7.2); Namespace Attachment (Already Attached 1h/18h, Not Attached
//   1h/1Ah, Controller List Invalid 1h/1Ch; a created namespace gets
//   identifiers never used before, even on a reused NSID); Read, Write, Write Zeroes (LBA
//   Out of Range 0h/80h, Invalid Namespace 0h/0Bh when not attached here,
//   Invalid Field beyond MDTS); Copy descriptor format 0h and (switchable) 2h
//   within MSSRL/MCL/MSRC.
//
// Faults: fail the Nth command of an opcode with an NVMe status or a transport
// error; a latency per command (all, or per opcode). A command log and a
// rescan counter let tests see what the code under test sent.
//
//   auto fake = std::make_shared<FakeNvmeController>();
//   fake->AddNamespace(1);                      // 2048 512-byte blocks, attached
//   FakeNamespaceSpec pool;
//   pool.attached = false;
//   fake->AddNamespace(6, pool);                // a detached pool namespace
//   options.open_transport = fake->Opener();
//
// Thread-safe: every method takes the controller's lock (a latency sleeps
// outside it).
#ifndef HWSNAP_TESTS_NVME_FAKE_NVME_CONTROLLER_H_
#define HWSNAP_TESTS_NVME_FAKE_NVME_CONTROLLER_H_

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "hwsnap/nvme/nvme_command.h"
#include "hwsnap/nvme/nvme_transport.h"

namespace hwsnap::nvme::testing {

// NVMe status codes the fake answers with (SCT << 8 | SC).
inline constexpr std::uint16_t kStatusInvalidOpcode = 0x001;
inline constexpr std::uint16_t kStatusInvalidField = 0x002;
inline constexpr std::uint16_t kStatusInvalidNamespace = 0x00b;
inline constexpr std::uint16_t kStatusLbaOutOfRange = 0x080;
inline constexpr std::uint16_t kStatusInsufficientCapacity = 0x115;
inline constexpr std::uint16_t kStatusNsidUnavailable = 0x116;
inline constexpr std::uint16_t kStatusAlreadyAttached = 0x118;
inline constexpr std::uint16_t kStatusNotAttached = 0x11a;
inline constexpr std::uint16_t kStatusControllerListInvalid = 0x11c;
// Do Not Retry, set on every error status the fake returns.
inline constexpr std::uint16_t kStatusDnr = 0x4000;

struct FakeNamespaceSpec {
  std::uint64_t blocks = 2048;        // NSZE = NCAP
  std::uint8_t lba_format = 0;        // index into the controller's formats (0: 512 B, 1: 4096 B)
  bool attached = true;               // to the transports' controller
  std::array<std::uint8_t, 8> eui64{};    // all zero: made up from the NSID
  std::array<std::uint8_t, 16> nguid{};   // all zero: made up from the NSID
  std::array<std::uint8_t, 16> uuid{};    // all zero: made up from the NSID
};

// One command as the fake saw it.
struct FakeCommandRecord {
  NvmeQueue queue = NvmeQueue::kAdmin;
  std::uint8_t opcode = 0;
  std::uint32_t nsid = 0;
  std::uint32_t cdw10 = 0, cdw11 = 0, cdw12 = 0;
  std::size_t data_out_bytes = 0;
  std::uint32_t data_in_length = 0;
  std::uint16_t status = 0;           // the completion's status field (0: success)
  bool transport_error = false;       // failed by an injected transport error
};

class FakeNvmeController : public std::enable_shared_from_this<FakeNvmeController> {
 public:
  struct Options {
    std::string address = "/dev/nvme0";
    std::string serial = "HWSNAP-NVME-01";
    std::string model = "QEMU NVMe Ctrl";
    std::string firmware = "7.2.0";
    std::string subnqn = "nqn.2019-08.org.qemu:hwsnap-subsys";
    std::uint16_t vid = 0x1b36, ssvid = 0x1af4;
    std::array<std::uint8_t, 3> ieee = {0x00, 0x54, 0x52};  // as stored, LSB first
    std::uint16_t cntlid = 1;                 // the controller transports speak as
    std::vector<std::uint16_t> other_controllers = {2};  // more controllers of the subsystem
    std::uint8_t mdts = 7;                    // 2^7 * 4 KiB = 512 KiB
    std::uint32_t nn = 256;                   // highest NSID
    bool namespace_management = true;         // OACS bit 3
    bool create_supported = true;             // false: create → Invalid Opcode (QEMU 7.2)
    bool write_zeroes = true;                 // ONCS bit 3
    bool copy = true;                         // ONCS bit 8 (Simple Copy, format 0h)
    bool cross_namespace_copy = false;        // OCFS bit 2 (format 2h)
    std::uint16_t mssrl = 128;                // per namespace: max single source range length
    std::uint32_t mcl = 1024;                 // max copy length
    std::uint8_t msrc = 7;                    // max source range count (0-based)
    std::uint64_t capacity_blocks = 0;        // 512-byte units Namespace Management may allocate (0: no limit)
    bool descriptor_list = true;              // false: CNS 03h → Invalid Field (NVMe < 1.3)
  };

  FakeNvmeController();
  explicit FakeNvmeController(Options options);

  const Options& options() const { return options_; }

  // --- Namespaces (test set-up and inspection). ---
  void AddNamespace(std::uint32_t nsid, const FakeNamespaceSpec& spec = {});
  bool Exists(std::uint32_t nsid) const;
  std::set<std::uint16_t> AttachedControllers(std::uint32_t nsid) const;
  bool IsAttached(std::uint32_t nsid) const;  // to the transports' controller
  // Attaches/detaches directly (another host's doing). False for an unknown NSID.
  bool SetAttached(std::uint32_t nsid, std::uint16_t cntlid, bool attached);
  std::vector<std::uint32_t> AllocatedNamespaces() const;
  std::uint32_t BlockBytes(std::uint32_t nsid) const;  // 0: no such namespace
  // Raw bytes of blocks [lba, lba + blocks) (whatever the attachment).
  std::vector<std::uint8_t> ReadBlocks(std::uint32_t nsid, std::uint64_t lba, std::uint64_t blocks) const;
  void WriteBlocks(std::uint32_t nsid, std::uint64_t lba, const std::vector<std::uint8_t>& bytes);
  void Fill(std::uint32_t nsid, std::uint8_t byte);

  // --- Switches and faults. ---
  void SetCreateSupported(bool supported);
  void SetCrossNamespaceCopy(bool supported);
  // The `nth` (1-based, counting from now) command with `opcode` on `queue`
  // completes with `status` (DNR added), without effect.
  void FailCommand(NvmeQueue queue, std::uint8_t opcode, int nth, std::uint16_t status);
  // ... or fails in the transport with `error`.
  void FailTransport(NvmeQueue queue, std::uint8_t opcode, int nth, absl::Status error);
  // Every command takes at least `latency` (a sleep before it runs).
  void SetLatency(absl::Duration latency);
  void SetOpcodeLatency(NvmeQueue queue, std::uint8_t opcode, absl::Duration latency);

  // --- What happened. ---
  std::vector<FakeCommandRecord> CommandLog() const;
  void ClearCommandLog();
  int CountCommands(NvmeQueue queue, std::uint8_t opcode) const;
  int RescanCount() const;
  int OpenCount() const;

  // --- Transports. ---
  // A transport speaking as controller `options().cntlid`.
  std::unique_ptr<NvmeTransport> NewTransport();
  // Opens NewTransport() for options().address; kBackendFailure for any other address.
  NvmeTransportOpener Opener();

  // Runs one command (what the transports call).
  absl::StatusOr<NvmeCompletion> Execute(const NvmeCommand& command);
  void Rescan();

 private:
  struct Namespace {
    std::uint64_t blocks = 0;
    std::uint8_t lba_format = 0;
    std::set<std::uint16_t> attached;
    std::array<std::uint8_t, 8> eui64{};
    std::array<std::uint8_t, 16> nguid{};
    std::array<std::uint8_t, 16> uuid{};
    std::vector<std::uint8_t> data;
  };
  struct Fault {
    NvmeQueue queue;
    std::uint8_t opcode;
    int remaining;            // commands of that opcode still to pass
    std::uint16_t status;     // or
    absl::Status error;       // non-OK: a transport error
  };

  static std::uint32_t FormatBytes(std::uint8_t lba_format);
  std::uint32_t MaxTransferBytes() const;
  NvmeCompletion Run(const NvmeCommand& command);  // lock held
  NvmeCompletion Identify(const NvmeCommand& command);
  NvmeCompletion NamespaceManagement(const NvmeCommand& command);
  NvmeCompletion NamespaceAttachment(const NvmeCommand& command);
  NvmeCompletion ReadWrite(const NvmeCommand& command);
  NvmeCompletion Copy(const NvmeCommand& command);
  std::vector<std::uint8_t> IdentifyControllerData() const;
  std::vector<std::uint8_t> IdentifyNamespaceData(const Namespace& ns) const;
  Namespace MakeNamespace(std::uint32_t nsid, const FakeNamespaceSpec& spec) const;
  std::set<std::uint16_t> Controllers() const;

  Options options_;
  mutable std::mutex mu_;
  std::map<std::uint32_t, Namespace> namespaces_;
  std::vector<Fault> faults_;
  absl::Duration latency_ = absl::ZeroDuration();
  std::map<std::pair<int, std::uint8_t>, absl::Duration> opcode_latency_;
  std::vector<FakeCommandRecord> log_;
  int rescans_ = 0;
  int opens_ = 0;
  std::uint32_t creations_ = 0;
};

}  // namespace hwsnap::nvme::testing

#endif  // HWSNAP_TESTS_NVME_FAKE_NVME_CONTROLLER_H_
