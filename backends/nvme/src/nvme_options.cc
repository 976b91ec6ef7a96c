// Parses the "nvme" backend's registry options; see nvme_options.h.
#include "hwsnap/nvme/nvme_options.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "hwsnap/nvme/nvme_address.h"
#include "hwsnap/status.h"

namespace hwsnap::nvme {
namespace {

constexpr const char* kKnownOptions[] = {
    "controller", "namespaces",        "strategy",     "pool",
    "allocation", "copy",              "zero",         "identity",
    "capacity",   "parallel-prepares", "chunk-blocks", "command-timeout-ms"};

constexpr std::size_t kMaxNsids = 4096;

absl::Status BadOption(const std::string& key, const std::string& value, absl::string_view why) {
  return InvalidArgumentError(absl::StrCat("nvme option ", key, "='", value, "': ", why));
}

absl::StatusOr<std::int64_t> ParseNumber(const std::string& key, const std::string& value, std::int64_t min,
                                         std::int64_t max) {
  std::int64_t parsed = 0;
  if (!absl::SimpleAtoi(value, &parsed) || parsed < min || parsed > max) {
    return BadOption(key, value, absl::StrCat("expected a whole number from ", min, " to ", max));
  }
  return parsed;
}

absl::StatusOr<bool> ParseBool(const std::string& key, const std::string& value) {
  if (value == "true" || value == "1" || value == "yes") return true;
  if (value == "false" || value == "0" || value == "no") return false;
  return BadOption(key, value, "expected true or false");
}

// One NSID of a list: decimal, 1..0xfffffffe.
bool ParseNsid(absl::string_view text, std::uint32_t* nsid) {
  text = absl::StripAsciiWhitespace(text);
  std::uint64_t value = 0;
  if (text.empty() || !absl::SimpleAtoi(text, &value) || text[0] == '+' || value == 0 || value >= 0xffffffffu) {
    return false;
  }
  *nsid = static_cast<std::uint32_t>(value);
  return true;
}

}  // namespace

absl::StatusOr<std::vector<std::uint32_t>> ParseNsidList(absl::string_view text) {
  std::vector<std::uint32_t> nsids;
  std::set<std::uint32_t> seen;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    part = absl::StripAsciiWhitespace(part);
    if (part.empty()) return InvalidArgumentError("an empty entry (expected NSID or LOW-HIGH between commas)");
    std::uint32_t low = 0;
    std::uint32_t high = 0;
    if (const std::size_t dash = part.find('-'); dash != absl::string_view::npos) {
      if (!ParseNsid(part.substr(0, dash), &low) || !ParseNsid(part.substr(dash + 1), &high)) {
        return InvalidArgumentError(
            absl::StrCat("'", part, "' is not a range LOW-HIGH of namespace ids 1 to 4294967294"));
      }
      if (low > high) return InvalidArgumentError(absl::StrCat("range '", part, "' runs backwards"));
    } else {
      if (!ParseNsid(part, &low)) {
        return InvalidArgumentError(absl::StrCat("'", part, "' is not a namespace id (1 to 4294967294)"));
      }
      high = low;
    }
    if (static_cast<std::uint64_t>(high) - low + 1 + nsids.size() > kMaxNsids) {
      return InvalidArgumentError(absl::StrCat("more than ", kMaxNsids, " namespaces"));
    }
    for (std::uint64_t nsid = low; nsid <= high; ++nsid) {
      if (!seen.insert(static_cast<std::uint32_t>(nsid)).second) {
        return InvalidArgumentError(absl::StrCat("namespace ", nsid, " is listed twice"));
      }
      nsids.push_back(static_cast<std::uint32_t>(nsid));
    }
  }
  return nsids;
}

absl::StatusOr<NvmeSessionConfig> ParseNvmeOptions(const BackendRequest& request) {
  NvmeSessionConfig config;
  if (request.luns < 0) return InvalidArgumentError(absl::StrCat("nvme: negative LUN count ", request.luns));
  if (request.capacity.has_value() && *request.capacity < 1) {
    return InvalidArgumentError(absl::StrCat("nvme: requested capacity ", *request.capacity, " is not positive"));
  }
  config.capacity = request.capacity;
  bool pool_given = false;
  for (const auto& [key, value] : request.options) {
    if (key == "controller") {
      absl::StatusOr<NvmeAddress> address = ParseNvmeAddress(value);
      if (!address.ok()) return BadOption(key, value, address.status().message());
      config.controller = address->device_path;
    } else if (key == "namespaces" || key == "pool") {
      absl::StatusOr<std::vector<std::uint32_t>> nsids = ParseNsidList(value);
      if (!nsids.ok()) return BadOption(key, value, nsids.status().message());
      (key == "pool" ? config.pool : config.namespaces) = *std::move(nsids);
      if (key == "pool") pool_given = true;
    } else if (key == "strategy") {
      if (value != "ns-copy") return BadOption(key, value, "expected ns-copy");
      config.strategy = NvmeSnapshotStrategy::kNamespaceCopy;
    } else if (key == "allocation") {
      if (value == "auto") {
        config.allocation = TargetAllocation::kAuto;
      } else if (value == "create") {
        config.allocation = TargetAllocation::kCreate;
      } else if (value == "pool") {
        config.allocation = TargetAllocation::kPool;
      } else {
        return BadOption(key, value, "expected auto, create or pool");
      }
    } else if (key == "copy") {
      if (value == "auto") {
        config.copy = CopyEngine::kAuto;
      } else if (value == "device") {
        config.copy = CopyEngine::kDevice;
      } else if (value == "host") {
        config.copy = CopyEngine::kHost;
      } else {
        return BadOption(key, value, "expected auto, device or host");
      }
    } else if (key == "zero") {
      absl::StatusOr<bool> zero = ParseBool(key, value);
      if (!zero.ok()) return zero.status();
      config.zero_on_provision = *zero;
    } else if (key == "identity") {
      absl::StatusOr<IdentityMapping> mapping = ParseIdentityMapping(value);
      if (!mapping.ok()) return BadOption(key, value, mapping.status().message());
      if (mapping->eui64 == DesignatorForm::kOmit && mapping->nguid == DesignatorForm::kOmit &&
          mapping->uuid == DesignatorForm::kOmit) {
        return BadOption(key, value, "omits every namespace id (eui64, nguid, uuid), so no namespace could be matched");
      }
      config.identity = *mapping;
    } else if (key == "capacity") {
      absl::StatusOr<std::int64_t> capacity = ParseNumber(key, value, 1, 1 << 20);
      if (!capacity.ok()) return capacity.status();
      config.capacity = static_cast<int>(*capacity);
    } else if (key == "parallel-prepares") {
      absl::StatusOr<std::int64_t> n = ParseNumber(key, value, 0, 1024);
      if (!n.ok()) return n.status();
      config.max_parallel_prepares = static_cast<int>(*n);
    } else if (key == "chunk-blocks") {
      // One Read/Write/Write Zeroes moves at most 65536 blocks (NLB is 16 bits).
      absl::StatusOr<std::int64_t> n = ParseNumber(key, value, 1, 65536);
      if (!n.ok()) return n.status();
      config.chunk_blocks = static_cast<std::uint32_t>(*n);
    } else if (key == "command-timeout-ms") {
      absl::StatusOr<std::int64_t> ms = ParseNumber(key, value, 1, 3600 * 1000);
      if (!ms.ok()) return ms.status();
      config.command_timeout = absl::Milliseconds(*ms);
    } else {
      return InvalidArgumentError(absl::StrCat("the nvme backend has no option '", key,
                                               "' (known: ", absl::StrJoin(kKnownOptions, ", "), ")"));
    }
  }

  if (config.controller.empty()) {
    return InvalidArgumentError("nvme: no controller: give controller=/dev/nvmeN (or \\\\.\\PhysicalDriveN)");
  }
  if (config.namespaces.empty()) {
    return InvalidArgumentError("nvme: no source namespaces: give namespaces=NSID[,NSID...] (ranges: 1-4,7)");
  }
  for (std::uint32_t nsid : config.pool) {
    if (std::find(config.namespaces.begin(), config.namespaces.end(), nsid) != config.namespaces.end()) {
      return InvalidArgumentError(
          absl::StrCat("nvme: namespace ", nsid, " is both a source (namespaces=) and a pool target (pool=)"));
    }
  }
  if (config.allocation == TargetAllocation::kPool && !pool_given) {
    return InvalidArgumentError("nvme: allocation=pool needs pool=NSID[,NSID...] (detached namespaces to use)");
  }
  if (config.allocation == TargetAllocation::kCreate && pool_given) {
    return InvalidArgumentError("nvme: pool=... is never used with allocation=create (give allocation=auto or pool)");
  }
  if (request.luns > static_cast<int>(config.namespaces.size())) {
    return InvalidArgumentError(absl::StrCat("nvme: ", request.luns, " LUNs requested but namespaces= names only ",
                                             config.namespaces.size()));
  }
  return config;
}

}  // namespace hwsnap::nvme
