// NVMe fixture files (see fixture_loader.h).
#include "fixture_loader.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "hwsnap/status.h"

namespace hwsnap::nvme::testing {

namespace fs = std::filesystem;

std::string NvmeFixturesRoot() {
  if (const char* env = std::getenv("HWSNAP_NVME_FIXTURES"); env != nullptr && *env != '\0') return env;
  return HWSNAP_NVME_FIXTURES_DIR;
}

absl::StatusOr<std::vector<std::uint8_t>> LoadNvmeFixture(const std::string& relative_path) {
  const fs::path full = fs::path(NvmeFixturesRoot()) / relative_path;
  std::ifstream in(full, std::ios::binary);
  if (!in) return ObjectNotFoundError(absl::StrCat("cannot open fixture ", full.generic_string()));
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<std::string> ListNvmeFixtures(absl::string_view suffix) {
  const fs::path root(NvmeFixturesRoot());
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file() && absl::EndsWith(it->path().filename().string(), suffix)) {
      out.push_back(fs::relative(it->path(), root).generic_string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace hwsnap::nvme::testing
