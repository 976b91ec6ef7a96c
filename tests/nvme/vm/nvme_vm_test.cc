// nvme_vm_test — the NVMe backend's transport and parsers against a real
// (emulated) NVMe controller, run inside the hwsnap test VM
// (tools/vm/run-vm-tests.sh; CTest: nvme_vm_tier). The CI host kernel has no
// NVMe, so this is where the Linux passthrough transport, ReadNamespaceInfo
// on live Identify data, runtime attach/detach with rescan, Simple Copy and
// the status mapping of real error completions are proven.
//
// The guest's /init exports the QEMU NVMe layout (tools/vm/guest/setup-nvme.sh):
// HWSNAP_NVME_CTRL (/dev/nvme0), HWSNAP_NVME_SERIAL, HWSNAP_NVME_NQN,
// HWSNAP_NVME_SOURCES ("1 2 3 4"), HWSNAP_NVME_SCRATCH (5), HWSNAP_NVME_POOL
// ("6-33", detached) and the identity templates HWSNAP_NVME_EUI64 /
// HWSNAP_NVME_UUID (NN = the nsid in two hex digits). Outside the VM every
// case skips. Every case leaves the namespaces as it found them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "hwsnap/lun_identity.h"
#include "hwsnap/nvme/identify.h"
#include "hwsnap/nvme/namespace_reader.h"
#include "hwsnap/nvme/nvme_command.h"
#include "hwsnap/nvme/nvme_commands.h"
#include "hwsnap/nvme/nvme_status.h"
#include "hwsnap/nvme/nvme_transport.h"
#include "hwsnap/status.h"

namespace hwsnap::nvme {
namespace {

using Bytes = std::vector<std::uint8_t>;
constexpr std::uint32_t kBlockBytes = 512;     // boot-vm.sh: logical_block_size=512
constexpr std::uint64_t kNamespaceBlocks = 2048;  // 1 MiB namespaces

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

#define REQUIRE_VM()                                                                  \
  if (Env("HWSNAP_NVME_CTRL").empty())                                                \
  GTEST_SKIP() << "HWSNAP_NVME_CTRL not set: not inside the hwsnap test VM"

std::uint32_t EnvNsid(const char* name) {
  std::uint32_t v = 0;
  EXPECT_TRUE(absl::SimpleAtoi(Env(name), &v)) << name << "=" << Env(name);
  return v;
}
// The first nsid of HWSNAP_NVME_POOL ("6-33").
std::uint32_t FirstPoolNsid() {
  std::vector<std::string> parts = absl::StrSplit(Env("HWSNAP_NVME_POOL"), '-');
  std::uint32_t v = 0;
  EXPECT_TRUE(absl::SimpleAtoi(parts[0], &v)) << Env("HWSNAP_NVME_POOL");
  return v;
}
std::vector<std::uint32_t> Sources() {
  std::vector<std::uint32_t> out;
  for (absl::string_view s : absl::StrSplit(Env("HWSNAP_NVME_SOURCES"), ' ', absl::SkipEmpty())) {
    std::uint32_t v = 0;
    EXPECT_TRUE(absl::SimpleAtoi(s, &v)) << s;
    out.push_back(v);
  }
  return out;
}
// The configured EUI-64 of `nsid` (template "00c0ffee000000NN") as bytes.
Bytes ExpectedEui64(std::uint32_t nsid) {
  const std::string hex =
      absl::StrReplaceAll(Env("HWSNAP_NVME_EUI64"), {{"NN", absl::StrFormat("%02x", nsid)}});
  std::uint64_t v = 0;
  EXPECT_TRUE(absl::SimpleHexAtoi(hex, &v)) << hex;
  Bytes b(8);
  for (int i = 0; i < 8; ++i) b[i] = static_cast<std::uint8_t>(v >> (56 - 8 * i));
  return b;
}
std::string ExpectedUuid(std::uint32_t nsid) {
  return absl::StrReplaceAll(Env("HWSNAP_NVME_UUID"), {{"NN", absl::StrFormat("%02x", nsid)}});
}

std::unique_ptr<NvmeTransport> OpenController() {
  absl::StatusOr<std::unique_ptr<NvmeTransport>> t = OpenNvmeTransport(Env("HWSNAP_NVME_CTRL"));
  EXPECT_TRUE(t.ok()) << Env("HWSNAP_NVME_CTRL") << ": " << t.status();
  return t.ok() ? std::move(*t) : nullptr;
}

// Runs `command` and folds transport error and completion status into one Status.
absl::StatusOr<NvmeCompletion> Execute(NvmeTransport& t, const NvmeCommand& command) {
  return CheckNvmeCompletion(t.Execute(command), DescribeNvmeCommand(command));
}
// Runs `command`, which must complete (with any status); its raw status field.
std::uint16_t RawStatus(NvmeTransport& t, const absl::StatusOr<NvmeCommand>& command) {
  EXPECT_TRUE(command.ok()) << command.status();
  if (!command.ok()) return 0xffff;
  absl::StatusOr<NvmeCompletion> c = t.Execute(*command);
  EXPECT_TRUE(c.ok()) << DescribeNvmeCommand(*command) << ": " << c.status();
  return c.ok() ? c->status.raw : 0xffff;
}
ErrorCode Mapped(std::uint16_t raw) {
  NvmeStatusField f;
  f.raw = raw;
  return GetErrorCode(NvmeStatusToStatus(f, "vm test"));
}

std::uint16_t ControllerId(NvmeTransport& t) {
  absl::StatusOr<NvmeCompletion> c = Execute(t, BuildIdentify(kCnsController));
  EXPECT_TRUE(c.ok()) << c.status();
  if (!c.ok()) return 0;
  absl::StatusOr<IdentifyController> id = ParseIdentifyController(c->data_in);
  EXPECT_TRUE(id.ok()) << id.status();
  return id.ok() ? id->cntlid : 0;
}

Bytes Pattern(std::size_t bytes, std::uint8_t seed) {
  Bytes b(bytes);
  for (std::size_t i = 0; i < bytes; ++i) b[i] = static_cast<std::uint8_t>(i * 13 + seed + (i >> 9));
  return b;
}

absl::Status WriteBlocks(NvmeTransport& t, std::uint32_t nsid, std::uint64_t slba, const Bytes& data) {
  absl::StatusOr<NvmeCommand> w =
      BuildWrite(nsid, slba, static_cast<std::uint32_t>(data.size() / kBlockBytes), data);
  if (!w.ok()) return w.status();
  return Execute(t, *w).status();
}
absl::StatusOr<Bytes> ReadBlocks(NvmeTransport& t, std::uint32_t nsid, std::uint64_t slba, std::uint32_t blocks) {
  absl::StatusOr<NvmeCommand> r = BuildRead(nsid, slba, blocks, blocks * kBlockBytes);
  if (!r.ok()) return r.status();
  absl::StatusOr<NvmeCompletion> c = Execute(t, *r);
  if (!c.ok()) return c.status();
  return c->data_in;
}

absl::Status Attach(NvmeTransport& t, std::uint32_t nsid, bool attach, std::uint16_t cntlid) {
  const std::uint16_t controllers[] = {cntlid};
  absl::StatusOr<NvmeCommand> cmd = BuildNamespaceAttachment(nsid, attach, controllers);
  if (!cmd.ok()) return cmd.status();
  if (absl::StatusOr<NvmeCompletion> c = Execute(t, *cmd); !c.ok()) return c.status();
  return t.Rescan();
}

const Designator* FindDesignator(const LunIdentity& id, DesignatorType type) {
  for (const Designator& d : id.designators) {
    if (d.association == Association::kLogicalUnit && d.type == type) return &d;
  }
  return nullptr;
}

TEST(NvmeVm, ControllerTransportOpens) {
  REQUIRE_VM();
  std::unique_ptr<NvmeTransport> t = OpenController();
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->Address(), Env("HWSNAP_NVME_CTRL"));
  EXPECT_EQ(t->nsid(), 0u);
}

TEST(NvmeVm, IdentifyControllerIsTheConfiguredOne) {
  REQUIRE_VM();
  std::unique_ptr<NvmeTransport> t = OpenController();
  ASSERT_NE(t, nullptr);
  absl::StatusOr<NvmeCompletion> c = Execute(*t, BuildIdentify(kCnsController));
  ASSERT_TRUE(c.ok()) << c.status();
  absl::StatusOr<IdentifyController> id = ParseIdentifyController(c->data_in);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->vid, 0x1b36);  // Red Hat (QEMU)
  EXPECT_EQ(id->serial_number, Env("HWSNAP_NVME_SERIAL"));
  // QEMU 7.2 reports the subsystem as "nqn.2019-08.org.qemu:<nqn given>".
  EXPECT_TRUE(absl::EndsWith(id->subnqn, Env("HWSNAP_NVME_NQN"))) << id->subnqn;
  EXPECT_TRUE(id->SupportsCopy());
  EXPECT_GE(id->nn, 33u);
}

TEST(NvmeVm, ReadNamespaceInfoOfASource) {
  REQUIRE_VM();
  std::unique_ptr<NvmeTransport> t = OpenController();
  ASSERT_NE(t, nullptr);
  for (std::uint32_t nsid : Sources()) {
    SCOPED_TRACE(absl::StrCat("nsid ", nsid));
    absl::StatusOr<NvmeNamespaceInfo> info = ReadNamespaceInfo(*t, nsid);
    ASSERT_TRUE(info.ok()) << info.status();
    EXPECT_EQ(info->nsid, nsid);
    EXPECT_EQ(info->block_bytes(), kBlockBytes);
    EXPECT_EQ(info->block_count(), kNamespaceBlocks);
    EXPECT_EQ(info->controller.serial_number, Env("HWSNAP_NVME_SERIAL"));
    EXPECT_EQ(info->identity.bus_type, BusType::kNvme);
    EXPECT_EQ(info->identity.serial_number, Env("HWSNAP_NVME_SERIAL"));
    EXPECT_TRUE(info->identity.HasUniqueDesignator()) << info->identity.ToString();
    const Designator* eui = FindDesignator(info->identity, DesignatorType::kEui64);
    ASSERT_NE(eui, nullptr) << info->identity.ToString();
    EXPECT_EQ(eui->bytes, ExpectedEui64(nsid)) << eui->ToString();
    // The default mapping reports the UUID as SCSI name "uuid.<text>".
    const Designator* uuid = FindDesignator(info->identity, DesignatorType::kScsiNameString);
    ASSERT_NE(uuid, nullptr) << info->identity.ToString();
    const std::string text(uuid->bytes.begin(), uuid->bytes.end());
    EXPECT_EQ(text.substr(0, text.find('\0')), "uuid." + ExpectedUuid(nsid));
    EXPECT_FALSE(info->ns.nguid_present());  // QEMU 7.2 cannot set an NGUID
  }
}

TEST(NvmeVm, ActiveNamespacesAreSourcesAndScratch) {
  REQUIRE_VM();
  std::unique_ptr<NvmeTransport> t = OpenController();
  ASSERT_NE(t, nullptr);
  absl::StatusOr<std::vector<std::uint32_t>> active = ReadActiveNamespaces(*t, absl::Seconds(10));
  ASSERT_TRUE(active.ok()) << active.status();
  std::vector<std::uint32_t> expected = Sources();
  expected.push_back(EnvNsid("HWSNAP_NVME_SCRATCH"));
  EXPECT_EQ(*active, expected);
}

TEST(NvmeVm, DetachedPoolNamespaceReadsAsAllocated) {
  REQUIRE_VM();
  std::unique_ptr<NvmeTransport> t = OpenController();
  ASSERT_NE(t, nullptr);
  const std::uint32_t pool = FirstPoolNsid();
  ReadNamespaceOptions options;
  options.allocated = true;
  absl::StatusOr<NvmeNamespaceInfo> info = ReadNamespaceInfo(*t, pool, options);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->block_count(), kNamespaceBlocks);
  EXPECT_EQ(Bytes(info->ns.eui64.begin(), info->ns.eui64.end()), ExpectedEui64(pool));
  // Not attached: CNS 00h reads it as inactive.
  absl::StatusOr<NvmeNamespaceInfo> active = ReadNamespaceInfo(*t, pool);
  EXPECT_EQ(GetErrorCode(active.status()), ErrorCode::kObjectNotFound) << active.status();
}

TEST(NvmeVm, AttachPoolNamespaceDoIoAndDetach) {
  REQUIRE_VM();
  std::unique_ptr<NvmeTransport> t = OpenController();
  ASSERT_NE(t, nullptr);
  const std::uint32_t pool = FirstPoolNsid();
  const std::uint16_t cntlid = ControllerId(*t);

  ASSERT_TRUE(Attach(*t, pool, /*attach=*/true, cntlid).ok());
  struct DetachOnExit {
    NvmeTransport* t;
    std::uint32_t nsid;
    std::uint16_t cntlid;
    bool armed = true;
    ~DetachOnExit() {
      if (armed) (void)Attach(*t, nsid, false, cntlid);
    }
  } guard{t.get(), pool, cntlid};

  absl::StatusOr<std::vector<std::uint32_t>> active = ReadActiveNamespaces(*t, absl::Seconds(10));
  ASSERT_TRUE(active.ok()) << active.status();
  EXPECT_NE(std::find(active->begin(), active->end(), pool), active->end());

  const Bytes pattern = Pattern(4 * kBlockBytes, 0x5a);
  ASSERT_TRUE(WriteBlocks(*t, pool, 16, pattern).ok());
  absl::StatusOr<Bytes> back = ReadBlocks(*t, pool, 16, 4);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, pattern);

  guard.armed = false;
  absl::Status detached = Attach(*t, pool, /*attach=*/false, cntlid);
  ASSERT_TRUE(detached.ok()) << detached;
  absl::StatusOr<Bytes> gone = ReadBlocks(*t, pool, 16, 1);
  ASSERT_FALSE(gone.ok());
  const ErrorCode code = GetErrorCode(gone.status());
  EXPECT_TRUE(code == ErrorCode::kObjectNotFound || code == ErrorCode::kBackendFailure) << gone.status();
  active = ReadActiveNamespaces(*t, absl::Seconds(10));
  ASSERT_TRUE(active.ok()) << active.status();
  EXPECT_EQ(std::find(active->begin(), active->end(), pool), active->end());
}

TEST(NvmeVm, SimpleCopyWithinScratch) {
  REQUIRE_VM();
  std::unique_ptr<NvmeTransport> t = OpenController();
  ASSERT_NE(t, nullptr);
  const std::uint32_t scratch = EnvNsid("HWSNAP_NVME_SCRATCH");
  const Bytes pattern = Pattern(4 * kBlockBytes, 0xc3);
  ASSERT_TRUE(WriteBlocks(*t, scratch, 200, pattern).ok());
  const CopySourceRange ranges[] = {{0, 200, 2}, {0, 202, 2}};
  absl::StatusOr<NvmeCommand> copy = BuildCopy(scratch, 300, ranges);
  ASSERT_TRUE(copy.ok()) << copy.status();
  absl::StatusOr<NvmeCompletion> done = Execute(*t, *copy);
  ASSERT_TRUE(done.ok()) << done.status();
  absl::StatusOr<Bytes> back = ReadBlocks(*t, scratch, 300, 4);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, pattern);
}

// The statuses tests/nvme/fixtures/vm/qemu-nvme/errors.txt recorded, live,
// and what NvmeStatusToStatus makes of them.
TEST(NvmeVm, ErrorStatusesMapToHwsnapCodes) {
  REQUIRE_VM();
  std::unique_ptr<NvmeTransport> t = OpenController();
  ASSERT_NE(t, nullptr);
  const std::uint32_t scratch = EnvNsid("HWSNAP_NVME_SCRATCH");
  const std::uint32_t source = Sources().at(0);
  const std::uint32_t pool = FirstPoolNsid();
  const std::uint16_t cntlid = ControllerId(*t);
  const std::uint16_t controllers[] = {cntlid};

  // LBA Out of Range (0h/80h, DNR).
  std::uint16_t raw = RawStatus(*t, BuildRead(scratch, kNamespaceBlocks, 1, kBlockBytes));
  EXPECT_EQ(raw, 0x4080);
  EXPECT_EQ(Mapped(raw), ErrorCode::kBackendFailure);
  // Invalid Namespace or Format (0h/0Bh, DNR).
  raw = RawStatus(*t, BuildIdentify(kCnsNamespace, 999));
  EXPECT_EQ(raw, 0x400b);
  EXPECT_EQ(Mapped(raw), ErrorCode::kObjectNotFound);
  // QEMU 7.2 has no Namespace Management (Invalid Opcode, though OACS bit 3 is set).
  raw = RawStatus(*t, BuildNamespaceCreate(2048, 2048, 0, 0));
  EXPECT_EQ(raw, 0x4001);
  EXPECT_EQ(Mapped(raw), ErrorCode::kNotSupported);
  // Namespace Already Attached (1h/18h) / Not Attached (1h/1Ah).
  raw = RawStatus(*t, BuildNamespaceAttachment(source, true, controllers));
  EXPECT_EQ(raw, 0x4118);
  EXPECT_NE(Mapped(raw), ErrorCode::kOk);
  raw = RawStatus(*t, BuildNamespaceAttachment(pool, false, controllers));
  EXPECT_EQ(raw, 0x411a);
  EXPECT_NE(Mapped(raw), ErrorCode::kOk);
  // A Copy range past the end: QEMU 7.2 answers Internal Error (0h/06h, no DNR).
  const CopySourceRange beyond[] = {{0, 4096, 1}};
  raw = RawStatus(*t, BuildCopy(scratch, 0, beyond));
  EXPECT_EQ(raw, 0x0006);
  EXPECT_EQ(Mapped(raw), ErrorCode::kBackendFailure);
  // Through the reader: an unknown namespace is kObjectNotFound.
  EXPECT_EQ(GetErrorCode(ReadNamespaceInfo(*t, 999).status()), ErrorCode::kObjectNotFound);
}

}  // namespace
}  // namespace hwsnap::nvme
