// Parses the "scsi" backend's registry options; see scsi_options.h.
#include "hwsnap/scsi/scsi_options.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "hwsnap/scsi/scsi_address.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi {
namespace {

constexpr const char* kKnownOptions[] = {
    "luns", "strategy", "tgt-sandbox", "lun-mib", "tgt-control-id", "tgt-portal", "tgt-work-dir",
    "host-initiator", "initiator", "pool", "capacity", "parallel-prepares"};

absl::Status BadOption(const std::string& key, const std::string& value, absl::string_view why) {
  return InvalidArgumentError(absl::StrCat("scsi option ", key, "='", value, "': ", why));
}

absl::StatusOr<int> ParseInt(const std::string& key, const std::string& value, int min, int max) {
  int parsed = 0;
  if (!absl::SimpleAtoi(value, &parsed) || parsed < min || parsed > max) {
    return BadOption(key, value, absl::StrCat("expected a whole number from ", min, " to ", max));
  }
  return parsed;
}

// "a, b ,c" -> {"a", "b", "c"}; each must parse as a transport address.
absl::StatusOr<std::vector<std::string>> ParseAddresses(const std::string& key, const std::string& value) {
  std::vector<std::string> addresses;
  for (absl::string_view part : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
    std::string address(absl::StripAsciiWhitespace(part));
    if (absl::StatusOr<ScsiAddress> parsed = ParseScsiAddress(address); !parsed.ok()) {
      return BadOption(key, value, parsed.status().message());
    }
    addresses.push_back(std::move(address));
  }
  if (addresses.empty()) return BadOption(key, value, "expected one or more addresses separated by ','");
  return addresses;
}

}  // namespace

absl::StatusOr<ScsiSessionConfig> ParseScsiOptions(const BackendRequest& request) {
  ScsiSessionConfig config;
  if (request.luns < 0) return InvalidArgumentError(absl::StrCat("scsi: negative LUN count ", request.luns));
  config.capacity = request.capacity;
  for (const auto& [key, value] : request.options) {
    if (key == "luns") {
      absl::StatusOr<std::vector<std::string>> luns = ParseAddresses(key, value);
      if (!luns.ok()) return luns.status();
      config.luns = *std::move(luns);
    } else if (key == "pool") {
      absl::StatusOr<std::vector<std::string>> pool = ParseAddresses(key, value);
      if (!pool.ok()) return pool.status();
      config.pool = *std::move(pool);
    } else if (key == "strategy") {
      if (value == "tgt") {
        config.strategy = SnapshotStrategy::kTgt;
      } else if (value == "xcopy") {
        config.strategy = SnapshotStrategy::kXcopy;
      } else {
        return BadOption(key, value, "expected tgt or xcopy");
      }
    } else if (key == "tgt-sandbox") {
      if (value == "true" || value == "1" || value == "yes") {
        config.tgt_sandbox = true;
      } else if (value == "false" || value == "0" || value == "no") {
        config.tgt_sandbox = false;
      } else {
        return BadOption(key, value, "expected true or false");
      }
    } else if (key == "lun-mib") {
      absl::StatusOr<int> mib = ParseInt(key, value, 1, 1 << 20);
      if (!mib.ok()) return mib.status();
      config.sandbox_lun_bytes = static_cast<std::uint64_t>(*mib) << 20;
    } else if (key == "tgt-control-id") {
      absl::StatusOr<int> id = ParseInt(key, value, 0, 65535);
      if (!id.ok()) return id.status();
      config.tgt_control_id = *id;
    } else if (key == "tgt-portal") {
      // Checked as part of an address so the host/port rules live in one place.
      if (absl::StatusOr<ScsiAddress> parsed =
              ParseScsiAddress(absl::StrCat("iscsi://", value, "/iqn.2026-12.invalid.hwsnap:probe/0"));
          !parsed.ok() || value.find(':') == std::string::npos) {
        return BadOption(key, value, "expected HOST:PORT");
      }
      config.tgt_portal = value;
    } else if (key == "tgt-work-dir") {
      if (value.empty()) return BadOption(key, value, "expected a directory");
      config.tgt_work_dir = value;
    } else if (key == "host-initiator" || key == "initiator") {
      if (absl::Status valid = CheckIscsiName(value); !valid.ok()) return BadOption(key, value, valid.message());
      (key == "initiator" ? config.initiator : config.host_initiator) = value;
    } else if (key == "capacity") {
      absl::StatusOr<int> capacity = ParseInt(key, value, 1, 1 << 20);
      if (!capacity.ok()) return capacity.status();
      config.capacity = *capacity;
    } else if (key == "parallel-prepares") {
      absl::StatusOr<int> n = ParseInt(key, value, 0, 1024);
      if (!n.ok()) return n.status();
      config.max_parallel_prepares = *n;
    } else {
      return InvalidArgumentError(absl::StrCat("the scsi backend has no option '", key,
                                               "' (known: ", absl::StrJoin(kKnownOptions, ", "), ")"));
    }
  }

  if (config.tgt_sandbox) {
    if (config.strategy != SnapshotStrategy::kTgt) {
      return InvalidArgumentError("scsi: tgt-sandbox=true needs strategy=tgt");
    }
    if (!config.luns.empty()) {
      return InvalidArgumentError("scsi: give either luns=... or tgt-sandbox=true (which makes its own LUNs)");
    }
    if (request.luns < 1) return InvalidArgumentError("scsi: tgt-sandbox=true needs at least one LUN");
    config.sandbox_luns = request.luns;
    return config;
  }
  if (config.luns.empty()) {
    return InvalidArgumentError("scsi: no source LUNs: give luns=ADDR[,ADDR...] or tgt-sandbox=true");
  }
  if (request.luns > static_cast<int>(config.luns.size())) {
    return InvalidArgumentError(absl::StrCat("scsi: ", request.luns, " LUNs requested but luns= names only ",
                                             config.luns.size()));
  }
  if (config.strategy == SnapshotStrategy::kTgt && !config.tgt_control_id) {
    return InvalidArgumentError("scsi: strategy=tgt needs tgt-control-id=N (the tgtd to drive)");
  }
  if (config.strategy == SnapshotStrategy::kTgt && config.tgt_work_dir.empty()) {
    return InvalidArgumentError(
        "scsi: strategy=tgt needs tgt-work-dir=DIR (where snapshot files live; the sources' filesystem for reflink)");
  }
  if (config.strategy == SnapshotStrategy::kXcopy && config.pool.empty()) {
    return InvalidArgumentError("scsi: strategy=xcopy needs pool=ADDR[,ADDR...] (LUNs to copy into)");
  }
  return config;
}

}  // namespace hwsnap::scsi
