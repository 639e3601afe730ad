// minerwatch — SPDX-License-Identifier: Apache-2.0
// Memory bound of the flow table: 1M concurrent TCP flows, a SYN flood of 5M random sources
// against max_flows = 1M, and floods of partial TLS records (SYN + one segment starting a record
// that never ends, the real TLS parser attached) with and without flow.memcap. Each scenario
// runs in a forked child so that its peak RSS (getrusage ru_maxrss) is its own; the parent
// reports it as the "peak_rss_mb" counter.
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <random>

#include "flow/flow_table.h"
#include "mw/parse/app_parser.h"

namespace mw {
namespace {

struct ChildResult {
  double peak_rss_mb = 0;
  double seconds = 0;
  double flows = 0;
  double evicted = 0;
  double shed = 0;
};

template <typename Fn>
ChildResult RunInChild(Fn fn) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    ChildResult r;
    auto start = std::chrono::steady_clock::now();
    fn(r);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    r.peak_rss_mb = double(ru.ru_maxrss) / 1024.0;
    if (write(fds[1], &r, sizeof r) != ssize_t(sizeof r)) _exit(1);
    _exit(0);
  }
  close(fds[1]);
  ChildResult r;
  if (read(fds[0], &r, sizeof r) != ssize_t(sizeof r)) r = {};
  close(fds[0]);
  waitpid(pid, nullptr, 0);
  return r;
}

decode::DecodedPacket Syn(uint32_t src, uint16_t sport, TimestampUs ts) {
  decode::DecodedPacket p;
  p.ts = ts;
  p.src = IpAddress::FromV4(src);
  p.dst = IpAddress::FromV4(0xc0a80001u);
  p.src_port = sport;
  p.dst_port = 3333;
  p.proto = IpProto::kTcp;
  p.tcp_flags = decode::tcp_flags::kSyn;
  p.tcp_seq = src;
  return p;
}

void Report(benchmark::State& state, const ChildResult& r) {
  state.SetIterationTime(r.seconds > 0 ? r.seconds : 1e-9);
  state.counters["peak_rss_mb"] = r.peak_rss_mb;
  state.counters["flows"] = r.flows;
  state.counters["evicted"] = r.evicted;
  state.counters["shed"] = r.shed;
}

// "flows" flows, each a SYN and one "payload"-byte segment starting a 15.8 KB TLS record;
// range(0) = flows, range(1) = payload bytes, range(2) = memcap in MiB (0 = none).
void BM_PartialTlsFlood(benchmark::State& state) {
  const uint32_t flows = uint32_t(state.range(0));
  const size_t payload_len = size_t(state.range(1));
  const uint64_t memcap = uint64_t(state.range(2)) << 20;
  for (auto _ : state) {
    ChildResult r = RunInChild([&](ChildResult& out) {
      ParserRegistry registry;
      RegisterBuiltinProtocols(registry);
      EventBus bus;
      flow::FlowTable table({.max_flows = 1'000'000, .memcap = memcap}, registry, bus);
      std::vector<uint8_t> record(payload_len, 0x41);
      const uint8_t header[] = {0x16, 0x03, 0x01, 0x3d, 0xb8, 0x01, 0x00, 0x3d, 0xb4, 0x03, 0x03};
      std::copy(std::begin(header), std::end(header), record.begin());
      const TimestampUs t0 = 1'700'000'000'000'000;
      for (uint32_t i = 0; i < flows; ++i) {
        auto p = Syn(0x0a000000u + i, uint16_t(1024 + i % 60000), t0 + i);
        table.Process(p);
        p.tcp_flags = decode::tcp_flags::kAck | decode::tcp_flags::kPsh;
        p.tcp_seq += 1;
        p.payload = ByteView(record);
        p.payload_wire_len = uint32_t(record.size());
        table.Process(p);
      }
      out.flows = double(table.size());
      out.evicted = double(table.memcap().evicted_flows);
      out.shed = double(table.memcap().shed_flows + table.memcap().refused);
    });
    Report(state, r);
  }
}

// 1M distinct client flows: SYN, SYN-ACK, ACK each (3M packets), all concurrent.
void BM_OneMillionConcurrentTcpFlows(benchmark::State& state) {
  for (auto _ : state) {
    ChildResult r = RunInChild([](ChildResult& out) {
      ParserRegistry registry;
      EventBus bus;
      flow::FlowTable table({.max_flows = 1'000'000}, registry, bus);
      const TimestampUs t0 = 1'700'000'000'000'000;
      for (uint32_t i = 0; i < 1'000'000; ++i) {
        auto syn = Syn(0x0a000000u + i, uint16_t(1024 + i % 60000), t0 + i);
        table.Process(syn);
        auto synack = syn;
        std::swap(synack.src, synack.dst);
        std::swap(synack.src_port, synack.dst_port);
        synack.tcp_flags = decode::tcp_flags::kSyn | decode::tcp_flags::kAck;
        table.Process(synack);
        syn.tcp_flags = decode::tcp_flags::kAck;
        table.Process(syn);
      }
      out.flows = double(table.size());
      out.evicted = double(table.counters().evicted);
    });
    Report(state, r);
  }
}

// 5M SYNs from random sources (a spoofed flood) into a table capped at 1M flows.
void BM_SynFlood5MWithMax1M(benchmark::State& state) {
  for (auto _ : state) {
    ChildResult r = RunInChild([](ChildResult& out) {
      ParserRegistry registry;
      EventBus bus;
      flow::FlowTable table({.max_flows = 1'000'000}, registry, bus);
      std::mt19937 rng(42);
      const TimestampUs t0 = 1'700'000'000'000'000;
      size_t max_size = 0;
      for (uint32_t i = 0; i < 5'000'000; ++i) {
        table.Process(Syn(rng(), uint16_t(rng()), t0 + i));
        if ((i & 0xffff) == 0) max_size = std::max(max_size, table.size());
      }
      out.flows = double(std::max(max_size, table.size()));
      out.evicted = double(table.counters().evicted);
    });
    Report(state, r);
  }
}

BENCHMARK(BM_OneMillionConcurrentTcpFlows)
    ->UseManualTime()
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SynFlood5MWithMax1M)->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);
// 300k flows x 15.4 KB and 1M flows x 1.4 KB, without a cap and with the default 256 MiB.
BENCHMARK(BM_PartialTlsFlood)
    ->ArgNames({"flows", "payload", "memcap_mib"})
    ->Args({300'000, 15'400, 0})
    ->Args({300'000, 15'400, 256})
    ->Args({1'000'000, 1'400, 0})
    ->Args({1'000'000, 1'400, 256})
    ->UseManualTime()
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mw

BENCHMARK_MAIN();
