// Cross-checks the byte offsets the NVMe parsers and builders use against an
// independent source: Debian's libnvme-dev (nvme/types.h, header only; this
// test is built only where the header exists). Each test fills a libnvme
// struct with distinct values, copies it to bytes and parses them with
// hwsnap's parser (or builds bytes with hwsnap's builder and reads them
// through the libnvme struct), then compares field by field. Status values of
// the mapping table are checked against enum nvme_status_field.
#include <gtest/gtest.h>
#include <nvme/types.h>

#include <cstddef>
#include <cstring>

#include "hwsnap/nvme/identify.h"
#include "hwsnap/nvme/nvme_commands.h"
#include "hwsnap/nvme/nvme_status.h"
#include "hwsnap/status.h"

namespace hwsnap::nvme {
namespace {

template <typename T>
std::vector<std::uint8_t> BytesOf(const T& value) {
  std::vector<std::uint8_t> b(sizeof(T));
  std::memcpy(b.data(), &value, sizeof(T));
  return b;
}

// libnvme stores little-endian fields as __le types; on x86 and arm64 hosts
// (the only ones this runs on) host order is little-endian.
static_assert(sizeof(struct nvme_id_ctrl) == 4096);
static_assert(sizeof(struct nvme_id_ns) == 4096);
static_assert(offsetof(struct nvme_id_ctrl, sn) == 4);
static_assert(offsetof(struct nvme_id_ctrl, mn) == 24);
static_assert(offsetof(struct nvme_id_ctrl, fr) == 64);
static_assert(offsetof(struct nvme_id_ctrl, ieee) == 73);
static_assert(offsetof(struct nvme_id_ctrl, cntlid) == 78);
static_assert(offsetof(struct nvme_id_ctrl, ver) == 80);
static_assert(offsetof(struct nvme_id_ctrl, oacs) == 256);
static_assert(offsetof(struct nvme_id_ctrl, nn) == 516);
static_assert(offsetof(struct nvme_id_ctrl, oncs) == 520);
static_assert(offsetof(struct nvme_id_ctrl, ocfs) == 534);
static_assert(offsetof(struct nvme_id_ctrl, mnan) == 540);
static_assert(offsetof(struct nvme_id_ctrl, subnqn) == 768);
static_assert(offsetof(struct nvme_id_ns, flbas) == 26);
static_assert(offsetof(struct nvme_id_ns, nmic) == 30);
static_assert(offsetof(struct nvme_id_ns, mssrl) == 74);
static_assert(offsetof(struct nvme_id_ns, mcl) == 76);
static_assert(offsetof(struct nvme_id_ns, msrc) == 80);
static_assert(offsetof(struct nvme_id_ns, nguid) == 104);
static_assert(offsetof(struct nvme_id_ns, eui64) == 120);
static_assert(offsetof(struct nvme_id_ns, lbaf) == 128);
static_assert(sizeof(struct nvme_lbaf) == 4);
static_assert(offsetof(struct nvme_ns_id_desc, nid) == 4);
static_assert(sizeof(struct nvme_copy_range) == 32);
static_assert(offsetof(struct nvme_copy_range, slba) == 8);
static_assert(offsetof(struct nvme_copy_range, nlb) == 16);
static_assert(offsetof(struct nvme_ctrl_list, identifier) == 2);

TEST(LibnvmeLayoutTest, IdentifyController) {
  struct nvme_id_ctrl id;
  std::memset(&id, 0, sizeof id);
  id.vid = 0x1b36;
  id.ssvid = 0x1af4;
  std::memcpy(id.sn, "SN-LAYOUT-0123456789", 20);
  std::memcpy(id.mn, "Model padded with spaces                ", 40);
  std::memcpy(id.fr, "FW-9.9.9", 8);
  id.ieee[0] = 0x11;
  id.ieee[1] = 0x22;
  id.ieee[2] = 0x33;
  id.cmic = 0x0a;
  id.mdts = 9;
  id.cntlid = 0x4321;
  id.ver = 0x00020100;
  id.oacs = 0x0108;
  id.nn = 0x01020304;
  id.oncs = 0x0155;
  id.ocfs = 0x000d;
  id.mnan = 0x0a0b0c0d;
  std::strcpy(id.subnqn, "nqn.2014-08.org.nvmexpress:layout");
  absl::StatusOr<IdentifyController> c = ParseIdentifyController(BytesOf(id));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->vid, id.vid);
  EXPECT_EQ(c->ssvid, id.ssvid);
  EXPECT_EQ(c->serial_number, "SN-LAYOUT-0123456789");
  EXPECT_EQ(c->model_number, "Model padded with spaces");
  EXPECT_EQ(c->firmware_revision, "FW-9.9.9");
  EXPECT_EQ(c->ieee_oui, (std::array<std::uint8_t, 3>{0x11, 0x22, 0x33}));
  EXPECT_EQ(c->cmic, id.cmic);
  EXPECT_EQ(c->mdts, id.mdts);
  EXPECT_EQ(c->cntlid, id.cntlid);
  EXPECT_EQ(c->version, id.ver);
  EXPECT_EQ(c->oacs, id.oacs);
  EXPECT_EQ(c->nn, id.nn);
  EXPECT_EQ(c->oncs, id.oncs);
  EXPECT_EQ(c->ocfs, id.ocfs);
  EXPECT_EQ(c->mnan, id.mnan);
  EXPECT_EQ(c->subnqn, "nqn.2014-08.org.nvmexpress:layout");
  // Capability bits against libnvme's flag enums.
  EXPECT_EQ(c->SupportsNamespaceManagement(), (id.oacs & NVME_CTRL_OACS_NS_MGMT) != 0);
  EXPECT_EQ(c->SupportsCopy(), (id.oncs & NVME_CTRL_ONCS_COPY) != 0);
  EXPECT_EQ(c->SupportsWriteZeroes(), (id.oncs & NVME_CTRL_ONCS_WRITE_ZEROES) != 0);
}

TEST(LibnvmeLayoutTest, IdentifyNamespace) {
  struct nvme_id_ns id;
  std::memset(&id, 0, sizeof id);
  id.nsze = 0x0000000012345678;
  id.ncap = 0x0000000012345670;
  id.nuse = 0x0000000000345670;
  id.nsfeat = 0x1f;
  id.nlbaf = 3;
  id.flbas = 0x02;
  id.nmic = 1;
  id.mssrl = 0x0102;
  id.mcl = 0x03040506;
  id.msrc = 0x07;
  for (int i = 0; i < 16; ++i) id.nguid[i] = static_cast<__u8>(0xc0 + i);
  for (int i = 0; i < 8; ++i) id.eui64[i] = static_cast<__u8>(0x30 + i);
  for (int i = 0; i < 4; ++i) {
    id.lbaf[i].ms = static_cast<__le16>(8 * i);
    id.lbaf[i].ds = static_cast<__u8>(9 + i);
    id.lbaf[i].rp = static_cast<__u8>(i & 3);
  }
  absl::StatusOr<IdentifyNamespace> ns = ParseIdentifyNamespace(BytesOf(id));
  ASSERT_TRUE(ns.ok()) << ns.status();
  EXPECT_EQ(ns->nsze, id.nsze);
  EXPECT_EQ(ns->ncap, id.ncap);
  EXPECT_EQ(ns->nuse, id.nuse);
  EXPECT_EQ(ns->nsfeat, id.nsfeat);
  EXPECT_EQ(ns->nlbaf, id.nlbaf);
  EXPECT_EQ(ns->flbas, id.flbas);
  EXPECT_EQ(ns->nmic, id.nmic);
  EXPECT_EQ(ns->mssrl, id.mssrl);
  EXPECT_EQ(ns->mcl, id.mcl);
  EXPECT_EQ(ns->msrc, id.msrc);
  EXPECT_EQ(0, std::memcmp(ns->nguid.data(), id.nguid, 16));
  EXPECT_EQ(0, std::memcmp(ns->eui64.data(), id.eui64, 8));
  ASSERT_EQ(ns->lba_formats.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(ns->lba_formats[static_cast<std::size_t>(i)].metadata_size, id.lbaf[i].ms);
    EXPECT_EQ(ns->lba_formats[static_cast<std::size_t>(i)].lba_data_size_log2, id.lbaf[i].ds);
    EXPECT_EQ(ns->lba_formats[static_cast<std::size_t>(i)].relative_performance, id.lbaf[i].rp);
  }
  EXPECT_EQ(ns->block_bytes(), 2048u);  // LBAF2: 2^11
  // FLBAS index bits: libnvme's own masks (NVME_FLBAS_LOWER/HIGHER).
  id.nlbaf = 63;
  id.flbas = 0x65;  // lower 5, higher 3 -> 0x35
  for (int i = 0; i < 64; ++i) id.lbaf[i].ds = 9;
  ns = ParseIdentifyNamespace(BytesOf(id));
  ASSERT_TRUE(ns.ok()) << ns.status();
  EXPECT_EQ(ns->format_index(), (id.flbas & NVME_NS_FLBAS_LOWER_MASK) |
                                    ((id.flbas & NVME_NS_FLBAS_HIGHER_MASK) >> 1));
  EXPECT_EQ(ns->format_index(), 0x35);
}

TEST(LibnvmeLayoutTest, NamespaceIdDescriptorsAndLists) {
  std::vector<std::uint8_t> buffer(4096, 0);
  auto* d = reinterpret_cast<struct nvme_ns_id_desc*>(buffer.data());
  d->nidt = NVME_NIDT_UUID;
  d->nidl = NVME_NIDT_UUID_LEN;
  for (int i = 0; i < NVME_NIDT_UUID_LEN; ++i) buffer[4 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i + 1);
  auto* d2 = reinterpret_cast<struct nvme_ns_id_desc*>(buffer.data() + 4 + NVME_NIDT_UUID_LEN);
  d2->nidt = NVME_NIDT_EUI64;
  d2->nidl = NVME_NIDT_EUI64_LEN;
  absl::StatusOr<std::vector<NamespaceIdDescriptor>> list = ParseNamespaceIdDescriptors(buffer);
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].type, static_cast<std::uint8_t>(NamespaceIdType::kUuid));
  EXPECT_EQ((*list)[0].id[15], 16);
  EXPECT_EQ((*list)[1].type, static_cast<std::uint8_t>(NamespaceIdType::kEui64));
  EXPECT_EQ(NVME_NIDT_NGUID, static_cast<int>(NamespaceIdType::kNguid));
  EXPECT_EQ(NVME_NIDT_CSI, static_cast<int>(NamespaceIdType::kCsi));
  EXPECT_EQ(NVME_NIDT_NGUID_LEN, 16);

  struct nvme_ns_list ns_list;
  std::memset(&ns_list, 0, sizeof ns_list);
  ns_list.ns[0] = 2;
  ns_list.ns[1] = 0x01000000;
  absl::StatusOr<std::vector<std::uint32_t>> nsids = ParseNamespaceList(BytesOf(ns_list));
  ASSERT_TRUE(nsids.ok());
  EXPECT_EQ(*nsids, (std::vector<std::uint32_t>{2, 0x01000000}));
  EXPECT_EQ(sizeof(ns_list), 4096u);

  struct nvme_ctrl_list ctrl_list;
  std::memset(&ctrl_list, 0, sizeof ctrl_list);
  ctrl_list.num = 2;
  ctrl_list.identifier[0] = 0x0102;
  ctrl_list.identifier[1] = 0x0304;
  absl::StatusOr<std::vector<std::uint16_t>> ids = ParseControllerList(BytesOf(ctrl_list));
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, (std::vector<std::uint16_t>{0x0102, 0x0304}));
  EXPECT_EQ(NVME_ID_CTRL_LIST_MAX, 2047);
  EXPECT_EQ(NVME_ID_NS_LIST_MAX, 1024);
}

TEST(LibnvmeLayoutTest, BuildersAgainstLibnvmeStructs) {
  // Namespace Management (create) data is an nvme_id_ns.
  NvmeCommand create = BuildNamespaceCreate(0x1122334455667788, 0x1122334455667700, 0x13, 0x01);
  struct nvme_id_ns host;
  ASSERT_EQ(create.data_out.size(), sizeof host);
  std::memcpy(&host, create.data_out.data(), sizeof host);
  EXPECT_EQ(host.nsze, 0x1122334455667788u);
  EXPECT_EQ(host.ncap, 0x1122334455667700u);
  EXPECT_EQ(host.flbas, 0x13);
  EXPECT_EQ(host.nmic, 0x01);
  EXPECT_EQ(create.opcode, nvme_admin_ns_mgmt);
  EXPECT_EQ(create.cdw10, static_cast<std::uint32_t>(NVME_NS_MGMT_SEL_CREATE));
  EXPECT_EQ(BuildNamespaceDelete(3).cdw10, static_cast<std::uint32_t>(NVME_NS_MGMT_SEL_DELETE));

  // Namespace Attachment data is an nvme_ctrl_list.
  const std::vector<std::uint16_t> controllers = {7, 9};
  absl::StatusOr<NvmeCommand> attach = BuildNamespaceAttachment(1, true, controllers);
  ASSERT_TRUE(attach.ok());
  struct nvme_ctrl_list list;
  ASSERT_EQ(attach->data_out.size(), sizeof list);
  std::memcpy(&list, attach->data_out.data(), sizeof list);
  EXPECT_EQ(list.num, 2);
  EXPECT_EQ(list.identifier[0], 7);
  EXPECT_EQ(list.identifier[1], 9);
  EXPECT_EQ(attach->opcode, nvme_admin_ns_attach);
  EXPECT_EQ(attach->cdw10, static_cast<std::uint32_t>(NVME_NS_ATTACH_SEL_CTRL_ATTACH));
  EXPECT_EQ(BuildNamespaceAttachment(1, false, controllers)->cdw10,
            static_cast<std::uint32_t>(NVME_NS_ATTACH_SEL_CTRL_DEATTACH));

  // Copy format 0h ranges are nvme_copy_range (format 2h is newer than libnvme 1.3).
  const std::vector<CopySourceRange> ranges = {{0, 0x0a0b0c0d0e0f1011, 300}};
  absl::StatusOr<NvmeCommand> copy = BuildCopy(1, 0, ranges);
  ASSERT_TRUE(copy.ok());
  struct nvme_copy_range range;
  ASSERT_EQ(copy->data_out.size(), sizeof range);
  std::memcpy(&range, copy->data_out.data(), sizeof range);
  EXPECT_EQ(range.slba, 0x0a0b0c0d0e0f1011u);
  EXPECT_EQ(range.nlb, 299);
  EXPECT_EQ(copy->opcode, nvme_cmd_copy);

  // Opcodes and CNS values.
  EXPECT_EQ(kOpIdentify, nvme_admin_identify);
  EXPECT_EQ(kOpRead, nvme_cmd_read);
  EXPECT_EQ(kOpWrite, nvme_cmd_write);
  EXPECT_EQ(kOpWriteZeroes, nvme_cmd_write_zeroes);
  EXPECT_EQ(kCnsNamespace, NVME_IDENTIFY_CNS_NS);
  EXPECT_EQ(kCnsController, NVME_IDENTIFY_CNS_CTRL);
  EXPECT_EQ(kCnsActiveNamespaceList, NVME_IDENTIFY_CNS_NS_ACTIVE_LIST);
  EXPECT_EQ(kCnsNamespaceIdDescriptors, NVME_IDENTIFY_CNS_NS_DESC_LIST);
  EXPECT_EQ(kCnsAllocatedNamespaceList, NVME_IDENTIFY_CNS_ALLOCATED_NS_LIST);
  EXPECT_EQ(kCnsAllocatedNamespace, NVME_IDENTIFY_CNS_ALLOCATED_NS);
  EXPECT_EQ(kCnsNamespaceAttachedControllers, NVME_IDENTIFY_CNS_NS_CTRL_LIST);
  EXPECT_EQ(kCnsSubsystemControllers, NVME_IDENTIFY_CNS_CTRL_LIST);
}

NvmeStatusField Field(int sct, int sc) { return NvmeStatusField{static_cast<std::uint16_t>((sct << 8) | sc)}; }

TEST(LibnvmeLayoutTest, StatusTableValues) {
  EXPECT_EQ(GetErrorCode(NvmeStatusToStatus(Field(NVME_SCT_CMD_SPECIFIC, NVME_SC_NS_INSUFFICIENT_CAP), "")),
            ErrorCode::kInsufficientStorage);
  EXPECT_EQ(GetErrorCode(NvmeStatusToStatus(Field(NVME_SCT_CMD_SPECIFIC, NVME_SC_NS_ID_UNAVAILABLE), "")),
            ErrorCode::kInsufficientStorage);
  EXPECT_EQ(GetErrorCode(NvmeStatusToStatus(Field(NVME_SCT_CMD_SPECIFIC, NVME_SC_INSUFFICIENT_CAP), "")),
            ErrorCode::kInsufficientStorage);
  EXPECT_EQ(GetErrorCode(NvmeStatusToStatus(Field(NVME_SCT_CMD_SPECIFIC, NVME_SC_NS_ATTACHMENT_LIMIT_EXCEEDED), "")),
            ErrorCode::kInsufficientStorage);
  EXPECT_EQ(GetErrorCode(NvmeStatusToStatus(Field(NVME_SCT_GENERIC, NVME_SC_CAP_EXCEEDED), "")),
            ErrorCode::kInsufficientStorage);
  EXPECT_EQ(GetErrorCode(NvmeStatusToStatus(Field(NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE), "")),
            ErrorCode::kNotSupported);
  EXPECT_EQ(GetErrorCode(NvmeStatusToStatus(Field(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD), "")),
            ErrorCode::kNotSupported);
  EXPECT_EQ(GetErrorCode(NvmeStatusToStatus(Field(NVME_SCT_GENERIC, NVME_SC_INVALID_NS), "")),
            ErrorCode::kObjectNotFound);
  EXPECT_EQ(GetErrorCode(NvmeStatusToStatus(Field(NVME_SCT_GENERIC, NVME_SC_ABORT_REQ), "")), ErrorCode::kCancelled);
  EXPECT_EQ(GetErrorCode(NvmeStatusToStatus(Field(NVME_SCT_GENERIC, NVME_SC_ABORT_QUEUE), "")), ErrorCode::kCancelled);
  EXPECT_EQ(GetErrorCode(NvmeStatusToStatus(Field(NVME_SCT_CMD_SPECIFIC, NVME_SC_NS_ALREADY_ATTACHED), "")),
            ErrorCode::kBackendFailure);
  // The field layout: DNR and More bits as libnvme defines them.
  const NvmeStatusField dnr{static_cast<std::uint16_t>(NVME_SC_DNR)};
  EXPECT_TRUE(dnr.dnr());
  const NvmeStatusField more{static_cast<std::uint16_t>(NVME_SC_MORE)};
  EXPECT_TRUE(more.more());
}

}  // namespace
}  // namespace hwsnap::nvme
