// minerwatch — SPDX-License-Identifier: Apache-2.0
// Throughput of the notification path on the ingest side and in the worker: routing + rate
// limiting (router), and the SIEM formatters per finding.
#include <benchmark/benchmark.h>

#include "export/siem_format.h"
#include "notify/router.h"

namespace {

std::vector<mw::store::StoredFinding> Findings(int distinct) {
  std::vector<mw::store::StoredFinding> v;
  for (int i = 0; i < distinct; ++i) {
    mw::store::StoredFinding sf;
    sf.finding.id = "f" + std::to_string(i);
    sf.finding.category = std::string(mw::category::kPoolProtocol);
    sf.finding.severity = mw::Severity::kHigh;
    sf.finding.stage = mw::Stage::kMining;
    sf.finding.resource = {"10.0.0." + std::to_string(i % 250), "web-" + std::to_string(i)};
    sf.finding.indicator = "pool" + std::to_string(i) + ".example:3333";
    sf.finding.evidence = {{"agent", "XMRig/6.16.0"}};
    sf.finding.detector = "stratum_session";
    sf.finding.attack = {"T1496"};
    v.push_back(std::move(sf));
  }
  return v;
}

// Events/s through the router: 200 findings updated over and over, one contact, digesting.
void BM_RouterObserve(benchmark::State& state) {
  mw::config::ContactConfig c;
  c.name = "soc";
  c.email = "soc@example.com";
  mw::notify::NotificationRouter r({c}, mw::notify::RouterOptions{});
  auto fs = Findings(200);
  std::vector<mw::notify::Notice> out;
  uint64_t rev = 0;
  int64_t now = 1767225600LL * 1000000;
  for (auto _ : state) {
    ++rev;
    for (auto& f : fs) {
      f.finding.revision = rev;
      f.finding.count = rev;
      r.Observe(f, now, out);
    }
    now += 1000;
    if (out.size() > 100) out.clear();
  }
  state.SetItemsProcessed(int64_t(state.iterations()) * 200);
}
BENCHMARK(BM_RouterObserve);

void BM_FormatRfc5424(benchmark::State& state) {
  auto fs = Findings(1);
  mw::siem::SyslogHeader h{.hostname = "sensor-1", .procid = 1};
  for (auto _ : state)
    benchmark::DoNotOptimize(mw::siem::FormatRfc5424(fs[0], h, mw::siem::Summary(fs[0])));
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_FormatRfc5424);

void BM_FormatCef(benchmark::State& state) {
  auto fs = Findings(1);
  for (auto _ : state) benchmark::DoNotOptimize(mw::siem::FormatCef(fs[0]));
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_FormatCef);

void BM_Ocsf(benchmark::State& state) {
  auto fs = Findings(1);
  for (auto _ : state) benchmark::DoNotOptimize(mw::DumpJson(mw::siem::ToOcsf(fs[0], true)));
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_Ocsf);

}  // namespace

BENCHMARK_MAIN();
