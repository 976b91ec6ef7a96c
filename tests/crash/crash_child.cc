// crash_child — the process crash_recovery_test kills.
//
// Runs snapshot-set lifecycles for ever against the durable mock array in
// --state-dir with the durable catalog --catalog (fsync on): complete sets,
// sets aborted after a random step, LocateLuns, OnLunEmpty. Every snapshot
// the provider completed is appended to --ack as
//   ack <set-id> <target designator>
// and fsynced only AFTER PostFinalCommitSnapshots and GetTargetLuns returned
// OK — the parent demands that each of these survive. An OnLunEmpty is
// announced before it is called ("releasing <designator>", fsynced) and
// confirmed after ("released <designator>"), so the parent knows which
// acknowledged targets may legitimately be gone.
//
// --phase names a file of at least 4 bytes that the child maps and writes its
// current step into (a plain store, no system call), so the parent can say
// where each kill landed.
//
// Exits only on an unexpected result (code 3..6, message on stderr): the
// parent treats any exit as a finding.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "hwsnap/logging.h"
#include "hwsnap/mock/mock_backend.h"
#include "hwsnap/provider.h"
#include "hwsnap/status.h"
#include "crash_phases.h"

namespace hwsnap {
namespace {

struct Args {
  std::string state_dir, catalog, ack, phase;
  std::uint64_t seed = 1;
  int luns = 4;
  int max_live = 16;
};

bool Parse(int argc, char** argv, Args& args) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const size_t eq = arg.find('=');
    if (eq == std::string::npos) return false;
    const std::string key = arg.substr(0, eq), value = arg.substr(eq + 1);
    if (key == "--state-dir") args.state_dir = value;
    else if (key == "--catalog") args.catalog = value;
    else if (key == "--ack") args.ack = value;
    else if (key == "--phase") args.phase = value;
    else if (key == "--seed") { if (!absl::SimpleAtoi(value, &args.seed)) return false; }
    else if (key == "--luns") { if (!absl::SimpleAtoi(value, &args.luns)) return false; }
    else if (key == "--max-live") { if (!absl::SimpleAtoi(value, &args.max_live)) return false; }
    else return false;
  }
  return !args.state_dir.empty() && !args.catalog.empty() && !args.ack.empty() && args.luns > 0;
}

[[noreturn]] void Die(int code, const std::string& what) {
  std::cerr << "crash_child: " << what << std::endl;
  std::_Exit(code);
}

// The current step, in the parent-visible page (or a local when none).
std::atomic<int>* g_phase = nullptr;
void SetPhase(CrashPhase phase) { g_phase->store(static_cast<int>(phase), std::memory_order_relaxed); }

class AckLog {
 public:
  explicit AckLog(const std::string& path) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) Die(3, absl::StrCat("cannot open ack file ", path, ": ", std::strerror(errno)));
  }
  // One line, durable when it returns.
  void Append(const std::string& line) {
    const std::string text = line + "\n";
    if (::write(fd_, text.data(), text.size()) != static_cast<ssize_t>(text.size()) || ::fsync(fd_) != 0) {
      Die(3, absl::StrCat("cannot append to the ack file: ", std::strerror(errno)));
    }
  }

 private:
  int fd_ = -1;
};

std::string Key(const LunIdentity& lun) {
  const Designator* primary = lun.PrimaryDesignator();
  return primary != nullptr ? primary->ToString() : lun.ToString();
}

void Check(const absl::Status& s, const char* step) {
  if (!s.ok()) Die(4, absl::StrCat(step, " failed: ", s.ToString()));
}

int Run(const Args& args) {
  SetLogLevel(spdlog::level::err);
  std::atomic<int> local_phase{0};
  g_phase = &local_phase;
  if (!args.phase.empty()) {
    const int fd = ::open(args.phase.c_str(), O_RDWR | O_CLOEXEC);
    void* page = fd >= 0 ? ::mmap(nullptr, sizeof(int), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
    if (page == MAP_FAILED) Die(3, absl::StrCat("cannot map the phase file ", args.phase));
    g_phase = static_cast<std::atomic<int>*>(page);
  }
  SetPhase(CrashPhase::kStartup);

  std::mt19937_64 rng(args.seed);
  const auto chance = [&rng](int percent) { return static_cast<int>(rng() % 100) < percent; };

  MockBackendOptions mock_options;
  mock_options.state_directory = args.state_dir;
  mock_options.target_capacity = 1024;
  mock_options.cancel_bound = absl::Milliseconds(10);
  auto mock = std::make_shared<MockBackend>(mock_options);
  if (!mock->LoadProblems().empty()) Die(5, absl::StrCat("mock state: ", mock->LoadProblems().front()));
  while (static_cast<int>(mock->SourceLuns().size()) < args.luns) mock->AddSourceLun();
  std::vector<LunIdentity> luns = mock->SourceLuns();
  luns.resize(static_cast<size_t>(args.luns));

  ProviderOptions provider_options;
  provider_options.catalog_path = args.catalog;
  provider_options.catalog.sync = true;
  provider_options.abort_drain_timeout = absl::Seconds(5);
  SetPhase(CrashPhase::kRecovery);
  SnapshotProvider provider(mock, provider_options);
  AckLog ack(args.ack);

  std::vector<LunIdentity> mine;  // targets this process acknowledged and has not released
  for (std::uint64_t round = 0;; ++round) {
    if (!mine.empty() && (static_cast<int>(mine.size()) > args.max_live || chance(20))) {
      const size_t pick = static_cast<size_t>(rng() % mine.size());
      const LunIdentity target = mine[pick];
      mine.erase(mine.begin() + static_cast<std::ptrdiff_t>(pick));
      ack.Append(absl::StrCat("releasing ", Key(target)));
      SetPhase(CrashPhase::kOnLunEmpty);
      Check(provider.OnLunEmpty("\\\\.\\PhysicalDrive9", target), "OnLunEmpty");
      SetPhase(CrashPhase::kIdle);
      ack.Append(absl::StrCat("released ", Key(target)));
      continue;
    }

    // A set of 1..3 distinct LUNs in 1..2 snapshots.
    std::vector<LunIdentity> pool = luns;
    std::shuffle(pool.begin(), pool.end(), rng);
    pool.resize(1 + static_cast<size_t>(rng() % std::min<std::uint64_t>(3, pool.size())));
    for (const LunIdentity& lun : pool) mock->SetPrepareLatency(lun, absl::Microseconds(rng() % 3000));
    const int snapshots = pool.size() > 1 && chance(50) ? 2 : 1;
    // 0: run to the end; 1..6: abort after that step.
    const int abort_after = chance(25) ? 1 + static_cast<int>(rng() % 6) : 0;
    const SnapshotSetId set = SnapshotSetId::Random();

    const auto step_done = [&](int step) {
      if (abort_after != step) return false;
      SetPhase(CrashPhase::kAbort);
      Check(provider.AbortSnapshots(set), "AbortSnapshots");
      SetPhase(CrashPhase::kIdle);
      return true;
    };

    SetPhase(CrashPhase::kBeginPrepare);
    if (snapshots == 1) {
      Check(provider.BeginPrepareSnapshot(set, SnapshotId::Random(), 0, pool), "BeginPrepareSnapshot");
    } else {
      Check(provider.BeginPrepareSnapshot(set, SnapshotId::Random(), 0, {pool[0]}), "BeginPrepareSnapshot");
      Check(provider.BeginPrepareSnapshot(set, SnapshotId::Random(), 0,
                                          std::vector<LunIdentity>(pool.begin() + 1, pool.end())),
            "BeginPrepareSnapshot");
    }
    if (step_done(1)) continue;
    SetPhase(CrashPhase::kEndPrepare);
    Check(provider.EndPrepareSnapshots(set), "EndPrepareSnapshots");
    if (step_done(2)) continue;
    SetPhase(CrashPhase::kPreCommit);
    Check(provider.PreCommitSnapshots(set), "PreCommitSnapshots");
    if (step_done(3)) continue;
    SetPhase(CrashPhase::kCommit);
    Check(provider.CommitSnapshots(set), "CommitSnapshots");
    if (step_done(4)) continue;
    SetPhase(CrashPhase::kPostCommit);
    Check(provider.PostCommitSnapshots(set, snapshots), "PostCommitSnapshots");
    if (step_done(5)) continue;
    SetPhase(CrashPhase::kFinalCommit);
    Check(provider.PreFinalCommitSnapshots(set), "PreFinalCommitSnapshots");
    if (step_done(6)) continue;
    Check(provider.PostFinalCommitSnapshots(set), "PostFinalCommitSnapshots");
    SetPhase(CrashPhase::kGetTargetLuns);
    absl::StatusOr<std::vector<LunIdentity>> targets = provider.GetTargetLuns(pool);
    Check(targets.status(), "GetTargetLuns");
    if (targets->size() != pool.size()) Die(6, "GetTargetLuns returned the wrong number of LUNs");
    SetPhase(CrashPhase::kAck);
    for (const LunIdentity& target : *targets) {
      ack.Append(absl::StrCat("ack ", set.ToString(), " ", Key(target)));
      mine.push_back(target);
    }
    if (chance(30)) {
      SetPhase(CrashPhase::kLocateLuns);
      Check(provider.LocateLuns(*targets), "LocateLuns");
    }
    SetPhase(CrashPhase::kIdle);
  }
}

}  // namespace
}  // namespace hwsnap

int main(int argc, char** argv) {
  hwsnap::Args args;
  if (!hwsnap::Parse(argc, argv, args)) {
    std::cerr << "usage: crash_child --state-dir=DIR --catalog=FILE --ack=FILE [--phase=FILE] [--seed=N] "
                 "[--luns=N] [--max-live=N]\n";
    return 2;
  }
  return hwsnap::Run(args);
}
