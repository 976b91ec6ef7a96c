// The call timeline and its verdicts (see timeline.h).
#include "timeline.h"

#include <windows.h>

#include <cstdio>
#include <utility>

#include "contract_results.h"

namespace hwsnap {
namespace vss_driver {

using windows::IsLegalResult;
using windows::VssMethodName;

Expect Expect::Ok() { return Expect(Kind::kOneOf, {windows::kS_OK}); }
Expect Expect::Exactly(std::uint32_t result) { return Expect(Kind::kOneOf, {result}); }
Expect Expect::OneOf(std::initializer_list<std::uint32_t> results) { return Expect(Kind::kOneOf, results); }
Expect Expect::Failure() { return Expect(Kind::kFailure, {}); }
Expect Expect::AnyLegal() { return Expect(Kind::kAnyLegal, {}); }

bool Expect::Accepts(std::uint32_t result) const {
  switch (kind_) {
    case Kind::kOneOf:
      for (std::uint32_t r : results_) {
        if (r == result) return true;
      }
      return false;
    case Kind::kFailure:
      return (result & 0x80000000u) != 0;
    case Kind::kAnyLegal:
      return true;
  }
  return false;
}

std::string Expect::ToString() const {
  switch (kind_) {
    case Kind::kOneOf: {
      std::string out = results_.size() == 1 ? "" : "one of ";
      for (std::size_t i = 0; i < results_.size(); ++i) {
        if (i > 0) out += "|";
        out += ResultName(results_[i]);
      }
      return out;
    }
    case Kind::kFailure:
      return "a legal failure";
    case Kind::kAnyLegal:
      return "any legal result";
  }
  return "?";
}

Timeline::Timeline(std::FILE* out) : out_(out), origin_(Clock::now()) {}

double ElapsedMs(Timeline::Clock::time_point from, Timeline::Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

double Timeline::OffsetMs(Clock::time_point when) const { return ElapsedMs(origin_, when); }

std::string Timeline::ThreadLabelLocked() {
  const unsigned long id = GetCurrentThreadId();
  auto it = thread_numbers_.find(id);
  if (it == thread_numbers_.end()) {
    it = thread_numbers_.emplace(id, static_cast<int>(thread_numbers_.size()) + 1).first;
  }
  return "T" + std::to_string(it->second);
}

void Timeline::PrintLocked(const std::string& line) {
  std::fprintf(out_, "%s\n", line.c_str());
  std::fflush(out_);
}

bool Timeline::Record(VssMethod method, const std::string& arguments, Clock::time_point start, std::uint32_t result,
                      const Expect& expect) {
  const Clock::time_point end = Clock::now();
  // Both the DLL's own tables and the driver's independent reading of the
  // contract must accept the result.
  const bool legal = IsLegalResult(method, result) && ContractAllows(method, result);
  const bool expected = expect.Accepts(result);
  char head[64];
  std::snprintf(head, sizeof(head), "+%10.3f ms  ", OffsetMs(start));
  char took[32];
  std::snprintf(took, sizeof(took), "  (%.1f ms)", ElapsedMs(start, end));
  std::lock_guard<std::mutex> lock(mu_);
  ++calls_;
  std::string line = head + ThreadLabelLocked() + "  " + std::string(VssMethodName(method)) + "(" + arguments +
                     ") -> " + ResultName(result) + took;
  if (!legal) {
    line += "  <-- ILLEGAL for " + std::string(VssMethodName(method)) +
            " (VSS would report VSS_E_UNEXPECTED_PROVIDER_ERROR)";
  } else if (!expected) {
    line += "  <-- UNEXPECTED, wanted " + expect.ToString();
  }
  if (!legal || !expected) ++failures_;
  PrintLocked(line);
  return legal && expected;
}

void Timeline::Started(VssMethod method, const std::string& arguments) {
  char head[64];
  std::snprintf(head, sizeof(head), "+%10.3f ms  ", OffsetMs(Clock::now()));
  std::lock_guard<std::mutex> lock(mu_);
  PrintLocked(head + ThreadLabelLocked() + "  " + std::string(VssMethodName(method)) + "(" + arguments +
              ") ... waiting");
}

bool Timeline::Check(bool passed, const std::string& what) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!passed) ++failures_;
  PrintLocked(std::string(passed ? "   check ok    " : "   CHECK FAILED  ") + what);
  return passed;
}

void Timeline::Fail(const std::string& what) {
  std::lock_guard<std::mutex> lock(mu_);
  ++failures_;
  PrintLocked("   FAILED  " + what);
}

void Timeline::Note(const std::string& text) {
  std::lock_guard<std::mutex> lock(mu_);
  PrintLocked("# " + text);
}

int Timeline::calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

int Timeline::failures() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failures_;
}

void Timeline::PrintSummary(const std::string& scenario) {
  std::lock_guard<std::mutex> lock(mu_);
  PrintLocked("# " + scenario + ": " + std::to_string(calls_) + " provider calls, " + std::to_string(failures_) +
              (failures_ == 1 ? " failure" : " failures") + (failures_ == 0 ? " - PASS" : " - FAIL"));
}

std::string ResultName(std::uint32_t result) {
  switch (result) {
    case 0x80004003u: return "E_POINTER";
    case 0x80004002u: return "E_NOINTERFACE";
    case 0x80040154u: return "REGDB_E_CLASSNOTREG";
    case 0x80040110u: return "CLASS_E_NOAGGREGATION";
    case 0x80040111u: return "CLASS_E_CLASSNOTAVAILABLE";
    case 0x8007007Eu: return "HRESULT_FROM_WIN32(ERROR_MOD_NOT_FOUND)";
    case 0x80070005u: return "E_ACCESSDENIED";
    default: return windows::VssResultName(result);
  }
}

}  // namespace vss_driver
}  // namespace hwsnap
