// tgt_admin.cc — tgtadm invocations and their error mapping (see tgt_admin.h).
#include "hwsnap/scsi/tgt_admin.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi {

namespace {

bool ValidParamValue(absl::string_view value) {
  return !value.empty() && value.find_first_of(",=\n") == absl::string_view::npos;
}

}  // namespace

absl::Status ClassifyTgtadmFailure(absl::string_view command, const ProcessResult& result) {
  std::string message(absl::StripAsciiWhitespace(result.stderr_text));
  if (message.empty()) message = std::string(absl::StripAsciiWhitespace(result.stdout_text));
  if (message.empty()) message = "no message";
  const std::string text = absl::StrCat("tgtadm ", command, " failed (", result.Describe(), "): ", message);
  if (absl::StrContains(message, "can't find") || absl::StrContains(message, "does not exist")) {
    return ObjectNotFoundError(text);
  }
  if (absl::StrContains(message, "already exists")) return BadStateError(text);
  if (absl::StrContains(message, "out of memory")) return OutOfMemoryError(text);
  return BackendFailureError(text);
}

TgtAdmin::TgtAdmin(int control_id, absl::Duration timeout)
    : control_id_(control_id), timeout_(timeout) {}

absl::StatusOr<std::string> TgtAdmin::Run(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"tgtadm", "-C", std::to_string(control_id_)};
  argv.insert(argv.end(), args.begin(), args.end());
  const std::string command = absl::StrJoin(args, " ");
  RunOptions options;
  options.timeout = timeout_;
  absl::StatusOr<ProcessResult> result = RunProcess(argv, options);
  if (!result.ok()) {
    return Annotate(result.status(), absl::StrCat("tgtadm -C ", control_id_, " ", command));
  }
  if (!result->Succeeded()) {
    return ClassifyTgtadmFailure(absl::StrCat("-C ", control_id_, " ", command), *result);
  }
  return std::move(result->stdout_text);
}

absl::Status TgtAdmin::NewTarget(int tid, absl::string_view iqn) {
  if (tid <= 0 || iqn.empty()) return InvalidArgumentError("NewTarget: tid must be > 0 and the IQN non-empty");
  return Run({"--lld", "iscsi", "--op", "new", "--mode", "target", "--tid", std::to_string(tid),
              "--targetname", std::string(iqn)})
      .status();
}

absl::Status TgtAdmin::DeleteTarget(int tid, bool force) {
  std::vector<std::string> args = {"--lld", "iscsi", "--op", "delete", "--mode", "target",
                                   "--tid", std::to_string(tid)};
  if (force) args.emplace_back("--force");
  return Run(args).status();
}

absl::Status TgtAdmin::NewLun(int tid, int lun, absl::string_view backing_store,
                              absl::string_view bstype) {
  if (lun <= 0 || backing_store.empty()) {
    return InvalidArgumentError("NewLun: the LUN must be > 0 (LUN 0 is tgt's controller) and the backing store set");
  }
  return Run({"--lld", "iscsi", "--op", "new", "--mode", "logicalunit", "--tid",
              std::to_string(tid), "--lun", std::to_string(lun), "--backing-store",
              std::string(backing_store), "--bstype", std::string(bstype)})
      .status();
}

absl::Status TgtAdmin::DeleteLun(int tid, int lun) {
  return Run({"--lld", "iscsi", "--op", "delete", "--mode", "logicalunit", "--tid",
              std::to_string(tid), "--lun", std::to_string(lun)})
      .status();
}

absl::Status TgtAdmin::UpdateLunParams(int tid, int lun, const TgtLunParams& params) {
  std::vector<std::string> pairs;
  auto add = [&pairs](absl::string_view key, const std::optional<std::string>& value) {
    if (value.has_value()) pairs.push_back(absl::StrCat(key, "=", *value));
  };
  for (const std::optional<std::string>* v :
       {&params.scsi_sn, &params.scsi_id, &params.vendor_id, &params.product_id}) {
    if (v->has_value() && !ValidParamValue(**v)) {
      return InvalidArgumentError(absl::StrCat("UpdateLunParams: invalid value \"", **v, "\""));
    }
  }
  add("scsi_sn", params.scsi_sn);
  add("scsi_id", params.scsi_id);
  add("vendor_id", params.vendor_id);
  add("product_id", params.product_id);
  if (params.readonly.has_value()) pairs.push_back(*params.readonly ? "readonly=1" : "readonly=0");
  if (pairs.empty()) return InvalidArgumentError("UpdateLunParams: no parameter set");
  return Run({"--lld", "iscsi", "--op", "update", "--mode", "logicalunit", "--tid",
              std::to_string(tid), "--lun", std::to_string(lun), "--params",
              absl::StrJoin(pairs, ",")})
      .status();
}

absl::Status TgtAdmin::BindInitiatorAddress(int tid, absl::string_view address) {
  return Run({"--lld", "iscsi", "--op", "bind", "--mode", "target", "--tid", std::to_string(tid),
              "--initiator-address", std::string(address)})
      .status();
}

absl::Status TgtAdmin::UnbindInitiatorAddress(int tid, absl::string_view address) {
  return Run({"--lld", "iscsi", "--op", "unbind", "--mode", "target", "--tid", std::to_string(tid),
              "--initiator-address", std::string(address)})
      .status();
}

absl::Status TgtAdmin::BindInitiatorName(int tid, absl::string_view initiator_name) {
  return Run({"--lld", "iscsi", "--op", "bind", "--mode", "target", "--tid", std::to_string(tid),
              "--initiator-name", std::string(initiator_name)})
      .status();
}

absl::Status TgtAdmin::UnbindInitiatorName(int tid, absl::string_view initiator_name) {
  return Run({"--lld", "iscsi", "--op", "unbind", "--mode", "target", "--tid", std::to_string(tid),
              "--initiator-name", std::string(initiator_name)})
      .status();
}

absl::StatusOr<std::string> TgtAdmin::ShowTargetsText() {
  return Run({"--lld", "iscsi", "--op", "show", "--mode", "target"});
}

absl::StatusOr<std::vector<TgtTarget>> TgtAdmin::ShowTargets() {
  absl::StatusOr<std::string> text = ShowTargetsText();
  if (!text.ok()) return text.status();
  return ParseTgtShowTargets(*text);
}

absl::StatusOr<std::string> TgtAdmin::ShowSystem() {
  return Run({"--op", "show", "--mode", "system"});
}

absl::StatusOr<std::vector<std::string>> TgtAdmin::ShowPortals() {
  absl::StatusOr<std::string> text = Run({"--lld", "iscsi", "--op", "show", "--mode", "portal"});
  if (!text.ok()) return text.status();
  std::vector<std::string> portals;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipWhitespace())) {
    line = absl::StripAsciiWhitespace(line);
    if (absl::ConsumePrefix(&line, "Portal:")) portals.emplace_back(absl::StripAsciiWhitespace(line));
  }
  return portals;
}

absl::Status TgtAdmin::ShutdownDaemon() {
  return Run({"--op", "delete", "--mode", "system"}).status();
}

}  // namespace hwsnap::scsi
