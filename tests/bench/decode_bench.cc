// minerwatch — SPDX-License-Identifier: Apache-2.0
// Decoder throughput (packets per second) on synthetic frames from PcapBuilder.
#include <benchmark/benchmark.h>

#include <vector>

#include "decode/decoder.h"
#include "pcap_builder.h"

namespace mw {
namespace {

using testing::Bytes;
using testing::PacketBuilder;

void RunDecode(benchmark::State& state, const std::vector<Bytes>& frames, int link_type) {
  decode::Decoder decoder;
  decode::DecodedPacket out;
  size_t i = 0;
  uint64_t bytes = 0;
  for (auto _ : state) {
    const Bytes& f = frames[i];
    capture::RawPacket raw{int64_t(i), link_type, ByteView(f), uint32_t(f.size())};
    benchmark::DoNotOptimize(decoder.Decode(raw, out));
    benchmark::DoNotOptimize(out.payload.data());
    bytes += f.size();
    if (++i == frames.size()) i = 0;
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
  state.SetBytesProcessed(int64_t(bytes));
}

std::vector<Bytes> TcpFrames(bool v6, bool vlan) {
  std::vector<Bytes> frames;
  for (uint32_t i = 0; i < 256; ++i) {
    PacketBuilder b;
    b.Ethernet();
    if (vlan) b.Vlan(100, 0x88a8).Vlan(uint16_t(i % 4000 + 1));
    if (v6)
      b.Ipv6("2001:db8::1", "2001:db8::2");
    else
      b.Ipv4("10.0.0.1", "10.0.0.2");
    frames.push_back(
        b.Tcp(uint16_t(1024 + i), 3333, {.seq = i * 100}).Payload(std::string(100, 'x')).Build());
  }
  return frames;
}

void BM_DecodeIpv4Tcp(benchmark::State& state) { RunDecode(state, TcpFrames(false, false), 1); }
void BM_DecodeQinQIpv6Tcp(benchmark::State& state) { RunDecode(state, TcpFrames(true, true), 1); }

void BM_DecodeIpv4Fragments(benchmark::State& state) {
  // Pairs of fragments of a 2000-byte UDP datagram; every second frame completes one.
  std::vector<Bytes> frames;
  Bytes l4 = PacketBuilder().Udp(5000, 6000).Payload(std::string(1992, 'f')).Build();
  for (uint16_t id = 0; id < 128; ++id) {
    frames.push_back(
        PacketBuilder()
            .Ethernet()
            .Ipv4("10.0.0.1", "10.0.0.2", {.id = id, .more_fragments = true, .protocol = 17})
            .Payload(Bytes(l4.begin(), l4.begin() + 1480))
            .Build());
    frames.push_back(
        PacketBuilder()
            .Ethernet()
            .Ipv4("10.0.0.1", "10.0.0.2", {.id = id, .fragment_offset = 1480, .protocol = 17})
            .Payload(Bytes(l4.begin() + 1480, l4.end()))
            .Build());
  }
  RunDecode(state, frames, 1);
}

BENCHMARK(BM_DecodeIpv4Tcp);
BENCHMARK(BM_DecodeQinQIpv6Tcp);
BENCHMARK(BM_DecodeIpv4Fragments);

}  // namespace
}  // namespace mw

BENCHMARK_MAIN();
