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

// The import path (`intel import`, LoadIntel at start-up): parse every shared public list, then
// a generated 1M-line plain list (names, addresses, CIDRs, junk), into a store.
std::vector<std::string>& SharedListTexts() {
  static auto* texts = [] {
    auto* v = new std::vector<std::string>;
    std::string dir = std::string(MW_SHARED_DATA_DIR) + "/threat-intel";
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return v;
    for (const auto& de : fs::recursive_directory_iterator(dir)) {
      std::string n = de.path().filename().string();
      if (!de.is_regular_file() || n == "LICENSE" || n.starts_with("README")) continue;
      if (auto t = mw::intel::ReadTextFile(de.path().string())) v->push_back(std::move(*t));
    }
    return v;
  }();
  return *texts;
}

const std::string& LargePlainList() {
  static const std::string* text = [] {
    auto* t = new std::string;
    std::mt19937 rng(7);  // fixed seed: the same list every run
    const char* kTlds[] = {"com", "net", "org", "io", "ru", "cn", "xyz", "co.uk"};
    for (int i = 0; i < 1000000; ++i) {
      switch (rng() % 8) {
        case 0:
          *t += std::to_string(rng() % 224 + 1) + "." + std::to_string(rng() % 256) + "." +
                std::to_string(rng() % 256) + ".0/24\n";
          break;
        case 1:
          *t += "3.p\n";  // junk
          break;
        default:
          *t += "pool" + std::to_string(rng() % 100000) + ".miner" + std::to_string(i) + "." +
                kTlds[rng() % 8] + "\n";
      }
    }
    return t;
  }();
  return *text;
}

void BM_ImportSharedLists(benchmark::State& state) {
  const auto& texts = SharedListTexts();
  if (texts.empty()) return state.SkipWithError("no shared data");
  size_t bytes = 0;
  for (const auto& t : texts) bytes += t.size();
  for (auto _ : state) {
    IntelStore store;
    for (const auto& t : texts) benchmark::DoNotOptimize(store.ImportText(t, {}));
  }
  state.SetBytesProcessed(int64_t(state.iterations() * bytes));
  state.counters["files"] = double(texts.size());
}
BENCHMARK(BM_ImportSharedLists)->Unit(benchmark::kMillisecond);

void BM_ImportLargePlainList(benchmark::State& state) {
  const std::string& text = LargePlainList();
  mw::intel::ImportOptions o;
  o.format = mw::intel::Format::kPlain;
  for (auto _ : state) {
    IntelStore store;
    benchmark::DoNotOptimize(store.ImportText(text, o));
  }
  state.SetBytesProcessed(int64_t(state.iterations() * text.size()));
  state.counters["lines"] = 1e6;
}
BENCHMARK(BM_ImportLargePlainList)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
