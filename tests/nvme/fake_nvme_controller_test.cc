// Tests of FakeNvmeController: what it answers, checked two ways — raw bytes
// at the specification's offsets, and through hwsnap's parsers and builders
// (the fake lays its structures out independently, so agreement here means
// both sides read the specification the same way).
#include "fake_nvme_controller.h"

#include <thread>

#include <gtest/gtest.h>

#include "absl/time/clock.h"
#include "hwsnap/nvme/identify.h"
#include "hwsnap/nvme/namespace_reader.h"
#include "hwsnap/nvme/nvme_commands.h"
#include "hwsnap/nvme/nvme_status.h"
#include "hwsnap/status.h"

namespace hwsnap::nvme::testing {
namespace {

FakeNamespaceSpec Detached(std::uint64_t blocks = 2048) {
  FakeNamespaceSpec spec;
  spec.blocks = blocks;
  spec.attached = false;
  return spec;
}

class FakeNvmeControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_->AddNamespace(1);
    fake_->AddNamespace(6, Detached());
    absl::StatusOr<std::unique_ptr<NvmeTransport>> t = fake_->Opener()("/dev/nvme0");
    ASSERT_TRUE(t.ok()) << t.status();
    transport_ = *std::move(t);
  }

  NvmeCompletion Exec(const NvmeCommand& command) {
    absl::StatusOr<NvmeCompletion> c = transport_->Execute(command);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *c : NvmeCompletion{};
  }
  NvmeCompletion Exec(const absl::StatusOr<NvmeCommand>& command) {
    EXPECT_TRUE(command.ok()) << command.status();
    return Exec(*command);
  }
  std::uint16_t Code(const NvmeCompletion& c) { return static_cast<std::uint16_t>(c.status.raw & 0x7ff); }

  std::shared_ptr<FakeNvmeController> fake_ = std::make_shared<FakeNvmeController>();
  std::unique_ptr<NvmeTransport> transport_;
};

TEST_F(FakeNvmeControllerTest, OpenerKnowsOnlyItsAddress) {
  EXPECT_EQ(transport_->Address(), "/dev/nvme0");
  EXPECT_EQ(transport_->nsid(), 0u);
  absl::StatusOr<std::unique_ptr<NvmeTransport>> other = fake_->Opener()("/dev/nvme9");
  EXPECT_EQ(GetErrorCode(other.status()), ErrorCode::kBackendFailure);
  EXPECT_EQ(fake_->OpenCount(), 1);
}

TEST_F(FakeNvmeControllerTest, IdentifyControllerBytesAtSpecOffsets) {
  NvmeCompletion c = Exec(BuildIdentify(kCnsController));
  ASSERT_TRUE(c.status.ok());
  const std::vector<std::uint8_t>& b = c.data_in;
  ASSERT_EQ(b.size(), 4096u);
  EXPECT_EQ(std::string(b.begin() + 4, b.begin() + 24), "HWSNAP-NVME-01      ");
  EXPECT_EQ(b[77], 7);                        // MDTS
  EXPECT_EQ(b[78] | (b[79] << 8), 1);         // CNTLID
  EXPECT_EQ(b[256] & 0x08, 0x08);             // OACS namespace management
  EXPECT_EQ(b[516], 0);                       // NN 256 = 0x100
  EXPECT_EQ(b[517], 1);
  EXPECT_EQ(b[521] & 0x01, 0x01);             // ONCS bit 8: Copy
  EXPECT_EQ(b[520] & 0x08, 0x08);             // ONCS bit 3: Write Zeroes
  EXPECT_EQ(b[534], 0x01);                    // OCFS: format 0h only

  absl::StatusOr<IdentifyController> parsed = ParseIdentifyController(b);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->serial_number, "HWSNAP-NVME-01");
  EXPECT_EQ(parsed->model_number, "QEMU NVMe Ctrl");
  EXPECT_EQ(parsed->firmware_revision, "7.2.0");
  EXPECT_EQ(parsed->vid, 0x1b36);
  EXPECT_EQ(parsed->ieee_oui, (std::array<std::uint8_t, 3>{0x00, 0x54, 0x52}));
  EXPECT_EQ(parsed->cntlid, 1);
  EXPECT_EQ(parsed->mdts, 7);
  EXPECT_EQ(parsed->nn, 256u);
  EXPECT_EQ(parsed->mnan, 256u);
  EXPECT_EQ(parsed->version, 0x00010400u);
  EXPECT_EQ(parsed->subnqn, "nqn.2019-08.org.qemu:hwsnap-subsys");
  EXPECT_TRUE(parsed->SupportsNamespaceManagement());
  EXPECT_TRUE(parsed->SupportsCopy());
  EXPECT_TRUE(parsed->SupportsWriteZeroes());
  EXPECT_FALSE(parsed->SupportsCrossNamespaceCopy());
  fake_->SetCrossNamespaceCopy(true);
  parsed = ParseIdentifyController(Exec(BuildIdentify(kCnsController)).data_in);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->SupportsCrossNamespaceCopy());
}

TEST_F(FakeNvmeControllerTest, IdentifyNamespaceActiveAndAllocated) {
  NvmeCompletion c = Exec(BuildIdentify(kCnsNamespace, 1));
  const std::vector<std::uint8_t>& b = c.data_in;
  ASSERT_EQ(b.size(), 4096u);
  EXPECT_EQ(b[0] | (b[1] << 8), 2048);   // NSZE
  EXPECT_EQ(b[25], 1);                   // NLBAF
  EXPECT_EQ(b[130], 9);                  // LBAF0 LBADS
  EXPECT_EQ(b[134], 12);                 // LBAF1 LBADS
  absl::StatusOr<IdentifyNamespace> ns = ParseIdentifyNamespace(b);
  ASSERT_TRUE(ns.ok()) << ns.status();
  EXPECT_EQ(ns->nsze, 2048u);
  EXPECT_EQ(ns->ncap, 2048u);
  EXPECT_EQ(ns->block_bytes(), 512u);
  EXPECT_EQ(ns->mssrl, 128);
  EXPECT_EQ(ns->mcl, 1024u);
  EXPECT_EQ(ns->msrc, 7);
  EXPECT_EQ(ns->nmic, 1);
  EXPECT_TRUE(ns->eui64_present());
  EXPECT_TRUE(ns->nguid_present());
  ASSERT_EQ(ns->lba_formats.size(), 2u);
  EXPECT_EQ(ns->lba_formats[1].lba_data_size_log2, 12);

  // Detached: inactive for CNS 00h, allocated for CNS 11h.
  ns = ParseIdentifyNamespace(Exec(BuildIdentify(kCnsNamespace, 6)).data_in);
  ASSERT_TRUE(ns.ok());
  EXPECT_FALSE(ns->active());
  ns = ParseIdentifyNamespace(Exec(BuildIdentify(kCnsAllocatedNamespace, 6)).data_in);
  ASSERT_TRUE(ns.ok());
  EXPECT_EQ(ns->nsze, 2048u);
  EXPECT_EQ(Code(Exec(BuildIdentify(kCnsNamespace, 0))), kStatusInvalidNamespace);
  EXPECT_EQ(Code(Exec(BuildIdentify(kCnsNamespace, 100000))), kStatusInvalidNamespace);
}

TEST_F(FakeNvmeControllerTest, DescriptorListAndReader) {
  NvmeCompletion c = Exec(BuildIdentify(kCnsNamespaceIdDescriptors, 1));
  const std::vector<std::uint8_t>& b = c.data_in;
  EXPECT_EQ(b[0], 1);    // NIDT EUI-64
  EXPECT_EQ(b[1], 8);    // NIDL
  EXPECT_EQ(b[12], 2);   // NGUID after 4 + 8 bytes
  EXPECT_EQ(b[13], 16);
  absl::StatusOr<std::vector<NamespaceIdDescriptor>> d = ParseNamespaceIdDescriptors(b);
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_EQ(d->size(), 4u);
  EXPECT_EQ((*d)[2].type, 3);
  EXPECT_EQ((*d)[3].type, 4);
  EXPECT_EQ(Code(Exec(BuildIdentify(kCnsNamespaceIdDescriptors, 6))), kStatusInvalidNamespace);

  absl::StatusOr<NvmeNamespaceInfo> info = ReadNamespaceInfo(*transport_, 1);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->nsid, 1u);
  EXPECT_EQ(info->block_count(), 2048u);
  EXPECT_FALSE(info->identity.designators.empty());
  ReadNamespaceOptions allocated;
  allocated.allocated = true;
  info = ReadNamespaceInfo(*transport_, 6, allocated);
  EXPECT_TRUE(info.ok()) << info.status();
}

TEST_F(FakeNvmeControllerTest, NamespaceAndControllerLists) {
  absl::StatusOr<std::vector<std::uint32_t>> active = ParseNamespaceList(Exec(BuildIdentify(kCnsActiveNamespaceList)).data_in);
  ASSERT_TRUE(active.ok());
  EXPECT_EQ(*active, (std::vector<std::uint32_t>{1}));
  absl::StatusOr<std::vector<std::uint32_t>> allocated =
      ParseNamespaceList(Exec(BuildIdentify(kCnsAllocatedNamespaceList)).data_in);
  ASSERT_TRUE(allocated.ok());
  EXPECT_EQ(*allocated, (std::vector<std::uint32_t>{1, 6}));
  absl::StatusOr<std::vector<std::uint16_t>> attached =
      ParseControllerList(Exec(BuildIdentify(kCnsNamespaceAttachedControllers, 1)).data_in);
  ASSERT_TRUE(attached.ok());
  EXPECT_EQ(*attached, (std::vector<std::uint16_t>{1}));
  attached = ParseControllerList(Exec(BuildIdentify(kCnsNamespaceAttachedControllers, 6)).data_in);
  ASSERT_TRUE(attached.ok());
  EXPECT_TRUE(attached->empty());
  absl::StatusOr<std::vector<std::uint16_t>> all = ParseControllerList(Exec(BuildIdentify(kCnsSubsystemControllers)).data_in);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, (std::vector<std::uint16_t>{1, 2}));
  all = ParseControllerList(Exec(BuildIdentify(kCnsSubsystemControllers, 0, 2)).data_in);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, (std::vector<std::uint16_t>{2}));
  ReadActiveNamespaces(*transport_, absl::Seconds(1)).IgnoreError();
}

TEST_F(FakeNvmeControllerTest, AttachmentStatuses) {
  EXPECT_EQ(Code(Exec(BuildNamespaceAttachment(6, true, std::vector<std::uint16_t>{1}))), 0);
  EXPECT_TRUE(fake_->IsAttached(6));
  NvmeCompletion again = Exec(BuildNamespaceAttachment(6, true, std::vector<std::uint16_t>{1}));
  EXPECT_EQ(Code(again), kStatusAlreadyAttached);
  EXPECT_TRUE(again.status.dnr());
  EXPECT_EQ(Code(Exec(BuildNamespaceAttachment(6, false, std::vector<std::uint16_t>{1}))), 0);
  EXPECT_EQ(Code(Exec(BuildNamespaceAttachment(6, false, std::vector<std::uint16_t>{1}))), kStatusNotAttached);
  EXPECT_EQ(Code(Exec(BuildNamespaceAttachment(6, true, std::vector<std::uint16_t>{9}))), kStatusControllerListInvalid);
  EXPECT_EQ(Code(Exec(BuildNamespaceAttachment(77, true, std::vector<std::uint16_t>{1}))), kStatusInvalidNamespace);
  // Through hwsnap's one mapping: not-attached is a backend failure, not a success.
  EXPECT_EQ(GetErrorCode(NvmeStatusToStatus(NvmeStatusField{kStatusNotAttached}, "detach")), ErrorCode::kBackendFailure);
  EXPECT_TRUE(fake_->SetAttached(6, 2, true));
  EXPECT_EQ(fake_->AttachedControllers(6), (std::set<std::uint16_t>{2}));
}

TEST_F(FakeNvmeControllerTest, CreateAndDeleteAreSwitchable) {
  NvmeCompletion made = Exec(BuildNamespaceCreate(100, 100, 0, 0));
  ASSERT_TRUE(made.status.ok());
  EXPECT_EQ(made.result, 2u);  // the lowest free NSID
  EXPECT_TRUE(fake_->Exists(2));
  EXPECT_FALSE(fake_->IsAttached(2));
  EXPECT_EQ(Code(Exec(BuildNamespaceDelete(2))), 0);
  EXPECT_FALSE(fake_->Exists(2));
  EXPECT_EQ(Code(Exec(BuildNamespaceDelete(2))), kStatusInvalidNamespace);
  fake_->SetCreateSupported(false);
  NvmeCompletion refused = Exec(BuildNamespaceCreate(100, 100, 0, 0));
  EXPECT_EQ(Code(refused), kStatusInvalidOpcode);
  EXPECT_EQ(GetErrorCode(NvmeStatusToStatus(refused.status, "create")), ErrorCode::kNotSupported);
}

TEST_F(FakeNvmeControllerTest, CreateBeyondCapacityIsInsufficientCapacity) {
  FakeNvmeController::Options options;
  options.capacity_blocks = 4096;  // 2 MiB
  auto small = std::make_shared<FakeNvmeController>(options);
  small->AddNamespace(1);  // 1 MiB used
  std::unique_ptr<NvmeTransport> t = small->NewTransport();
  absl::StatusOr<NvmeCompletion> c = t->Execute(BuildNamespaceCreate(4096, 4096, 0, 0));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->status.raw & 0x7ff, kStatusInsufficientCapacity);
  EXPECT_EQ(GetErrorCode(NvmeStatusToStatus(c->status, "create")), ErrorCode::kInsufficientStorage);
  c = t->Execute(BuildNamespaceCreate(2048, 2048, 0, 0));
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->status.ok());
}

TEST_F(FakeNvmeControllerTest, ReadWriteWriteZeroes) {
  std::vector<std::uint8_t> data(1024, 0xab);
  EXPECT_EQ(Code(Exec(BuildWrite(1, 10, 2, data))), 0);
  EXPECT_EQ(fake_->ReadBlocks(1, 10, 2), data);
  NvmeCompletion read = Exec(BuildRead(1, 10, 2, 1024));
  EXPECT_EQ(read.data_in, data);
  EXPECT_EQ(Code(Exec(BuildWriteZeroes(1, 11, 1))), 0);
  EXPECT_EQ(fake_->ReadBlocks(1, 11, 1), std::vector<std::uint8_t>(512, 0));
  EXPECT_EQ(Code(Exec(BuildRead(1, 2047, 2, 1024))), kStatusLbaOutOfRange);
  EXPECT_EQ(Code(Exec(BuildRead(6, 0, 1, 512))), kStatusInvalidNamespace);  // detached
  // Beyond MDTS (512 KiB): Invalid Field.
  EXPECT_EQ(Code(Exec(BuildRead(1, 0, 2048, 2048 * 512))), kStatusInvalidField);
}

TEST_F(FakeNvmeControllerTest, SimpleCopyAndCrossNamespaceCopy) {
  fake_->Fill(1, 0x11);
  fake_->WriteBlocks(1, 0, std::vector<std::uint8_t>(512, 0x22));
  EXPECT_EQ(Code(Exec(BuildCopy(1, 100, std::vector<CopySourceRange>{{0, 0, 1}}))), 0);
  EXPECT_EQ(fake_->ReadBlocks(1, 100, 1), std::vector<std::uint8_t>(512, 0x22));

  fake_->SetAttached(6, 1, true);
  const std::vector<CopySourceRange> cross = {{1, 0, 4}, {1, 4, 4}};
  EXPECT_EQ(Code(Exec(BuildCopy(6, 0, cross))), kStatusInvalidField);  // format 2h not offered
  fake_->SetCrossNamespaceCopy(true);
  EXPECT_EQ(Code(Exec(BuildCopy(6, 0, cross))), 0);
  EXPECT_EQ(fake_->ReadBlocks(6, 0, 8), fake_->ReadBlocks(1, 0, 8));
  // Limits: MSSRL 128 per range, MCL 1024, MSRC 7 (8 ranges).
  EXPECT_EQ(Code(Exec(BuildCopy(6, 0, std::vector<CopySourceRange>{{1, 0, 129}}))), kStatusInvalidField);
  std::vector<CopySourceRange> nine(9, CopySourceRange{1, 0, 1});
  EXPECT_EQ(Code(Exec(BuildCopy(6, 0, nine))), kStatusInvalidField);
  std::vector<CopySourceRange> eight(8, CopySourceRange{1, 0, 128});
  EXPECT_EQ(Code(Exec(BuildCopy(6, 0, eight))), 0);
  EXPECT_EQ(Code(Exec(BuildCopy(6, 2000, eight))), kStatusLbaOutOfRange);
}

TEST_F(FakeNvmeControllerTest, FaultsLatencyLogAndRescan) {
  fake_->FailCommand(NvmeQueue::kIo, kOpRead, 2, kStatusInvalidField);
  EXPECT_EQ(Code(Exec(BuildRead(1, 0, 1, 512))), 0);
  EXPECT_EQ(Code(Exec(BuildRead(1, 0, 1, 512))), kStatusInvalidField);
  EXPECT_EQ(Code(Exec(BuildRead(1, 0, 1, 512))), 0);
  fake_->FailTransport(NvmeQueue::kAdmin, kOpIdentify, 1, BackendFailureError("ioctl failed"));
  EXPECT_EQ(GetErrorCode(transport_->Execute(BuildIdentify(kCnsController)).status()), ErrorCode::kBackendFailure);
  EXPECT_EQ(fake_->CountCommands(NvmeQueue::kIo, kOpRead), 3);
  std::vector<FakeCommandRecord> log = fake_->CommandLog();
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[1].status & 0x7ff, kStatusInvalidField);
  EXPECT_TRUE(log[3].transport_error);
  fake_->ClearCommandLog();
  EXPECT_TRUE(fake_->CommandLog().empty());

  fake_->SetOpcodeLatency(NvmeQueue::kIo, kOpRead, absl::Milliseconds(50));
  const absl::Time start = absl::Now();
  Exec(BuildRead(1, 0, 1, 512));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(50));
  NvmeCommand slow = *BuildRead(1, 0, 1, 512);
  slow.timeout = absl::Milliseconds(10);
  EXPECT_EQ(GetErrorCode(transport_->Execute(slow).status()), ErrorCode::kDeadlineExceeded);

  EXPECT_TRUE(transport_->Rescan().ok());
  EXPECT_EQ(fake_->RescanCount(), 1);
}

TEST_F(FakeNvmeControllerTest, RefusesMalformedCommandsLikeATransport) {
  NvmeCommand bad = BuildIdentify(kCnsController);
  bad.timeout = absl::ZeroDuration();
  EXPECT_EQ(GetErrorCode(transport_->Execute(bad).status()), ErrorCode::kInvalidArgument);
  NvmeCommand io = *BuildRead(1, 0, 1, 512);
  io.nsid = 0;
  EXPECT_EQ(GetErrorCode(transport_->Execute(io).status()), ErrorCode::kInvalidArgument);
}

TEST_F(FakeNvmeControllerTest, ThreadSafe) {
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      std::unique_ptr<NvmeTransport> t = fake_->NewTransport();
      for (int k = 0; k < 50; ++k) {
        (void)t->Execute(*BuildWrite(1, static_cast<std::uint64_t>(i), 1, std::vector<std::uint8_t>(512, 1)));
        (void)t->Execute(BuildIdentify(kCnsNamespaceAttachedControllers, 6));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(fake_->CountCommands(NvmeQueue::kIo, kOpWrite), 200);
}

}  // namespace
}  // namespace hwsnap::nvme::testing
