// capture_nvme_identify — prints the raw Identify data of the hwsnap test VM's
// NVMe controller, the error statuses of commands that must fail, and what a
// Simple Copy and a runtime attach/detach did, as fixture files for the NVMe
// parser tests, over Linux NVMe passthrough ioctls.
//
// Why: the parsers are tested against data a real controller returned. Inside
// the hwsnap test VM (tools/vm/capture-nvme-fixtures.sh) this program talks to
// QEMU's emulated NVMe controller through /dev/nvme0 (admin) and the
// namespaces' block devices (I/O). It is self-contained (raw
// <linux/nvme_ioctl.h>, no hwsnap code) so fixtures can be captured before,
// and independently of, the code they test; it is linked statically so the
// initramfs needs no libraries.
//
// Output (stdout) is a stream of files, each
//   @@FILE <name>
//   <the file's bytes in hex, 32 per line>
//   @@END
// which the host script decodes into tests/nvme/fixtures/vm/qemu-nvme/:
//   identify-ctrl.bin (CNS 01h), ns-<N>.identify.bin (CNS 00h) and
//   ns-<N>.descriptors.bin (CNS 03h) for N = 1 and the scratch namespace,
//   active-ns-list.bin (02h), allocated-ns-list.bin (10h),
//   ns-<P>.identify-allocated.bin (11h, P detached), ns-<N>.attached-ctrls.bin
//   and ns-<P>.attached-ctrls.bin (12h), subsys-ctrls.bin (13h),
//   errors.txt ("<what was sent>\t0x<status field as the ioctl returned it>")
//   and observations.txt (Simple Copy, attach/detach timings; for the README).
//
// Usage: capture_nvme_identify /dev/nvme0 SOURCE_NSID SCRATCH_NSID POOL_NSID
// Exit: 0 when every capture and check worked, 1 otherwise (the files are
// still written).
#include <fcntl.h>
#include <linux/nvme_ioctl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr std::uint8_t kOpIdentify = 0x06;
constexpr std::uint8_t kOpNamespaceManagement = 0x0d;
constexpr std::uint8_t kOpNamespaceAttachment = 0x15;
constexpr std::uint8_t kOpWrite = 0x01;
constexpr std::uint8_t kOpRead = 0x02;
constexpr std::uint8_t kOpCopy = 0x19;
constexpr std::uint32_t kBlock = 512;

struct Reply {
  bool ioctl_ok = false;  // the command completed (the status may be an error)
  int error = 0;          // errno when it did not
  std::uint32_t status = 0;
  std::uint32_t result = 0;
  std::vector<std::uint8_t> data;
};

struct Command {
  std::uint8_t opcode = 0;
  std::uint32_t nsid = 0;
  std::uint32_t cdw10 = 0, cdw11 = 0, cdw12 = 0, cdw13 = 0;
  std::vector<std::uint8_t> out;  // data to the device
  std::uint32_t in_length = 0;    // data from the device
};

Reply Run(int fd, unsigned long request, const Command& c) {
  Reply reply;
  std::vector<std::uint8_t> buffer = c.out;
  if (buffer.empty()) buffer.resize(c.in_length);
  nvme_passthru_cmd cmd{};
  cmd.opcode = c.opcode;
  cmd.nsid = c.nsid;
  cmd.cdw10 = c.cdw10;
  cmd.cdw11 = c.cdw11;
  cmd.cdw12 = c.cdw12;
  cmd.cdw13 = c.cdw13;
  cmd.addr = buffer.empty() ? 0 : reinterpret_cast<std::uintptr_t>(buffer.data());
  cmd.data_len = static_cast<std::uint32_t>(buffer.size());
  cmd.timeout_ms = 10000;
  const int rc = ioctl(fd, request, &cmd);
  if (rc < 0) {
    reply.error = errno;
    return reply;
  }
  reply.ioctl_ok = true;
  reply.status = static_cast<std::uint32_t>(rc);
  reply.result = cmd.result;
  if (c.out.empty()) reply.data = std::move(buffer);
  return reply;
}

Reply Admin(int fd, const Command& c) { return Run(fd, NVME_IOCTL_ADMIN_CMD, c); }
Reply Io(int fd, const Command& c) { return Run(fd, NVME_IOCTL_IO_CMD, c); }

Command Identify(std::uint8_t cns, std::uint32_t nsid, std::uint16_t cntid = 0) {
  Command c;
  c.opcode = kOpIdentify;
  c.nsid = nsid;
  c.cdw10 = cns | (static_cast<std::uint32_t>(cntid) << 16);
  c.in_length = 4096;
  return c;
}

// Namespace Attachment (SEL 0 attach, 1 detach) of `nsid` to controller `cntid`.
Command Attachment(std::uint32_t nsid, bool attach, std::uint16_t cntid) {
  Command c;
  c.opcode = kOpNamespaceAttachment;
  c.nsid = nsid;
  c.cdw10 = attach ? 0 : 1;
  c.out.assign(4096, 0);
  c.out[0] = 1;  // number of identifiers
  c.out[2] = static_cast<std::uint8_t>(cntid);
  c.out[3] = static_cast<std::uint8_t>(cntid >> 8);
  return c;
}

void PutLe(std::vector<std::uint8_t>& b, std::size_t at, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

Command ReadWrite(bool write, std::uint32_t nsid, std::uint64_t slba, std::uint32_t blocks,
                  std::vector<std::uint8_t> data = {}) {
  Command c;
  c.opcode = write ? kOpWrite : kOpRead;
  c.nsid = nsid;
  c.cdw10 = static_cast<std::uint32_t>(slba);
  c.cdw11 = static_cast<std::uint32_t>(slba >> 32);
  c.cdw12 = blocks - 1;
  if (write) {
    c.out = std::move(data);
  } else {
    c.in_length = blocks * kBlock;
  }
  return c;
}

// Copy with one source range descriptor of format 0h (Simple Copy).
Command Copy(std::uint32_t nsid, std::uint64_t sdlba, std::uint64_t slba, std::uint32_t blocks) {
  Command c;
  c.opcode = kOpCopy;
  c.nsid = nsid;
  c.cdw10 = static_cast<std::uint32_t>(sdlba);
  c.cdw11 = static_cast<std::uint32_t>(sdlba >> 32);
  c.cdw12 = 0;  // NR 0 (one range, 0-based), descriptor format 0h
  c.out.assign(32, 0);
  PutLe(c.out, 8, slba, 8);
  PutLe(c.out, 16, blocks - 1, 2);
  return c;
}

void EmitFile(const std::string& name, const std::vector<std::uint8_t>& bytes) {
  std::printf("@@FILE %s\n", name.c_str());
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::printf("%02x", bytes[i]);
    if (i % 32 == 31 || i + 1 == bytes.size()) std::printf("\n");
  }
  std::printf("@@END\n");
  std::fflush(stdout);
}

void EmitText(const std::string& name, const std::string& text) {
  EmitFile(name, std::vector<std::uint8_t>(text.begin(), text.end()));
}

std::string Hex(std::uint32_t v, int digits = 4) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%0*x", digits, v);
  return buf;
}

// The block device (multipath head) whose sysfs nsid is `nsid`, or "".
std::string BlockDeviceOf(std::uint32_t nsid) {
  std::string found;
  DIR* dir = opendir("/sys/block");
  if (dir == nullptr) return found;
  while (dirent* e = readdir(dir)) {
    const std::string name = e->d_name;
    if (name.rfind("nvme", 0) != 0 || name.find('c') != std::string::npos) continue;
    FILE* f = std::fopen(("/sys/block/" + name + "/nsid").c_str(), "r");
    if (f == nullptr) continue;
    unsigned value = 0;
    const bool ok = std::fscanf(f, "%u", &value) == 1;
    std::fclose(f);
    if (ok && value == nsid) found = "/dev/" + name;
  }
  closedir(dir);
  return found;
}

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

// Polls (1 ms) until the block device of `nsid` exists (`present`) or is
// gone; the elapsed ms, or -1 after `limit_ms`.
double WaitForDevice(std::uint32_t nsid, bool present, double limit_ms) {
  const auto start = std::chrono::steady_clock::now();
  while (MsSince(start) < limit_ms) {
    const std::string dev = BlockDeviceOf(nsid);
    if (!dev.empty() == present && (!present || access(dev.c_str(), F_OK) == 0)) return MsSince(start);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s /dev/nvme0 SOURCE_NSID SCRATCH_NSID POOL_NSID\n", argv[0]);
    return 2;
  }
  const std::uint32_t source = static_cast<std::uint32_t>(std::atoi(argv[2]));
  const std::uint32_t scratch = static_cast<std::uint32_t>(std::atoi(argv[3]));
  const std::uint32_t pool = static_cast<std::uint32_t>(std::atoi(argv[4]));
  const int ctrl = open(argv[1], O_RDWR);
  if (ctrl < 0) {
    std::perror(argv[1]);
    return 1;
  }
  int rc = 0;
  std::string errors, notes;
  auto note = [&](const std::string& line) {
    notes += line + "\n";
    std::fprintf(stderr, "capture_nvme_identify: %s\n", line.c_str());
  };

  // Identify data.
  auto identify = [&](const std::string& name, const Command& c) {
    const Reply r = Admin(ctrl, c);
    if (!r.ioctl_ok || r.status != 0) {
      note("FAILED " + name + ": errno " + std::to_string(r.error) + " status " + Hex(r.status));
      rc = 1;
      return Reply{};
    }
    EmitFile(name, r.data);
    return r;
  };
  const Reply id_ctrl = identify("identify-ctrl.bin", Identify(0x01, 0));
  const std::uint16_t cntid =
      id_ctrl.data.size() >= 80 ? static_cast<std::uint16_t>(id_ctrl.data[78] | (id_ctrl.data[79] << 8)) : 0;
  note("controller id (CNTLID) " + std::to_string(cntid));
  for (std::uint32_t n : {source, scratch}) {
    identify("ns-" + std::to_string(n) + ".identify.bin", Identify(0x00, n));
    identify("ns-" + std::to_string(n) + ".descriptors.bin", Identify(0x03, n));
  }
  identify("active-ns-list.bin", Identify(0x02, 0));
  identify("allocated-ns-list.bin", Identify(0x10, 0));
  identify("ns-" + std::to_string(pool) + ".identify-allocated.bin", Identify(0x11, pool));
  identify("ns-" + std::to_string(source) + ".attached-ctrls.bin", Identify(0x12, source));
  identify("ns-" + std::to_string(pool) + ".attached-ctrls.bin", Identify(0x12, pool));
  identify("subsys-ctrls.bin", Identify(0x13, 0));

  // Error statuses.
  auto record = [&](const std::string& what, const Reply& r) {
    if (!r.ioctl_ok) {
      errors += what + "\terrno " + std::to_string(r.error) + " (" + std::strerror(r.error) + ")\n";
      rc = 1;
      return;
    }
    errors += what + "\t" + Hex(r.status) + "\n";
  };
  {
    Command create;
    create.opcode = kOpNamespaceManagement;
    create.cdw10 = 0;  // SEL 0h: create
    create.out.assign(4096, 0);
    PutLe(create.out, 0, 2048, 8);  // NSZE
    PutLe(create.out, 8, 2048, 8);  // NCAP
    create.out[26] = 0;             // FLBAS
    const Reply r = Admin(ctrl, create);
    record("Namespace Management create (SEL 0h, NSZE=NCAP=2048, FLBAS 0, 4096-byte buffer)", r);
    if (r.ioctl_ok && r.status == 0) {
      note("Namespace Management create SUCCEEDED: nsid " + std::to_string(r.result) + "; deleting it");
      Command del;
      del.opcode = kOpNamespaceManagement;
      del.nsid = r.result;
      del.cdw10 = 1;
      const Reply d = Admin(ctrl, del);
      note("Namespace Management delete: status " + Hex(d.status));
    } else if (r.ioctl_ok) {
      note("Namespace Management create is not supported: status " + Hex(r.status));
    }
  }
  record("Namespace Attachment attach nsid " + std::to_string(source) + " (already attached) to controller " +
             std::to_string(cntid),
         Admin(ctrl, Attachment(source, true, cntid)));
  record("Namespace Attachment detach nsid " + std::to_string(pool) + " (not attached) from controller " +
             std::to_string(cntid),
         Admin(ctrl, Attachment(pool, false, cntid)));
  record("Identify CNS 00h nsid 999 (no such namespace)", Admin(ctrl, Identify(0x00, 999)));

  const std::string scratch_dev = BlockDeviceOf(scratch);
  const int io = scratch_dev.empty() ? -1 : open(scratch_dev.c_str(), O_RDWR);
  if (io < 0) {
    note("FAILED: no block device for nsid " + std::to_string(scratch));
    rc = 1;
  } else {
    note("nsid " + std::to_string(scratch) + " is " + scratch_dev);
    // 1 MiB / 512 = 2048 blocks: LBA 2048 is one past the end.
    record("Read nsid " + std::to_string(scratch) + " SLBA 2048 NLB 1 (LBA out of range, namespace has 2048 blocks)",
           Io(io, ReadWrite(false, scratch, 2048, 1)));
    record("Copy nsid " + std::to_string(scratch) +
               " format 0h, one range SLBA 4096 NLB 1 to SDLBA 0 (source beyond the end)",
           Io(io, Copy(scratch, 0, 4096, 1)));
    record("Copy nsid " + std::to_string(scratch) +
               " format 0h, one range SLBA 0 NLB 8 to SDLBA 2044 (destination crosses the end)",
           Io(io, Copy(scratch, 2044, 0, 8)));
    record("Copy nsid " + std::to_string(scratch) +
               " format 0h, one range SLBA 0 NLB 200 to SDLBA 1000 (range longer than MSSRL 128)",
           Io(io, Copy(scratch, 1000, 0, 200)));
    {
      Command cross = Copy(scratch, 1000, 0, 1);
      cross.cdw12 = 2u << 8;  // descriptor format 2h (cross-namespace, NVMe 2.0c)
      cross.out.resize(40, 0);
      record("Copy nsid " + std::to_string(scratch) + " descriptor format 2h (not in QEMU 7.2)", Io(io, cross));
    }

    // A successful Simple Copy, verified by reading back.
    std::vector<std::uint8_t> pattern(8 * kBlock);
    for (std::size_t i = 0; i < pattern.size(); ++i) pattern[i] = static_cast<std::uint8_t>(i * 7 + 3);
    const Reply w = Io(io, ReadWrite(true, scratch, 0, 8, pattern));
    const auto copy_start = std::chrono::steady_clock::now();
    const Reply c = Io(io, Copy(scratch, 100, 0, 8));
    const double copy_ms = MsSince(copy_start);
    const Reply rd = Io(io, ReadWrite(false, scratch, 100, 8));
    const bool same = rd.ioctl_ok && rd.status == 0 && rd.data == pattern;
    note("Simple Copy nsid " + std::to_string(scratch) + " LBA 0..7 -> 100..107: write " + Hex(w.status) +
         ", copy " + Hex(c.status) + " (" + std::to_string(copy_ms) + " ms), read back " + Hex(rd.status) +
         (same ? ", data matches" : ", DATA DIFFERS"));
    if (!w.ioctl_ok || !c.ioctl_ok || c.status != 0 || !same) rc = 1;
    close(io);
  }

  // Runtime attach and detach of a pool namespace, watched in /sys/block.
  {
    const auto start = std::chrono::steady_clock::now();
    const Reply a = Admin(ctrl, Attachment(pool, true, cntid));
    const double cmd_ms = MsSince(start);
    double appear = WaitForDevice(pool, true, 3000);
    std::string how = "without an explicit NVME_IOCTL_RESCAN (the kernel scans by itself)";
    if (appear < 0) {
      ioctl(ctrl, NVME_IOCTL_RESCAN);
      appear = WaitForDevice(pool, true, 3000);
      how = "only after NVME_IOCTL_RESCAN";
    }
    const std::string dev = BlockDeviceOf(pool);
    note("attach nsid " + std::to_string(pool) + ": status " + Hex(a.status) + " in " + std::to_string(cmd_ms) +
         " ms; " + (dev.empty() ? "NO block device" : dev) + " appeared " + std::to_string(appear) +
         " ms after the command completed, " + how);
    Reply ns_after = Admin(ctrl, Identify(0x12, pool));
    note("attach nsid " + std::to_string(pool) + ": CNS 12h now lists " +
         std::to_string(ns_after.data.size() >= 2 ? (ns_after.data[0] | (ns_after.data[1] << 8)) : -1) +
         " controller(s)");
    if (!a.ioctl_ok || a.status != 0 || appear < 0) rc = 1;

    const auto dstart = std::chrono::steady_clock::now();
    const Reply d = Admin(ctrl, Attachment(pool, false, cntid));
    const double dcmd_ms = MsSince(dstart);
    double gone = WaitForDevice(pool, false, 3000);
    how = "without a rescan";
    if (gone < 0) {
      ioctl(ctrl, NVME_IOCTL_RESCAN);
      gone = WaitForDevice(pool, false, 3000);
      how = "only after NVME_IOCTL_RESCAN";
    }
    note("detach nsid " + std::to_string(pool) + ": status " + Hex(d.status) + " in " + std::to_string(dcmd_ms) +
         " ms; the block device disappeared " + std::to_string(gone) + " ms after the command completed, " + how);
    if (!d.ioctl_ok || d.status != 0 || gone < 0) rc = 1;
  }

  EmitText("errors.txt", errors);
  EmitText("observations.txt", notes);
  close(ctrl);
  return rc;
}
