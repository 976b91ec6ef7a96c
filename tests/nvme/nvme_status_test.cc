// Tests of the NVMe status mapping (hwsnap/nvme/nvme_status.h): every row of
// the table, unknown statuses, the text (names, SCT/SC in hex, DNR/More),
// CheckNvmeCompletion, and every status recorded in a captured errors.txt.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "fixture_loader.h"
#include "hwsnap/nvme/nvme_status.h"
#include "hwsnap/status.h"

namespace hwsnap::nvme {
namespace {

using ::testing::HasSubstr;

NvmeStatusField Status(unsigned sct, unsigned sc, bool dnr = false) {
  return NvmeStatusField{static_cast<std::uint16_t>((sct << 8) | sc | (dnr ? 0x4000 : 0))};
}

struct Row {
  unsigned sct, sc;
  ErrorCode code;
  const char* name;
};

// The table of nvme_status.h, row by row.
constexpr Row kTable[] = {
    {0x1, 0x15, ErrorCode::kInsufficientStorage, "Namespace Insufficient Capacity"},
    {0x0, 0x81, ErrorCode::kInsufficientStorage, "Capacity Exceeded"},
    {0x1, 0x16, ErrorCode::kInsufficientStorage, "Namespace Identifier Unavailable"},
    {0x1, 0x26, ErrorCode::kInsufficientStorage, "Insufficient Capacity"},
    {0x1, 0x27, ErrorCode::kInsufficientStorage, "Namespace Attachment Limit Exceeded"},
    {0x0, 0x01, ErrorCode::kNotSupported, "Invalid Command Opcode"},
    {0x0, 0x02, ErrorCode::kNotSupported, "Invalid Field in Command"},
    {0x0, 0x0b, ErrorCode::kObjectNotFound, "Invalid Namespace or Format"},
    {0x0, 0x07, ErrorCode::kCancelled, "Command Abort Requested"},
    {0x0, 0x08, ErrorCode::kCancelled, "Command Aborted due to SQ Deletion"},
    // "everything else": a sample of named statuses.
    {0x0, 0x06, ErrorCode::kBackendFailure, "Internal Error"},
    {0x0, 0x80, ErrorCode::kBackendFailure, "LBA Out of Range"},
    {0x1, 0x18, ErrorCode::kBackendFailure, "Namespace Already Attached"},
    {0x1, 0x1a, ErrorCode::kBackendFailure, "Namespace Not Attached"},
    {0x1, 0x1c, ErrorCode::kBackendFailure, "Controller List Invalid"},
    {0x1, 0x83, ErrorCode::kBackendFailure, "Command Size Limit Exceeded"},
    {0x2, 0x81, ErrorCode::kBackendFailure, "Unrecovered Read Error"},
    {0x3, 0x02, ErrorCode::kBackendFailure, "Asymmetric Access Inaccessible"},
    {0x3, 0x71, ErrorCode::kBackendFailure, "Command Aborted By Host"},
    {0x7, 0x42, ErrorCode::kBackendFailure, "Vendor Specific"},
};

TEST(NvmeStatusTest, EveryRowOfTheTable) {
  for (const Row& row : kTable) {
    const absl::Status s = NvmeStatusToStatus(Status(row.sct, row.sc), "Namespace Management (create) on /dev/nvme0");
    ASSERT_FALSE(s.ok()) << row.name;
    EXPECT_EQ(GetErrorCode(s), row.code) << row.name;
    EXPECT_TRUE(HasErrorCode(s)) << row.name;
    EXPECT_THAT(s.message(), HasSubstr("Namespace Management (create) on /dev/nvme0")) << row.name;
    EXPECT_THAT(s.message(), HasSubstr(row.name));
    char hex[32];
    std::snprintf(hex, sizeof hex, "SCT %Xh SC %02Xh", row.sct, row.sc);
    EXPECT_THAT(s.message(), HasSubstr(hex)) << row.name;
  }
}

TEST(NvmeStatusTest, UnknownStatusesAreBackendFailures) {
  for (NvmeStatusField f : {Status(0x0, 0x7f), Status(0x1, 0xfe), Status(0x4, 0x01), Status(0x2, 0x00)}) {
    const absl::Status s = NvmeStatusToStatus(f, "Copy nsid 1");
    EXPECT_EQ(GetErrorCode(s), ErrorCode::kBackendFailure);
    EXPECT_THAT(s.message(), HasSubstr("Unknown Status"));
    EXPECT_THAT(s.message(), HasSubstr("Copy nsid 1"));
  }
}

TEST(NvmeStatusTest, SuccessIsOkWhateverTheFlags) {
  EXPECT_TRUE(NvmeStatusToStatus(NvmeStatusField{0}, "x").ok());
  EXPECT_TRUE(NvmeStatusToStatus(NvmeStatusField{0x6000}, "x").ok());  // More + DNR without an error
}

TEST(NvmeStatusTest, Text) {
  EXPECT_EQ(NvmeStatusText(Status(0, 2, true)), "Invalid Field in Command (SCT 0h SC 02h, DNR)");
  EXPECT_EQ(NvmeStatusText(Status(1, 0x15)), "Namespace Insufficient Capacity (SCT 1h SC 15h)");
  EXPECT_EQ(NvmeStatusText(NvmeStatusField{0x2281}), "Unrecovered Read Error (SCT 2h SC 81h, More)");
  EXPECT_EQ(NvmeStatusText(Status(5, 0xab)), "Unknown Status (SCT 5h SC ABh)");
  // The CRD bits do not change the status.
  EXPECT_EQ(NvmeStatusText(NvmeStatusField{static_cast<std::uint16_t>(0x1800 | 0x0002)}),
            "Invalid Field in Command (SCT 0h SC 02h)");
  // Without a context the text stands alone.
  EXPECT_EQ(NvmeStatusToStatus(Status(0, 6), "").message(), "Internal Error (SCT 0h SC 06h)");
}

TEST(NvmeStatusTest, CheckNvmeCompletion) {
  NvmeCompletion ok;
  ok.result = 42;
  ok.data_in = {1, 2, 3};
  absl::StatusOr<NvmeCompletion> r = CheckNvmeCompletion(ok, "ctx");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->result, 42u);
  EXPECT_EQ(r->data_in.size(), 3u);

  NvmeCompletion failed;
  failed.status = Status(1, 0x16);
  r = CheckNvmeCompletion(failed, "Namespace Management (create)");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(GetErrorCode(r.status()), ErrorCode::kInsufficientStorage);

  const absl::Status transport = DeadlineExceededError("timed out after 10s");
  r = CheckNvmeCompletion(transport, "ctx");
  EXPECT_EQ(r.status(), transport);  // as is
}

// errors.txt: "<command description>\t<status hex>" per line, captured from
// a real controller; each must classify with the description in the message.
TEST(NvmeStatusTest, EveryCapturedErrorClassifies) {
  for (const std::string& path : testing::ListNvmeFixtures("errors.txt")) {
    absl::StatusOr<std::vector<std::uint8_t>> bytes = testing::LoadNvmeFixture(path);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    const std::string text(bytes->begin(), bytes->end());
    int lines = 0;
    for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipWhitespace())) {
      if (line[0] == '#') continue;
      std::vector<absl::string_view> fields = absl::StrSplit(line, '\t');
      ASSERT_EQ(fields.size(), 2u) << path << ": " << line;
      absl::string_view hex = fields[1];
      if (absl::StartsWith(hex, "0x") || absl::StartsWith(hex, "0X")) hex.remove_prefix(2);
      int raw = 0;
      ASSERT_TRUE(absl::SimpleHexAtoi(hex, &raw)) << path << ": " << line;
      const NvmeStatusField status{static_cast<std::uint16_t>(raw)};
      const absl::Status s = NvmeStatusToStatus(status, fields[0]);
      EXPECT_FALSE(s.ok()) << path << ": " << line;
      EXPECT_TRUE(HasErrorCode(s));
      EXPECT_THAT(s.message(), HasSubstr(std::string(fields[0])));
      ++lines;
    }
    EXPECT_GT(lines, 0) << path;
  }
}

// Exact classification of what QEMU 7.2 answered (fixtures/README.md).
TEST(NvmeStatusTest, QemuCapture) {
  struct Expected {
    std::uint16_t raw;
    ErrorCode code;
    const char* name;
  };
  for (const Expected& e : {Expected{0x4001, ErrorCode::kNotSupported, "Invalid Command Opcode (SCT 0h SC 01h, DNR)"},
                            Expected{0x4118, ErrorCode::kBackendFailure, "Namespace Already Attached"},
                            Expected{0x411a, ErrorCode::kBackendFailure, "Namespace Not Attached"},
                            Expected{0x400b, ErrorCode::kObjectNotFound, "Invalid Namespace or Format"},
                            Expected{0x4080, ErrorCode::kBackendFailure, "LBA Out of Range"},
                            Expected{0x0006, ErrorCode::kBackendFailure, "Internal Error (SCT 0h SC 06h)"},
                            Expected{0x4002, ErrorCode::kNotSupported, "Invalid Field in Command"}}) {
    const absl::Status s = NvmeStatusToStatus(NvmeStatusField{e.raw}, "cmd");
    EXPECT_EQ(GetErrorCode(s), e.code) << e.name;
    EXPECT_THAT(s.message(), HasSubstr(e.name));
  }
  absl::StatusOr<std::vector<std::uint8_t>> text = testing::LoadNvmeFixture("vm/qemu-nvme/errors.txt");
  if (!text.ok()) GTEST_SKIP() << text.status();
  const std::string content(text->begin(), text->end());
  EXPECT_THAT(content, HasSubstr("\t0x4001"));
  EXPECT_THAT(content, HasSubstr("\t0x400b"));
}

}  // namespace
}  // namespace hwsnap::nvme
