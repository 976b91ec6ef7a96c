// catalog_test_util.h — shared by the provider tests that use a catalog:
// a per-test catalog directory, a decorator giving the mock array the
// optional Backend methods (restore, list, mask, resync), and a helper that
// drives a set through the whole VSS sequence.
#ifndef HWSNAP_TESTS_CORE_CATALOG_TEST_UTIL_H_
#define HWSNAP_TESTS_CORE_CATALOG_TEST_UTIL_H_

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "hwsnap/backend.h"
#include "hwsnap/catalog.h"
#include "hwsnap/mock/mock_backend.h"
#include "hwsnap/provider.h"
#include "hwsnap/status.h"

namespace hwsnap::testing {

// A fresh, empty directory for this test (removed at destruction).
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::path(::testing::TempDir()) /
            absl::StrCat("hwsnap-", info->test_suite_name(), "-", info->name(), "-", ::getpid());
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// The mock array plus the optional methods, each switchable off (then the
// Backend default, kNotSupported, answers).
class ExMock : public ForwardingBackend {
 public:
  explicit ExMock(std::shared_ptr<MockBackend> mock) : ForwardingBackend(mock), mock_(std::move(mock)) {}

  bool restore_supported = true, list_supported = true, mask_supported = true, resync_supported = true;
  int resync_steps = 10;
  absl::Duration resync_step_time = absl::Milliseconds(1);

  absl::Status RestoreTarget(const RestoredTarget& target) override {
    if (!restore_supported) return Backend::RestoreTarget(target);
    ++restored;
    return Alive(target.id) ? absl::OkStatus() : ObjectNotFoundError(absl::StrCat("no target ", target.id));
  }
  absl::StatusOr<std::vector<TargetId>> ListTargets() override {
    if (!list_supported) return Backend::ListTargets();
    std::vector<TargetId> ids;
    for (const auto& record : mock_->LiveTargets()) ids.push_back(record.id);
    return ids;
  }
  absl::Status MaskTarget(const TargetId& target) override {
    if (!mask_supported) return Backend::MaskTarget(target);
    if (!Alive(target)) return ObjectNotFoundError(absl::StrCat("no target ", target));
    std::lock_guard<std::mutex> lock(mu_);
    masked_.insert(target);
    return absl::OkStatus();
  }
  absl::Status ResyncTarget(const TargetId& target, const LunIdentity& destination, const CancelToken& cancel,
                            const ProgressCallback& progress) override {
    if (!resync_supported) return Backend::ResyncTarget(target, destination, cancel, progress);
    if (!Alive(target)) return ObjectNotFoundError(absl::StrCat("no target ", target));
    ++resyncs_started;
    for (int step = 0; step < resync_steps; ++step) {
      if (auto s = cancel.SleepFor(resync_step_time); !s.ok()) return s;
      progress(static_cast<double>(step + 1) / resync_steps);
    }
    ++resyncs_done;
    return absl::OkStatus();
  }

  bool Masked(const TargetId& target) const {
    std::lock_guard<std::mutex> lock(mu_);
    return masked_.count(target) > 0;
  }
  bool Alive(const TargetId& target) const {
    for (const auto& record : mock_->LiveTargets()) {
      if (record.id == target) return true;
    }
    return false;
  }

  std::atomic<int> restored{0}, resyncs_started{0}, resyncs_done{0};

 private:
  std::shared_ptr<MockBackend> mock_;
  mutable std::mutex mu_;
  std::set<TargetId> masked_;
};

inline ProviderOptions CatalogOptionsAt(const std::string& path, bool sync = true) {
  ProviderOptions options;
  options.catalog_path = path;
  options.catalog.sync = sync;
  return options;
}

// Runs the whole sequence for one snapshot of `luns`; the set's id.
inline SnapshotSetId CompleteSet(SnapshotProvider& provider, absl::Span<const LunIdentity> luns) {
  const auto set = SnapshotSetId::Random();
  EXPECT_TRUE(provider.BeginPrepareSnapshot(set, SnapshotId::Random(), 0, luns).ok());
  EXPECT_TRUE(provider.EndPrepareSnapshots(set).ok());
  EXPECT_TRUE(provider.PreCommitSnapshots(set).ok());
  EXPECT_TRUE(provider.CommitSnapshots(set).ok());
  EXPECT_TRUE(provider.PostCommitSnapshots(set, 1).ok());
  EXPECT_TRUE(provider.PreFinalCommitSnapshots(set).ok());
  EXPECT_TRUE(provider.PostFinalCommitSnapshots(set).ok());
  return set;
}

// The catalog's record of the target `id` (opens it read-only: the provider
// that wrote it must be gone).
inline std::optional<CatalogTarget> RecordedTarget(const std::string& path, const TargetId& id) {
  CatalogOptions options;
  options.path = path;
  options.read_only = true;
  auto catalog = Catalog::Open(options);
  EXPECT_TRUE(catalog.ok()) << catalog.status();
  if (!catalog.ok()) return std::nullopt;
  return (*catalog)->FindTarget(id);
}

}  // namespace hwsnap::testing

#endif  // HWSNAP_TESTS_CORE_CATALOG_TEST_UTIL_H_
