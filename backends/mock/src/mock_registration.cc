// The mock array's registry entry (see hwsnap/mock/mock_registration.h).
#include "hwsnap/mock/mock_registration.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "hwsnap/mock/fault_injecting_backend.h"
#include "hwsnap/mock/mock_backend.h"
#include "hwsnap/status.h"

namespace hwsnap {
namespace {

constexpr const char* kKnownOptions[] = {"adopt-luns", "prepare-ms", "commit-ms", "resync-ms",
                                         "capacity",   "fault",      "state-dir"};

absl::Status BadOption(const std::string& key, const std::string& value, absl::string_view why) {
  return InvalidArgumentError(absl::StrCat("mock option ", key, "='", value, "': ", why));
}

absl::StatusOr<bool> ParseBool(const std::string& key, const std::string& value) {
  if (value == "true" || value == "1" || value == "yes") return true;
  if (value == "false" || value == "0" || value == "no") return false;
  return BadOption(key, value, "expected true or false");
}

// A whole number in [min, max] (milliseconds, capacities).
absl::StatusOr<int> ParseInt(const std::string& key, const std::string& value, int min, int max) {
  int parsed = 0;
  if (!absl::SimpleAtoi(value, &parsed) || parsed < min || parsed > max) {
    return BadOption(key, value, absl::StrCat("expected a whole number from ", min, " to ", max));
  }
  return parsed;
}

// Applies request.options to `options`; the fault rules are returned for
// parsing once the source LUNs exist (rules may name them by index).
absl::StatusOr<std::vector<std::string>> ApplyOptions(const BackendRequest& request, MockBackendOptions& options) {
  std::vector<std::string> faults;
  for (const auto& [key, value] : request.options) {
    if (key == "adopt-luns") {
      absl::StatusOr<bool> adopt = ParseBool(key, value);
      if (!adopt.ok()) return adopt.status();
      options.adopt_luns = *adopt;
    } else if (key == "prepare-ms" || key == "commit-ms" || key == "resync-ms") {
      absl::StatusOr<int> ms = ParseInt(key, value, 0, 24 * 3600 * 1000);
      if (!ms.ok()) return ms.status();
      (key == "prepare-ms"  ? options.prepare_latency
       : key == "commit-ms" ? options.commit_latency
                            : options.resync_latency) = absl::Milliseconds(*ms);
    } else if (key == "state-dir") {
      if (value.empty()) return BadOption(key, value, "expected a directory");
      options.state_directory = value;
    } else if (key == "capacity") {
      absl::StatusOr<int> capacity = ParseInt(key, value, 1, 1 << 20);
      if (!capacity.ok()) return capacity.status();
      options.target_capacity = *capacity;
    } else if (key == "fault") {
      for (absl::string_view rule : absl::StrSplit(value, ';', absl::SkipWhitespace())) {
        faults.emplace_back(absl::StripAsciiWhitespace(rule));
      }
      if (faults.empty()) return BadOption(key, value, "expected one or more rules separated by ';'");
    } else {
      return InvalidArgumentError(absl::StrCat("the mock has no option '", key,
                                               "' (known: ", absl::StrJoin(kKnownOptions, ", "), ")"));
    }
  }
  return faults;
}

}  // namespace

absl::Status RegisterMockBackend(BackendRegistry& registry) {
  return registry.Register(
      "mock", "in-memory array with scripted latency, capacity, faults and a leak audit",
      [](const BackendRequest& request) -> absl::StatusOr<BackendSession> {
        if (request.luns < 0) return InvalidArgumentError(absl::StrCat("negative LUN count ", request.luns));
        MockBackendOptions options;
        options.prepare_latency = request.prepare_latency;
        options.commit_latency = request.commit_latency;
        if (request.capacity) options.target_capacity = *request.capacity;
        absl::StatusOr<std::vector<std::string>> fault_texts = ApplyOptions(request, options);
        if (!fault_texts.ok()) return fault_texts.status();

        auto mock = std::make_shared<MockBackend>(options);
        BackendSession session;
        // A durable array keeps its LUNs: the first `luns` of them are this
        // session's, and only the missing ones are added.
        for (const LunIdentity& lun : mock->SourceLuns()) {
          if (static_cast<int>(session.source_luns.size()) == request.luns) break;
          session.source_luns.push_back(lun);
        }
        while (static_cast<int>(session.source_luns.size()) < request.luns) {
          session.source_luns.push_back(mock->AddSourceLun());
        }
        session.live_targets = [mock] { return mock->LiveTargetCount(); };
        session.backend = mock;
        if (!fault_texts->empty()) {
          auto faulty = std::make_shared<FaultInjectingBackend>(mock);
          for (const std::string& text : *fault_texts) {
            absl::StatusOr<FaultRule> rule = ParseFaultRule(text, session.source_luns);
            if (!rule.ok()) return rule.status();
            faulty->AddRule(*std::move(rule));
          }
          session.backend = std::move(faulty);
        }
        return session;
      });
}

}  // namespace hwsnap
