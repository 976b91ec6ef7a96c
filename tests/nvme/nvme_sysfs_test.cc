// Tests of the sysfs lookups of the Linux NVMe transport (src/nvme_sysfs.h)
// over fake trees in a temporary directory, laid out as Linux 6.1 shows them:
// PCIe controllers with and without native multipath, multipath subsystems
// with hidden per-path devices, generic char devices, sibling controllers of
// one subsystem, and namespaces that vanish (detach) or come back.
#include "src/nvme_sysfs.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hwsnap/status.h"

namespace hwsnap::nvme::internal {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// A fake /sys and /dev under a fresh temporary directory, removed afterwards.
class FakeHost {
 public:
  FakeHost() {
    std::string pattern = (fs::temp_directory_path() / "hwsnap-nvme-sysfs-XXXXXX").string();
    root_ = ::mkdtemp(pattern.data());
    fs::create_directories(root_ / "sys" / "block");
    fs::create_directories(root_ / "sys" / "class" / "nvme");
    fs::create_directories(root_ / "sys" / "class" / "nvme-generic");
    fs::create_directories(root_ / "dev");
  }
  ~FakeHost() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  FakeHost(const FakeHost&) = delete;
  FakeHost& operator=(const FakeHost&) = delete;

  NvmeHostPaths paths() const { return {(root_ / "sys").string(), (root_ / "dev").string()}; }
  fs::path sys() const { return root_ / "sys"; }

  static void Write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text << "\n";
  }

  // /sys/devices/pci0000:00/0000:00:0<slot>.0/nvme/<name>, linked from /sys/class/nvme.
  fs::path AddController(const std::string& name, const std::string& nqn, int cntlid, int slot,
                         const std::string& state = "live") {
    const fs::path dir = sys() / "devices" / "pci0000:00" /
                         ("0000:00:0" + std::to_string(slot) + ".0") / "nvme" / name;
    Write(dir / "subsysnqn", nqn);
    Write(dir / "cntlid", std::to_string(cntlid));
    Write(dir / "serial", "SN-" + name);
    Write(dir / "state", state);
    fs::create_directory_symlink(dir, sys() / "class" / "nvme" / name);
    return dir;
  }

  // /sys/devices/virtual/nvme-subsystem/<name> linking its controllers.
  fs::path AddSubsystem(const std::string& name, const std::string& nqn,
                        const std::vector<fs::path>& controllers) {
    const fs::path dir = sys() / "devices" / "virtual" / "nvme-subsystem" / name;
    Write(dir / "subsysnqn", nqn);
    Write(dir / "iopolicy", "numa");
    for (const fs::path& c : controllers) fs::create_directory_symlink(c, dir / c.filename());
    return dir;
  }

  // A namespace block device `name` below `parent` (device -> parent), in /sys/block.
  void AddBlock(const fs::path& parent, const std::string& name, std::uint32_t nsid) {
    const fs::path dir = parent / name;
    Write(dir / "nsid", std::to_string(nsid));
    Write(dir / "dev", "259:" + std::to_string(nsid));
    fs::create_directory_symlink(parent, dir / "device");
    fs::create_directory_symlink(dir, sys() / "block" / name);
  }

  void RemoveBlock(const fs::path& parent, const std::string& name) {
    fs::remove(sys() / "block" / name);
    fs::remove_all(parent / name);
  }

  void AddGeneric(const fs::path& parent, const std::string& name) {
    const fs::path dir = parent / "ng" / name;
    fs::create_directories(dir);
    fs::create_directory_symlink(parent, dir / "device");
    fs::create_directory_symlink(dir, sys() / "class" / "nvme-generic" / name);
  }

 private:
  fs::path root_;
};

constexpr char kNqnA[] = "nqn.2019-08.org.qemu:subsys-a";
constexpr char kNqnB[] = "nqn.2019-08.org.qemu:subsys-b";

TEST(NvmeSysfsTest, DevicePathJoinsTheDevRoot) {
  NvmeHostPaths paths{"/x/sys", "/x/dev"};
  EXPECT_EQ(paths.DevicePath("nvme0n1"), "/x/dev/nvme0n1");
}

TEST(NvmeSysfsTest, ReadsController) {
  FakeHost host;
  host.AddController("nvme0", kNqnA, 7, 4);
  absl::StatusOr<SysfsController> c = ReadSysfsController(host.paths(), "nvme0");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->name, "nvme0");
  EXPECT_EQ(c->subsysnqn, kNqnA);
  EXPECT_EQ(c->cntlid, 7u);
  EXPECT_EQ(c->serial, "SN-nvme0");
  EXPECT_EQ(c->state, "live");

  absl::StatusOr<SysfsController> missing = ReadSysfsController(host.paths(), "nvme9");
  EXPECT_EQ(GetErrorCode(missing.status()), ErrorCode::kObjectNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("nvme9"));
}

TEST(NvmeSysfsTest, ControllerOfNamespaceWithoutMultipath) {
  FakeHost host;
  const fs::path c0 = host.AddController("nvme0", kNqnA, 1, 4);
  host.AddBlock(c0, "nvme0n1", 1);
  host.AddGeneric(c0, "ng0n1");
  for (const char* device : {"nvme0", "nvme0n1", "ng0n1"}) {
    absl::StatusOr<SysfsController> c = FindControllerOf(host.paths(), device);
    ASSERT_TRUE(c.ok()) << device << ": " << c.status();
    EXPECT_EQ(c->name, "nvme0") << device;
  }
}

TEST(NvmeSysfsTest, ControllerOfMultipathHeadPrefersLiveThenLowest) {
  FakeHost host;
  // Subsystem 0's head nvme0n1 is served by controllers nvme2 (resetting) and nvme1 (live).
  const fs::path c2 = host.AddController("nvme2", kNqnA, 2, 5, "resetting");
  const fs::path c1 = host.AddController("nvme1", kNqnA, 1, 4, "live");
  const fs::path subsys = host.AddSubsystem("nvme-subsys0", kNqnA, {c2, c1});
  host.AddBlock(subsys, "nvme0n1", 1);
  host.AddGeneric(subsys, "ng0n1");
  for (const char* device : {"nvme0n1", "ng0n1"}) {
    absl::StatusOr<SysfsController> c = FindControllerOf(host.paths(), device);
    ASSERT_TRUE(c.ok()) << device << ": " << c.status();
    EXPECT_EQ(c->name, "nvme1") << device;  // live, although not the first link
  }
}

TEST(NvmeSysfsTest, ControllerOfUnknownDeviceIsNotFound) {
  FakeHost host;
  absl::StatusOr<SysfsController> c = FindControllerOf(host.paths(), "nvme3n1");
  EXPECT_EQ(GetErrorCode(c.status()), ErrorCode::kObjectNotFound);
  const fs::path empty = host.AddSubsystem("nvme-subsys4", kNqnA, {});
  host.AddBlock(empty, "nvme4n1", 1);
  c = FindControllerOf(host.paths(), "nvme4n1");
  EXPECT_EQ(GetErrorCode(c.status()), ErrorCode::kObjectNotFound);
  EXPECT_THAT(c.status().message(), HasSubstr("lists no controller"));
}

TEST(NvmeSysfsTest, FindsNamespaceBlockDeviceByNsidNotByName) {
  FakeHost host;
  const fs::path c0 = host.AddController("nvme0", kNqnA, 1, 4);
  // Instance numbers differ from NSIDs (namespaces attached out of order).
  host.AddBlock(c0, "nvme0n1", 5);
  host.AddBlock(c0, "nvme0n2", 1);
  absl::StatusOr<SysfsController> c = ReadSysfsController(host.paths(), "nvme0");
  ASSERT_TRUE(c.ok());
  absl::StatusOr<SysfsNamespaceDevice> d = FindNamespaceBlockDevice(host.paths(), *c, 5);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->name, "nvme0n1");
  EXPECT_NE(d->sysfs_inode, 0u);
  d = FindNamespaceBlockDevice(host.paths(), *c, 1);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->name, "nvme0n2");
  d = FindNamespaceBlockDevice(host.paths(), *c, 2);
  EXPECT_EQ(GetErrorCode(d.status()), ErrorCode::kObjectNotFound);
  EXPECT_THAT(d.status().message(), HasSubstr("namespace 2"));
}

TEST(NvmeSysfsTest, MultipathHeadMatchesBySubsystemAndSkipsHiddenPaths) {
  FakeHost host;
  const fs::path c0 = host.AddController("nvme0", kNqnA, 1, 4);
  const fs::path subsys = host.AddSubsystem("nvme-subsys0", kNqnA, {c0});
  host.AddBlock(c0, "nvme0c0n1", 3);   // hidden per-path device: never used
  host.AddBlock(subsys, "nvme0n1", 3);  // the head
  absl::StatusOr<SysfsController> c = ReadSysfsController(host.paths(), "nvme0");
  ASSERT_TRUE(c.ok());
  absl::StatusOr<SysfsNamespaceDevice> d = FindNamespaceBlockDevice(host.paths(), *c, 3);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->name, "nvme0n1");
}

TEST(NvmeSysfsTest, OtherSubsystemsNamespacesAreIgnored) {
  FakeHost host;
  const fs::path a = host.AddController("nvme0", kNqnA, 1, 4);
  const fs::path b = host.AddController("nvme1", kNqnB, 1, 5);
  host.AddBlock(b, "nvme1n1", 1);  // NSID 1 of another subsystem
  absl::StatusOr<SysfsController> c = ReadSysfsController(host.paths(), "nvme0");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(GetErrorCode(FindNamespaceBlockDevice(host.paths(), *c, 1).status()),
            ErrorCode::kObjectNotFound);
  host.AddBlock(a, "nvme0n1", 1);
  absl::StatusOr<SysfsNamespaceDevice> d = FindNamespaceBlockDevice(host.paths(), *c, 1);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->name, "nvme0n1");
}

TEST(NvmeSysfsTest, PrefersOwnControllerOverSiblingOfSameSubsystem) {
  FakeHost host;
  // Two controllers of one subsystem without multipath: each shows the namespace.
  const fs::path c0 = host.AddController("nvme0", kNqnA, 1, 4);
  const fs::path c1 = host.AddController("nvme1", kNqnA, 2, 5);
  host.AddBlock(c0, "nvme0n1", 1);
  host.AddBlock(c1, "nvme1n1", 1);
  absl::StatusOr<SysfsController> second = ReadSysfsController(host.paths(), "nvme1");
  ASSERT_TRUE(second.ok());
  absl::StatusOr<SysfsNamespaceDevice> d = FindNamespaceBlockDevice(host.paths(), *second, 1);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->name, "nvme1n1");
  // Only the sibling's device: still the same namespace, so usable.
  host.RemoveBlock(c1, "nvme1n1");
  d = FindNamespaceBlockDevice(host.paths(), *second, 1);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->name, "nvme0n1");
}

TEST(NvmeSysfsTest, StillPresentFollowsDetachAndReattach) {
  FakeHost host;
  const fs::path c0 = host.AddController("nvme0", kNqnA, 1, 4);
  host.AddBlock(c0, "nvme0n2", 4);
  absl::StatusOr<SysfsController> c = ReadSysfsController(host.paths(), "nvme0");
  ASSERT_TRUE(c.ok());
  absl::StatusOr<SysfsNamespaceDevice> d = FindNamespaceBlockDevice(host.paths(), *c, 4);
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(NamespaceDeviceStillPresent(host.paths(), *d, 4));
  EXPECT_FALSE(NamespaceDeviceStillPresent(host.paths(), *d, 5));  // asked for another NSID

  host.RemoveBlock(c0, "nvme0n2");  // detached
  EXPECT_FALSE(NamespaceDeviceStillPresent(host.paths(), *d, 4));

  // The name comes back for another namespace: not the device we opened.
  host.AddBlock(c0, "nvme0n2", 6);
  EXPECT_FALSE(NamespaceDeviceStillPresent(host.paths(), *d, 4));

  // An incarnation with another inode is a different disk, whatever it shows.
  SysfsNamespaceDevice stale = *d;
  stale.sysfs_inode ^= 0x5a5a;
  EXPECT_FALSE(NamespaceDeviceStillPresent(host.paths(), stale, 6));
}

}  // namespace
}  // namespace hwsnap::nvme::internal
