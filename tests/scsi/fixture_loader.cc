// Fixture files (see fixture_loader.h and fixtures/README.md).
#include "fixture_loader.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi::testing {
namespace {

namespace fs = std::filesystem;

struct KindName {
  FixtureKind kind;
  const char* name;
};
// Longest names first is not needed: no name is a prefix of another plus '_'.
constexpr KindName kKinds[] = {
    {FixtureKind::kInquiry, "inquiry"},     {FixtureKind::kVpd00, "vpd00"},
    {FixtureKind::kVpd80, "vpd80"},         {FixtureKind::kVpd83, "vpd83"},
    {FixtureKind::kVpd8f, "vpd8f"},         {FixtureKind::kVpdB0, "vpdb0"},
    {FixtureKind::kVpdB2, "vpdb2"},         {FixtureKind::kReadCap16, "readcap16"},
    {FixtureKind::kReadCap10, "readcap10"}, {FixtureKind::kReportLuns, "report_luns"},
    {FixtureKind::kSense, "sense"},
};

std::string Generic(const fs::path& p) { return p.generic_string(); }

}  // namespace

const char* FixtureKindName(FixtureKind kind) {
  for (const KindName& k : kKinds) {
    if (k.kind == kind) return k.name;
  }
  return "unknown";
}

FixtureKind KindOfStem(absl::string_view stem) {
  for (const KindName& k : kKinds) {
    const absl::string_view name = k.name;
    if (k.kind != FixtureKind::kSense && stem == name) return k.kind;
    if (absl::StartsWith(stem, absl::StrCat(name, "_")) && stem.size() > name.size() + 1) return k.kind;
  }
  return FixtureKind::kUnknown;
}

absl::StatusOr<std::vector<std::uint8_t>> ParseHexFixture(absl::string_view text) {
  std::vector<std::uint8_t> bytes;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    for (absl::string_view token : absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty())) {
      int value = 0;
      if (token.size() != 2 || !absl::SimpleHexAtoi(token, &value)) {
        return InvalidArgumentError(absl::StrCat("line ", line_number, ": '", token, "' is not a hex byte"));
      }
      bytes.push_back(static_cast<std::uint8_t>(value));
    }
  }
  return bytes;
}

std::string FixturesRoot() {
  if (const char* env = std::getenv("HWSNAP_SCSI_FIXTURES"); env != nullptr && *env != '\0') return env;
  return HWSNAP_SCSI_FIXTURES_DIR;
}

absl::StatusOr<Fixture> LoadFixture(const std::string& relative_path) {
  const fs::path full = fs::path(FixturesRoot()) / relative_path;
  std::ifstream in(full, std::ios::binary);
  if (!in) return ObjectNotFoundError(absl::StrCat("cannot open fixture ", Generic(full)));
  std::stringstream text;
  text << in.rdbuf();
  const std::string content = text.str();
  absl::StatusOr<std::vector<std::uint8_t>> bytes = ParseHexFixture(content);
  if (!bytes.ok()) return Annotate(bytes.status(), relative_path);
  Fixture f;
  const fs::path rel(relative_path);
  f.path = Generic(rel);
  f.directory = Generic(rel.parent_path());
  f.stem = rel.stem().string();
  f.kind = KindOfStem(f.stem);
  f.bytes = std::move(*bytes);
  absl::string_view first = content;
  first = first.substr(0, first.find('\n'));
  if (!absl::StartsWith(first, "#")) {
    return InvalidArgumentError(absl::StrCat(relative_path, ": the first line must be a '#' comment saying how the "
                                             "bytes were captured"));
  }
  f.provenance = std::string(absl::StripAsciiWhitespace(first.substr(1)));
  return f;
}

absl::StatusOr<std::vector<Fixture>> LoadAllFixtures() {
  const fs::path root(FixturesRoot());
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return ObjectNotFoundError(absl::StrCat("no fixtures directory ", Generic(root)));
  std::vector<std::string> paths;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".hex") {
      paths.push_back(Generic(fs::relative(it->path(), root)));
    }
  }
  if (ec) return BackendFailureError(absl::StrCat("listing ", Generic(root), ": ", ec.message()));
  std::sort(paths.begin(), paths.end());
  std::vector<Fixture> out;
  for (const std::string& p : paths) {
    absl::StatusOr<Fixture> f = LoadFixture(p);
    if (!f.ok()) return f.status();
    out.push_back(std::move(*f));
  }
  return out;
}

absl::StatusOr<std::vector<Fixture>> LoadFixtureDirectory(const std::string& relative_directory) {
  absl::StatusOr<std::vector<Fixture>> all = LoadAllFixtures();
  if (!all.ok()) return all.status();
  std::vector<Fixture> out;
  for (Fixture& f : *all) {
    if (f.directory == relative_directory) out.push_back(std::move(f));
  }
  if (out.empty()) return ObjectNotFoundError(absl::StrCat("no fixtures in ", relative_directory));
  return out;
}

}  // namespace hwsnap::scsi::testing
