// NamespaceCopyControl (see hwsnap/nvme/namespace_copy_control.h): snapshot
// targets are whole namespaces of the source's controller, created with
// Namespace Management or taken from a pool of detached namespaces, filled at
// commit by a device cross-namespace Copy or a chunked host copy, and masked
// (detached) until Expose.
//
// Target names: "<controller SN>/ns<NSID>" for a pool namespace and
// "<controller SN>/created-ns<NSID>" for one this process created. Both are
// stable (the NSID is the namespace's own) and tell Delete, also after a
// restart, what to undo.
//
// Threads: one transport to the controller, every command serialized by
// `io` (an IoGate); the bookkeeping (targets, pool claims) under `mu`. The
// two are never held together, so a long copy of one target never blocks the
// bookkeeping of another — only its commands interleave with theirs. The
// commands of a commit go first: while a thread is inside TakePointInTime,
// IoGate admits no prepare's or delete's command (their rescans take hundreds
// of milliseconds on an emulated controller), so the commit window is spent
// on the commit (at most one command already running delays it).
//
// Commit masks by detaching only: the host rescan after the detach (slow,
// uninterruptible) is left to the controller's Namespace Attribute Changed
// notice and to the next Expose/Delete, which rescan explicitly.
//
// Idempotence and orphans:
//   * Delete of a name this process holds: detach (Not Attached is fine),
//     delete the namespace when created, forget it.
//   * Delete of a pool name this process does not hold (an orphan of an
//     earlier process, or already deleted): detach it from every controller
//     Identify CNS 12h lists; nothing attached → OK.
//   * Delete of an unknown created name: OK when the NSID is no longer
//     allocated; kBackendFailure when it is (this process cannot tell a
//     leftover from a namespace someone else made since — an administrator
//     deletes it, `nvme delete-ns`).
//   * Delete of a name not of this controller's form (another serial, an NSID
//     outside the pool under the pool form, garbage): kBackendFailure — a
//     catalog naming another controller is a configuration mistake the
//     administrator must see, and the core keeps the target for reclaim.
//   * ListTargets: every name held (any state) plus every pool namespace not
//     held but attached to some controller (an orphan, which Delete frees).
//
// Restart: a detached pool namespace that holds a committed snapshot looks
// exactly like a free one, so only the catalog knows it is taken. Adopt,
// called for every recorded target before any Provision, makes it held
// again (claimed, counted against max_targets, listed by name); a target a
// catalog never recorded cannot be told apart from a free namespace unless it
// is attached (then it is an orphan).
#include "hwsnap/nvme/namespace_copy_control.h"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "hwsnap/logging.h"
#include "hwsnap/nvme/identify.h"
#include "hwsnap/nvme/nvme_commands.h"
#include "hwsnap/nvme/nvme_status.h"
#include "hwsnap/status.h"

namespace hwsnap::nvme {
namespace {

constexpr std::uint8_t kSctCommandSpecific = 0x1;
constexpr std::uint8_t kScNamespaceAlreadyAttached = 0x18;
constexpr std::uint8_t kScNamespaceNotAttached = 0x1a;
constexpr std::uint32_t kMaxBlocksPerCommand = 65536;    // NLB is 16 bits, 0-based
// At most 256 KiB per Read/Write whatever MDTS allows: Linux maps a
// passthrough buffer page by page and refuses (EINVAL) more segments than the
// queue takes (127 for NVMe PCIe) — seen with 512 KiB Writes on QEMU (MDTS 7).
constexpr std::uint32_t kMaxTransferBytes = 256u << 10;
constexpr std::uint32_t kMinPageBytes = 4096;            // MDTS unit (CAP.MPSMIN, assumed 4 KiB)
constexpr std::uint32_t kMaxCopyRanges = 256;            // NR is 8 bits, 0-based
constexpr char kCreatedPrefix[] = "created-ns";
constexpr char kPoolPrefix[] = "ns";

bool HasStatus(const NvmeCompletion& c, std::uint8_t sct, std::uint8_t sc) {
  return c.status.sct() == sct && c.status.sc() == sc;
}

std::string PoolText(const std::vector<std::uint32_t>& pool) {
  if (pool.empty()) return "(none configured)";
  return absl::StrCat("NSIDs ", absl::StrJoin(pool, ","));
}

// A transfer of at most this many bytes per command (MDTS, transports).
std::uint32_t MaxTransferBytes(const IdentifyController& controller) {
  std::uint64_t bytes = kMaxTransferBytes;
  if (controller.mdts != 0 && controller.mdts < 20) {
    bytes = std::min<std::uint64_t>(bytes, std::uint64_t{kMinPageBytes} << controller.mdts);
  }
  return static_cast<std::uint32_t>(bytes);
}

// True on a thread inside TakePointInTime: its commands jump the queue.
thread_local bool t_committing = false;

// A mutex that, while any commit is in progress, admits only the commits'
// commands: a prepare or delete waits until every commit has returned (a
// commit is short, bounded by its deadline).
class IoGate {
 public:
  void lock() {
    std::unique_lock<std::mutex> l(mu_);
    const bool urgent = t_committing;
    cv_.wait(l, [&] { return !busy_ && (urgent || commits_ == 0); });
    busy_ = true;
  }
  void unlock() {
    {
      std::lock_guard<std::mutex> l(mu_);
      busy_ = false;
    }
    cv_.notify_all();
  }
  void BeginCommit() {
    std::lock_guard<std::mutex> l(mu_);
    ++commits_;
  }
  void EndCommit() {
    {
      std::lock_guard<std::mutex> l(mu_);
      --commits_;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool busy_ = false;
  int commits_ = 0;  // threads inside TakePointInTime
};

// Marks this thread as committing for the gate's lifetime of the scope.
class CommitScope {
 public:
  explicit CommitScope(IoGate& gate) : gate_(gate) {
    t_committing = true;
    gate_.BeginCommit();
  }
  ~CommitScope() {
    gate_.EndCommit();
    t_committing = false;
  }
  CommitScope(const CommitScope&) = delete;
  CommitScope& operator=(const CommitScope&) = delete;

 private:
  IoGate& gate_;
};

}  // namespace

struct NamespaceCopyControl::State {
  enum class Phase { kProvisioned, kCommitted, kExposed };

  struct Target {
    std::uint32_t nsid = 0;
    bool created = false;
    std::uint32_t source_nsid = 0;
    std::uint64_t blocks = 0;            // the source's block count (what is copied)
    std::uint32_t block_bytes = 0;
    IdentifyNamespace target_ns;         // the target's Identify data (copy limits)
    Phase phase = Phase::kProvisioned;
    std::optional<NvmeNamespaceInfo> info;  // read at commit (adopted: on first TargetInfo)
    bool adopted = false;                // made by an earlier process (source unknown)
  };

  // What the pool search learnt about one candidate.
  struct PoolCandidate {
    std::uint64_t nsze = 0;
    std::uint32_t block_bytes = 0;
  };

  explicit State(NamespaceCopyOptions o) : options(std::move(o)) {}

  NamespaceCopyOptions options;
  std::shared_ptr<spdlog::logger> log = GetLogger("backend.nvme.ns-copy");

  // --- Commands (io). ---
  IoGate io;
  std::unique_ptr<NvmeTransport> transport;
  std::optional<IdentifyController> controller;

  // --- Bookkeeping (mu). ---
  std::mutex mu;
  std::map<std::string, Target> targets;   // by name
  std::set<std::uint32_t> claimed;         // NSIDs held: targets and provisions in flight
  std::map<std::uint32_t, PoolCandidate> pool_info;
  int reserved_count = 0;                  // targets + provisions in flight (max_targets)
  bool create_refused = false;
  std::size_t next_pool_index = 0;         // round robin: a released name is not reused at once

  // Opens the transport and reads Identify Controller once. Caller holds io.
  absl::Status ConnectLocked() {
    if (transport != nullptr && controller.has_value()) return absl::OkStatus();
    if (transport == nullptr) {
      absl::StatusOr<std::unique_ptr<NvmeTransport>> opened =
          options.open_transport ? options.open_transport(options.controller) : OpenNvmeTransport(options.controller);
      if (!opened.ok()) return Annotate(opened.status(), absl::StrCat("ns-copy: opening ", options.controller));
      if (*opened == nullptr) {
        return BackendFailureError(absl::StrCat("ns-copy: opening ", options.controller, " returned no transport"));
      }
      transport = std::move(*opened);
    }
    NvmeCommand identify = BuildIdentify(kCnsController);
    identify.timeout = options.command_timeout;
    const std::string what = absl::StrCat("Identify Controller on ", transport->Address());
    absl::StatusOr<NvmeCompletion> done = CheckNvmeCompletion(transport->Execute(identify), what);
    if (!done.ok()) return done.status();
    absl::StatusOr<IdentifyController> parsed = ParseIdentifyController(done->data_in);
    if (!parsed.ok()) return BackendFailureError(absl::StrCat(what, ": ", parsed.status().message()));
    if (parsed->serial_number.empty()) return BackendFailureError(absl::StrCat(what, ": empty serial number"));
    controller = *std::move(parsed);
    return absl::OkStatus();
  }

  absl::StatusOr<IdentifyController> Controller() {
    std::lock_guard<IoGate> lock(io);
    if (absl::Status s = ConnectLocked(); !s.ok()) return s;
    return *controller;
  }

  // Sends `command` with `timeout` (command_timeout when not given); the raw
  // completion, error statuses included (the caller classifies them).
  absl::StatusOr<NvmeCompletion> Send(NvmeCommand command, std::optional<absl::Duration> timeout = std::nullopt) {
    command.timeout = timeout.value_or(options.command_timeout);
    std::lock_guard<IoGate> lock(io);
    if (absl::Status s = ConnectLocked(); !s.ok()) return s;
    return transport->Execute(command);
  }

  // Send + classification: OK only for a successful completion.
  absl::StatusOr<NvmeCompletion> Run(NvmeCommand command, absl::string_view what,
                                     std::optional<absl::Duration> timeout = std::nullopt) {
    absl::StatusOr<NvmeCompletion> done = Send(std::move(command), timeout);
    return CheckNvmeCompletion(std::move(done), absl::StrCat(what, " on ", options.controller));
  }

  absl::Status RunStatus(absl::StatusOr<NvmeCommand> command, absl::string_view what,
                         std::optional<absl::Duration> timeout = std::nullopt) {
    if (!command.ok()) return BackendFailureError(absl::StrCat(what, ": ", command.status().message()));
    absl::StatusOr<NvmeCompletion> done = Run(*std::move(command), what, timeout);
    return done.ok() ? absl::OkStatus() : done.status();
  }

  absl::Status Rescan() {
    std::lock_guard<IoGate> lock(io);
    if (absl::Status s = ConnectLocked(); !s.ok()) return s;
    if (absl::Status s = transport->Rescan(); !s.ok()) return Annotate(s, "ns-copy: rescan");
    return absl::OkStatus();
  }

  std::string NameFor(const std::string& serial, std::uint32_t nsid, bool created) const {
    return absl::StrCat(serial, "/", created ? kCreatedPrefix : kPoolPrefix, nsid);
  }

  // Parses a name of this controller's form. kBackendFailure otherwise.
  absl::StatusOr<std::pair<std::uint32_t, bool>> ParseName(const std::string& serial, const std::string& name) const {
    absl::string_view rest = name;
    if (!absl::ConsumePrefix(&rest, serial) || !absl::ConsumePrefix(&rest, "/")) {
      return BackendFailureError(absl::StrCat("ns-copy: '", name, "' is not a target of controller ", serial,
                                              " (", options.controller, ")"));
    }
    bool created = absl::ConsumePrefix(&rest, kCreatedPrefix);
    if (!created && !absl::ConsumePrefix(&rest, kPoolPrefix)) {
      return BackendFailureError(absl::StrCat("ns-copy: '", name, "' is not a target name of this strategy"));
    }
    std::uint32_t nsid = 0;
    if (!absl::SimpleAtoi(rest, &nsid) || nsid == 0 || nsid == 0xffffffffu ||
        absl::StrCat(nsid) != std::string(rest)) {
      return BackendFailureError(absl::StrCat("ns-copy: '", name, "' names no namespace"));
    }
    return std::make_pair(nsid, created);
  }

  bool InPool(std::uint32_t nsid) const {
    return std::find(options.pool_nsids.begin(), options.pool_nsids.end(), nsid) != options.pool_nsids.end();
  }

  // Identify CNS 12h: the controllers `nsid` is attached to.
  absl::StatusOr<std::vector<std::uint16_t>> AttachedControllers(std::uint32_t nsid) {
    absl::StatusOr<NvmeCompletion> done =
        Run(BuildIdentify(kCnsNamespaceAttachedControllers, nsid), absl::StrCat("Identify CNS 12h nsid ", nsid));
    if (!done.ok()) return done.status();
    absl::StatusOr<std::vector<std::uint16_t>> list = ParseControllerList(done->data_in);
    if (!list.ok()) return BackendFailureError(absl::StrCat("Identify CNS 12h nsid ", nsid, ": ", list.status().message()));
    return list;
  }

  // Identify CNS 11h: the namespace as allocated (works while detached).
  absl::StatusOr<IdentifyNamespace> AllocatedNamespace(std::uint32_t nsid) {
    const std::string what = absl::StrCat("Identify CNS 11h nsid ", nsid);
    absl::StatusOr<NvmeCompletion> done = Run(BuildIdentify(kCnsAllocatedNamespace, nsid), what);
    if (!done.ok()) return done.status();
    absl::StatusOr<IdentifyNamespace> ns = ParseIdentifyNamespace(done->data_in);
    if (!ns.ok()) return BackendFailureError(absl::StrCat(what, ": ", ns.status().message()));
    return ns;
  }

  // Attach (or detach) `nsid` to/from `controllers`. Already Attached /
  // Not Attached count as success: both calls are idempotent.
  absl::Status Attachment(std::uint32_t nsid, bool attach, std::vector<std::uint16_t> controllers) {
    const std::string what = absl::StrCat("Namespace Attachment (", attach ? "attach" : "detach", ") nsid ", nsid);
    absl::StatusOr<NvmeCommand> command = BuildNamespaceAttachment(nsid, attach, controllers);
    if (!command.ok()) return BackendFailureError(absl::StrCat(what, ": ", command.status().message()));
    absl::StatusOr<NvmeCompletion> done = Send(*std::move(command));
    if (done.ok() && HasStatus(*done, kSctCommandSpecific,
                               attach ? kScNamespaceAlreadyAttached : kScNamespaceNotAttached)) {
      return absl::OkStatus();
    }
    absl::StatusOr<NvmeCompletion> checked = CheckNvmeCompletion(std::move(done), absl::StrCat(what, " on ", options.controller));
    return checked.ok() ? absl::OkStatus() : checked.status();
  }

  absl::StatusOr<std::uint16_t> OwnCntlid() {
    absl::StatusOr<IdentifyController> c = Controller();
    if (!c.ok()) return c.status();
    return c->cntlid;
  }

  absl::Status AttachHere(std::uint32_t nsid) {
    absl::StatusOr<std::uint16_t> cntlid = OwnCntlid();
    if (!cntlid.ok()) return cntlid.status();
    return Attachment(nsid, true, {*cntlid});
  }
  absl::Status DetachHere(std::uint32_t nsid) {
    absl::StatusOr<std::uint16_t> cntlid = OwnCntlid();
    if (!cntlid.ok()) return cntlid.status();
    return Attachment(nsid, false, {*cntlid});
  }

  // Expose (attach) or Mask (detach) committed `target` on this controller,
  // rescan, and note the phase (kExposed / kCommitted).
  absl::Status SetAttachedHere(const std::string& target, bool attach) {
    std::uint32_t nsid = 0;
    {
      std::lock_guard<std::mutex> lock(mu);
      auto it = targets.find(target);
      if (it == targets.end()) return ObjectNotFoundError(absl::StrCat("ns-copy: no target '", target, "'"));
      if (it->second.phase == Phase::kProvisioned) {
        return BadStateError(absl::StrCat("ns-copy: target '", target, "' is not committed"));
      }
      nsid = it->second.nsid;
    }
    if (absl::Status s = attach ? AttachHere(nsid) : DetachHere(nsid); !s.ok()) {
      return Annotate(s, absl::StrCat(attach ? "ns-copy: exposing " : "ns-copy: masking ", target));
    }
    if (absl::Status s = Rescan(); !s.ok()) return s;
    std::lock_guard<std::mutex> lock(mu);
    auto it = targets.find(target);
    if (it != targets.end()) it->second.phase = attach ? Phase::kExposed : Phase::kCommitted;
    return absl::OkStatus();
  }

  absl::Status DeleteNamespace(std::uint32_t nsid) {
    return RunStatus(BuildNamespaceDelete(nsid), absl::StrCat("Namespace Management (delete) nsid ", nsid));
  }

  // Undoes a provision: detach, then delete (created) — the pool claim is
  // dropped by the caller. Logs (does not return) what could not be undone.
  // A cancelled provision skips the host rescan (hundreds of milliseconds on
  // an emulated controller; the controller's Namespace Attribute Changed
  // event makes the host rescan anyway) to return within the cancel bound.
  void Undo(std::uint32_t nsid, bool created, bool rescan) {
    absl::Status s = DetachHere(nsid);
    if (s.ok() && rescan) s = Rescan();
    if (s.ok() && created) s = DeleteNamespace(nsid);
    if (!s.ok()) log->warn("ns-copy: undoing target nsid {} failed: {}", nsid, s.ToString());
  }

  void Unclaim(std::uint32_t nsid) {
    std::lock_guard<std::mutex> lock(mu);
    claimed.erase(nsid);
    --reserved_count;
  }

  // Writes zeroes over blocks [0, blocks) of `nsid` in chunks, polling `cancel`.
  absl::Status Zero(std::uint32_t nsid, std::uint64_t blocks, std::uint32_t block_bytes,
                    const IdentifyController& c, const CancelToken& cancel) {
    const bool write_zeroes = c.SupportsWriteZeroes();
    std::uint64_t chunk = std::max<std::uint32_t>(1, options.chunk_blocks);
    chunk = std::min<std::uint64_t>(chunk, kMaxBlocksPerCommand);
    if (!write_zeroes) chunk = std::min<std::uint64_t>(chunk, std::max<std::uint32_t>(1, MaxTransferBytes(c) / block_bytes));
    for (std::uint64_t lba = 0; lba < blocks; lba += chunk) {
      if (absl::Status s = cancel.status(); !s.ok()) return s;
      const auto n = static_cast<std::uint32_t>(std::min<std::uint64_t>(chunk, blocks - lba));
      const std::string what = absl::StrFormat("%s nsid %u LBA %u+%u", write_zeroes ? "Write Zeroes" : "Write (zeroes)",
                                               nsid, lba, n);
      absl::Status s = write_zeroes
                           ? RunStatus(BuildWriteZeroes(nsid, lba, n), what)
                           : RunStatus(BuildWrite(nsid, lba, n, std::vector<std::uint8_t>(std::size_t{n} * block_bytes, 0)),
                                       what);
      if (!s.ok()) return s;
    }
    return cancel.status();
  }

  // Namespace Management create for `source`; the new NSID, or the status.
  absl::StatusOr<std::uint32_t> Create(const NvmeNamespaceInfo& source) {
    const std::string what = absl::StrCat("Namespace Management (create) of ", source.ns.nsze, " blocks");
    absl::StatusOr<NvmeCompletion> done =
        Run(BuildNamespaceCreate(source.ns.nsze, source.ns.nsze, source.ns.flbas, 0), what);
    if (!done.ok()) return done.status();
    if (done->result == 0 || done->result == 0xffffffffu) {
      return BackendFailureError(absl::StrCat(what, ": the controller returned NSID ", done->result));
    }
    return done->result;
  }

  // The pool namespace to use for `source`, claimed (in `claimed`), or why none.
  absl::StatusOr<std::uint32_t> ClaimPool(const NvmeNamespaceInfo& source, const CancelToken& cancel) {
    if (options.pool_nsids.empty()) {
      return InsufficientStorageError("ns-copy: no free target namespace: the pool is empty (no NSIDs configured)");
    }
    // One rotation over the pool shared by every provision: each claim takes
    // the next unclaimed namespace after the previous claim (under `mu`), so a
    // namespace just released is not handed out again until the rotation
    // comes back to it (a concurrent target never reuses its identity).
    std::vector<std::string> reasons;
    const std::size_t n = options.pool_nsids.size();
    std::set<std::uint32_t> tried;
    int in_use = 0;
    for (std::size_t k = 0; k < n; ++k) {
      if (absl::Status s = cancel.status(); !s.ok()) return s;
      std::uint32_t nsid = 0;
      std::optional<PoolCandidate> known;
      {
        std::lock_guard<std::mutex> lock(mu);
        in_use = 0;
        for (std::size_t i = 0; i < n && nsid == 0; ++i) {
          const std::size_t index = (next_pool_index + i) % n;
          const std::uint32_t candidate = options.pool_nsids[index];
          if (claimed.count(candidate) != 0) {
            ++in_use;
            continue;
          }
          if (tried.count(candidate) != 0) continue;
          nsid = candidate;
          next_pool_index = (index + 1) % n;
        }
        if (nsid == 0) break;
        tried.insert(nsid);
        if (nsid == source.nsid) {
          reasons.push_back(absl::StrCat(nsid, ": the source itself"));
          continue;
        }
        auto it = pool_info.find(nsid);
        if (it != pool_info.end()) known = it->second;
        claimed.insert(nsid);  // ours while we look at it
      }
      auto unclaim = [&] {
        std::lock_guard<std::mutex> lock(mu);
        claimed.erase(nsid);
      };
      if (!known.has_value()) {
        absl::StatusOr<IdentifyNamespace> ns = AllocatedNamespace(nsid);
        if (!ns.ok() || !ns->active() || ns->block_bytes() == 0) {
          unclaim();
          reasons.push_back(absl::StrCat(nsid, ": ", ns.ok() ? "not allocated" : ns.status().message()));
          continue;
        }
        known = PoolCandidate{ns->nsze, ns->block_bytes()};
        std::lock_guard<std::mutex> lock(mu);
        pool_info[nsid] = *known;
      }
      if (known->block_bytes != source.block_bytes()) {
        unclaim();
        reasons.push_back(absl::StrCat(nsid, ": ", known->block_bytes, "-byte blocks, the source has ",
                                       source.block_bytes()));
        continue;
      }
      if (known->nsze < source.block_count()) {
        unclaim();
        reasons.push_back(absl::StrCat(nsid, ": ", known->nsze, " blocks, the source has ", source.block_count()));
        continue;
      }
      absl::StatusOr<std::vector<std::uint16_t>> attached = AttachedControllers(nsid);
      if (!attached.ok() || !attached->empty()) {
        unclaim();
        reasons.push_back(absl::StrCat(nsid, ": ", attached.ok() ? absl::StrCat("attached to controller(s) ",
                                                                                 absl::StrJoin(*attached, ","))
                                                                 : attached.status().message()));
        continue;
      }
      return nsid;
    }
    if (in_use > 0) reasons.push_back(absl::StrCat(in_use, " in use"));
    return InsufficientStorageError(absl::StrCat("ns-copy: no free namespace in the target pool (",
                                                 PoolText(options.pool_nsids), ") fits ", source.block_count(), " ",
                                                 source.block_bytes(), "-byte blocks: ", absl::StrJoin(reasons, "; ")));
  }

  // Copies source → target before `deadline` (host or device).
  absl::Status Copy(const std::string& name, const Target& t, const IdentifyController& c, absl::Time deadline) {
    const bool device = options.copy != CopyEngine::kHost && c.SupportsCrossNamespaceCopy();
    if (options.copy == CopyEngine::kDevice && !device) {
      return NotSupportedError("ns-copy: the controller does not offer cross-namespace Copy (copy=device)");
    }
    const absl::Time start = absl::Now();
    log->info("ns-copy: copying nsid {} to {} ({} blocks of {} bytes, {} copy)", t.source_nsid, name, t.blocks,
              t.block_bytes, device ? "device" : "host");
    std::uint64_t range_blocks = kMaxBlocksPerCommand;
    std::uint64_t command_blocks = 0;
    std::uint32_t max_ranges = 1;
    if (device) {
      if (t.target_ns.mssrl != 0) range_blocks = std::min<std::uint64_t>(range_blocks, t.target_ns.mssrl);
      max_ranges = std::min<std::uint32_t>(kMaxCopyRanges, std::uint32_t{t.target_ns.msrc} + 1);
      command_blocks = range_blocks * max_ranges;
      if (t.target_ns.mcl != 0) command_blocks = std::min<std::uint64_t>(command_blocks, t.target_ns.mcl);
    } else {
      range_blocks = std::min<std::uint64_t>(std::max<std::uint32_t>(1, options.chunk_blocks), kMaxBlocksPerCommand);
      range_blocks = std::min<std::uint64_t>(range_blocks, std::max<std::uint32_t>(1, MaxTransferBytes(c) / t.block_bytes));
      command_blocks = range_blocks;
    }
    const std::uint64_t log_every = std::max<std::uint64_t>(command_blocks, t.blocks / 10);
    std::uint64_t next_log = log_every;
    for (std::uint64_t lba = 0; lba < t.blocks;) {
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) {
        return DeadlineExceededError(absl::StrFormat("ns-copy: commit window closed: copy of nsid %u to %s stopped at "
                                                     "block %u of %u",
                                                     t.source_nsid, name, lba, t.blocks));
      }
      const absl::Duration timeout = std::min(left, options.command_timeout);
      const std::uint64_t n = std::min<std::uint64_t>(command_blocks, t.blocks - lba);
      if (device) {
        std::vector<CopySourceRange> ranges;
        for (std::uint64_t done = 0; done < n;) {
          const auto len = static_cast<std::uint32_t>(std::min<std::uint64_t>(range_blocks, n - done));
          ranges.push_back(CopySourceRange{t.source_nsid, lba + done, len});
          done += len;
        }
        absl::Status s = RunStatus(BuildCopy(t.nsid, lba, ranges),
                                   absl::StrFormat("Copy nsid %u LBA %u+%u to nsid %u", t.source_nsid, lba, n, t.nsid),
                                   timeout);
        if (!s.ok()) return s;
      } else {
        const auto blocks = static_cast<std::uint32_t>(n);
        const std::uint32_t bytes = blocks * t.block_bytes;
        const std::string read_what = absl::StrFormat("Read nsid %u LBA %u+%u", t.source_nsid, lba, blocks);
        absl::StatusOr<NvmeCommand> read = BuildRead(t.source_nsid, lba, blocks, bytes);
        if (!read.ok()) return BackendFailureError(absl::StrCat(read_what, ": ", read.status().message()));
        absl::StatusOr<NvmeCompletion> data = Run(*std::move(read), read_what, timeout);
        if (!data.ok()) return data.status();
        if (data->data_in.size() < bytes) {
          return BackendFailureError(absl::StrFormat("%s: %u bytes returned, expected %u", read_what,
                                                     data->data_in.size(), bytes));
        }
        data->data_in.resize(bytes);
        const absl::Duration write_left = deadline - absl::Now();
        if (write_left <= absl::ZeroDuration()) {
          return DeadlineExceededError(absl::StrFormat("ns-copy: commit window closed: copy of nsid %u to %s stopped "
                                                       "at block %u of %u",
                                                       t.source_nsid, name, lba, t.blocks));
        }
        absl::Status s = RunStatus(BuildWrite(t.nsid, lba, blocks, std::move(data->data_in)),
                                   absl::StrFormat("Write nsid %u LBA %u+%u", t.nsid, lba, blocks),
                                   std::min(write_left, options.command_timeout));
        if (!s.ok()) return s;
      }
      lba += n;
      if (lba >= next_log && lba < t.blocks) {
        log->debug("ns-copy: {}: {} of {} blocks copied", name, lba, t.blocks);
        next_log += log_every;
      }
    }
    log->info("ns-copy: {} holds the copy of nsid {} ({})", name, t.source_nsid,
              absl::FormatDuration(absl::Now() - start));
    return absl::OkStatus();
  }
};

NamespaceCopyControl::NamespaceCopyControl(NamespaceCopyOptions options)
    : state_(std::make_unique<State>(std::move(options))) {}

NamespaceCopyControl::~NamespaceCopyControl() = default;

std::string NamespaceCopyControl::WhyCannotSnapshot(const NvmeNamespaceInfo& source) const {
  const NamespaceCopyOptions& o = state_->options;
  if (source.block_count() == 0 || source.block_bytes() == 0) {
    return "the namespace's size or LBA format is unknown (Identify Namespace reports no blocks)";
  }
  if (o.copy == CopyEngine::kDevice && !source.controller.SupportsCrossNamespaceCopy()) {
    return "the controller does not offer cross-namespace Copy (descriptor format 2h/3h) and the backend is "
           "configured for device copies only (copy=device)";
  }
  if (o.allocation == TargetAllocation::kPool && o.pool_nsids.empty()) {
    return "no target namespaces: the backend uses a pool of namespaces (allocation=pool) and none is configured";
  }
  if (o.allocation == TargetAllocation::kCreate && !source.controller.SupportsNamespaceManagement()) {
    return "the controller does not offer Namespace Management (OACS bit 3) and the backend creates its targets "
           "(allocation=create)";
  }
  if (o.allocation == TargetAllocation::kAuto && o.pool_nsids.empty() &&
      !source.controller.SupportsNamespaceManagement()) {
    return "the controller cannot create namespaces (no Namespace Management) and no target pool is configured";
  }
  return "";
}

absl::StatusOr<std::string> NamespaceCopyControl::Provision(const NvmeNamespaceInfo& source,
                                                            const CancelToken& cancel) {
  State& st = *state_;
  if (absl::Status s = cancel.status(); !s.ok()) return s;
  if (std::string why = WhyCannotSnapshot(source); !why.empty()) {
    return NotSupportedError(absl::StrCat("ns-copy: nsid ", source.nsid, ": ", why));
  }
  absl::StatusOr<IdentifyController> controller = st.Controller();
  if (!controller.ok()) return controller.status();
  {
    std::lock_guard<std::mutex> lock(st.mu);
    if (st.options.max_targets > 0 && st.reserved_count >= st.options.max_targets) {
      return InsufficientStorageError(absl::StrCat("ns-copy: the backend holds its maximum of ", st.options.max_targets,
                                                   " snapshot targets (max_targets)"));
    }
    ++st.reserved_count;
  }
  auto unreserve = [&] {
    std::lock_guard<std::mutex> lock(st.mu);
    --st.reserved_count;
  };

  // 1. A namespace: created, else from the pool.
  std::uint32_t nsid = 0;
  bool created = false;
  bool try_create = false;
  {
    std::lock_guard<std::mutex> lock(st.mu);
    try_create = st.options.allocation == TargetAllocation::kCreate ||
                 (st.options.allocation == TargetAllocation::kAuto && !st.create_refused &&
                  controller->SupportsNamespaceManagement());
  }
  absl::Status create_status;
  if (try_create) {
    absl::StatusOr<std::uint32_t> made = st.Create(source);
    if (made.ok()) {
      std::lock_guard<std::mutex> lock(st.mu);
      nsid = *made;
      created = true;
      st.claimed.insert(nsid);
    } else {
      create_status = made.status();
      const ErrorCode code = GetErrorCode(made.status());
      if (st.options.allocation == TargetAllocation::kCreate || code == ErrorCode::kCancelled ||
          code == ErrorCode::kDeadlineExceeded) {
        unreserve();
        return Annotate(made.status(), "ns-copy: creating the target namespace");
      }
      if (code == ErrorCode::kNotSupported) {
        std::lock_guard<std::mutex> lock(st.mu);
        if (!st.create_refused) {
          st.log->info("ns-copy: {} refuses Namespace Management create ({}); using the pool from now on",
                       st.options.controller, made.status().message());
        }
        st.create_refused = true;
      } else {
        st.log->warn("ns-copy: creating a target namespace failed ({}); trying the pool", made.status().ToString());
      }
    }
  }
  if (!created) {
    absl::StatusOr<std::uint32_t> claimed = st.ClaimPool(source, cancel);
    if (!claimed.ok()) {
      unreserve();
      if (!create_status.ok() && GetErrorCode(claimed.status()) == ErrorCode::kInsufficientStorage &&
          GetErrorCode(create_status) != ErrorCode::kNotSupported) {
        return Annotate(claimed.status(), absl::StrCat("creating a namespace failed too (", create_status.message(), ")"));
      }
      return claimed.status();
    }
    nsid = *claimed;
  }
  auto fail = [&](const absl::Status& s) -> absl::Status {
    st.Undo(nsid, created, /*rescan=*/GetErrorCode(s) != ErrorCode::kCancelled);
    st.Unclaim(nsid);
    return s;
  };

  // 2. Attach it here (the copy and the zeroing need it).
  if (absl::Status s = cancel.status(); !s.ok()) return fail(s);
  if (absl::Status s = st.AttachHere(nsid); !s.ok()) return fail(Annotate(s, "ns-copy: attaching the target"));
  if (absl::Status s = cancel.status(); !s.ok()) return fail(s);
  if (absl::Status s = st.Rescan(); !s.ok()) return fail(s);
  if (absl::Status s = cancel.status(); !s.ok()) return fail(s);

  State::Target t;
  t.nsid = nsid;
  t.created = created;
  t.source_nsid = source.nsid;
  t.blocks = source.block_count();
  t.block_bytes = source.block_bytes();
  absl::StatusOr<IdentifyNamespace> target_ns = st.AllocatedNamespace(nsid);
  if (!target_ns.ok()) return fail(target_ns.status());
  if (target_ns->nsze < t.blocks || target_ns->block_bytes() != t.block_bytes) {
    return fail(BackendFailureError(absl::StrCat("ns-copy: target nsid ", nsid, " reports ", target_ns->nsze, " ",
                                                 target_ns->block_bytes(), "-byte blocks, the source ", t.blocks, " ",
                                                 t.block_bytes, "-byte blocks")));
  }
  t.target_ns = *std::move(target_ns);

  // 3. Zeroes (a target must not show an earlier snapshot's data).
  if (st.options.zero_on_provision) {
    if (absl::Status s = st.Zero(nsid, t.target_ns.nsze, t.block_bytes, *controller, cancel); !s.ok()) {
      if (GetErrorCode(s) == ErrorCode::kCancelled) st.log->info("ns-copy: provision of nsid {} cancelled while zeroing", nsid);
      return fail(s);
    }
  }

  // 4. Registered — checking the token together with it.
  const std::string name = st.NameFor(controller->serial_number, nsid, created);
  {
    std::lock_guard<std::mutex> lock(st.mu);
    if (!cancel.IsCancelled()) {
      st.targets[name] = std::move(t);
      st.log->info("ns-copy: provisioned {} ({} namespace) for nsid {}", name, created ? "created" : "pool",
                   source.nsid);
      return name;
    }
  }
  return fail(cancel.status());
}

absl::Status NamespaceCopyControl::TakePointInTime(absl::Span<const std::string> targets, absl::Time deadline) {
  State& st = *state_;
  std::vector<std::pair<std::string, State::Target>> group;
  {
    std::lock_guard<std::mutex> lock(st.mu);
    for (const std::string& name : targets) {
      auto it = st.targets.find(name);
      if (it == st.targets.end()) return ObjectNotFoundError(absl::StrCat("ns-copy: no target '", name, "'"));
      if (it->second.phase != State::Phase::kProvisioned) {
        return BadStateError(absl::StrCat("ns-copy: target '", name, "' is already committed"));
      }
      if (it->second.adopted) {
        return BadStateError(absl::StrCat("ns-copy: target '", name,
                                          "' was provisioned before a restart (its source is not known here); "
                                          "release it"));
      }
      group.emplace_back(name, it->second);
    }
  }
  if (absl::Now() >= deadline) return DeadlineExceededError("ns-copy: the commit window closed before the copy began");
  CommitScope committing(st.io);
  absl::StatusOr<IdentifyController> controller = st.Controller();
  if (!controller.ok()) return controller.status();

  // 1. The copies (targets stay attached and provisioned on any failure).
  for (const auto& [name, t] : group) {
    if (absl::Status s = st.Copy(name, t, *controller, deadline); !s.ok()) return s;
  }
  // 2. Each target's Identify data, read while attached.
  std::vector<NvmeNamespaceInfo> infos;
  for (const auto& [name, t] : group) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return DeadlineExceededError(absl::StrCat("ns-copy: commit window closed before ", name, " was described"));
    }
    ReadNamespaceOptions read = st.options.read;
    read.allocated = false;
    read.timeout = std::min(read.timeout, left);
    absl::StatusOr<NvmeNamespaceInfo> info;
    {
      std::lock_guard<IoGate> lock(st.io);
      if (absl::Status s = st.ConnectLocked(); !s.ok()) return s;
      info = ReadNamespaceInfo(*st.transport, t.nsid, read);
    }
    if (!info.ok()) return Annotate(info.status(), absl::StrCat("ns-copy: reading ", name));
    infos.push_back(*std::move(info));
  }
  // 3. Masked: detach every target; a failure re-attaches those detached.
  if (absl::Now() >= deadline) return DeadlineExceededError("ns-copy: commit window closed before the targets were masked");
  std::size_t detached = 0;
  absl::Status failure;
  for (; detached < group.size(); ++detached) {
    failure = st.DetachHere(group[detached].second.nsid);
    if (!failure.ok()) break;
  }
  if (!failure.ok()) {
    for (std::size_t i = 0; i < detached; ++i) {
      if (absl::Status s = st.AttachHere(group[i].second.nsid); !s.ok()) {
        st.log->error("ns-copy: re-attaching {} after a failed commit failed: {}", group[i].first, s.ToString());
      }
    }
    return Annotate(failure, "ns-copy: masking the targets");
  }
  std::lock_guard<std::mutex> lock(st.mu);
  for (std::size_t i = 0; i < group.size(); ++i) {
    auto it = st.targets.find(group[i].first);
    if (it == st.targets.end()) continue;  // deleted meanwhile (the backend never does that)
    it->second.phase = State::Phase::kCommitted;
    it->second.info = std::move(infos[i]);
  }
  return absl::OkStatus();
}

absl::StatusOr<NvmeNamespaceInfo> NamespaceCopyControl::TargetInfo(const std::string& target) {
  State& st = *state_;
  std::uint32_t nsid = 0;
  {
    std::lock_guard<std::mutex> lock(st.mu);
    auto it = st.targets.find(target);
    if (it == st.targets.end()) return ObjectNotFoundError(absl::StrCat("ns-copy: no target '", target, "'"));
    if (it->second.info.has_value()) return *it->second.info;
    if (!it->second.adopted || it->second.phase == State::Phase::kProvisioned) {
      return BadStateError(absl::StrCat("ns-copy: target '", target, "' is not committed"));
    }
    nsid = it->second.nsid;
  }
  // Adopted after a restart: read it now, as allocated (it may be detached;
  // CNS 03h then may not answer and the ids come from Identify Namespace).
  ReadNamespaceOptions read = st.options.read;
  read.allocated = true;
  absl::StatusOr<NvmeNamespaceInfo> info;
  {
    std::lock_guard<IoGate> lock(st.io);
    if (absl::Status s = st.ConnectLocked(); !s.ok()) return s;
    info = ReadNamespaceInfo(*st.transport, nsid, read);
  }
  if (!info.ok()) return Annotate(info.status(), absl::StrCat("ns-copy: reading ", target));
  std::lock_guard<std::mutex> lock(st.mu);
  auto it = st.targets.find(target);
  if (it == st.targets.end()) return ObjectNotFoundError(absl::StrCat("ns-copy: no target '", target, "'"));
  if (!it->second.info.has_value()) it->second.info = *std::move(info);
  return *it->second.info;
}

absl::Status NamespaceCopyControl::Expose(const std::string& target) {
  return state_->SetAttachedHere(target, true);
}

absl::Status NamespaceCopyControl::Delete(const std::string& target) {
  State& st = *state_;
  absl::StatusOr<IdentifyController> controller = st.Controller();
  if (!controller.ok()) return controller.status();
  std::optional<State::Target> held;
  {
    std::lock_guard<std::mutex> lock(st.mu);
    auto it = st.targets.find(target);
    if (it != st.targets.end()) held = it->second;
  }
  if (held.has_value()) {
    if (absl::Status s = st.DetachHere(held->nsid); !s.ok()) return Annotate(s, absl::StrCat("ns-copy: deleting ", target));
    if (absl::Status s = st.Rescan(); !s.ok()) return s;
    if (held->created) {
      if (absl::Status s = st.DeleteNamespace(held->nsid); !s.ok()) {
        return Annotate(s, absl::StrCat("ns-copy: deleting ", target));
      }
    }
    std::lock_guard<std::mutex> lock(st.mu);
    st.targets.erase(target);
    st.claimed.erase(held->nsid);
    --st.reserved_count;
    st.log->info("ns-copy: deleted {}", target);
    return absl::OkStatus();
  }

  // Not held by this process: an orphan, a target deleted before, or not ours.
  absl::StatusOr<std::pair<std::uint32_t, bool>> parsed = st.ParseName(controller->serial_number, target);
  if (!parsed.ok()) return parsed.status();
  const auto [nsid, created] = *parsed;
  if (created) {
    absl::StatusOr<IdentifyNamespace> ns = st.AllocatedNamespace(nsid);
    if (!ns.ok() && GetErrorCode(ns.status()) != ErrorCode::kObjectNotFound) return ns.status();
    if (!ns.ok() || !ns->active()) return absl::OkStatus();  // deleted already
    return BackendFailureError(absl::StrCat("ns-copy: ", target, ": namespace ", nsid,
                                            " exists but this process did not create it; if it is a leftover "
                                            "snapshot target, delete it by hand (nvme delete-ns)"));
  }
  if (!st.InPool(nsid)) {
    return BackendFailureError(absl::StrCat("ns-copy: ", target, ": namespace ", nsid, " is not in the target pool (",
                                            PoolText(st.options.pool_nsids), "); left alone"));
  }
  {
    std::lock_guard<std::mutex> lock(st.mu);
    if (st.claimed.count(nsid) != 0) return absl::OkStatus();  // a new target of another name holds it now
    st.claimed.insert(nsid);
  }
  absl::Status status;
  absl::StatusOr<std::vector<std::uint16_t>> attached = st.AttachedControllers(nsid);
  if (!attached.ok()) {
    status = attached.status();
  } else if (!attached->empty()) {
    st.log->info("ns-copy: reclaiming orphan {} (attached to controller(s) {})", target, absl::StrJoin(*attached, ","));
    status = st.Attachment(nsid, false, *attached);
    if (status.ok()) status = st.Rescan();
  }
  std::lock_guard<std::mutex> lock(st.mu);
  st.claimed.erase(nsid);
  return status.ok() ? status : Annotate(status, absl::StrCat("ns-copy: deleting ", target));
}

absl::StatusOr<std::vector<std::string>> NamespaceCopyControl::ListTargets() {
  State& st = *state_;
  absl::StatusOr<IdentifyController> controller = st.Controller();
  if (!controller.ok()) return controller.status();
  std::vector<std::string> names;
  std::set<std::uint32_t> held;
  {
    std::lock_guard<std::mutex> lock(st.mu);
    for (const auto& [name, t] : st.targets) names.push_back(name);
    held = st.claimed;
  }
  for (std::uint32_t nsid : st.options.pool_nsids) {
    if (held.count(nsid) != 0) continue;
    absl::StatusOr<std::vector<std::uint16_t>> attached = st.AttachedControllers(nsid);
    if (!attached.ok()) {
      if (GetErrorCode(attached.status()) == ErrorCode::kObjectNotFound) continue;  // not allocated
      return Annotate(attached.status(), "ns-copy: listing targets");
    }
    if (!attached->empty()) names.push_back(st.NameFor(controller->serial_number, nsid, false));
  }
  std::sort(names.begin(), names.end());
  return names;
}

absl::Status NamespaceCopyControl::Adopt(const RestoredTarget& recorded) {
  State& st = *state_;
  const std::string& name = recorded.id;
  absl::StatusOr<IdentifyController> controller = st.Controller();
  if (!controller.ok()) return controller.status();
  absl::StatusOr<std::pair<std::uint32_t, bool>> parsed = st.ParseName(controller->serial_number, name);
  if (!parsed.ok()) return parsed.status();
  const auto [nsid, created] = *parsed;
  if (!created && !st.InPool(nsid)) {
    return BackendFailureError(absl::StrCat("ns-copy: cannot adopt ", name, ": namespace ", nsid,
                                            " is not in the target pool (", PoolText(st.options.pool_nsids), ")"));
  }
  {
    std::lock_guard<std::mutex> lock(st.mu);
    if (st.targets.count(name) != 0) return absl::OkStatus();  // held already
    if (st.claimed.count(nsid) != 0) {
      return BackendFailureError(absl::StrCat("ns-copy: cannot adopt ", name, ": namespace ", nsid,
                                              " is in use by another target of this process"));
    }
    // Held from here on, over max_targets if need be: refusing would leave
    // a snapshot in a namespace the pool considers free.
    if (st.options.max_targets > 0 && st.reserved_count >= st.options.max_targets) {
      st.log->warn("ns-copy: adopting {} exceeds max_targets ({})", name, st.options.max_targets);
    }
    st.claimed.insert(nsid);
    ++st.reserved_count;
  }
  absl::StatusOr<IdentifyNamespace> ns = st.AllocatedNamespace(nsid);
  if (ns.ok() && !ns->active()) {
    ns = ObjectNotFoundError(absl::StrCat("namespace ", nsid, " is no longer allocated"));
  }
  absl::StatusOr<std::vector<std::uint16_t>> attached =
      ns.ok() ? st.AttachedControllers(nsid) : absl::StatusOr<std::vector<std::uint16_t>>(ns.status());
  if (!attached.ok()) {
    st.Unclaim(nsid);
    return Annotate(attached.status(), absl::StrCat("ns-copy: adopting ", name));
  }
  const bool attached_here =
      std::find(attached->begin(), attached->end(), controller->cntlid) != attached->end();
  State::Target t;
  t.nsid = nsid;
  t.created = created;
  t.adopted = true;
  t.blocks = ns->nsze;
  t.block_bytes = ns->block_bytes();
  t.target_ns = *std::move(ns);
  t.phase = !recorded.committed ? State::Phase::kProvisioned
            : attached_here     ? State::Phase::kExposed
                                : State::Phase::kCommitted;
  if (recorded.exposed && !attached_here) {
    st.log->info("ns-copy: {} was exposed but is detached now; Expose attaches it again", name);
  }
  std::lock_guard<std::mutex> lock(st.mu);
  st.targets[name] = std::move(t);
  st.log->info("ns-copy: adopted {} ({} namespace, {}attached here)", name, created ? "created" : "pool",
               attached_here ? "" : "not ");
  return absl::OkStatus();
}

absl::Status NamespaceCopyControl::Mask(const std::string& target) {
  return state_->SetAttachedHere(target, false);
}

}  // namespace hwsnap::nvme
