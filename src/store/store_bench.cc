// minerwatch — SPDX-License-Identifier: Apache-2.0
// Store speed: ingest (updates/s with realistic evidence) and list queries over many findings.
// MW_BENCH_FINDINGS sets how many findings the list benchmark stores (default 100000).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "store/sqlite_store.h"

namespace mw::store {
namespace {

constexpr TimestampUs kT0 = 1700000000LL * 1000000;

Finding Realistic(int host, int pool, TimestampUs ts, uint64_t count) {
  Finding f;
  f.category = std::string(category::kPoolProtocol);
  f.resource.host_ip = "10.1." + std::to_string(host / 250) + "." + std::to_string(host % 250);
  f.indicator = "pool" + std::to_string(pool) + ".supportxmr.example:3333";
  f.id = Finding::MakeId(f.category, f.resource.host_ip, f.indicator);
  f.stage = Stage::kMining;
  f.severity = Severity::kHigh;
  f.attack = {"T1496"};
  f.detector = "stratum_session";
  f.source = "protocol";
  f.evidence = {
      {"flow", {{"client", f.resource.host_ip + ":41234"}, {"server", "203.0.113.7:3333"}}},
      {"method", "login"},
      {"agent", "XMRig/6.16.0 (Linux x86_64) libuv/1.38.0 gcc/9.3.0"},
      {"algo", {"rx/0", "cn/r", "cn-pico"}},
      {"worker", "4AfjQ8...redacted"},
      {"jobs", count}};
  f.first_seen = ts;
  f.last_seen = ts;
  f.count = count;
  f.revision = count;
  return f;
}

std::string TempDb(const char* name) {
  auto dir =
      std::filesystem::temp_directory_path() / ("mw_store_bench_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto p = dir / name;
  std::filesystem::remove(p);
  std::filesystem::remove(p.string() + "-wal");
  std::filesystem::remove(p.string() + "-shm");
  return p.string();
}

// Batches of 256 updates to 2,000 live findings (the sensor delivers changed findings in batches).
void BM_IngestUpdates(benchmark::State& state) {
  SqliteOptions o;
  o.path = TempDb("ingest.db");
  o.synchronous_full = state.range(0) != 0;
  auto store = OpenSqliteStore(o);
  if (!store) {
    state.SkipWithError(store.error().message().c_str());
    return;
  }
  std::vector<Finding> batch;
  uint64_t round = 1;
  for (auto _ : state) {
    batch.clear();
    for (int i = 0; i < 256; ++i) {
      int k = int((round * 256 + uint64_t(i)) % 2000);
      batch.push_back(Realistic(k % 500, k, kT0 + int64_t(round) * 1000, round));
    }
    auto r = (*store)->Upsert(batch, kT0 + int64_t(round) * 1000);
    if (!r) state.SkipWithError(r.error().message().c_str());
    ++round;
  }
  state.SetItemsProcessed(int64_t(state.iterations()) * 256);
}
BENCHMARK(BM_IngestUpdates)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);

// N stored findings (MW_BENCH_FINDINGS), loaded once for the list and count benchmarks.
Store* Loaded(benchmark::State& state, int64_t* stored) {
  static StorePtr store;
  static int64_t n = [] {
    const char* env = std::getenv("MW_BENCH_FINDINGS");
    return env ? std::atoll(env) : 100000;
  }();
  if (!store) {
    SqliteOptions o;
    // MW_BENCH_DB reuses a database an earlier run loaded (loading 1M findings takes minutes).
    const char* reuse = std::getenv("MW_BENCH_DB");
    o.path = reuse ? reuse : TempDb("list.db");
    o.synchronous_full = false;
    auto s = OpenSqliteStore(o);
    if (!s) {
      state.SkipWithError(s.error().message().c_str());
      return nullptr;
    }
    store = std::move(*s);
    auto have = store->Counts({});
    std::vector<Finding> batch;
    for (int64_t i = have ? int64_t(have->total) : 0; i < n; ++i) {
      batch.push_back(Realistic(int(i % 5000), int(i), kT0 + i * 1000, 1));
      if (batch.size() == 5000) {
        (void)store->Upsert(batch, kT0);
        batch.clear();
      }
    }
    (void)store->Upsert(batch, kT0);
  }
  *stored = n;
  return store.get();
}

// The filters both benchmarks use: none, a host, a rare text, a text in every finding's
// evidence, a text in every indicator, a stage, and the worst-case text.
FindingQuery QueryFor(int64_t which) {
  FindingQuery q;
  q.limit = 100;
  if (which == 1) q.host = "10.1.3.7";
  if (which == 2) q.text = "pool4242";
  if (which == 3) q.text = "XMRig";
  if (which == 4) q.text = "supportxmr";
  if (which == 5) q.stage = Stage::kMining;
  // The text plans' worst case: every trigram is in every finding, the string in none, so the
  // last_seen walk runs out of budget and the index returns 1M candidates to verify.
  if (which == 6) q.text = "16.0 gcc";
  return q;
}

// A list query (first page, 100 rows, with and without filters) over N stored findings.
void BM_ListQuery(benchmark::State& state) {
  int64_t n = 0;
  Store* store = Loaded(state, &n);
  if (!store) return;
  FindingQuery q = QueryFor(state.range(0));
  for (auto _ : state) {
    auto p = store->List(q);
    if (!p || (p->findings.empty() && state.range(0) != 6))
      state.SkipWithError("list failed or empty");
    benchmark::DoNotOptimize(p);
  }
  state.counters["stored"] = double(n);
}
BENCHMARK(BM_ListQuery)->DenseRange(0, 6)->Unit(benchmark::kMicrosecond);

// Counts over the same filters (capped at kCountCap for host and text filters).
void BM_Counts(benchmark::State& state) {
  int64_t n = 0;
  Store* store = Loaded(state, &n);
  if (!store) return;
  FindingQuery q = QueryFor(state.range(0));
  uint64_t total = 0;
  for (auto _ : state) {
    auto c = store->Counts(q);
    if (!c) state.SkipWithError(c.error().message().c_str());
    total = c ? c->total : 0;
  }
  state.counters["stored"] = double(n);
  state.counters["total"] = double(total);
}
BENCHMARK(BM_Counts)->DenseRange(0, 6)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace mw::store

BENCHMARK_MAIN();
