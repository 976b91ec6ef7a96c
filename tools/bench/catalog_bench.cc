// catalog_bench — timing figures of the durable catalog (hwsnap/catalog.h):
// journal size, Open time for a large catalog (against the 200 ms budget for
// 100,000 targets), lookup by identity at 1k vs N targets (the ratio shows
// the O(log n) index), and the latency of one durable append (write + fsync).
// Prints figures; asserts nothing. Run by hand:
//
//   build/.../tools/bench/catalog_bench --targets=100000 --luns-per-set=1
#include <algorithm>
#include <array>
#include <cmath>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "hwsnap/catalog.h"
#include "hwsnap/mock/mock_backend.h"
#include "hwsnap/provider.h"

ABSL_FLAG(int, targets, 100000, "targets (snapshot LUNs) in the large catalog");
ABSL_FLAG(int, luns_per_set, 1, "source LUNs per snapshot set");
ABSL_FLAG(int, small_targets, 1000, "targets in the small catalog the lookup time is compared with");
ABSL_FLAG(int, opens, 5, "Open repetitions (the best and the median are shown)");
ABSL_FLAG(int, lookups, 200000, "FindTargetByIdentity calls per catalog");
ABSL_FLAG(int, appends, 200, "durable appends (write + fsync) to time");
ABSL_FLAG(std::string, dir, "", "where to put the catalogs (default: a fresh directory under the temp dir)");
ABSL_FLAG(bool, keep, false, "keep the catalog files");
ABSL_FLAG(bool, reuse, false, "reuse catalogs kept in --dir by an earlier --keep run");

namespace {

using hwsnap::Catalog;
using hwsnap::CatalogOptions;
using hwsnap::LunIdentity;

LunIdentity Lun(std::uint32_t n, std::uint8_t kind) {
  LunIdentity lun;
  lun.bus_type = hwsnap::BusType::kIscsi;
  lun.vendor_id = "HWSNAP";
  lun.product_id = kind == 0x60 ? "SOURCE-DISK" : "SNAP-TARGET";
  lun.product_revision = "0001";
  lun.serial_number = absl::StrCat("sn", n);
  hwsnap::Designator naa;
  naa.type = hwsnap::DesignatorType::kNaa;
  naa.bytes = {kind, 0x01, 0x40, 0x5f, 0xaa, 0xbb, 0xcc, 0xdd, 0, 0, 0, 0,
               static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16),
               static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
  lun.designators.push_back(naa);
  return lun;
}

hwsnap::SnapshotSetId SetId(std::uint32_t n) {
  std::array<std::uint8_t, 16> b{};
  b[0] = 0x5e;
  for (int i = 0; i < 4; ++i) b[12 + i] = static_cast<std::uint8_t>(n >> (24 - 8 * i));
  return hwsnap::SnapshotSetId::FromBytes(b);
}

void Check(const absl::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "catalog_bench: %s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

// compact_min_bytes that keeps automatic compaction from running.
constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();

// Writes a catalog of `targets` completed, described targets (sync off).
void Build(const std::string& path, int targets, int luns_per_set) {
  std::filesystem::remove(path);
  CatalogOptions o;
  o.path = path;
  o.sync = false;
  o.compact_min_bytes = kNever;  // keep the whole history (the slow case)
  auto c = Catalog::Open(o);
  Check(c.status(), "open for building");
  const absl::Time t0 = absl::Now() - absl::Hours(24 * 365);
  std::uint32_t lun = 0;
  for (std::uint32_t set = 0; static_cast<int>(lun) < targets; ++set) {
    const auto id = SetId(set);
    Check((*c)->RecordSetCreated(id, 0x1d, t0 + absl::Seconds(set)), "set created");
    Check((*c)->RecordSnapshotAdded(id, hwsnap::SnapshotId::Random()), "snapshot added");
    const std::uint32_t first = lun;
    for (int i = 0; i < luns_per_set && static_cast<int>(lun) < targets; ++i, ++lun) {
      Check((*c)->RecordPrepareStarted(id, Lun(lun, 0x60)), "prepare started");
      Check((*c)->RecordTargetPrepared(id, Lun(lun, 0x60), absl::StrCat("target-", lun)), "target prepared");
    }
    Check((*c)->RecordSetState(id, hwsnap::SetState::kPrepared), "state");
    for (std::uint32_t n = first; n < lun; ++n) {
      Check((*c)->RecordTargetDescribed(absl::StrCat("target-", n), Lun(n, 0x61)), "target described");
    }
    for (auto s : {hwsnap::SetState::kPreCommitted, hwsnap::SetState::kCommitted, hwsnap::SetState::kPostCommitted,
                   hwsnap::SetState::kPreFinalCommitted, hwsnap::SetState::kCompleted}) {
      Check((*c)->RecordSetState(id, s), "state");
    }
  }
}

double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

// The mock array, told that every recorded target is still there: what a
// backend whose storage holds the catalog's targets answers at recovery.
class EveryTargetThere : public hwsnap::ForwardingBackend {
 public:
  EveryTargetThere() : ForwardingBackend(std::make_shared<hwsnap::MockBackend>()) {}
  absl::Status RestoreTarget(const hwsnap::RestoredTarget&) override { return absl::OkStatus(); }
};

// Wall and CPU time of constructing a SnapshotProvider over (a copy of)
// `path`: the catalog's Open plus the provider's recovery, what OnLoad costs.
std::pair<double, double> TimeProviderStart(const std::string& path, int* sets_served) {
  const std::string copy = path + ".provider";
  std::filesystem::copy_file(path, copy, std::filesystem::copy_options::overwrite_existing);
  hwsnap::ProviderOptions o;
  o.catalog_path = copy;
  o.catalog.sync = false;
  o.catalog.compact_min_bytes = kNever;
  const std::clock_t cpu_start = std::clock();
  const absl::Time start = absl::Now();
  double wall = 0, cpu = 0;
  {
    hwsnap::SnapshotProvider provider(std::make_shared<EveryTargetThere>(), o);
    wall = Ms(absl::Now() - start);
    cpu = 1000.0 * static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    Check(provider.Usable(), "provider over the catalog");
    *sets_served = provider.recovery().sets_served;
  }
  std::filesystem::remove(copy);
  std::filesystem::remove(copy + ".lock");
  return {wall, cpu};
}

struct OpenFigures {
  double best_ms = 0, median_ms = 0;
  // Process CPU time of the best Open: on a shared machine wall time includes
  // waiting for a core; CPU time shows what the load itself costs.
  double best_cpu_ms = 0;
  std::uint64_t records = 0, bytes = 0;
};

OpenFigures TimeOpen(const std::string& path, int repeats) {
  std::vector<double> ms;
  OpenFigures f;
  f.best_cpu_ms = std::numeric_limits<double>::infinity();
  for (int i = 0; i < repeats; ++i) {
    CatalogOptions o;
    o.path = path;
    o.compact_min_bytes = kNever;  // time the load of the file as it is
    const std::clock_t cpu_start = std::clock();
    const absl::Time start = absl::Now();
    auto c = Catalog::Open(o);
    const absl::Duration took = absl::Now() - start;
    const double cpu_ms = 1000.0 * static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    Check(c.status(), "open");
    ms.push_back(Ms(took));
    f.best_cpu_ms = std::min(f.best_cpu_ms, cpu_ms);
    f.records = (*c)->load_report().records;
    f.bytes = (*c)->load_report().file_bytes;
  }
  std::sort(ms.begin(), ms.end());
  f.best_ms = ms.front();
  f.median_ms = ms[ms.size() / 2];
  return f;
}

// Nanoseconds per FindTargetByIdentity over random described targets.
double TimeLookups(const std::string& path, int targets, int lookups) {
  CatalogOptions o;
  o.path = path;
  o.compact_min_bytes = kNever;
  auto c = Catalog::Open(o);
  Check(c.status(), "open for lookups");
  std::mt19937 random(42);
  std::vector<LunIdentity> queries;
  for (int i = 0; i < 1024; ++i) queries.push_back(Lun(random() % static_cast<std::uint32_t>(targets), 0x61));
  std::size_t found = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < lookups; ++i) found += (*c)->FindTargetByIdentity(queries[i & 1023]).has_value() ? 1 : 0;
  const auto took = std::chrono::steady_clock::now() - start;
  if (found != static_cast<std::size_t>(lookups)) std::fprintf(stderr, "catalog_bench: %zu lookups missed\n", lookups - found);
  return std::chrono::duration<double, std::nano>(took).count() / lookups;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Times the hwsnap catalog: size, Open, lookup by identity, durable append.");
  absl::ParseCommandLine(argc, argv);
  const int targets = std::max(1, absl::GetFlag(FLAGS_targets));
  const int small = std::max(1, absl::GetFlag(FLAGS_small_targets));
  const int per_set = std::max(1, absl::GetFlag(FLAGS_luns_per_set));
  std::filesystem::path dir = absl::GetFlag(FLAGS_dir);
  if (dir.empty()) {
    dir = std::filesystem::temp_directory_path() / absl::StrCat("hwsnap-catalog-bench-", std::random_device()());
  }
  std::filesystem::create_directories(dir);
  const std::string big = (dir / "big.hwsnap").string();
  const std::string little = (dir / "small.hwsnap").string();

  absl::Time start = absl::Now();
  const bool reuse = absl::GetFlag(FLAGS_reuse) && std::filesystem::exists(big) && std::filesystem::exists(little);
  if (!reuse) Build(big, targets, per_set);
  const double build_ms = Ms(absl::Now() - start);
  if (!reuse) Build(little, small, per_set);

  const OpenFigures open = TimeOpen(big, absl::GetFlag(FLAGS_opens));
  // The same catalog after Compact(): one SetImage record per set.
  const std::string compacted = (dir / "big-compacted.hwsnap").string();
  double compact_ms = 0;
  {
    std::filesystem::copy_file(big, compacted, std::filesystem::copy_options::overwrite_existing);
    CatalogOptions o;
    o.path = compacted;
    o.sync = false;
    o.compact_min_bytes = kNever;
    auto c = Catalog::Open(o);
    Check(c.status(), "open for compaction");
    const absl::Time t = absl::Now();
    Check((*c)->Compact(), "compact");
    compact_ms = Ms(absl::Now() - t);
  }
  const OpenFigures open_compacted = TimeOpen(compacted, absl::GetFlag(FLAGS_opens));
  const OpenFigures open_small = TimeOpen(little, absl::GetFlag(FLAGS_opens));
  const double budget_ms = 200.0 * targets / 100000.0;
  std::printf("catalog_bench: %d targets, %d LUN(s) per set, in %s\n", targets, per_set, dir.string().c_str());
  std::printf("  build (sync off)       %10.1f ms\n", build_ms);
  std::printf("  journal                %10.2f MiB, %llu records (%.1f bytes/target)\n",
              static_cast<double>(open.bytes) / (1 << 20), static_cast<unsigned long long>(open.records),
              static_cast<double>(open.bytes) / targets);
  std::printf("  Open (history), %6d   best %8.1f ms, median %8.1f ms, cpu %8.1f ms  (budget %.0f ms: %.2fx of it)\n",
              targets, open.best_ms, open.median_ms, open.best_cpu_ms, budget_ms, open.median_ms / budget_ms);
  std::printf("  Compact(), %6d targets %7.1f ms -> %.2f MiB, %llu records (%.1f bytes/target)\n", targets,
              compact_ms, static_cast<double>(open_compacted.bytes) / (1 << 20),
              static_cast<unsigned long long>(open_compacted.records),
              static_cast<double>(open_compacted.bytes) / targets);
  std::printf("  Open after Compact()   best %8.1f ms, median %8.1f ms, cpu %8.1f ms  (budget %.0f ms: %.2fx of it; "
              "history Open median %.1f ms: %.1fx faster)\n",
              open_compacted.best_ms, open_compacted.median_ms, open_compacted.best_cpu_ms, budget_ms,
              open_compacted.median_ms / budget_ms,
              open.median_ms, open.median_ms / open_compacted.median_ms);
  std::printf("  Open, %6d targets    best %8.1f ms, median %8.1f ms\n", small, open_small.best_ms,
              open_small.median_ms);

  const int lookups = std::max(1, absl::GetFlag(FLAGS_lookups));
  int served = 0;
  const auto [provider_ms, provider_cpu_ms] = TimeProviderStart(compacted, &served);
  std::printf("  SnapshotProvider start %8.1f ms, cpu %8.1f ms  (catalog Open + recovery, %d sets served; "
              "what OnLoad costs)\n",
              provider_ms, provider_cpu_ms, served);
  const double ns_small = TimeLookups(little, small, lookups);
  const double ns_big = TimeLookups(big, targets, lookups);
  std::printf("  FindTargetByIdentity   %6d targets: %7.0f ns   %6d targets: %7.0f ns   ratio %.2f "
              "(log2 ratio %.2f; linear would be %.0f)\n",
              small, ns_small, targets, ns_big, ns_big / ns_small,
              std::log2(static_cast<double>(targets)) / std::log2(static_cast<double>(small)),
              static_cast<double>(targets) / small);

  {
    CatalogOptions o;
    o.path = big;  // sync on: every Record* is write + fsync
    o.compact_min_bytes = kNever;
    auto c = Catalog::Open(o);
    Check(c.status(), "open for appends");
    const auto set = SetId(0xfffffff0u);
    Check((*c)->RecordSetCreated(set, 0, absl::Now()), "set created");
    std::vector<double> us;
    for (int i = 0; i < absl::GetFlag(FLAGS_appends); ++i) {
      const auto t = std::chrono::steady_clock::now();
      Check((*c)->RecordSnapshotAdded(set, hwsnap::SnapshotId::Random()), "snapshot added");
      us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t).count());
    }
    std::sort(us.begin(), us.end());
    if (!us.empty()) {
      std::printf("  append + fsync         p50 %8.1f us, p99 %8.1f us, max %8.1f us (%zu appends)\n",
                  us[us.size() / 2], us[us.size() * 99 / 100], us.back(), us.size());
    }
  }
  if (!absl::GetFlag(FLAGS_keep)) std::filesystem::remove_all(dir);
  return 0;
}
