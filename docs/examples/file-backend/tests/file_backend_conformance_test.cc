// Runs hwsnap's backend conformance suite against the example file backend,
// plus the one thing only this backend can promise: the target holds the
// source's bytes as they were at commit, not as they are later.
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "absl/time/clock.h"
#include "file_backend/file_backend.h"
#include "hwsnap/conformance/backend_conformance.h"

namespace file_backend {
namespace {

namespace fs = std::filesystem;

// A fresh temporary directory per rig, removed with it.
class FileRig : public hwsnap::conformance::ConformanceRig {
 public:
  explicit FileRig(const hwsnap::conformance::RigOptions& options) {
    std::string pattern = (fs::temp_directory_path() / "hwsnap-file-backend-XXXXXX").string();
    const char* made = ::mkdtemp(pattern.data());
    if (made == nullptr) ADD_FAILURE() << "mkdtemp " << pattern << " failed";
    root_ = made != nullptr ? made : pattern;
    FileBackendOptions backend_options;
    backend_options.root = root_.string();
    backend_options.target_capacity = options.target_capacity;
    backend_options.prepare_latency = options.prepare_latency;
    backend_ = std::make_unique<FileBackend>(backend_options);
  }
  ~FileRig() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  hwsnap::Backend& backend() override { return *backend_; }
  hwsnap::LunIdentity AddSourceLun() override {
    absl::StatusOr<hwsnap::LunIdentity> lun = backend_->AddSourceLun(64 * 1024);
    EXPECT_TRUE(lun.ok()) << lun.status();
    return lun.ok() ? *lun : hwsnap::LunIdentity{};
  }
  // Inspects the directory itself, not the backend: a target exists while its
  // state file says anything but "released".
  bool TargetExists(const hwsnap::TargetId& target) override {
    std::ifstream in(root_ / "targets" / target / "state");
    std::string word;
    return static_cast<bool>(in >> word) && word != "released";
  }
  int LiveTargetCount() override {
    int live = 0;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(root_ / "targets", ec)) {
      if (TargetExists(entry.path().filename().string())) ++live;
    }
    return live;
  }
  const fs::path& root() const { return root_; }
  FileBackend& file_backend() { return *backend_; }

 private:
  fs::path root_;
  std::unique_ptr<FileBackend> backend_;
};

}  // namespace

struct FileBackendFactory {
  static std::unique_ptr<hwsnap::conformance::ConformanceRig> Create(const hwsnap::conformance::RigOptions& options) {
    return std::make_unique<FileRig>(options);
  }
};

}  // namespace file_backend

HWSNAP_INSTANTIATE_BACKEND_CONFORMANCE(File, file_backend::FileBackendFactory);

namespace file_backend {
namespace {

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(FileBackend, TargetHoldsTheSourceAsOfCommit) {
  FileRig rig({});
  const hwsnap::LunIdentity lun = rig.AddSourceLun();
  const fs::path source = rig.root() / "sources" / "1.img";
  const std::string before = ReadAll(source);
  ASSERT_EQ(before.size(), 64u * 1024u);
  absl::StatusOr<hwsnap::TargetId> target = rig.backend().PrepareTarget(lun, hwsnap::CancelToken());
  ASSERT_TRUE(target.ok()) << target.status();
  ASSERT_TRUE(rig.backend().CommitTargets({*target}, absl::Now() + absl::Seconds(5)).ok());
  {
    std::ofstream out(source, std::ios::binary | std::ios::trunc);
    out << "overwritten after the snapshot";
  }
  EXPECT_EQ(ReadAll(rig.root() / "targets" / *target / "data.img"), before);
  EXPECT_TRUE(rig.backend().ReleaseTarget(*target).ok());
  EXPECT_FALSE(fs::exists(rig.root() / "targets" / *target / "data.img"));
}

TEST(FileBackend, IdsAreNotReusedAfterARestart) {
  FileRig rig({});
  const hwsnap::LunIdentity lun = rig.AddSourceLun();
  absl::StatusOr<hwsnap::TargetId> first = rig.backend().PrepareTarget(lun, hwsnap::CancelToken());
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(rig.backend().ReleaseTarget(*first).ok());
  FileBackendOptions options;
  options.root = rig.root().string();
  FileBackend restarted(options);
  EXPECT_TRUE(restarted.IdentifyLun(lun)->supported);
  EXPECT_TRUE(restarted.ReleaseTarget(*first).ok()) << "a released target stays released across restarts";
  absl::StatusOr<hwsnap::TargetId> second = restarted.PrepareTarget(lun, hwsnap::CancelToken());
  ASSERT_TRUE(second.ok());
  EXPECT_NE(*second, *first);
}

}  // namespace
}  // namespace file_backend
