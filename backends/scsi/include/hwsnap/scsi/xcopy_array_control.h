// hwsnap/scsi/xcopy_array_control.h — point-in-time copies by SCSI EXTENDED
// COPY (LID1) into a pool of pre-provisioned LUNs.
//
// The second reference ArrayControl (hwsnap/scsi/array_control.h): it needs
// nothing from the array but the SCSI standard. The administrator provisions
// a pool of LUNs, already mapped to this host, each at least as large as the
// LUNs to be snapshotted; hwsnap reserves one per source LUN at prepare time
// and, at commit, asks the source LUN's copy manager to copy every block of
// the source into it with EXTENDED COPY (LID1), naming both LUNs by their NAA
// designators (identification CSCD descriptors, type 0xE4).
//
// THE COST, honestly: this is a *full copy* of the source, made while VSS
// holds application writes (VSS allows the whole commit about 10 seconds).
// The data moves inside the target (no host I/O), but the target still reads
// and writes every block: at a few hundred MB/s that is a few GB per commit
// at most. It suits small LUNs (boot/config/database-log LUNs, test rigs) and
// arrays whose copy manager is copy-on-write internally; for anything large a
// vendor strategy that creates a real snapshot belongs in its place. A copy
// that does not finish before the deadline fails the commit with
// kDeadlineExceeded (the command timeout is the time left).
//
//   XcopyArrayControlOptions options;
//   options.pool = {"/dev/sg3", "/dev/sg4"};        // pre-provisioned, mapped
//   XcopyArrayControl control(std::move(options));
//   if (control.WhyCannotSnapshot(source).empty()) {
//     absl::StatusOr<std::string> target = control.Provision(source, cancel);
//     ... control.TakePointInTime({*target}, absl::Now() + absl::Seconds(8));
//   }
//
// Behaviour per ArrayControl method:
//   WhyCannotSnapshot  the source must advertise EXTENDED COPY (LID1)
//                      (ScsiLunInfo::extended_copy_lid1), carry an NAA
//                      designator and a known capacity, and a free pool LUN of
//                      at least its capacity and the same block length must
//                      exist (pool LUNs are read once and cached for this).
//   Provision          reserves the first free pool LUN that fits (read fresh
//                      over its transport), reads the copy manager's limits
//                      (RECEIVE COPY OPERATING PARAMETERS on the source, or
//                      VPD 0x8F where the source lists it) and builds the
//                      EXTENDED COPY parameter lists: the source's blocks cut
//                      into segments of at most 65535 blocks and the maximum
//                      segment length, packed into as many commands as the
//                      maximum segment descriptor count requires (LIO: one
//                      segment per command). Polls `cancel` between steps;
//                      nothing is created on the storage, so a cancelled or
//                      failed prepare merely returns the LUN to the pool.
//                      No free LUN that fits: kInsufficientStorage.
//   TakePointInTime    sends the prepared commands to each source LUN in
//                      turn, every command's timeout being the time left
//                      until `deadline`; past the deadline: kDeadlineExceeded.
//                      If any fails, the group fails: the pool LUNs stay
//                      uncommitted (holding a partial copy nobody will see).
//   TargetAddress      the pool LUN's transport address.
//   Expose             nothing to do: pool LUNs are mapped to the host already
//                      (that is what "pre-provisioned" means here).
//   Delete             returns the LUN to the pool (its data is left as is);
//                      idempotent.
//   ListTargets        the reserved pool LUNs.
//   Adopt              (after a restart) reserves the pool LUN again, after
//                      reading it (kObjectNotFound when the address is no
//                      longer in the pool or, with a recorded identity, no
//                      longer shows that LUN — device names move). An adopted
//                      uncommitted target can only be deleted.
//   Mask               not supported: pool LUNs stay mapped to the host.
//
// Target names are the pool LUNs' transport addresses. Reservations live in
// this object: after a restart every pool LUN is free again unless Adopt
// takes it back — which the backend does for every target the catalog
// recorded, so a LUN holding a snapshot a backup still needs is never
// handed out (and overwritten) by the next prepare. Nothing on the storage
// needs reclaiming: a stale copy is simply overwritten next time.
// Thread-safe; every transport it opens is used by one thread at a time.
#ifndef HWSNAP_SCSI_XCOPY_ARRAY_CONTROL_H_
#define HWSNAP_SCSI_XCOPY_ARRAY_CONTROL_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "hwsnap/cancel_token.h"
#include "hwsnap/scsi/array_control.h"
#include "hwsnap/scsi/lun_info.h"
#include "hwsnap/scsi/scsi_transport.h"

namespace hwsnap::scsi {

struct XcopyArrayControlOptions {
  // Transport addresses of the pool LUNs, in the order they are handed out.
  std::vector<std::string> pool;
  // How to reach a LUN; empty: OpenScsiTransport(address).
  TransportOpener open_transport;
  // Timeout of each identity/limits command during WhyCannotSnapshot and Provision.
  absl::Duration command_timeout = absl::Seconds(10);
  // Caps the blocks per segment descriptor below what the copy manager
  // allows (0: no cap of our own). Smaller segments do not make the copy
  // faster; this exists for tests and for targets that misreport limits.
  std::uint32_t max_blocks_per_segment = 0;
};

// What a copy manager accepts in one EXTENDED COPY (LID1) command, from
// RECEIVE COPY OPERATING PARAMETERS (SPC-4 6.18.4) or VPD 0x8F. 0: not reported.
struct CopyManagerLimits {
  std::uint16_t max_cscd_descriptor_count = 0;
  std::uint16_t max_segment_descriptor_count = 0;
  std::uint32_t max_descriptor_list_length = 0;  // bytes of CSCD + segment descriptors
  std::uint32_t max_segment_length = 0;          // bytes one segment may move
};

// Decodes the RECEIVE COPY RESULTS / OPERATING PARAMETERS data (service action
// 0x03). Errors (kBackendFailure): shorter than the 20 bytes that carry the
// limits used here, or an AVAILABLE DATA field that does not cover them.
absl::StatusOr<CopyManagerLimits> ParseCopyOperatingParameters(absl::Span<const std::uint8_t> data);

// The EXTENDED COPY (LID1) parameter lists that copy all of `source` to the
// start of `destination`, block for block, within `limits` (0 fields take
// the SPC defaults: 65535 blocks per segment, one segment per command when
// the count is unknown) and `max_blocks_per_segment` (0: none). Errors
// (kInvalidArgument): no NAA designator on either LUN, different block
// lengths, a destination smaller than the source, an empty source, or limits
// that allow no segment (fewer than 2 CSCD descriptors).
absl::StatusOr<std::vector<std::vector<std::uint8_t>>> PlanExtendedCopy(
    const ScsiLunInfo& source, const ScsiLunInfo& destination, const CopyManagerLimits& limits,
    std::uint32_t max_blocks_per_segment = 0);

class XcopyArrayControl : public ArrayControl {
 public:
  explicit XcopyArrayControl(XcopyArrayControlOptions options);
  ~XcopyArrayControl() override;

  std::string Name() const override { return "xcopy"; }
  std::string WhyCannotSnapshot(const ScsiLunInfo& source) const override;
  absl::StatusOr<std::string> Provision(const ScsiLunInfo& source, const CancelToken& cancel) override;
  absl::Status TakePointInTime(absl::Span<const std::string> targets, absl::Time deadline) override;
  absl::StatusOr<std::string> TargetAddress(const std::string& target) override;
  absl::Status Expose(const std::string& target) override;
  absl::Status Delete(const std::string& target) override;
  absl::StatusOr<std::vector<std::string>> ListTargets() override;
  absl::Status Adopt(const RestoredTarget& recorded) override;

 private:
  struct Reservation;

  absl::StatusOr<std::unique_ptr<ScsiTransport>> Open(absl::string_view address) const;
  // Reads (and caches) a pool LUN's info; refresh: ignore the cache.
  absl::StatusOr<ScsiLunInfo> PoolLunInfo(const std::string& address, bool refresh) const;
  bool InPool(const std::string& address) const;

  const XcopyArrayControlOptions options_;
  mutable std::mutex mu_;
  // Pool LUN address -> its reservation (claimed while Provision checks it:
  // null until prepared).
  std::map<std::string, std::shared_ptr<Reservation>> reserved_;
  mutable std::map<std::string, ScsiLunInfo> pool_info_;  // cache for WhyCannotSnapshot
};

}  // namespace hwsnap::scsi

#endif  // HWSNAP_SCSI_XCOPY_ARRAY_CONTROL_H_
