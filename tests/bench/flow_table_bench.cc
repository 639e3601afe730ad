// minerwatch — SPDX-License-Identifier: Apache-2.0
// Flow table lookup (packets of existing flows) and insert (new flows, with LRU eviction once
// the table is full).
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "flow/flow_table.h"

namespace mw {
namespace {

decode::DecodedPacket Packet(uint32_t n, TimestampUs ts) {
  decode::DecodedPacket p;
  p.ts = ts;
  p.src = IpAddress::FromV4(0x0a000000u + n);
  p.dst = IpAddress::FromV4(0xc0a80001u);
  p.src_port = uint16_t(1024 + n % 60000);
  p.dst_port = 443;
  p.proto = IpProto::kTcp;
  p.tcp_flags = decode::tcp_flags::kAck;
  return p;
}

void BM_FlowLookup(benchmark::State& state) {
  const uint32_t nflows = uint32_t(state.range(0));
  ParserRegistry registry;
  EventBus bus;
  flow::FlowTable table({.max_flows = nflows}, registry, bus);
  for (uint32_t i = 0; i < nflows; ++i) table.Process(Packet(i, 1'000'000));
  std::mt19937 rng(1);
  std::vector<decode::DecodedPacket> packets;
  for (int i = 0; i < 4096; ++i) packets.push_back(Packet(rng() % nflows, 1'000'000));
  size_t i = 0;
  for (auto _ : state) {
    table.Process(packets[i]);
    i = (i + 1) & 4095;
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
  state.counters["flows"] = double(table.size());
}

void BM_FlowInsertWithEviction(benchmark::State& state) {
  ParserRegistry registry;
  EventBus bus;
  flow::FlowTable table({.max_flows = 100'000}, registry, bus);
  uint32_t n = 0;
  for (auto _ : state) {
    auto p = Packet(n, 1'000'000 + n);
    ++n;
    p.tcp_flags = decode::tcp_flags::kSyn;
    table.Process(p);
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
  state.counters["evicted"] = double(table.counters().evicted);
}

BENCHMARK(BM_FlowLookup)->Arg(1000)->Arg(100'000)->Arg(1'000'000);
BENCHMARK(BM_FlowInsertWithEviction);

}  // namespace
}  // namespace mw

BENCHMARK_MAIN();
