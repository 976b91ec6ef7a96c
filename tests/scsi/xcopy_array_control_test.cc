// Tests of XcopyArrayControl, the EXTENDED COPY (LID1) pool strategy, on
// Linux without a target: the LUNs are FakeScsiDevices loaded with the pages
// captured from LIO in the test VM (fixtures/vm/lio-fileio-lun0/1), wrapped
// in CopyManagerLun, a decorator that answers what the fake does not —
// RECEIVE COPY OPERATING PARAMETERS (with LIO's captured answer) and
// EXTENDED COPY (recording each parameter list and timeout, or failing on
// demand). The real copy between LIO LUNs is proven in the VM tier
// (tests/scsi/vm/scsi_vm_test.cc).
#include "hwsnap/scsi/xcopy_array_control.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "fake_scsi_device.h"
#include "fixture_loader.h"
#include "hwsnap/cancel_token.h"
#include "hwsnap/scsi/cdb.h"
#include "hwsnap/scsi/lun_reader.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::FakeScsiDevice;
using testing::FixedSense;

using ByteList = std::vector<std::uint8_t>;

// LIO's NAA 6 designators (fixtures/vm/lio-fileio-lun*/vpd83.hex).
const ByteList kNaaLioA = {0x60, 0x01, 0x40, 0x5a, 0xa6, 0x00, 0xd0, 0xa0,
                           0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
const ByteList kNaaLioB = {0x60, 0x01, 0x40, 0x5a, 0xb6, 0x00, 0xd0, 0xb0,
                           0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

ByteList Fixture(const std::string& path) {
  absl::StatusOr<testing::Fixture> f = testing::LoadFixture(path);
  EXPECT_TRUE(f.ok()) << f.status();
  return f.ok() ? f->bytes : ByteList{};
}

// One received EXTENDED COPY.
struct CopyRequest {
  ByteList cdb;
  ByteList parameters;
  absl::Duration timeout;
};

// A LUN with a copy manager: a FakeScsiDevice plus RECEIVE COPY OPERATING
// PARAMETERS and EXTENDED COPY.
class CopyManagerLun : public ScsiTransport {
 public:
  explicit CopyManagerLun(const std::string& address) : device(address, BusType::kScsi) {}

  std::string Address() const override { return device.Address(); }
  BusType bus_type() const override { return device.bus_type(); }

  absl::StatusOr<ScsiResult> Execute(const ScsiCommand& command) override {
    if (command.cdb.size() >= 2 && command.cdb[0] == kOpReceiveCopyResults &&
        command.cdb[1] == kSaOperatingParameters && operating_parameters.has_value()) {
      ScsiResult r;
      r.data_in = *operating_parameters;
      if (r.data_in.size() > command.data_in_length) r.data_in.resize(command.data_in_length);
      return r;
    }
    if (!command.cdb.empty() && command.cdb[0] == kOpExtendedCopy) {
      copies.push_back({command.cdb, command.data_out, command.timeout});
      if (on_copy) return on_copy(command, copies.size());
      return ScsiResult{};
    }
    return device.Execute(command);
  }

  FakeScsiDevice device;
  std::optional<ByteList> operating_parameters;
  // Answers the n-th (1-based) EXTENDED COPY; unset: GOOD.
  std::function<absl::StatusOr<ScsiResult>(const ScsiCommand&, std::size_t)> on_copy;
  std::vector<CopyRequest> copies;
};

// Hands out transports to the shared test LUNs (the strategy owns what it opens).
class LunHandle : public ScsiTransport {
 public:
  explicit LunHandle(std::shared_ptr<CopyManagerLun> lun) : lun_(std::move(lun)) {}
  std::string Address() const override { return lun_->Address(); }
  BusType bus_type() const override { return lun_->bus_type(); }
  absl::StatusOr<ScsiResult> Execute(const ScsiCommand& command) override { return lun_->Execute(command); }

 private:
  std::shared_ptr<CopyManagerLun> lun_;
};

class XcopyArrayControlTest : public ::testing::Test {
 protected:
  // A LUN from one of the captured LIO directories, with LIO's copy manager.
  std::shared_ptr<CopyManagerLun> AddLun(const std::string& address, const std::string& fixture_dir) {
    auto lun = std::make_shared<CopyManagerLun>(address);
    EXPECT_TRUE(lun->device.LoadFixtureDirectory(fixture_dir).ok());
    lun->operating_parameters = Fixture("vm/lio-fileio-lun0/receive_copy_operating_parameters.hex");
    luns_[address] = lun;
    return lun;
  }

  // READ CAPACITY(16) data for `blocks` 512-byte blocks.
  static ByteList Capacity(std::uint64_t blocks) {
    ByteList d(32, 0);
    const std::uint64_t last = blocks - 1;
    for (int i = 0; i < 8; ++i) d[i] = static_cast<std::uint8_t>(last >> (56 - 8 * i));
    d[10] = 0x02;  // 512
    return d;
  }

  XcopyArrayControlOptions Options(std::vector<std::string> pool) {
    XcopyArrayControlOptions o;
    o.pool = std::move(pool);
    o.open_transport = [this](absl::string_view address) -> absl::StatusOr<std::unique_ptr<ScsiTransport>> {
      ++opens_[std::string(address)];
      if (on_open) on_open(address);
      auto it = luns_.find(std::string(address));
      if (it == luns_.end()) return BackendFailureError(absl::StrCat("cannot open ", address));
      return std::unique_ptr<ScsiTransport>(std::make_unique<LunHandle>(it->second));
    };
    return o;
  }

  // The source LUN as ScsiBackend would describe it. LIO has no VPD 0x8F (it
  // advertises LID1 by 3PC and RECEIVE COPY OPERATING PARAMETERS), so the
  // flag is set here as a reader that knows LIO would set it.
  ScsiLunInfo SourceInfo(const std::string& address) {
    absl::StatusOr<ScsiLunInfo> info = ReadLunInfo(*luns_.at(address));
    EXPECT_TRUE(info.ok()) << info.status();
    if (!info.ok()) return {};
    info->extended_copy_lid1 = true;
    return *info;
  }

  std::map<std::string, std::shared_ptr<CopyManagerLun>> luns_;
  std::map<std::string, int> opens_;
  std::function<void(absl::string_view)> on_open;
};

// The 108-byte parameter list copying `blocks` blocks from LBA `lba` of LIO
// LUN 0 to the same LBA of LIO LUN 1, built here byte by byte from SPC-4.
ByteList ExpectedList(std::vector<std::pair<std::uint64_t, std::uint16_t>> segments) {
  ByteList p = {0x00, 0x19, 0x00, 0x40, 0, 0, 0, 0,  // list id 0, usage 11b, priority 1, CSCD list 64
                0, 0, 0, 0, 0, 0, 0, 0};             // segment list length (below), inline 0
  const std::uint32_t segment_bytes = static_cast<std::uint32_t>(28 * segments.size());
  p[10] = static_cast<std::uint8_t>(segment_bytes >> 8);
  p[11] = static_cast<std::uint8_t>(segment_bytes);
  for (const ByteList* naa : {&kNaaLioA, &kNaaLioB}) {
    ByteList cscd = {0xe4, 0x00, 0x00, 0x00, 0x01, 0x03, 0x00, 0x10};
    cscd.insert(cscd.end(), naa->begin(), naa->end());
    cscd.insert(cscd.end(), {0, 0, 0, 0, 0x00, 0x00, 0x02, 0x00});  // reserved, PAD 0, block length 512
    p.insert(p.end(), cscd.begin(), cscd.end());
  }
  for (const auto& [lba, blocks] : segments) {
    ByteList s = {0x02, 0x00, 0x00, 0x18, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
                  static_cast<std::uint8_t>(blocks >> 8), static_cast<std::uint8_t>(blocks)};
    for (int copy = 0; copy < 2; ++copy) {
      for (int i = 0; i < 8; ++i) s.push_back(static_cast<std::uint8_t>(lba >> (56 - 8 * i)));
    }
    p.insert(p.end(), s.begin(), s.end());
  }
  return p;
}

TEST(ParseCopyOperatingParametersTest, DecodesLiosCapturedAnswer) {
  absl::StatusOr<CopyManagerLimits> limits =
      ParseCopyOperatingParameters(Fixture("vm/lio-fileio-lun0/receive_copy_operating_parameters.hex"));
  ASSERT_TRUE(limits.ok()) << limits.status();
  EXPECT_EQ(limits->max_cscd_descriptor_count, 2);
  EXPECT_EQ(limits->max_segment_descriptor_count, 1);
  EXPECT_EQ(limits->max_descriptor_list_length, 1024u);
  EXPECT_EQ(limits->max_segment_length, 256u * 1024 * 1024);
}

TEST(ParseCopyOperatingParametersTest, RefusesShortData) {
  ByteList lio = Fixture("vm/lio-fileio-lun0/receive_copy_operating_parameters.hex");
  EXPECT_EQ(GetErrorCode(ParseCopyOperatingParameters(ByteList(lio.begin(), lio.begin() + 19)).status()),
            ErrorCode::kBackendFailure);
  EXPECT_EQ(GetErrorCode(ParseCopyOperatingParameters({}).status()), ErrorCode::kBackendFailure);
  lio[3] = 0x0f;  // AVAILABLE DATA 15 stops before MAXIMUM SEGMENT LENGTH ends
  EXPECT_EQ(GetErrorCode(ParseCopyOperatingParameters(lio).status()), ErrorCode::kBackendFailure);
}

TEST_F(XcopyArrayControlTest, PlanCopiesTheWholeLunInOneSegmentWithinLiosLimits) {
  AddLun("sg-a", "vm/lio-fileio-lun0");
  AddLun("sg-b", "vm/lio-fileio-lun1");
  ScsiLunInfo a = SourceInfo("sg-a");
  ScsiLunInfo b = SourceInfo("sg-b");
  ASSERT_EQ(a.block_count, 32768u);
  CopyManagerLimits lio{2, 1, 1024, 256u * 1024 * 1024};
  absl::StatusOr<std::vector<ByteList>> plan = PlanExtendedCopy(a, b, lio);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(*plan, ElementsAre(ExpectedList({{0, 32768}})));
}

TEST_F(XcopyArrayControlTest, PlanCutsSegmentsAndPacksThemPerCommand) {
  AddLun("sg-a", "vm/lio-fileio-lun0");
  AddLun("sg-b", "vm/lio-fileio-lun1");
  ScsiLunInfo a = SourceInfo("sg-a");
  ScsiLunInfo b = SourceInfo("sg-b");
  // One segment per command (LIO), at most 10000 blocks each.
  absl::StatusOr<std::vector<ByteList>> plan = PlanExtendedCopy(a, b, {2, 1, 1024, 0}, 10000);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(*plan, ElementsAre(ExpectedList({{0, 10000}}), ExpectedList({{10000, 10000}}),
                                 ExpectedList({{20000, 10000}}), ExpectedList({{30000, 2768}})));
  // Three segments per command.
  plan = PlanExtendedCopy(a, b, {2, 3, 1024, 0}, 10000);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(*plan, ElementsAre(ExpectedList({{0, 10000}, {10000, 10000}, {20000, 10000}}),
                                 ExpectedList({{30000, 2768}})));
  // The descriptor list length allows two segments (64 + 2 * 28 bytes).
  plan = PlanExtendedCopy(a, b, {2, 10, 120, 0}, 10000);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(*plan, ElementsAre(ExpectedList({{0, 10000}, {10000, 10000}}),
                                 ExpectedList({{20000, 10000}, {30000, 2768}})));
  // The maximum segment length (bytes) limits the blocks: 4 MiB = 8192 blocks.
  plan = PlanExtendedCopy(a, b, {0, 0, 0, 4u * 1024 * 1024});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(*plan, ElementsAre(ExpectedList({{0, 8192}}), ExpectedList({{8192, 8192}}),
                                 ExpectedList({{16384, 8192}}), ExpectedList({{24576, 8192}})));
}

TEST_F(XcopyArrayControlTest, PlanRefusesWhatCannotWork) {
  AddLun("sg-a", "vm/lio-fileio-lun0");
  AddLun("sg-b", "vm/lio-fileio-lun1");
  ScsiLunInfo a = SourceInfo("sg-a");
  ScsiLunInfo b = SourceInfo("sg-b");
  const CopyManagerLimits lio{2, 1, 1024, 256u * 1024 * 1024};
  ScsiLunInfo small = b;
  small.block_count = a.block_count - 1;
  EXPECT_EQ(GetErrorCode(PlanExtendedCopy(a, small, lio).status()), ErrorCode::kInvalidArgument);
  ScsiLunInfo big_blocks = b;
  big_blocks.block_length = 4096;
  EXPECT_EQ(GetErrorCode(PlanExtendedCopy(a, big_blocks, lio).status()), ErrorCode::kInvalidArgument);
  ScsiLunInfo no_naa = b;
  no_naa.identity.designators.clear();
  EXPECT_EQ(GetErrorCode(PlanExtendedCopy(a, no_naa, lio).status()), ErrorCode::kInvalidArgument);
  EXPECT_EQ(GetErrorCode(PlanExtendedCopy(a, a, lio).status()), ErrorCode::kInvalidArgument);  // same LUN
  EXPECT_EQ(GetErrorCode(PlanExtendedCopy(a, b, {1, 1, 1024, 0}).status()), ErrorCode::kInvalidArgument);
  EXPECT_EQ(GetErrorCode(PlanExtendedCopy(a, b, {2, 1, 1024, 511}).status()), ErrorCode::kInvalidArgument);
  EXPECT_EQ(GetErrorCode(PlanExtendedCopy(a, b, {2, 1, 80, 0}).status()), ErrorCode::kInvalidArgument);
  ScsiLunInfo empty = a;
  empty.block_count = 0;
  EXPECT_EQ(GetErrorCode(PlanExtendedCopy(empty, b, lio).status()), ErrorCode::kInvalidArgument);
}

TEST_F(XcopyArrayControlTest, WhyCannotSnapshotNamesTheMissingPiece) {
  AddLun("sg-a", "vm/lio-fileio-lun0");
  auto pool = AddLun("sg-b", "vm/lio-fileio-lun1");
  XcopyArrayControl control(Options({"sg-b"}));
  ScsiLunInfo a = SourceInfo("sg-a");
  EXPECT_EQ(control.WhyCannotSnapshot(a), "");

  ScsiLunInfo no_copy = a;
  no_copy.extended_copy_lid1 = false;
  EXPECT_THAT(control.WhyCannotSnapshot(no_copy), HasSubstr("EXTENDED COPY (LID1)"));
  ScsiLunInfo no_naa = a;
  no_naa.identity.designators.clear();
  EXPECT_THAT(control.WhyCannotSnapshot(no_naa), HasSubstr("no NAA designator"));

  // A pool LUN one block smaller than the source does not fit (fresh control: no cache).
  pool->device.SetReadCapacity16(Capacity(32767));
  XcopyArrayControl small_pool(Options({"sg-b"}));
  EXPECT_THAT(small_pool.WhyCannotSnapshot(a), HasSubstr("sg-b: it holds 16776704 bytes"));
  XcopyArrayControl nothing(Options({}));
  EXPECT_THAT(nothing.WhyCannotSnapshot(a), HasSubstr("no LUNs configured"));
  XcopyArrayControl unreachable(Options({"sg-missing"}));
  EXPECT_THAT(unreachable.WhyCannotSnapshot(a), HasSubstr("sg-missing: unreadable"));
}

TEST_F(XcopyArrayControlTest, ProvisionReservesAFittingPoolLunAndDeleteReturnsIt) {
  AddLun("sg-a", "vm/lio-fileio-lun0");
  auto small = AddLun("sg-small", "vm/lio-fileio-lun1");
  small->device.SetReadCapacity16(Capacity(1024));
  AddLun("sg-b", "vm/lio-fileio-lun1");
  XcopyArrayControl control(Options({"sg-small", "sg-b"}));
  ScsiLunInfo a = SourceInfo("sg-a");

  absl::StatusOr<std::string> target = control.Provision(a, CancelToken());
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ(*target, "sg-b");
  EXPECT_THAT(*control.ListTargets(), ElementsAre("sg-b"));
  EXPECT_EQ(*control.TargetAddress("sg-b"), "sg-b");
  EXPECT_TRUE(control.Expose("sg-b").ok());
  // Every pool LUN is now reserved or too small.
  EXPECT_THAT(control.WhyCannotSnapshot(a), HasSubstr("sg-b: reserved"));
  absl::StatusOr<std::string> second = control.Provision(a, CancelToken());
  EXPECT_EQ(GetErrorCode(second.status()), ErrorCode::kInsufficientStorage);
  EXPECT_THAT(second.status().message(), HasSubstr("sg-small: it holds 524288 bytes"));

  EXPECT_TRUE(control.Delete("sg-b").ok());
  EXPECT_TRUE(control.Delete("sg-b").ok());  // idempotent
  EXPECT_TRUE(control.ListTargets()->empty());
  EXPECT_EQ(GetErrorCode(control.Delete("sg-elsewhere")), ErrorCode::kObjectNotFound);
  EXPECT_EQ(GetErrorCode(control.TargetAddress("sg-b").status()), ErrorCode::kObjectNotFound);
  EXPECT_EQ(GetErrorCode(control.Expose("sg-b")), ErrorCode::kObjectNotFound);
  // Free again.
  EXPECT_EQ(*control.Provision(a, CancelToken()), "sg-b");
}

TEST_F(XcopyArrayControlTest, ProvisionWithAnEmptyOrFullPoolIsInsufficientStorage) {
  AddLun("sg-a", "vm/lio-fileio-lun0");
  XcopyArrayControl empty(Options({}));
  EXPECT_EQ(GetErrorCode(empty.Provision(SourceInfo("sg-a"), CancelToken()).status()),
            ErrorCode::kInsufficientStorage);
  XcopyArrayControl unreachable(Options({"sg-missing"}));
  absl::StatusOr<std::string> r = unreachable.Provision(SourceInfo("sg-a"), CancelToken());
  EXPECT_EQ(GetErrorCode(r.status()), ErrorCode::kInsufficientStorage);
  EXPECT_THAT(r.status().message(), HasSubstr("sg-missing: unreadable"));
}

TEST_F(XcopyArrayControlTest, ProvisionRefusesASourceWithoutExtendedCopy) {
  AddLun("sg-a", "vm/lio-fileio-lun0");
  AddLun("sg-b", "vm/lio-fileio-lun1");
  XcopyArrayControl control(Options({"sg-b"}));
  ScsiLunInfo a = SourceInfo("sg-a");
  a.extended_copy_lid1 = false;
  EXPECT_EQ(GetErrorCode(control.Provision(a, CancelToken()).status()), ErrorCode::kNotSupported);
  EXPECT_TRUE(control.ListTargets()->empty());
}

TEST_F(XcopyArrayControlTest, ProvisionObservesCancellationAndLeavesNothingReserved) {
  AddLun("sg-a", "vm/lio-fileio-lun0");
  AddLun("sg-b", "vm/lio-fileio-lun1");
  XcopyArrayControl control(Options({"sg-b"}));
  ScsiLunInfo a = SourceInfo("sg-a");

  CancelSource before;
  before.Cancel("aborted before prepare");
  EXPECT_EQ(GetErrorCode(control.Provision(a, before.token()).status()), ErrorCode::kCancelled);
  EXPECT_EQ(opens_["sg-a"], 0);

  // Cancelled while the pool LUN is being read.
  CancelSource during;
  on_open = [&](absl::string_view address) {
    if (address == "sg-b") during.Cancel("aborted mid-prepare");
  };
  absl::StatusOr<std::string> r = control.Provision(a, during.token());
  EXPECT_EQ(GetErrorCode(r.status()), ErrorCode::kCancelled);
  EXPECT_TRUE(control.ListTargets()->empty());
  on_open = nullptr;
  EXPECT_EQ(*control.Provision(a, CancelToken()), "sg-b");
}

TEST_F(XcopyArrayControlTest, ProvisionFailsWhenTheSourceCannotBeReached) {
  AddLun("sg-b", "vm/lio-fileio-lun1");
  auto source = AddLun("sg-a", "vm/lio-fileio-lun0");
  ScsiLunInfo a = SourceInfo("sg-a");
  XcopyArrayControl control(Options({"sg-b"}));
  source->device.FailCommandWithTransportError(kOpReceiveCopyResults, BackendFailureError("link down"));
  source->operating_parameters.reset();
  absl::StatusOr<std::string> r = control.Provision(a, CancelToken());
  EXPECT_EQ(GetErrorCode(r.status()), ErrorCode::kBackendFailure);
  EXPECT_THAT(r.status().message(), HasSubstr("link down"));
  EXPECT_TRUE(control.ListTargets()->empty());
}

TEST_F(XcopyArrayControlTest, WithoutOperatingParametersOneSegmentPerCommandIsUsed) {
  auto source = AddLun("sg-a", "vm/lio-fileio-lun0");
  AddLun("sg-b", "vm/lio-fileio-lun1");
  source->operating_parameters.reset();  // the fake answers ILLEGAL REQUEST
  XcopyArrayControl control(Options({"sg-b"}));
  ASSERT_TRUE(control.Provision(SourceInfo("sg-a"), CancelToken()).ok());
  ASSERT_TRUE(control.TakePointInTime({"sg-b"}, absl::Now() + absl::Seconds(10)).ok());
  ASSERT_EQ(source->copies.size(), 1u);
  EXPECT_EQ(source->copies[0].parameters, ExpectedList({{0, 32768}}));
}

TEST_F(XcopyArrayControlTest, CommitSendsTheExactExtendedCopyToTheSourceWithinTheDeadline) {
  auto source = AddLun("sg-a", "vm/lio-fileio-lun0");
  auto pool = AddLun("sg-b", "vm/lio-fileio-lun1");
  XcopyArrayControl control(Options({"sg-b"}));
  ASSERT_TRUE(control.Provision(SourceInfo("sg-a"), CancelToken()).ok());
  EXPECT_TRUE(source->copies.empty());  // nothing copied at prepare time

  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  ASSERT_TRUE(control.TakePointInTime({"sg-b"}, deadline).ok());
  ASSERT_EQ(source->copies.size(), 1u);
  EXPECT_TRUE(pool->copies.empty());
  const CopyRequest& copy = source->copies[0];
  EXPECT_EQ(copy.cdb, ByteList({0x83, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x00, 0x6c, 0x00, 0x00}));
  EXPECT_EQ(copy.parameters, ExpectedList({{0, 32768}}));
  EXPECT_GT(copy.timeout, absl::ZeroDuration());
  EXPECT_LE(copy.timeout, absl::Seconds(10));
}

TEST_F(XcopyArrayControlTest, CommitInSeveralCommandsWhenSegmentsAreCapped) {
  auto source = AddLun("sg-a", "vm/lio-fileio-lun0");
  AddLun("sg-b", "vm/lio-fileio-lun1");
  XcopyArrayControlOptions options = Options({"sg-b"});
  options.max_blocks_per_segment = 10000;
  XcopyArrayControl control(std::move(options));
  ASSERT_TRUE(control.Provision(SourceInfo("sg-a"), CancelToken()).ok());
  ASSERT_TRUE(control.TakePointInTime({"sg-b"}, absl::Now() + absl::Seconds(10)).ok());
  ASSERT_EQ(source->copies.size(), 4u);  // LIO: one segment descriptor per command
  EXPECT_EQ(source->copies[3].parameters, ExpectedList({{30000, 2768}}));
}

TEST_F(XcopyArrayControlTest, CommitPastTheDeadlineSendsNothing) {
  auto source = AddLun("sg-a", "vm/lio-fileio-lun0");
  AddLun("sg-b", "vm/lio-fileio-lun1");
  XcopyArrayControl control(Options({"sg-b"}));
  ASSERT_TRUE(control.Provision(SourceInfo("sg-a"), CancelToken()).ok());
  EXPECT_EQ(GetErrorCode(control.TakePointInTime({"sg-b"}, absl::Now() - absl::Milliseconds(1))),
            ErrorCode::kDeadlineExceeded);
  EXPECT_TRUE(source->copies.empty());
}

TEST_F(XcopyArrayControlTest, CommitStopsWhenTheWindowClosesBetweenCommands) {
  auto source = AddLun("sg-a", "vm/lio-fileio-lun0");
  AddLun("sg-b", "vm/lio-fileio-lun1");
  XcopyArrayControlOptions options = Options({"sg-b"});
  options.max_blocks_per_segment = 10000;  // four commands
  XcopyArrayControl control(std::move(options));
  ASSERT_TRUE(control.Provision(SourceInfo("sg-a"), CancelToken()).ok());
  source->on_copy = [](const ScsiCommand&, std::size_t) -> absl::StatusOr<ScsiResult> {
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    return ScsiResult{};
  };
  absl::Status s = control.TakePointInTime({"sg-b"}, absl::Now() + absl::Milliseconds(100));
  EXPECT_EQ(GetErrorCode(s), ErrorCode::kDeadlineExceeded) << s;
  EXPECT_LT(source->copies.size(), 4u);
  EXPECT_GE(source->copies.size(), 1u);
}

TEST_F(XcopyArrayControlTest, CommitPassesATransportTimeoutOn) {
  auto source = AddLun("sg-a", "vm/lio-fileio-lun0");
  AddLun("sg-b", "vm/lio-fileio-lun1");
  XcopyArrayControl control(Options({"sg-b"}));
  ASSERT_TRUE(control.Provision(SourceInfo("sg-a"), CancelToken()).ok());
  source->on_copy = [](const ScsiCommand&, std::size_t) -> absl::StatusOr<ScsiResult> {
    return DeadlineExceededError("SG_IO timed out");
  };
  EXPECT_EQ(GetErrorCode(control.TakePointInTime({"sg-b"}, absl::Now() + absl::Seconds(5))),
            ErrorCode::kDeadlineExceeded);
}

TEST_F(XcopyArrayControlTest, CommitRetriesAfterUnitAttention) {
  auto source = AddLun("sg-a", "vm/lio-fileio-lun0");
  AddLun("sg-b", "vm/lio-fileio-lun1");
  XcopyArrayControl control(Options({"sg-b"}));
  ASSERT_TRUE(control.Provision(SourceInfo("sg-a"), CancelToken()).ok());
  source->on_copy = [](const ScsiCommand&, std::size_t n) -> absl::StatusOr<ScsiResult> {
    ScsiResult r;
    if (n == 1) {  // LIO's captured REPORTED LUNS DATA HAS CHANGED
      r.status = kStatusCheckCondition;
      r.sense = Fixture("vm/lio-fileio-lun0/sense_unit_attention.hex");
    }
    return r;
  };
  EXPECT_TRUE(control.TakePointInTime({"sg-b"}, absl::Now() + absl::Seconds(5)).ok());
  EXPECT_EQ(source->copies.size(), 2u);
}

TEST_F(XcopyArrayControlTest, ACopyFailureFailsTheWholeGroup) {
  auto a = AddLun("sg-a", "vm/lio-fileio-lun0");
  auto c = AddLun("sg-c", "vm/lio-fileio-lun1");  // a second source
  AddLun("sg-p1", "vm/lio-fileio-lun1");
  AddLun("sg-p2", "vm/lio-fileio-lun0");
  XcopyArrayControl control(Options({"sg-p1", "sg-p2"}));
  absl::StatusOr<std::string> ta = control.Provision(SourceInfo("sg-a"), CancelToken());
  absl::StatusOr<std::string> tc = control.Provision(SourceInfo("sg-c"), CancelToken());
  ASSERT_TRUE(ta.ok()) << ta.status();
  ASSERT_TRUE(tc.ok()) << tc.status();
  // Pool LUNs are handed out in order.
  EXPECT_EQ(*ta, "sg-p1");
  EXPECT_EQ(*tc, "sg-p2");
  c->on_copy = [](const ScsiCommand&, std::size_t) -> absl::StatusOr<ScsiResult> {
    ScsiResult r;  // LIO's captured COPY ABORTED / COPY TARGET DEVICE NOT REACHABLE
    r.status = kStatusCheckCondition;
    r.sense = Fixture("vm/lio-fileio-lun0/sense_extended_copy_unknown_lun.hex");
    return r;
  };
  absl::Status s = control.TakePointInTime({*ta, *tc}, absl::Now() + absl::Seconds(5));
  EXPECT_EQ(GetErrorCode(s), ErrorCode::kBackendFailure);
  EXPECT_THAT(s.message(), HasSubstr("COPY ABORTED"));
  EXPECT_EQ(a->copies.size(), 1u);
  EXPECT_EQ(c->copies.size(), 1u);
  // Both stay reserved (uncommitted) until the backend releases them.
  EXPECT_THAT(*control.ListTargets(), ElementsAre("sg-p1", "sg-p2"));
}

TEST_F(XcopyArrayControlTest, CommitOfAnUnknownTargetIsObjectNotFound) {
  AddLun("sg-b", "vm/lio-fileio-lun1");
  XcopyArrayControl control(Options({"sg-b"}));
  EXPECT_EQ(GetErrorCode(control.TakePointInTime({"sg-b"}, absl::Now() + absl::Seconds(1))),
            ErrorCode::kObjectNotFound);
  EXPECT_EQ(control.Name(), "xcopy");
}

// A restart: reservations lived in the old object only. Adopt takes a pool
// LUN back so the next prepare never overwrites the snapshot it holds.
TEST_F(XcopyArrayControlTest, AdoptAfterRestartKeepsThePoolLunFromBeingHandedOut) {
  AddLun("sg-a", "vm/lio-fileio-lun0");
  AddLun("sg-b", "vm/lio-fileio-lun1");
  ScsiLunInfo a = SourceInfo("sg-a");
  LunIdentity snapshot_identity;
  {
    XcopyArrayControl before(Options({"sg-b"}));
    ASSERT_EQ(*before.Provision(a, CancelToken()), "sg-b");
    ASSERT_TRUE(before.TakePointInTime({"sg-b"}, absl::Now() + absl::Seconds(5)).ok());
    snapshot_identity = SourceInfo("sg-b").identity;
  }
  XcopyArrayControl control(Options({"sg-b"}));
  RestoredTarget recorded;
  recorded.id = "sg-b";
  recorded.source = a.identity;
  recorded.committed = true;
  recorded.identity = snapshot_identity;
  ASSERT_TRUE(control.Adopt(recorded).ok());
  EXPECT_TRUE(control.Adopt(recorded).ok());  // held already: no-op
  EXPECT_THAT(*control.ListTargets(), ElementsAre("sg-b"));
  EXPECT_EQ(*control.TargetAddress("sg-b"), "sg-b");
  EXPECT_TRUE(control.Expose("sg-b").ok());
  EXPECT_EQ(GetErrorCode(control.Mask("sg-b")), ErrorCode::kNotSupported);  // pool LUNs stay mapped
  EXPECT_EQ(GetErrorCode(control.Provision(a, CancelToken()).status()), ErrorCode::kInsufficientStorage);
  EXPECT_THAT(control.WhyCannotSnapshot(a), HasSubstr("sg-b: reserved"));
  EXPECT_TRUE(control.Delete("sg-b").ok());
  EXPECT_TRUE(control.ListTargets()->empty());
  EXPECT_EQ(*control.Provision(a, CancelToken()), "sg-b");  // free again after the release
}

TEST_F(XcopyArrayControlTest, AdoptRefusesWhatThePoolNoLongerHolds) {
  AddLun("sg-a", "vm/lio-fileio-lun0");
  AddLun("sg-b", "vm/lio-fileio-lun1");
  ScsiLunInfo a = SourceInfo("sg-a");
  XcopyArrayControl control(Options({"sg-b", "sg-gone"}));
  RestoredTarget recorded;
  recorded.source = a.identity;
  recorded.committed = true;

  recorded.id = "sg-elsewhere";  // not (or no longer) in the pool
  EXPECT_EQ(GetErrorCode(control.Adopt(recorded)), ErrorCode::kObjectNotFound);
  recorded.id = "sg-gone";       // configured but unreadable: not "gone", a failure
  EXPECT_EQ(GetErrorCode(control.Adopt(recorded)), ErrorCode::kBackendFailure);
  recorded.id = "sg-b";          // the address now shows another LUN (device names move)
  recorded.identity = a.identity;
  EXPECT_EQ(GetErrorCode(control.Adopt(recorded)), ErrorCode::kObjectNotFound);
  EXPECT_TRUE(control.ListTargets()->empty());

  recorded.identity.reset();     // adopted uncommitted: only released, never committed here
  recorded.committed = false;
  ASSERT_TRUE(control.Adopt(recorded).ok());
  EXPECT_EQ(GetErrorCode(control.TakePointInTime({"sg-b"}, absl::Now() + absl::Seconds(5))),
            ErrorCode::kBadState);
  EXPECT_TRUE(control.Delete("sg-b").ok());
  EXPECT_TRUE(control.ListTargets()->empty());
}

}  // namespace
}  // namespace hwsnap::scsi
