// crash_phases.h — where crash_child was when it was killed: the child stores
// the current step in a page shared with the parent (crash_recovery_test).
#ifndef HWSNAP_TESTS_CRASH_CRASH_PHASES_H_
#define HWSNAP_TESTS_CRASH_CRASH_PHASES_H_

namespace hwsnap {

enum class CrashPhase : int {
  kNotStarted = 0,   // before main (exec, dynamic loading)
  kStartup,          // loading the mock array
  kRecovery,         // SnapshotProvider construction: catalog load + recovery
  kBeginPrepare,
  kEndPrepare,       // waiting for the prepares (targets being made)
  kPreCommit,
  kCommit,
  kPostCommit,
  kFinalCommit,      // pre- and post-final-commit
  kGetTargetLuns,
  kAck,              // appending acknowledgements
  kLocateLuns,
  kOnLunEmpty,       // releasing a target
  kAbort,
  kIdle,             // between provider calls
  kCount,
};

inline const char* CrashPhaseName(int phase) {
  static const char* const kNames[] = {"not-started", "startup",   "recovery",    "begin-prepare", "end-prepare",
                                       "pre-commit",  "commit",    "post-commit", "final-commit",  "get-target-luns",
                                       "ack",         "locate-luns", "on-lun-empty", "abort",        "idle"};
  return phase >= 0 && phase < static_cast<int>(CrashPhase::kCount) ? kNames[phase] : "?";
}

}  // namespace hwsnap

#endif  // HWSNAP_TESTS_CRASH_CRASH_PHASES_H_
