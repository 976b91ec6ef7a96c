// catalog_sample.h — sample LUNs and a catalog history that uses every record
// type, shared by the catalog tests, the seed-corpus writer and the benchmark.
#ifndef HWSNAP_TESTS_CORE_FUZZ_CATALOG_SAMPLE_H_
#define HWSNAP_TESTS_CORE_FUZZ_CATALOG_SAMPLE_H_

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "hwsnap/catalog.h"

namespace hwsnap {
namespace catalog_sample {

// A disk with a unique NAA designator derived from `n` (and `kind`, so a
// source and a target never collide), a non-unique port designator and one
// interconnect: every LunIdentity field is non-default.
inline LunIdentity Lun(std::uint32_t n, std::uint8_t kind = 0x60) {
  LunIdentity lun;
  lun.device_type = 0;
  lun.device_type_modifier = 1;
  lun.command_queueing = true;
  lun.bus_type = BusType::kIscsi;
  lun.vendor_id = "HWSNAP";
  lun.product_id = kind == 0x60 ? "SOURCE-DISK" : "SNAP-TARGET";
  lun.product_revision = "0001";
  lun.serial_number = absl::StrCat("sn", static_cast<int>(kind), "-", n);
  Designator naa;
  naa.code_set = CodeSet::kBinary;
  naa.type = DesignatorType::kNaa;
  naa.bytes = {kind, 0x01, 0x40, 0x5f, 0xaa, 0xbb, 0xcc, 0xdd, 0, 0, 0, 0,
               static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16),
               static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
  lun.designators.push_back(naa);
  Designator port;
  port.code_set = CodeSet::kBinary;
  port.association = Association::kTargetPort;
  port.type = DesignatorType::kPortRelative;
  port.bytes = {0, 0, 0, 1};
  lun.designators.push_back(port);
  Interconnect ic;
  ic.address_type = InterconnectAddressType::kScsi;
  ic.port = {1, 2};
  ic.address = {3, 4, 5};
  lun.interconnects.push_back(ic);
  return lun;
}
inline LunIdentity TargetLun(std::uint32_t n) { return Lun(n, 0x61); }

inline SnapshotSetId SetId(std::uint32_t n) {
  std::array<std::uint8_t, 16> b{};
  b[0] = 0x5e;
  b[12] = static_cast<std::uint8_t>(n >> 24);
  b[13] = static_cast<std::uint8_t>(n >> 16);
  b[14] = static_cast<std::uint8_t>(n >> 8);
  b[15] = static_cast<std::uint8_t>(n);
  return SnapshotSetId::FromBytes(b);
}
inline SnapshotId SnapId(std::uint32_t n) {
  std::array<std::uint8_t, 16> b{};
  b[0] = 0x5a;
  b[14] = static_cast<std::uint8_t>(n >> 8);
  b[15] = static_cast<std::uint8_t>(n);
  return SnapshotId::FromBytes(b);
}

#define HWSNAP_SAMPLE_RETURN_IF_ERROR(expr) \
  do {                                      \
    absl::Status _s = (expr);               \
    if (!_s.ok()) return _s;                \
  } while (0)

// The states a set passes through from prepared to completed.
inline absl::Status CompleteSet(Catalog& c, const SnapshotSetId& set) {
  for (SetState s : {SetState::kPrepared, SetState::kPreCommitted, SetState::kCommitted, SetState::kPostCommitted,
                     SetState::kPreFinalCommitted, SetState::kCompleted}) {
    HWSNAP_SAMPLE_RETURN_IF_ERROR(c.RecordSetState(set, s));
  }
  return absl::OkStatus();
}

// One completed set with `luns` targets (source n+i -> target "t-<n+i>"),
// each described with TargetLun(n+i).
inline absl::Status AddCompletedSet(Catalog& c, std::uint32_t set_n, std::uint32_t first_lun, int luns,
                                    absl::Time when) {
  const SnapshotSetId set = SetId(set_n);
  HWSNAP_SAMPLE_RETURN_IF_ERROR(c.RecordSetCreated(set, 0x1d, when));
  HWSNAP_SAMPLE_RETURN_IF_ERROR(c.RecordSnapshotAdded(set, SnapId(set_n)));
  for (int i = 0; i < luns; ++i) {
    const std::uint32_t n = first_lun + static_cast<std::uint32_t>(i);
    HWSNAP_SAMPLE_RETURN_IF_ERROR(c.RecordPrepareStarted(set, Lun(n)));
    HWSNAP_SAMPLE_RETURN_IF_ERROR(c.RecordTargetPrepared(set, Lun(n), absl::StrCat("t-", set_n, "-", n)));
  }
  for (int i = 0; i < luns; ++i) {
    const std::uint32_t n = first_lun + static_cast<std::uint32_t>(i);
    HWSNAP_SAMPLE_RETURN_IF_ERROR(c.RecordTargetDescribed(absl::StrCat("t-", set_n, "-", n), TargetLun(set_n * 1000 + n)));
  }
  return CompleteSet(c, set);
}

// A history that uses every record type: set 1 completed with an exposed,
// flagged target, a released target and a prepare that ended without a
// target; set 2 aborted and forgotten; set 3 still preparing.
inline absl::Status WriteEveryRecordType(Catalog& c) {
  const absl::Time t0 = absl::FromUnixSeconds(1767225600);
  const SnapshotSetId s1 = SetId(1), s2 = SetId(2), s3 = SetId(3);
  HWSNAP_SAMPLE_RETURN_IF_ERROR(c.RecordSetCreated(s1, 0x1d, t0));
  HWSNAP_SAMPLE_RETURN_IF_ERROR(c.RecordSnapshotAdded(s1, SnapId(1)));
  HWSNAP_SAMPLE_RETURN_IF_ERROR(c.RecordSnapshotAdded(s1, SnapId(2)));
  HWSNAP_SAMPLE_RETURN_IF_ERROR(c.RecordPrepareStarted(s1, Lun(1)));
  HWSNAP_SAMPLE_RETURN_IF_ERROR(c.RecordPrepareStarted(s1, Lun(2)));
  HWSNAP_SAMPLE_RETURN_IF_ERROR(c.RecordPrepareStarted(s1, Lun(3)));
  HWSNAP_SAMPLE_RETURN_IF_ERROR(c.RecordTargetPrepared(s1, Lun(1), "target-1"));
  HWSNAP_SAMPLE_RETURN_IF_ERROR(c.RecordTargetPrepared(s1, Lun(2), "target-2"));
  HWSNAP_SAMPLE_RETURN_IF_ERROR(c.RecordPrepareEnded(s1, Lun(3)));
  HWSNAP_SAMPLE_RETURN_IF_ERROR(c.RecordSetState(s1, SetState::kPrepared));
  HWSNAP_SAMPLE_RETURN_IF_ERROR(c.RecordTargetDescribed("target-1", TargetLun(1)));
  HWSNAP_SAMPLE_RETURN_IF_ERROR(c.RecordTargetDescribed("target-2", TargetLun(2)));
  HWSNAP_SAMPLE_RETURN_IF_ERROR(CompleteSet(c, s1));
  HWSNAP_SAMPLE_RETURN_IF_ERROR(c.RecordTargetExposed("target-1", true));
  HWSNAP_SAMPLE_RETURN_IF_ERROR(c.RecordTargetFlags("target-1", kTargetReadWrite | kTargetMasked, 0));
  HWSNAP_SAMPLE_RETURN_IF_ERROR(c.RecordTargetFlags("target-1", 0, kTargetReadWrite));
  HWSNAP_SAMPLE_RETURN_IF_ERROR(c.RecordTargetReleased("target-2"));

  HWSNAP_SAMPLE_RETURN_IF_ERROR(c.RecordSetCreated(s2, 0, t0 + absl::Seconds(10)));
  HWSNAP_SAMPLE_RETURN_IF_ERROR(c.RecordPrepareStarted(s2, Lun(1)));
  HWSNAP_SAMPLE_RETURN_IF_ERROR(c.RecordTargetPrepared(s2, Lun(1), "target-21"));
  HWSNAP_SAMPLE_RETURN_IF_ERROR(c.RecordTargetReleased("target-21"));
  HWSNAP_SAMPLE_RETURN_IF_ERROR(c.RecordSetState(s2, SetState::kAborted));
  HWSNAP_SAMPLE_RETURN_IF_ERROR(c.ForgetSet(s2));

  HWSNAP_SAMPLE_RETURN_IF_ERROR(c.RecordSetCreated(s3, 7, t0 + absl::Seconds(20)));
  HWSNAP_SAMPLE_RETURN_IF_ERROR(c.RecordPrepareStarted(s3, Lun(4)));
  return absl::OkStatus();
}

// "" when `a` and `b` hold the same sets field by field, else the first
// difference (for test messages).
inline std::string DiffTargets(const CatalogTarget& a, const CatalogTarget& b) {
  if (a.set_id != b.set_id) return "set_id";
  if (a.source != b.source) return "source";
  if (a.target_id != b.target_id) return "target_id " + a.target_id + " vs " + b.target_id;
  if (a.identity.has_value() != b.identity.has_value()) return "identity presence";
  if (a.identity && *a.identity != *b.identity) return "identity";
  if (a.state != b.state) return "state";
  if (a.exposed != b.exposed) return "exposed";
  if (a.flags != b.flags) return "flags";
  if (a.updated != b.updated) return "updated";
  return "";
}
inline std::string DiffSets(const std::vector<CatalogSet>& a, const std::vector<CatalogSet>& b) {
  if (a.size() != b.size()) return absl::StrCat("set count ", a.size(), " vs ", b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    const CatalogSet& x = a[i];
    const CatalogSet& y = b[i];
    const std::string where = absl::StrCat("set #", i, " ", x.id.ToString(), ": ");
    if (x.id != y.id) return where + "id";
    if (x.context != y.context) return where + "context";
    if (x.state != y.state) return where + "state";
    if (x.created != y.created) return where + "created";
    if (x.updated != y.updated) return where + "updated";
    if (x.snapshots != y.snapshots) return where + "snapshots";
    if (x.targets.size() != y.targets.size()) return where + "target count";
    for (size_t j = 0; j < x.targets.size(); ++j) {
      std::string d = DiffTargets(x.targets[j], y.targets[j]);
      if (!d.empty()) return absl::StrCat(where, "target #", j, ": ", d);
    }
  }
  return "";
}

// A fresh directory under the system temp dir, removed on destruction.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name) {
    std::random_device random;
    path_ = std::filesystem::temp_directory_path() / absl::StrCat("hwsnap-", name, "-", random(), random());
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string File(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}
inline void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

#undef HWSNAP_SAMPLE_RETURN_IF_ERROR

}  // namespace catalog_sample
}  // namespace hwsnap

#endif  // HWSNAP_TESTS_CORE_FUZZ_CATALOG_SAMPLE_H_
