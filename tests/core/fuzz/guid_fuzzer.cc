// libFuzzer entry point for GUID text (hwsnap/ids.h: ParseGuidText,
// FormatGuid, Guid<Tag>::Parse). Any bytes as text must parse or fail with
// kInvalidArgument, never crash or throw; whatever parses must round-trip:
// parse(format(parse(x))) == parse(x), format is the canonical
// "{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}" (38 characters, upper-case) and
// equal to the input up to case and optional braces. The first 16 bytes are
// also taken as a GUID value: formatting it must parse back to the same value.
// `tools/fuzz.sh core_guid` runs it with the seeds in guid_corpus/.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <boost/uuid/uuid.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "hwsnap/ids.h"
#include "hwsnap/status.h"

namespace {

[[noreturn]] void Broken(const char* what, absl::string_view detail) {
  std::fprintf(stderr, "core_guid_fuzzer: invariant violated: %s: '%.*s'\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

// The canonical form: braces, 8-4-4-4-12 upper-case hex digits.
void CheckCanonical(const std::string& text) {
  if (text.size() != 38 || text.front() != '{' || text.back() != '}') Broken("format is not braced, 38 chars", text);
  for (std::size_t i = 1; i < 37; ++i) {
    const char c = text[i];
    const bool dash = i == 9 || i == 14 || i == 19 || i == 24;
    const bool upper_hex = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
    if (dash ? c != '-' : !upper_hex) Broken("format is not upper-case 8-4-4-4-12", text);
  }
}

// format(u) parses back to u, through both the untyped and the typed API.
void CheckFormatParses(const boost::uuids::uuid& value) {
  const std::string text = hwsnap::FormatGuid(value);
  CheckCanonical(text);
  absl::StatusOr<boost::uuids::uuid> again = hwsnap::ParseGuidText(text);
  if (!again.ok()) Broken("formatted GUID does not parse", text);
  if (*again != value) Broken("parse(format(u)) != u", text);
  absl::StatusOr<hwsnap::SnapshotSetId> typed = hwsnap::SnapshotSetId::Parse(text);
  if (!typed.ok() || typed->value() != value) Broken("Guid::Parse disagrees with ParseGuidText", text);
  if (hwsnap::SnapshotSetId::FromBytes(typed->bytes()) != *typed) Broken("FromBytes(bytes()) differs", text);
  if (typed->ToString() != text) Broken("Guid::ToString disagrees with FormatGuid", text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);

  absl::StatusOr<boost::uuids::uuid> parsed = hwsnap::ParseGuidText(input);
  absl::StatusOr<hwsnap::SnapshotId> typed = hwsnap::SnapshotId::Parse(input);
  if (parsed.ok() != typed.ok()) Broken("Guid::Parse and ParseGuidText disagree", input);
  if (!parsed.ok()) {
    if (hwsnap::GetErrorCode(parsed.status()) != hwsnap::ErrorCode::kInvalidArgument) {
      Broken("failure is not kInvalidArgument", parsed.status().ToString());
    }
    if (hwsnap::GetErrorCode(typed.status()) != hwsnap::ErrorCode::kInvalidArgument) {
      Broken("typed failure is not kInvalidArgument", typed.status().ToString());
    }
  } else {
    if (typed->value() != *parsed) Broken("Guid::Parse and ParseGuidText give different values", input);
    CheckFormatParses(*parsed);
    // The input was the canonical text up to case and optional braces.
    const std::string canonical = hwsnap::FormatGuid(*parsed);
    const absl::string_view body = input.size() == 38 ? input.substr(1, 36) : input;
    if (input.size() != 36 && input.size() != 38) Broken("accepted text of another length", input);
    if (absl::AsciiStrToUpper(body) != canonical.substr(1, 36)) Broken("format is not the input up to case", input);
  }

  if (size >= 16) {
    std::array<std::uint8_t, 16> bytes{};
    for (std::size_t i = 0; i < 16; ++i) bytes[i] = data[i];
    const hwsnap::SnapshotId id = hwsnap::SnapshotId::FromBytes(bytes);
    if (id.bytes() != bytes) Broken("bytes() != FromBytes input", input.substr(0, 16));
    CheckFormatParses(id.value());
  }
  return 0;
}
