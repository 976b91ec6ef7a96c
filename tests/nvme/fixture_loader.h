// fixture_loader.h — reads the Identify data captured under tests/nvme/fixtures.
//
// Fixtures are raw binary files exactly as the controller returned them
// (tests/nvme/fixtures/vm/qemu-nvme/: identify-ctrl.bin, ns-<N>.identify.bin,
// ns-<N>.descriptors.bin, active-ns-list.bin, ...), plus errors.txt files of
// "<command description>\t<status hex>" lines. Tests select fixtures by file
// name suffix, so a capture dropped into a new directory is tested without
// touching any test.
//
//   for (const std::string& path : ListNvmeFixtures(".identify.bin")) {
//     absl::StatusOr<std::vector<uint8_t>> bytes = LoadNvmeFixture(path);
//     EXPECT_OK(ParseIdentifyNamespace(*bytes)) << path;
//   }
#ifndef HWSNAP_TESTS_NVME_FIXTURE_LOADER_H_
#define HWSNAP_TESTS_NVME_FIXTURE_LOADER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hwsnap::nvme::testing {

// The fixtures directory: $HWSNAP_NVME_FIXTURES when set, else the source
// tree's tests/nvme/fixtures (compiled in).
std::string NvmeFixturesRoot();

// The bytes of one file; `relative_path` is relative to NvmeFixturesRoot().
// kObjectNotFound when it cannot be opened.
absl::StatusOr<std::vector<std::uint8_t>> LoadNvmeFixture(const std::string& relative_path);

// Every file below NvmeFixturesRoot() whose name ends in `suffix`
// (recursively; relative paths with '/', sorted). Empty when the directory
// does not exist yet.
std::vector<std::string> ListNvmeFixtures(absl::string_view suffix);

}  // namespace hwsnap::nvme::testing

#endif  // HWSNAP_TESTS_NVME_FIXTURE_LOADER_H_
