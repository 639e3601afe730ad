// minerwatch — SPDX-License-Identifier: Apache-2.0
// The rule matcher's costs: loading + compiling 10,000 rules (the shared ET Open rules repeated
// with new sids, issue 10's load target is under 2 s), one prefilter pass over a packet, and the
// full payload check of the rules a packet selects.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "rules/payload_match.h"
#include "rules/prefilter.h"
#include "rules/rule_loader.h"

namespace {

namespace fs = std::filesystem;
using namespace mw::rules;

// The shared ET Open rule files, concatenated; empty when the shared data is absent.
const std::string& SharedRulesText() {
  static const std::string text = [] {
    std::string all;
    fs::path dir = fs::path(MW_SHARED_DATA_DIR) / "ids-rules/et-open";
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return all;
    for (const auto& e : fs::directory_iterator(dir)) {
      if (e.path().extension() != ".rules") continue;
      std::ifstream in(e.path());
      std::stringstream ss;
      ss << in.rdbuf();
      all += ss.str() + "\n";
    }
    return all;
  }();
  return text;
}

// At least "count" rules: the shared rules again and again, each copy with new sids (the shared
// files overlap, so a copy holds the rules that load from it, not one per line). "distinct" also
// prefixes every content of a copy with a tag of its own, so no two copies share a pattern and
// Hyperscan compiles all of them (a ruleset of 10,000 different rules); rules whose depth or
// within the longer content no longer fits are skipped by the loader.
std::string RepeatedRulesText(size_t count, bool distinct) {
  std::string text;
  const std::string& base = SharedRulesText();
  RuleLoader probe(LoadOptions{});
  probe.LoadText(base, "probe.rules");
  size_t per_copy = probe.rule_set().rules.size();
  if (per_copy == 0) return text;
  static const std::regex kSid("sid:\\s*(\\d+)");
  static const std::regex kContent("content:\"");
  for (size_t copy = 0; copy * per_copy < count; ++copy) {
    std::string renumbered =
        std::regex_replace(base, kSid, "sid:" + std::to_string(copy + 1) + "$1");
    if (distinct)
      renumbered =
          std::regex_replace(renumbered, kContent, "content:\"" + std::to_string(copy) + "~");
    text += renumbered;
  }
  return text;
}

const std::string& RepeatedRules(size_t count) {
  static const std::string text = RepeatedRulesText(count, false);
  return text;
}

struct Engine {
  std::vector<Rule> rules;
  Prefilter prefilter;
  std::vector<std::vector<CompiledPayload>> payloads;  // by rule, by buffer
};

std::unique_ptr<Engine> LoadAndCompile(const std::string& text) {
  RuleLoader loader(LoadOptions{});
  loader.LoadText(text, "bench.rules");
  std::vector<Rule> rules = loader.Take().rules;
  auto prefilter = Prefilter::Build(rules);
  if (!prefilter) return nullptr;
  auto engine = std::unique_ptr<Engine>(new Engine{std::move(rules), std::move(*prefilter), {}});
  engine->payloads.resize(engine->rules.size());
  for (size_t r = 0; r < engine->rules.size(); ++r)
    for (const BufferMatches& b : engine->rules[r].buffers)
      if (auto c = CompiledPayload::Compile(b)) engine->payloads[r].push_back(std::move(*c));
  return engine;
}

void BM_LoadAndCompile10kRules(benchmark::State& state) {
  const std::string& text = RepeatedRules(10000);
  if (text.empty()) {
    state.SkipWithError("shared data absent: ../shared/data/ids-rules/et-open");
    return;
  }
  size_t rules = 0;
  for (auto _ : state) {
    auto engine = LoadAndCompile(text);
    rules = engine ? engine->rules.size() : 0;
    benchmark::DoNotOptimize(engine);
  }
  state.counters["rules"] = double(rules);
}
BENCHMARK(BM_LoadAndCompile10kRules)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_LoadAndCompile10kDistinctRules(benchmark::State& state) {
  static const std::string text = RepeatedRulesText(12700, true);
  if (text.empty()) {
    state.SkipWithError("shared data absent: ../shared/data/ids-rules/et-open");
    return;
  }
  size_t rules = 0;
  for (auto _ : state) {
    auto engine = LoadAndCompile(text);
    rules = engine ? engine->rules.size() : 0;
    benchmark::DoNotOptimize(engine);
  }
  state.counters["rules"] = double(rules);
}
BENCHMARK(BM_LoadAndCompile10kDistinctRules)->Unit(benchmark::kMillisecond)->Iterations(3);

// The Hyperscan part of the above alone: Prefilter::Build over the already parsed rules.
void BM_PrefilterBuild10kDistinctRules(benchmark::State& state) {
  static const std::string text = RepeatedRulesText(12700, true);
  if (text.empty()) {
    state.SkipWithError("shared data absent: ../shared/data/ids-rules/et-open");
    return;
  }
  RuleLoader loader(LoadOptions{});
  loader.LoadText(text, "bench.rules");
  std::vector<Rule> rules = loader.Take().rules;
  for (auto _ : state) {
    auto prefilter = Prefilter::Build(rules);
    benchmark::DoNotOptimize(prefilter);
  }
  state.counters["rules"] = double(rules.size());
}
BENCHMARK(BM_PrefilterBuild10kDistinctRules)->Unit(benchmark::kMillisecond)->Iterations(3);

// A 1.4 KB TCP payload a miner sends: a stratum login and a share, padded with JSON.
std::string StratumPayload() {
  std::string p =
      R"({"id":1,"jsonrpc":"2.0","method":"login","params":{"login":"44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A","pass":"x","agent":"XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/12.2.0","algo":["rx/0","cn/r"]}})";
  p += "\n";
  while (p.size() < 1400)
    p += R"({"id":2,"method":"submit","params":{"id":"1","job_id":"a","nonce":"00","result":"ff"}})"
         "\n";
  return p;
}

// An ordinary web request: what most packets look like to these rules.
std::string HttpPayload() {
  std::string p =
      "GET /static/js/app.4f1c2b.js HTTP/1.1\r\nHost: www.example.org\r\nUser-Agent: Mozilla/5.0 "
      "(X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0\r\nAccept: */*\r\n"
      "Accept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\n"
      "Referer: https://www.example.org/\r\nConnection: keep-alive\r\nCookie: session=";
  while (p.size() < 1400) p += "a8f3e1d2c4b5";
  return p;
}

std::string PayloadFor(int64_t which) { return which == 0 ? StratumPayload() : HttpPayload(); }

Engine& Shared10k() {
  static auto engine = LoadAndCompile(RepeatedRules(10000));
  return *engine;
}

void BM_PrefilterScanPacket(benchmark::State& state) {
  if (RepeatedRules(10000).empty()) {
    state.SkipWithError("shared data absent");
    return;
  }
  Engine& e = Shared10k();
  auto scratch = e.prefilter.MakeScratch();
  std::string payload = PayloadFor(state.range(0));
  std::vector<uint32_t> hits;
  for (auto _ : state) {
    hits.clear();
    e.prefilter.Scan(kPktData, mw::AsBytes(payload), *scratch, hits);
    benchmark::DoNotOptimize(hits.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations() * payload.size()));
  state.counters["candidates"] = double(hits.size());
}
// Argument 0: a stratum login (many rules' patterns occur); 1: an HTTP request (few do).
BENCHMARK(BM_PrefilterScanPacket)->Arg(0)->Arg(1);

// Prefilter + the full check of every selected rule's pkt_data steps: the per-packet rule cost.
void BM_ScanAndMatchPacket(benchmark::State& state) {
  if (RepeatedRules(10000).empty()) {
    state.SkipWithError("shared data absent");
    return;
  }
  Engine& e = Shared10k();
  auto scratch = e.prefilter.MakeScratch();
  PayloadScratch payload_scratch;
  std::string payload = PayloadFor(state.range(0));
  std::vector<uint32_t> hits;
  size_t matched = 0;
  for (auto _ : state) {
    hits.clear();
    e.prefilter.Scan(kPktData, mw::AsBytes(payload), *scratch, hits);
    matched = 0;
    for (uint32_t r : hits)
      for (size_t b = 0; b < e.rules[r].buffers.size(); ++b)
        if (e.rules[r].buffers[b].buffer == "pkt_data")
          matched += e.payloads[r][b].Matches(mw::AsBytes(payload), payload_scratch);
  }
  state.SetBytesProcessed(int64_t(state.iterations() * payload.size()));
  state.counters["candidates"] = double(hits.size());
  state.counters["matched"] = double(matched);
}
BENCHMARK(BM_ScanAndMatchPacket)->Arg(0)->Arg(1);

// One typical ET rule (two contents, depth and within) on a payload it matches.
void BM_MatchesOneRule(benchmark::State& state) {
  BufferMatches b;
  b.buffer = "pkt_data";
  Match first;
  first.content.bytes = R"({"id":)";
  first.content.depth = 6;
  Match second;
  second.content.bytes = R"("method":"login")";
  second.content.within = 40;
  b.matches = {first, second};
  auto compiled = CompiledPayload::Compile(b);
  PayloadScratch scratch;
  std::string payload = StratumPayload();
  for (auto _ : state) benchmark::DoNotOptimize(compiled->Matches(mw::AsBytes(payload), scratch));
}
BENCHMARK(BM_MatchesOneRule);

}  // namespace

BENCHMARK_MAIN();
