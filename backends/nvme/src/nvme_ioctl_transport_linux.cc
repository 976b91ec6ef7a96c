// The Linux NVMe passthrough transport (hwsnap/nvme/nvme_ioctl_transport.h):
// descriptors on the controller's and namespaces' devices, one
// NVME_IOCTL_ADMIN64_CMD / NVME_IOCTL_IO64_CMD per command. errno becomes a
// Status only in ErrnoError; what an ioctl reported is decoded in
// DecodeNvmeIoctlOutcome; which device serves which namespace comes from
// sysfs (src/nvme_sysfs.h).
#include "hwsnap/nvme/nvme_ioctl_transport.h"

#include <fcntl.h>
#include <linux/nvme_ioctl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "hwsnap/status.h"
#include "src/nvme_sysfs.h"

#if !defined(NVME_IOCTL_ADMIN64_CMD) || !defined(NVME_IOCTL_IO64_CMD)
#error "hwsnap's NVMe transport needs <linux/nvme_ioctl.h> from Linux 5.5 or later (NVME_IOCTL_*64_CMD)"
#endif

namespace hwsnap::nvme {
namespace {

using internal::NvmeHostPaths;
using internal::SysfsController;
using internal::SysfsNamespaceDevice;

// Host status the Linux driver reports when it aborted a command itself
// (SCT 3h Path Related, SC 71h Command Aborted By Host; NVME_SC_HOST_ABORTED_CMD).
constexpr int kHostAbortedStatus = 0x371;
constexpr int kStatusFieldMask = 0x7fff;

// The one place errno becomes a Status in this file.
absl::Status ErrnoError(absl::string_view what, int err) {
  const std::string message = absl::StrCat(what, ": ", std::strerror(err));
  switch (err) {
    case ETIMEDOUT:
      return DeadlineExceededError(message);
    case ENOTTY:
    case EOPNOTSUPP:
      return NotSupportedError(message);
    case EACCES:
    case EPERM:
      return BackendFailureError(absl::StrCat(message, " (NVMe passthrough needs CAP_SYS_ADMIN)"));
    default:
      return BackendFailureError(message);
  }
}

std::string Describe(const NvmeCommand& command, absl::string_view device) {
  return absl::StrFormat("NVMe %s command 0x%02x nsid %u to %s",
                         command.queue == NvmeQueue::kAdmin ? "admin" : "I/O", command.opcode,
                         command.nsid, device);
}

// Opens a device read-write, or read-only when writing is refused (a
// read-only namespace); close-on-exec. -1 with errno set on failure.
int OpenDevice(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0 && (errno == EROFS || errno == EACCES)) fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  return fd;
}

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

class NvmeIoctlTransport final : public NvmeTransport {
 public:
  NvmeIoctlTransport(NvmeAddress address, NvmeIoctlOptions options, Fd fd, std::uint32_t nsid)
      : address_(std::move(address)),
        options_(std::move(options)),
        paths_{options_.sysfs_root, options_.dev_root},
        own_(std::move(fd)),
        nsid_(nsid) {}

  std::string Address() const override { return address_.device_path; }
  std::uint32_t nsid() const override { return nsid_; }

  absl::StatusOr<NvmeCompletion> Execute(const NvmeCommand& command) override {
    const std::string what = Describe(command, address_.device_path);
    if (absl::Status valid = ValidateNvmeCommand(command, {"NVMe ioctl"}); !valid.ok()) {
      return Annotate(valid, what);
    }
    if (command.queue == NvmeQueue::kAdmin) {
      const int fd = AdminFd();
      return Send(fd, NVME_IOCTL_ADMIN64_CMD, command, what);
    }
    if (IsNamespaceAddress() && command.nsid == nsid_) {
      return Send(own_.get(), NVME_IOCTL_IO64_CMD, command, what);
    }
    // Another namespace: its own block device, re-resolved once if the kept
    // descriptor turns out to be stale (the namespace was detached).
    for (int attempt = 0; attempt < 2; ++attempt) {
      absl::StatusOr<int> fd = NamespaceFd(command.nsid);
      if (!fd.ok()) return Annotate(fd.status(), what);
      const std::string where = Describe(command, namespaces_[command.nsid].path);
      absl::StatusOr<NvmeCompletion> completion = Send(*fd, NVME_IOCTL_IO64_CMD, command, where);
      if (completion.ok() || attempt > 0 || (last_errno_ != ENODEV && last_errno_ != ENXIO)) {
        return completion;
      }
      namespaces_.erase(command.nsid);
    }
    return BackendFailureError(absl::StrCat(what, ": unreachable"));
  }

  absl::Status Rescan() override {
    absl::StatusOr<int> fd = ControllerFd();
    if (!fd.ok()) return Annotate(fd.status(), absl::StrCat("rescan ", address_.device_path));
    if (::ioctl(*fd, NVME_IOCTL_RESCAN) < 0) {
      return ErrnoError(absl::StrCat("ioctl(NVME_IOCTL_RESCAN) on ", controller_path_), errno);
    }
    return absl::OkStatus();
  }

 private:
  struct OpenNamespace {
    Fd fd;
    std::string path;
    SysfsNamespaceDevice device;
  };

  bool IsNamespaceAddress() const { return address_.kind != NvmeAddressKind::kLinuxController; }

  absl::StatusOr<NvmeCompletion> Send(int fd, unsigned long request, const NvmeCommand& command,
                                      absl::string_view what) {
    nvme_passthru_cmd64 cmd;
    std::memset(&cmd, 0, sizeof(cmd));
    cmd.opcode = command.opcode;
    cmd.nsid = command.nsid;
    cmd.cdw2 = command.cdw2;
    cmd.cdw3 = command.cdw3;
    cmd.cdw10 = command.cdw10;
    cmd.cdw11 = command.cdw11;
    cmd.cdw12 = command.cdw12;
    cmd.cdw13 = command.cdw13;
    cmd.cdw14 = command.cdw14;
    cmd.cdw15 = command.cdw15;
    std::vector<std::uint8_t> data;
    if (command.direction == NvmeDataDirection::kFromDevice) {
      data.assign(command.data_in_length, 0);
    } else if (command.direction == NvmeDataDirection::kToDevice) {
      data = command.data_out;
    }
    cmd.addr = data.empty() ? 0 : reinterpret_cast<std::uintptr_t>(data.data());
    cmd.data_len = static_cast<std::uint32_t>(data.size());
    const std::int64_t timeout_ms =
        absl::ToInt64Milliseconds(absl::Ceil(command.timeout, absl::Milliseconds(1)));
    cmd.timeout_ms = static_cast<std::uint32_t>(
        std::clamp<std::int64_t>(timeout_ms, 1, std::numeric_limits<std::uint32_t>::max()));

    NvmeIoctlOutcome outcome;
    const absl::Time start = absl::Now();
    outcome.ret = ::ioctl(fd, request, &cmd);
    outcome.ioctl_errno = outcome.ret < 0 ? errno : 0;
    outcome.elapsed = absl::Now() - start;
    outcome.timeout = command.timeout;
    outcome.result = cmd.result;
    last_errno_ = outcome.ioctl_errno;
    if (command.direction == NvmeDataDirection::kFromDevice) outcome.data_in = std::move(data);
    return DecodeNvmeIoctlOutcome(std::move(outcome), what);
  }

  // The controller's own device, opened on first use.
  absl::StatusOr<int> ControllerFd() {
    if (address_.kind == NvmeAddressKind::kLinuxController) {
      controller_path_ = address_.device_path;
      return own_.get();
    }
    if (controller_fd_.valid()) return controller_fd_.get();
    absl::StatusOr<SysfsController> controller = Controller();
    if (!controller.ok()) return controller.status();
    const std::string path = paths_.DevicePath(controller->name);
    Fd fd(OpenDevice(path));
    if (!fd.valid()) return ErrnoError(absl::StrCat("open ", path), errno);
    controller_fd_ = std::move(fd);
    controller_path_ = path;
    return controller_fd_.get();
  }

  // Admin commands: the controller's device, else (sysfs does not name it)
  // the namespace's own device, whose admin ioctls the kernel forwards to the
  // controller without checking the NSID.
  int AdminFd() {
    absl::StatusOr<int> fd = ControllerFd();
    return fd.ok() ? *fd : own_.get();
  }

  absl::StatusOr<SysfsController> Controller() {
    if (controller_) return *controller_;
    absl::StatusOr<SysfsController> controller =
        internal::FindControllerOf(paths_, address_.device_name);
    if (controller.ok()) controller_ = *controller;
    return controller;
  }

  // A descriptor on namespace `nsid`'s block device (kept between calls).
  absl::StatusOr<int> NamespaceFd(std::uint32_t nsid) {
    if (auto it = namespaces_.find(nsid); it != namespaces_.end()) {
      if (internal::NamespaceDeviceStillPresent(paths_, it->second.device, nsid)) {
        return it->second.fd.get();
      }
      namespaces_.erase(it);  // detached or replaced since it was opened
    }
    absl::StatusOr<SysfsController> controller = Controller();
    if (!controller.ok()) return controller.status();

    absl::StatusOr<OpenNamespace> opened = OpenNamespaceDevice(*controller, nsid);
    if (!opened.ok() && GetErrorCode(opened.status()) == ErrorCode::kObjectNotFound) {
      // The host may not have scanned the namespace yet (just attached): ask
      // once, then wait for the device to appear.
      if (absl::Status rescan = Rescan(); !rescan.ok()) {
        return ObjectNotFoundError(absl::StrCat(opened.status().message(),
                                                "; asking the host to rescan failed: ", rescan.message()));
      }
      const absl::Time deadline = absl::Now() + options_.appear_timeout;
      while (!opened.ok() && GetErrorCode(opened.status()) == ErrorCode::kObjectNotFound &&
             absl::Now() < deadline) {
        std::this_thread::sleep_for(absl::ToChronoMilliseconds(options_.poll_interval));
        opened = OpenNamespaceDevice(*controller, nsid);
      }
    }
    if (!opened.ok()) return opened.status();
    auto [it, inserted] = namespaces_.insert_or_assign(nsid, *std::move(opened));
    (void)inserted;
    return it->second.fd.get();
  }

  absl::StatusOr<OpenNamespace> OpenNamespaceDevice(const SysfsController& controller,
                                                    std::uint32_t nsid) {
    absl::StatusOr<SysfsNamespaceDevice> device =
        internal::FindNamespaceBlockDevice(paths_, controller, nsid);
    if (!device.ok()) return device.status();
    OpenNamespace ns;
    ns.path = paths_.DevicePath(device->name);
    ns.device = *device;
    ns.fd = Fd(OpenDevice(ns.path));
    if (!ns.fd.valid()) {
      const int err = errno;
      if (err == ENOENT) {  // sysfs shows it; udev has not made the node yet
        return ObjectNotFoundError(absl::StrCat("namespace ", nsid, ": ", ns.path, " does not exist yet"));
      }
      return ErrnoError(absl::StrCat("open ", ns.path), err);
    }
    const int id = ::ioctl(ns.fd.get(), NVME_IOCTL_ID);
    if (id < 0) return ErrnoError(absl::StrCat("ioctl(NVME_IOCTL_ID) on ", ns.path), errno);
    if (static_cast<std::uint32_t>(id) != nsid) {  // renamed between the sysfs read and open
      return ObjectNotFoundError(
          absl::StrCat(ns.path, " is namespace ", id, " now, not ", nsid));
    }
    return ns;
  }

  const NvmeAddress address_;
  const NvmeIoctlOptions options_;
  const NvmeHostPaths paths_;
  Fd own_;
  const std::uint32_t nsid_;
  Fd controller_fd_;
  std::string controller_path_;
  std::optional<SysfsController> controller_;
  std::map<std::uint32_t, OpenNamespace> namespaces_;
  int last_errno_ = 0;
};

}  // namespace

absl::StatusOr<NvmeCompletion> DecodeNvmeIoctlOutcome(NvmeIoctlOutcome outcome, absl::string_view what) {
  const bool past_deadline = outcome.elapsed >= outcome.timeout;
  if (outcome.ret < 0) {
    const int err = outcome.ioctl_errno;
    if (err == ETIMEDOUT || (err == EINTR && past_deadline)) {
      return DeadlineExceededError(absl::StrCat(
          what, ": timed out after ", absl::FormatDuration(outcome.elapsed),
          "; the kernel aborted the command (", std::strerror(err), ")"));
    }
    return ErrnoError(absl::StrCat(what, ": ioctl"), err == 0 ? EIO : err);
  }
  const int status = outcome.ret & kStatusFieldMask;
  if ((status & 0x7ff) == kHostAbortedStatus && past_deadline) {
    return DeadlineExceededError(absl::StrCat(what, ": timed out after ",
                                              absl::FormatDuration(outcome.elapsed),
                                              "; the kernel aborted the command (status 371h)"));
  }
  NvmeCompletion completion;
  completion.status.raw = static_cast<std::uint16_t>(status);
  completion.result = static_cast<std::uint32_t>(outcome.result & 0xffffffffu);
  completion.data_in = std::move(outcome.data_in);
  return completion;
}

absl::StatusOr<std::unique_ptr<NvmeTransport>> OpenNvmeIoctlTransport(const NvmeAddress& address,
                                                                      const NvmeIoctlOptions& options) {
  if (address.kind == NvmeAddressKind::kWindowsPhysicalDrive) {
    return InvalidArgumentError(absl::StrCat(address.device_path, " is not a Linux NVMe device"));
  }
  const std::string& path = address.device_path;
  Fd fd(OpenDevice(path));
  if (!fd.valid()) return BackendFailureError(absl::StrCat("open ", path, ": ", std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoError(absl::StrCat("fstat ", path), errno);
  const bool want_block = address.kind == NvmeAddressKind::kLinuxNamespaceBlock;
  if (want_block ? !S_ISBLK(st.st_mode) : !S_ISCHR(st.st_mode)) {
    return BackendFailureError(absl::StrCat(path, " is not a ", want_block ? "block" : "character",
                                            " device"));
  }
  std::uint32_t nsid = 0;
  if (address.kind != NvmeAddressKind::kLinuxController) {
    const int id = ::ioctl(fd.get(), NVME_IOCTL_ID);
    if (id <= 0) {
      const int err = id < 0 ? errno : EINVAL;
      return BackendFailureError(absl::StrCat(path, " is not an NVMe namespace (NVME_IOCTL_ID: ",
                                              std::strerror(err), ")"));
    }
    nsid = static_cast<std::uint32_t>(id);
  }
  return std::unique_ptr<NvmeTransport>(
      std::make_unique<NvmeIoctlTransport>(address, options, std::move(fd), nsid));
}

}  // namespace hwsnap::nvme
