// minerwatch — SPDX-License-Identifier: Apache-2.0
// Lookups/s on a store loaded with the defaults plus every shared public list (the sensor does
// one domain lookup per DNS answer / TLS SNI and one IP lookup per new flow).
#include <benchmark/benchmark.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "intel/intel_loader.h"
#include "intel/intel_store.h"

namespace {

namespace fs = std::filesystem;
using mw::intel::IntelStore;

struct Fixture {
  IntelStore store;
  std::vector<std::string> listed_names;
  std::vector<std::string> unlisted_names;
  std::vector<mw::IpAddress> ips;
};

Fixture& Get() {
  static Fixture* f = [] {
    auto* fx = new Fixture;
    fx->store.LoadDefaults();
    std::string dir = std::string(MW_SHARED_DATA_DIR) + "/threat-intel";
    std::error_code ec;
    if (fs::is_directory(dir, ec)) {
      for (const auto& de : fs::recursive_directory_iterator(dir)) {
        std::string n = de.path().filename().string();
        if (!de.is_regular_file() || n == "LICENSE" || n.starts_with("README") ||
            de.path().extension() == ".adoc" || de.path().extension() == ".yaml") {
          continue;
        }
        (void)fx->store.ImportFile(de.path().string(), {});
      }
    }
    std::mt19937 rng(42);  // fixed seed: reproducible inputs
    const char* kListed[] = {"xmr-eu1.nanopool.org", "pool.supportxmr.com", "000.0x1f4b0.com",
                             "Blog.BitPay.com.", "gulf.moneroocean.stream"};
    for (const char* n : kListed) fx->listed_names.emplace_back(n);
    const char* kWords[] = {"www", "api", "cdn", "mail", "static", "img", "login", "eu"};
    const char* kZones[] = {"example.com", "debian.org", "googleapis.com", "cloudfront.net"};
    for (int i = 0; i < 1024; ++i) {
      fx->unlisted_names.push_back(std::string(kWords[rng() % 8]) + "." + kWords[rng() % 8] +
                                   std::to_string(rng() % 100) + "." + kZones[rng() % 4]);
      fx->ips.push_back(mw::IpAddress::FromV4(static_cast<uint32_t>(rng())));
    }
    return fx;
  }();
  return *f;
}

void BM_LookupDomainUnlisted(benchmark::State& state) {
  Fixture& f = Get();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.store.LookupDomain(f.unlisted_names[i++ & 1023]));
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["entries"] = double(f.store.domain_count());
}
BENCHMARK(BM_LookupDomainUnlisted);

void BM_LookupDomainListed(benchmark::State& state) {
  Fixture& f = Get();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.store.LookupDomain(f.listed_names[i++ % f.listed_names.size()]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LookupDomainListed);

void BM_LookupIp(benchmark::State& state) {
  Fixture& f = Get();
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(f.store.LookupIp(f.ips[i++ & 1023]));
  state.SetItemsProcessed(state.iterations());
  state.counters["entries"] = double(f.store.ip_count());
}
BENCHMARK(BM_LookupIp);

}  // namespace

BENCHMARK_MAIN();
