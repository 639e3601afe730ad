// minerwatch — SPDX-License-Identifier: Apache-2.0
// API latency for list queries over N stored findings (MW_BENCH_FINDINGS, default 100000; the
// issue's figure is 1,000,000), through a real socket, and the console's first load (index.html +
// app.js + the first findings page + counts). Reports p50/p99 in microseconds as counters.
#include <benchmark/benchmark.h>
#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "server/api_server.h"
#include "server/auth.h"
#include "store/sqlite_store.h"

namespace mw::server {
namespace {

constexpr TimestampUs kT0 = 1700000000LL * 1000000;

struct Fixture {
  store::StorePtr store;
  Metrics metrics;
  std::unique_ptr<ApiServer> server;
  std::string token;
  int64_t n = 0;
};

Fixture& Get() {
  static Fixture* fx = [] {
    auto* f = new Fixture;
    const char* env = std::getenv("MW_BENCH_FINDINGS");
    f->n = env ? std::atoll(env) : 100000;
    auto dir =
        std::filesystem::temp_directory_path() / ("mw_api_bench_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    store::SqliteOptions o;
    o.path = (dir / "api.db").string();
    o.synchronous_full = false;
    f->store = std::move(*store::OpenSqliteStore(o));
    std::vector<Finding> batch;
    for (int64_t i = 0; i < f->n; ++i) {
      Finding x;
      x.category = std::string(i % 3 ? category::kPoolProtocol : category::kBadDomain);
      x.resource.host_ip =
          "10.2." + std::to_string(i % 200) + "." + std::to_string((i / 200) % 250);
      x.indicator = "pool" + std::to_string(i) + ".example:3333";
      x.id = Finding::MakeId(x.category, x.resource.host_ip, x.indicator);
      x.stage = i % 3 ? Stage::kMining : Stage::kPrecursor;
      x.severity = Severity::kHigh;
      x.evidence = {{"agent", "XMRig/6.16.0 (Linux x86_64) libuv/1.38.0 gcc/9.3.0"},
                    {"server", "203.0.113.7:3333"},
                    {"method", "login"}};
      x.first_seen = x.last_seen = kT0 + i * 1000;
      x.count = 1;
      x.revision = 1;
      batch.push_back(std::move(x));
      if (batch.size() == 10000) {
        (void)f->store->Upsert(batch, kT0);
        batch.clear();
      }
    }
    (void)f->store->Upsert(batch, kT0);
    f->token = CreateToken(*f->store, "bench", store::Role::kViewer, "bench", kT0)->plaintext;
    ServerOptions so;
    so.port = 0;
    f->server = std::make_unique<ApiServer>(*f->store, f->metrics, so, ServiceHooks{});
    (void)f->server->Start();
    return f;
  }();
  return *fx;
}

void Report(benchmark::State& state, std::vector<double>& us, int64_t n) {
  if (us.empty()) return;
  std::sort(us.begin(), us.end());
  state.counters["p50_us"] = us[us.size() / 2];
  state.counters["p99_us"] = us[std::min(us.size() - 1, us.size() * 99 / 100)];
  state.counters["stored"] = double(n);
}

void BM_ApiList(benchmark::State& state) {
  Fixture& f = Get();
  httplib::Client c("127.0.0.1", f.server->port());
  c.set_keep_alive(true);
  c.set_tcp_nodelay(true);
  c.set_read_timeout(60, 0);
  httplib::Headers h = {{"Authorization", "Bearer " + f.token}};
  const char* paths[] = {"/api/v1/findings?limit=100", "/api/v1/findings?limit=100&host=10.2.7.3",
                         "/api/v1/findings?limit=100&stage=mining&severity=high",
                         "/api/v1/findings?limit=100&q=pool4242",
                         // A term in every finding's evidence: the text index's worst case.
                         "/api/v1/findings?limit=100&q=XMRig", "/api/v1/findings/counts",
                         "/api/v1/findings/counts?stage=mining"};
  const char* path = paths[state.range(0)];
  std::vector<double> us;
  for (auto _ : state) {
    auto t = std::chrono::steady_clock::now();
    auto r = c.Get(path, h);
    us.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t).count());
    if (!r || r->status != 200) state.SkipWithError("request failed");
  }
  Report(state, us, f.n);
}
BENCHMARK(BM_ApiList)->DenseRange(0, 6)->Unit(benchmark::kMicrosecond);

void BM_ConsoleFirstLoad(benchmark::State& state) {
  Fixture& f = Get();
  httplib::Headers h = {{"Authorization", "Bearer " + f.token}};
  std::vector<double> us;
  for (auto _ : state) {
    httplib::Client c("127.0.0.1", f.server->port());
    c.set_tcp_nodelay(true);
    c.set_read_timeout(60, 0);
    auto t = std::chrono::steady_clock::now();
    bool ok = c.Get("/") && c.Get("/console/app.js") && c.Get("/console/app.css") &&
              c.Get("/api/v1/findings?limit=100", h) && c.Get("/api/v1/findings/counts", h) &&
              c.Get("/api/v1/incidents?limit=50", h);
    us.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t).count());
    if (!ok) state.SkipWithError("request failed");
  }
  Report(state, us, f.n);
}
BENCHMARK(BM_ConsoleFirstLoad)->Unit(benchmark::kMillisecond)->Iterations(20);

}  // namespace
}  // namespace mw::server

BENCHMARK_MAIN();
