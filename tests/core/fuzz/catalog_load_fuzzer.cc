// libFuzzer entry point for the catalog loader (core/src/catalog): any bytes
// as a journal. It must never crash, leak or hit undefined behaviour; every
// failure must be kVeto naming the offset; and whatever loads must survive
// compaction: re-encoding the live state and loading that gives the same sets.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "catalog/catalog_format.h"
#include "catalog/catalog_state.h"
#include "fuzz/catalog_sample.h"
#include "hwsnap/status.h"

namespace {

[[noreturn]] void Broken(const char* what, const std::string& detail) {
  std::fprintf(stderr, "catalog_load_fuzzer: invariant violated: %s: %s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hwsnap;                    // NOLINT
  using namespace hwsnap::catalog_internal;  // NOLINT
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  CatalogState state;
  LoadResult loaded;
  absl::Status s = LoadJournal(bytes, "fuzz.hwsnap", &state, &loaded);
  if (!s.ok()) {
    if (GetErrorCode(s) != ErrorCode::kVeto) Broken("failure without kVeto", s.ToString());
    if (s.message().find("offset ") == absl::string_view::npos) Broken("veto without an offset", s.ToString());
    return 0;
  }
  if (loaded.good_bytes + loaded.torn_bytes != size) Broken("bytes unaccounted for", std::to_string(size));
  const std::string compacted = state.EncodeLive(hwsnap::kCatalogFormatVersion);
  CatalogState again;
  LoadResult reloaded;
  if (absl::Status r = LoadJournal(compacted, "compacted.hwsnap", &again, &reloaded); !r.ok()) {
    Broken("compacted journal does not load", r.ToString());
  }
  if (reloaded.torn_bytes != 0) Broken("compacted journal has a torn tail", "");
  const std::string diff = catalog_sample::DiffSets(again.Sets(), state.Sets());
  if (!diff.empty()) Broken("compaction changed the state", diff);
  return 0;
}
