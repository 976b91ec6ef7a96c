// `hwsnapctl catalog ...` (see catalog_commands.h): reads the durable catalog
// read-only for list/show, checks it with Catalog::Verify, and reclaims
// through a SnapshotProvider over the configured backend.
#include "hwsnapctl/catalog_commands.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "hwsnap/catalog.h"
#include "hwsnap/ids.h"
#include "hwsnap/provider.h"
#include "hwsnap/snapshot_set_state.h"
#include "hwsnap/status.h"
#include "hwsnapctl/simulate.h"

namespace hwsnap::tools {
namespace {

using Json = nlohmann::ordered_json;

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;

std::string TimeText(absl::Time t) {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) return "-";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

Json TimeJson(absl::Time t) {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) return nullptr;
  return TimeText(t);
}

std::string PrimaryText(const LunIdentity& lun) {
  const Designator* primary = lun.PrimaryDesignator();
  return primary != nullptr ? primary->ToString() : "";
}

Json LunJson(const LunIdentity& lun) {
  Json designators = Json::array();
  for (const Designator& d : lun.designators) designators.push_back(d.ToString());
  return Json{{"text", lun.ToString()},
              {"primary", PrimaryText(lun)},
              {"vendor_id", lun.vendor_id},
              {"product_id", lun.product_id},
              {"serial_number", lun.serial_number},
              {"designators", std::move(designators)}};
}

std::string FlagsText(std::uint32_t flags) {
  std::vector<std::string> names;
  if (flags & kTargetReadWrite) names.emplace_back("read-write");
  if (flags & kTargetPreRecovery) names.emplace_back("pre-recovery");
  if (flags & kTargetPostRecovery) names.emplace_back("post-recovery");
  if (flags & kTargetMasked) names.emplace_back("masked");
  const std::uint32_t known = kTargetReadWrite | kTargetPreRecovery | kTargetPostRecovery | kTargetMasked;
  if (flags & ~known) names.push_back(absl::StrFormat("0x%x", flags & ~known));
  return names.empty() ? "none" : absl::StrJoin(names, ",");
}

Json TargetJson(const CatalogTarget& t) {
  return Json{{"source", LunJson(t.source)},
              {"target_id", t.target_id},
              {"state", CatalogTargetStateName(t.state)},
              {"alive", t.alive()},
              {"identity", t.identity ? LunJson(*t.identity) : Json(nullptr)},
              {"exposed", t.exposed},
              {"flags", t.flags},
              {"flag_names", FlagsText(t.flags)},
              {"updated", TimeJson(t.updated)}};
}

Json SetSummaryJson(const CatalogSet& set) {
  return Json{{"set_id", set.id.ToString()},
              {"state", std::string(SetStateName(set.state))},
              {"context", set.context},
              {"created", TimeJson(set.created)},
              {"updated", TimeJson(set.updated)},
              {"snapshots", set.snapshots.size()},
              {"targets", set.targets.size()},
              {"targets_alive", set.LiveTargets()}};
}

std::string ResolvePath(const CatalogCommandOptions& options) {
  return options.catalog_path.empty() ? Catalog::DefaultPath() : options.catalog_path;
}

// Prints a failure the way every verb does: text on `err`, and with --json
// also a document on `out` so scripts always get one.
int Failure(const CatalogCommandOptions& options, std::ostream& out, std::ostream& err, const std::string& path,
            const absl::Status& status, const std::string& remedy) {
  err << "hwsnapctl catalog: " << ErrorCodeName(GetErrorCode(status)) << ": " << status.message() << "\n";
  if (!remedy.empty()) err << "  " << remedy << "\n";
  if (options.json) {
    out << Json{{"catalog", path},
                {"ok", false},
                {"error", {{"code", std::string(ErrorCodeName(GetErrorCode(status)))},
                           {"message", std::string(status.message())},
                           {"remedy", remedy}}}}
               .dump(2)
        << "\n";
  }
  return kExitFailure;
}

// A remedy for an Open/Verify failure, by its code.
std::string OpenRemedy(const absl::Status& status, const std::string& path) {
  switch (GetErrorCode(status)) {
    case ErrorCode::kObjectNotFound:
      return absl::StrCat("nothing has been recorded at ", path,
                          " yet; pass --catalog=PATH to name the catalog the provider uses");
    case ErrorCode::kBadState:
      return "another process (the provider) holds the catalog; retry when it has stopped";
    case ErrorCode::kVeto:
      return absl::StrCat("the file is damaged; it was left as it is: keep a copy of ", path,
                          " and run 'hwsnapctl catalog verify' for the offset");
    default:
      return "";
  }
}

absl::StatusOr<std::unique_ptr<Catalog>> OpenReadOnly(const std::string& path) {
  CatalogOptions options;
  options.path = path;
  options.read_only = true;
  return Catalog::Open(options);
}

int List(const CatalogCommandOptions& options, std::ostream& out, std::ostream& err) {
  const std::string path = ResolvePath(options);
  absl::StatusOr<std::unique_ptr<Catalog>> catalog = OpenReadOnly(path);
  if (!catalog.ok()) return Failure(options, out, err, path, catalog.status(), OpenRemedy(catalog.status(), path));
  const std::vector<CatalogSet> sets = (*catalog)->Sets();
  int alive = 0;
  for (const CatalogSet& set : sets) alive += set.LiveTargets();
  if (options.json) {
    Json list = Json::array();
    for (const CatalogSet& set : sets) list.push_back(SetSummaryJson(set));
    out << Json{{"catalog", path}, {"ok", true}, {"sets", std::move(list)}, {"targets_alive", alive}}.dump(2)
        << "\n";
    return kExitOk;
  }
  out << "catalog " << path << ": " << sets.size() << " set(s), " << alive << " live target(s)\n";
  if (sets.empty()) return kExitOk;
  out << absl::StrFormat("%-38s  %-19s  %-20s  %5s  %s\n", "SET", "STATE", "CREATED", "SNAPS", "TARGETS(alive/all)");
  for (const CatalogSet& set : sets) {
    out << absl::StrFormat("%-38s  %-19s  %-20s  %5d  %d/%d\n", set.id.ToString(), SetStateName(set.state),
                           TimeText(set.created), set.snapshots.size(), set.LiveTargets(), set.targets.size());
  }
  return kExitOk;
}

int Show(const CatalogCommandOptions& options, const SnapshotSetId& id, std::ostream& out, std::ostream& err) {
  const std::string path = ResolvePath(options);
  absl::StatusOr<std::unique_ptr<Catalog>> catalog = OpenReadOnly(path);
  if (!catalog.ok()) return Failure(options, out, err, path, catalog.status(), OpenRemedy(catalog.status(), path));
  const std::optional<CatalogSet> set = (*catalog)->FindSet(id);
  if (!set) {
    return Failure(options, out, err, path,
                   ObjectNotFoundError(absl::StrCat("no set ", id.ToString(), " in catalog ", path)),
                   "'hwsnapctl catalog list' shows the recorded sets");
  }
  if (options.json) {
    Json doc = SetSummaryJson(*set);
    Json snapshots = Json::array();
    for (const SnapshotId& s : set->snapshots) snapshots.push_back(s.ToString());
    doc["snapshot_ids"] = std::move(snapshots);
    Json targets = Json::array();
    for (const CatalogTarget& t : set->targets) targets.push_back(TargetJson(t));
    doc["target_list"] = std::move(targets);
    out << Json{{"catalog", path}, {"ok", true}, {"set", std::move(doc)}}.dump(2) << "\n";
    return kExitOk;
  }
  out << "set " << set->id.ToString() << "\n"
      << "  state      " << SetStateName(set->state) << "\n"
      << "  context    " << set->context << "\n"
      << "  created    " << TimeText(set->created) << "\n"
      << "  updated    " << TimeText(set->updated) << "\n"
      << "  snapshots  " << set->snapshots.size() << "\n";
  for (const SnapshotId& s : set->snapshots) out << "             " << s.ToString() << "\n";
  out << "  targets    " << set->targets.size() << " (" << set->LiveTargets() << " alive)\n";
  for (size_t i = 0; i < set->targets.size(); ++i) {
    const CatalogTarget& t = set->targets[i];
    out << "  [" << i << "] source    " << t.source.ToString() << "\n"
        << "      target    " << (t.target_id.empty() ? "-" : t.target_id) << "  state "
        << CatalogTargetStateName(t.state) << "  exposed " << (t.exposed ? "yes" : "no") << "  flags "
        << FlagsText(t.flags) << "  updated " << TimeText(t.updated) << "\n";
    if (t.identity) out << "      identity  " << t.identity->ToString() << "\n";
  }
  return kExitOk;
}

Json LoadReportJson(const CatalogLoadReport& r) {
  return Json{{"path", r.path},
              {"records", r.records},
              {"file_bytes", r.file_bytes},
              {"torn_tail_bytes", r.torn_tail_bytes},
              {"torn_tail_copy", r.torn_tail_copy},
              {"sets", r.sets},
              {"live_targets", r.live_targets},
              {"load_ms", absl::ToDoubleMilliseconds(r.load_time)}};
}

int Verify(const CatalogCommandOptions& options, std::ostream& out, std::ostream& err) {
  const std::string path = ResolvePath(options);
  absl::StatusOr<CatalogLoadReport> report = Catalog::Verify(path);
  if (!report.ok()) return Failure(options, out, err, path, report.status(), OpenRemedy(report.status(), path));
  if (options.json) {
    out << Json{{"catalog", path}, {"ok", true}, {"report", LoadReportJson(*report)}}.dump(2) << "\n";
    return kExitOk;
  }
  out << "catalog " << path << ": OK\n"
      << "  records       " << report->records << "\n"
      << "  bytes         " << report->file_bytes << "\n"
      << "  sets          " << report->sets << "\n"
      << "  live targets  " << report->live_targets << "\n";
  if (report->torn_tail_bytes > 0) {
    out << "  torn tail     " << report->torn_tail_bytes
        << " byte(s) of an unfinished last record (a crash during an append; never acknowledged); the next "
           "open by the provider keeps a copy and cuts it off\n";
  }
  return kExitOk;
}

Json CandidateJson(const ReclaimCandidate& c) {
  return Json{{"target_id", c.target},
              {"set_id", c.set_id.is_nil() ? Json(nullptr) : Json(c.set_id.ToString())},
              {"source", c.source.designators.empty() ? Json(nullptr) : LunJson(c.source)},
              {"reason", c.reason},
              {"since", TimeJson(c.since)}};
}

void PrintCandidates(std::ostream& out, const char* title, const std::vector<ReclaimCandidate>& list) {
  out << title << " (" << list.size() << ")\n";
  for (const ReclaimCandidate& c : list) {
    out << "  " << c.target << "  set " << (c.set_id.is_nil() ? "-" : c.set_id.ToString()) << "  "
        << c.reason << "\n";
    if (!c.source.designators.empty()) out << "      source " << c.source.ToString() << "\n";
  }
}

int Reclaim(const CatalogCommandOptions& options, std::ostream& out, std::ostream& err) {
  const std::string path = ResolvePath(options);
  BackendRequest request;  // no LUNs: reclaim makes no snapshots
  request.options = options.backend_options;
  absl::StatusOr<BackendSession> session = BackendRegistryOrBuiltIn(options.registry).Create(options.backend, request);
  if (!session.ok()) {
    return Failure(options, out, err, path, session.status(),
                   absl::StrCat("check --backend (known: ", absl::StrJoin(KnownBackends(options.registry), ", "),
                                ") and --backend-option"));
  }
  ProviderOptions provider_options;
  provider_options.catalog_path = path;
  SnapshotProvider provider(session->backend, provider_options);
  ReclaimOptions reclaim;
  reclaim.dry_run = options.dry_run;
  reclaim.older_than = options.older_than;
  absl::StatusOr<ReclaimReport> report = provider.Reclaim(reclaim);
  if (!report.ok()) return Failure(options, out, err, path, report.status(), OpenRemedy(report.status(), path));
  const RecoveryReport& recovery = provider.recovery();
  if (options.json) {
    Json candidates = Json::array();
    for (const ReclaimCandidate& c : report->candidates) candidates.push_back(CandidateJson(c));
    Json failed = Json::array();
    for (const ReclaimCandidate& c : report->failed) failed.push_back(CandidateJson(c));
    out << Json{{"catalog", path},
                {"ok", report->failed.empty()},
                {"dry_run", options.dry_run},
                {"older_than_s", absl::ToDoubleSeconds(options.older_than)},
                {"backend", options.backend},
                {"recovery",
                 {{"sets_served", recovery.sets_served},
                  {"sets_rolled_back", recovery.sets_rolled_back},
                  {"targets_released", recovery.targets_released},
                  {"targets_restored", recovery.targets_restored},
                  {"targets_unrestorable", recovery.targets_unrestorable},
                  {"unknown_targets_released", recovery.unknown_targets_released},
                  {"problems", recovery.problems}}},
                {"candidates", std::move(candidates)},
                {"failed", std::move(failed)},
                {"notes", report->notes}}
               .dump(2)
        << "\n";
  } else {
    out << "catalog " << path << ", backend " << options.backend << "\n";
    if (recovery.sets_rolled_back > 0 || recovery.unknown_targets_released > 0) {
      out << "recovery at open: rolled back " << recovery.sets_rolled_back << " unfinished set(s), released "
          << recovery.targets_released + recovery.unknown_targets_released << " target(s)\n";
    }
    for (const std::string& problem : recovery.problems) out << "recovery: " << problem << "\n";
    PrintCandidates(out, options.dry_run ? "would release" : "released", report->candidates);
    if (!report->failed.empty()) PrintCandidates(out, "FAILED to release", report->failed);
    for (const std::string& note : report->notes) out << "note: " << note << "\n";
    if (options.dry_run && !report->candidates.empty()) out << "(dry run: nothing was deleted)\n";
  }
  if (!report->failed.empty()) {
    err << "hwsnapctl catalog reclaim: " << report->failed.size()
        << " target(s) could not be released; they stay recorded — fix the storage problem shown and run "
           "reclaim again\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

const std::vector<std::string>& CatalogVerbs() {
  static const std::vector<std::string> verbs = {"list", "show", "verify", "reclaim"};
  return verbs;
}

absl::StatusOr<int> RunCatalogCommand(const std::string& verb, const std::vector<std::string>& args,
                                      const CatalogCommandOptions& options, std::ostream& out, std::ostream& err) {
  const auto no_args = [&]() -> absl::Status {
    if (args.empty()) return absl::OkStatus();
    return InvalidArgumentError(
        absl::StrCat("catalog ", verb, " takes no arguments, got '", absl::StrJoin(args, " "), "'"));
  };
  if (options.older_than < absl::ZeroDuration()) return InvalidArgumentError("--older-than is negative");
  if (verb == "list") {
    if (auto s = no_args(); !s.ok()) return s;
    return List(options, out, err);
  }
  if (verb == "show") {
    if (args.size() != 1) return InvalidArgumentError("catalog show takes one set id, e.g. {6B29FC40-CA47-1067-B31D-00DD010662DA}");
    absl::StatusOr<SnapshotSetId> id = SnapshotSetId::Parse(args[0]);
    if (!id.ok()) return InvalidArgumentError(absl::StrCat("catalog show: '", args[0], "' is not a set id: ", id.status().message()));
    return Show(options, *id, out, err);
  }
  if (verb == "verify") {
    if (auto s = no_args(); !s.ok()) return s;
    return Verify(options, out, err);
  }
  if (verb == "reclaim") {
    if (auto s = no_args(); !s.ok()) return s;
    return Reclaim(options, out, err);
  }
  return InvalidArgumentError(absl::StrCat(verb.empty() ? "catalog needs a verb" : absl::StrCat("unknown catalog verb '", verb, "'"),
                                           "; use ", absl::StrJoin(CatalogVerbs(), ", ")));
}

}  // namespace hwsnap::tools
