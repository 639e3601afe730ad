// minerwatch — SPDX-License-Identifier: Apache-2.0
// Mining-protocol parse throughput: messages/s through framing + simdjson + classification.
#include <benchmark/benchmark.h>

#include <string>

#include "protocols/parse_test_util.h"
#include "protocols/stratum/stratum_parser.h"

namespace {

// One Stratum v1 exchange and one XMRig exchange, as a pool and miner send them.
constexpr std::string_view kStratumV1[] = {
    R"({"id": null, "method": "mining.notify", "params": ["bf", "4d16b6f85af6e2198f44ae2a6de67f78487ae5611b77c6c0440b921e00000000", "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff20020862062f503253482f04b8864e5008", "072f736c7573682f000000000100f2052a010000001976a914d23fcdf86f7e756a64a7a9688ef9903327048ed988ac00000000", [], "00000002", "1c2ac4af", "504e86b9", false]})"
    "\n",
    R"({"id": 4, "method": "mining.submit", "params": ["bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq.worker1", "bf", "00000001", "504e86ed", "b2957c02"]})"
    "\n",
    R"({"id": 4, "result": true, "error": null})"
    "\n",
};
constexpr std::string_view kXmrig[] = {
    R"({"jsonrpc":"2.0","method":"job","params":{"blob":"0e0eb8a1ea9f06a1c56b1e0d8e9fbc3c7a0c4dc6a5fd8bb9a0f1e1c7e4b4a9cbb1c2d3e40000000024b3c1e2d0c0d4e2f3a9c8b7e6d5c4b3a29180706050403020100f0e0d0c0b0a090807061b","job_id":"k2Qx9","target":"b88d0600","algo":"rx/0","height":2500001,"seed_hash":"d1fcb5fe5e8ed0c3e6c5a3a1b6b4a2e1f0d9c8b7a6958473625140302010f0e0"}})"
    "\n",
    R"({"id":2,"jsonrpc":"2.0","method":"submit","params":{"id":"a1b2c3","job_id":"k2Qx9","nonce":"5e0a0000","result":"c9be9381a68d533c059d614d961e0534d7d8785dd5c339c2f9596eb95f320100","algo":"rx/0"}})"
    "\n",
    R"({"id":2,"jsonrpc":"2.0","error":null,"result":{"status":"OK"}})"
    "\n",
};

template <size_t N>
void Run(benchmark::State& state, const std::string_view (&msgs)[N]) {
  mw::testing::FakeParseContext ctx;
  size_t seen = 0;
  ctx.bus().On<mw::stratum::MessageEvent>([&seen](const mw::stratum::MessageEvent&) { ++seen; });
  mw::stratum::StratumParser parser;
  // Server-to-client first so the notify/job confirms the flow.
  const mw::Direction dirs[3] = {mw::Direction::kToClient, mw::Direction::kToServer,
                                 mw::Direction::kToClient};
  size_t bytes = 0;
  for (auto _ : state) {
    for (size_t i = 0; i < N; ++i) {
      auto r = parser.OnData(dirs[i % 3], mw::AsBytes(msgs[i]), ctx);
      benchmark::DoNotOptimize(r);
      bytes += msgs[i].size();
    }
  }
  if (seen != N * state.iterations()) state.SkipWithError("parser did not publish every message");
  state.SetItemsProcessed(int64_t(state.iterations() * N));
  state.SetBytesProcessed(int64_t(bytes));
}

void BM_StratumV1(benchmark::State& state) { Run(state, kStratumV1); }
void BM_XmrigCryptoNote(benchmark::State& state) { Run(state, kXmrig); }
BENCHMARK(BM_StratumV1);
BENCHMARK(BM_XmrigCryptoNote);

}  // namespace

BENCHMARK_MAIN();
