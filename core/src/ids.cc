// GUID text in the Windows form, over Boost.Uuid (see hwsnap/ids.h).
#include "hwsnap/ids.h"

#include <cctype>

#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/string_generator.hpp>
#include <boost/uuid/uuid_io.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "hwsnap/status.h"

namespace hwsnap {

absl::StatusOr<boost::uuids::uuid> ParseGuidText(absl::string_view text) {
  absl::string_view body = text;
  if (!body.empty() && body.front() == '{') {
    if (body.size() < 2 || body.back() != '}') {
      return InvalidArgumentError(absl::StrCat("GUID '", text, "': opening brace without closing brace"));
    }
    body = body.substr(1, body.size() - 2);
  }
  // Boost's string_generator is lenient (no dashes, mixed braces); VSS ids
  // always come as 8-4-4-4-12, so check the shape strictly first.
  if (body.size() != 36) {
    return InvalidArgumentError(absl::StrCat("GUID '", text, "': expected {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}"));
  }
  for (size_t i = 0; i < body.size(); ++i) {
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    const unsigned char c = static_cast<unsigned char>(body[i]);
    if (dash_position ? c != '-' : !std::isxdigit(c)) {
      return InvalidArgumentError(absl::StrCat("GUID '", text, "': unexpected character at position ", i));
    }
  }
  try {
    return boost::uuids::string_generator()(body.begin(), body.end());
  } catch (const std::exception& e) {
    return InvalidArgumentError(absl::StrCat("GUID '", text, "': ", e.what()));
  }
}

std::string FormatGuid(const boost::uuids::uuid& value) {
  return absl::StrCat("{", absl::AsciiStrToUpper(boost::uuids::to_string(value)), "}");
}

boost::uuids::uuid RandomGuid() {
  // random_generator seeds from the OS on construction, which costs a
  // syscall; one per thread is plenty.
  thread_local boost::uuids::random_generator generator;
  return generator();
}

}  // namespace hwsnap
