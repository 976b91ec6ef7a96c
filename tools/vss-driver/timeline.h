// timeline.h — the driver's record of every provider call, and its verdict.
//
// This file exists so that every call the driver makes is judged the same
// way and printed the same way: one line per call with its start offset,
// the calling thread, the method, an argument summary, the HRESULT's name and
// how long it took. A result that is not legal for the method
// (hwsnap::windows::IsLegalResult — VSS would turn it into
// VSS_E_UNEXPECTED_PROVIDER_ERROR) or not what the scenario expects is
// flagged on its line and counted; the driver's exit status comes from the
// count.
//
//   Timeline timeline(stdout);
//   const auto start = timeline.Now();
//   HRESULT hr = create->EndPrepareSnapshots(set);
//   timeline.Record(VssMethod::kEndPrepareSnapshots, "set=1A2B3C4D", start, hr, Expect::Ok());
//
//   +  12.345 ms  T2  EndPrepareSnapshots(set=1A2B3C4D) -> S_OK  (310.2 ms)
//
// Thread-safe: calls on several threads print whole lines in completion order.
#ifndef HWSNAP_TOOLS_VSS_DRIVER_TIMELINE_H_
#define HWSNAP_TOOLS_VSS_DRIVER_TIMELINE_H_

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "hwsnap/windows/vss_results.h"

namespace hwsnap {
namespace vss_driver {

using windows::VssMethod;

// What a scenario expects of one call, on top of legality (always required).
class Expect {
 public:
  // Exactly S_OK.
  static Expect Ok();
  // Exactly `result`.
  static Expect Exactly(std::uint32_t result);
  // One of `results`.
  static Expect OneOf(std::initializer_list<std::uint32_t> results);
  // Any legal failure (not S_OK, not S_FALSE): a refusal.
  static Expect Failure();
  // Any legal result (the scenario only needs legality).
  static Expect AnyLegal();

  bool Accepts(std::uint32_t result) const;
  // "S_OK", "one of E_INVALIDARG|VSS_E_PROVIDER_VETO", "a legal failure", ...
  std::string ToString() const;

 private:
  enum class Kind { kOneOf, kFailure, kAnyLegal };
  Expect(Kind kind, std::vector<std::uint32_t> results) : kind_(kind), results_(std::move(results)) {}
  Kind kind_;
  std::vector<std::uint32_t> results_;
};

class Timeline {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Timeline(std::FILE* out);

  Clock::time_point Now() const { return Clock::now(); }

  // Judges and prints one provider call that started at `start` and has just
  // returned `result`. Returns true when the result is legal for `method` and
  // accepted by `expect`.
  bool Record(VssMethod method, const std::string& arguments, Clock::time_point start, std::uint32_t result,
              const Expect& expect);

  // Prints a line about a call that has started but will return later (a
  // blocking call on another thread), so the order of events stays visible.
  void Started(VssMethod method, const std::string& arguments);

  // A checked fact that is not an HRESULT ("supported == FALSE"): printed,
  // and counted as a failure when false. Returns `passed`.
  bool Check(bool passed, const std::string& what);

  // A fatal problem outside any provider call (DLL not found, CoCreateInstance
  // failed): printed and counted.
  void Fail(const std::string& what);

  // A comment line ("# set A = {...}").
  void Note(const std::string& text);

  // Milliseconds since the timeline started.
  double OffsetMs(Clock::time_point when) const;

  int calls() const;
  int failures() const;
  // The one-line summary printed at the end ("12 calls, 0 failures").
  void PrintSummary(const std::string& scenario);

 private:
  // "T1", "T2", ... in order of first appearance. Requires mu_.
  std::string ThreadLabelLocked();
  void PrintLocked(const std::string& line);

  std::FILE* const out_;
  const Clock::time_point origin_;
  mutable std::mutex mu_;
  std::map<unsigned long, int> thread_numbers_;
  int calls_ = 0;
  int failures_ = 0;
};

// Milliseconds between two time points.
double ElapsedMs(Timeline::Clock::time_point from, Timeline::Clock::time_point to);

// The name of `result`: vss_results' names for the provider results, a few
// COM activation codes (E_POINTER, E_NOINTERFACE, REGDB_E_CLASSNOTREG, ...),
// else "0x8004ABCD".
std::string ResultName(std::uint32_t result);

}  // namespace vss_driver
}  // namespace hwsnap

#endif  // HWSNAP_TOOLS_VSS_DRIVER_TIMELINE_H_
