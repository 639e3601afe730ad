// minerwatch — SPDX-License-Identifier: Apache-2.0
// Any `q` text (the API passes up to 512 bytes through) must give a list page and a count, never
// an error: the trigram MATCH string and the LIKE pattern are built from raw bytes, including
// quotes, FTS5 operators, '%', '_', '\' and invalid UTF-8. Each input runs under every text plan.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "store/sqlite_store.h"

namespace {

mw::store::Store* StoreWith(uint32_t index_candidates, uint64_t budget_steps) {
  auto dir =
      std::filesystem::temp_directory_path() / ("mw_store_query_fuzz_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  mw::store::SqliteOptions o;
  o.path = (dir / "fuzz.db").string();
  o.synchronous_full = false;
  o.text_index_candidates = index_candidates;
  o.text_scan_budget_steps = budget_steps;
  auto s = mw::store::OpenSqliteStore(o);
  if (!s) std::abort();
  return s->release();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static mw::store::Store* stores[3] = {};
  if (!stores[0]) {
    stores[0] = StoreWith(2000, 4'000'000);  // defaults: the first one creates the data
    std::vector<mw::Finding> batch;
    for (int i = 0; i < 300; ++i) {
      mw::Finding f;
      f.category = "Execution: Cryptomining Pool Protocol";
      f.resource.host_ip = "10.0.0." + std::to_string(i % 9);
      f.indicator = "pool" + std::to_string(i) + ".example:3333";
      f.id = mw::Finding::MakeId(f.category, f.resource.host_ip, f.indicator);
      f.detector = "stratum_session";
      f.evidence = {{"agent", i % 2 ? "XMRig/6.16.0 \"x\" 100%_a\\b" : "xmrig-proxy ÄÖ"}, {"n", i}};
      f.first_seen = f.last_seen = 1700000000LL * 1000000 + i;
      f.count = f.revision = 1;
      batch.push_back(std::move(f));
    }
    if (!stores[0]->Upsert(batch, 1700000000LL * 1000000)) std::abort();
    stores[1] = StoreWith(0, 1'000'000'000);  // always walk
    stores[2] = StoreWith(0, 1000);           // walk, run out, use the index
  }
  if (size > 512) return 0;
  mw::store::FindingQuery q;
  q.text.assign(reinterpret_cast<const char*>(data), size);
  q.limit = 50;
  size_t first = 0;
  for (int k = 0; k < 3; ++k) {
    auto page = stores[k]->List(q);
    auto counts = stores[k]->Counts(q);
    if (!page || !counts) std::abort();
    // Every plan answers the same question the same way.
    if (k == 0) first = page->findings.size();
    if (page->findings.size() != first) std::abort();
  }
  return 0;
}
