// hwsnapctl/catalog_commands.h — `hwsnapctl catalog list|show|verify|reclaim`.
//
// The durable catalog (hwsnap/catalog.h) seen from the command line:
//   list              every recorded set, one line each (read-only open)
//   show SET-ID       one set with its source -> target mappings (read-only)
//   verify            reads and checks the whole file, changing nothing
//   reclaim           releases targets whose OnLunEmpty never came (and ones
//                     no record knows) through the configured backend; with
//                     dry_run only lists them
// Kept out of cli.cc so tests run the commands in-process.
//
// Output: human text, or with `json` one JSON document with stable keys
// (see README, "Catalog commands"). Exit codes: 0 done, 1 the command failed
// (message on `err`: what and how to fix), 2 usage (returned as
// kInvalidArgument for the caller to print with the usage hint).
#ifndef HWSNAP_TOOLS_HWSNAPCTL_CATALOG_COMMANDS_H_
#define HWSNAP_TOOLS_HWSNAPCTL_CATALOG_COMMANDS_H_

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "hwsnap/backend_registry.h"

namespace hwsnap::tools {

struct CatalogCommandOptions {
  std::string catalog_path;  // empty: hwsnap::Catalog::DefaultPath()
  bool json = false;
  // reclaim only:
  bool dry_run = false;
  absl::Duration older_than = absl::ZeroDuration();
  const BackendRegistry* registry = nullptr;  // null: the built-in backends
  std::string backend = "mock";
  std::map<std::string, std::string> backend_options;
};

// The verbs, for usage text.
const std::vector<std::string>& CatalogVerbs();

// Runs `catalog <verb> <args...>`. Returns the exit code (0 or 1) after
// printing to `out` (results) and `err` (failures); kInvalidArgument for a
// usage error (unknown verb, wrong arguments, a bad set id), nothing printed.
absl::StatusOr<int> RunCatalogCommand(const std::string& verb, const std::vector<std::string>& args,
                                      const CatalogCommandOptions& options, std::ostream& out, std::ostream& err);

}  // namespace hwsnap::tools

#endif  // HWSNAP_TOOLS_HWSNAPCTL_CATALOG_COMMANDS_H_
