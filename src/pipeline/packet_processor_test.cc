// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "pipeline/packet_processor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>

#include "capture/pcap_file_source.h"
#include "flow/flow_events.h"
#include "pcap_builder.h"

namespace mw {
namespace {

using testing::Bytes;
using testing::PacketBuilder;

// Records every TCP stream byte the flow layer delivers, via a probe that never decides until
// its window is full (so identification keeps buffering) — not needed here: attach at once.
std::string* g_stream = nullptr;
class Recorder : public AppParser {
 public:
  ParseResult OnData(Direction dir, ByteView b, ParseContext& ctx) override {
    if (dir == Direction::kToServer) g_stream->append(AsChars(b));
    ctx.Confirm();
    return ParseResult::Ok(uint32_t(b.size()));
  }
  void OnGap(Direction, uint32_t, ParseContext&) override {}
};

TEST(PacketProcessorTest, FramesToStreamBytesAndEvents) {
  std::string stream;
  g_stream = &stream;
  ParserRegistry registry;
  registry.Add({.name = "rec",
                .transport = Transport::kTcp,
                .probe = [](Direction, ByteView) { return ProbeResult::kYes; },
                .create = [] { return std::unique_ptr<AppParser>(new Recorder()); }});
  EventBus bus;
  int starts = 0, ends = 0;
  std::string end_proto;
  bus.On<flow::FlowStartEvent>([&](const flow::FlowStartEvent&) { ++starts; });
  bus.On<flow::FlowEndEvent>([&](const flow::FlowEndEvent& e) {
    ++ends;
    end_proto = e.app_protocol;
  });
  PacketProcessor pp({}, registry, bus);

  auto tcp = [](const char* s, const char* d, uint16_t sp, uint16_t dp, uint8_t flags, uint32_t seq,
                std::string_view payload) {
    return PacketBuilder()
        .Ethernet()
        .Vlan(7)
        .Ipv4(s, d)
        .Tcp(sp, dp, {.seq = seq, .flags = flags})
        .Payload(payload)
        .Build();
  };
  using testing::kAck;
  using testing::kSyn;
  std::vector<Bytes> frames = {
      tcp("10.0.0.1", "10.0.0.2", 40000, 3333, kSyn, 99, ""),
      tcp("10.0.0.2", "10.0.0.1", 3333, 40000, kSyn | kAck, 999, ""),
      tcp("10.0.0.1", "10.0.0.2", 40000, 3333, kAck, 106, " world\n"),  // out of order
      tcp("10.0.0.1", "10.0.0.2", 40000, 3333, kAck, 100, "hello,"),
      tcp("10.0.0.1", "10.0.0.2", 40000, 3333, kAck, 100, "hello,"),            // retransmit
      PacketBuilder().Ethernet(0x0806).Payload(std::string(28, '\0')).Build(),  // ARP
      Bytes(10, 0xff),                                                          // runt
  };
  TimestampUs ts = 1'700'000'000'000'000;
  for (const auto& f : frames) {
    capture::RawPacket raw{ts += 1000, 1, ByteView(f), uint32_t(f.size())};
    pp.Process(raw);
  }
  EXPECT_EQ(stream, "hello, world\n");
  EXPECT_EQ(starts, 1);
  EXPECT_EQ(pp.active_flows(), 1u);
  pp.Finish();
  EXPECT_EQ(ends, 1);
  EXPECT_EQ(end_proto, "rec");

  const PacketStats& s = pp.stats();
  EXPECT_EQ(s.packets, frames.size());
  EXPECT_EQ(s.flows_created, 1u);
  EXPECT_EQ(s.flow.tcp.retransmits, 1u);
  EXPECT_EQ(s.flow.tcp.out_of_order, 1u);
  EXPECT_EQ(s.decode.skipped[size_t(decode::SkipReason::kNonIp)], 1u);
  EXPECT_EQ(s.decode_errors(), 1u);
  bool found = false;
  for (const auto& [name, v] : s.Flatten())
    if (name == "decode.dropped.truncated_link") found = v == 1;
  EXPECT_TRUE(found);
}

// A live interface can fall silent: the sensor moves the flow clock by wall time (Advance), and
// flows idle past their timeout end then, not only when the next packet arrives.
TEST(PacketProcessorTest, IdleFlowEndsWhenTheClockMovesWithoutPackets) {
  ParserRegistry registry;
  EventBus bus;
  std::vector<flow::EndReason> ends;
  bus.On<flow::FlowEndEvent>([&](const flow::FlowEndEvent& e) { ends.push_back(e.reason); });
  PacketProcessor pp({}, registry, bus);
  const Bytes f =
      PacketBuilder().Ethernet().Ipv4("10.0.0.1", "10.0.0.2").Udp(5353, 53).Payload("q").Build();
  const TimestampUs t0 = 1'700'000'000'000'000;
  pp.Process(capture::RawPacket{t0, 1, ByteView(f), uint32_t(f.size())});
  pp.Advance(t0 + 30 * flow::kSecond);  // within the UDP timeout
  EXPECT_TRUE(ends.empty());
  EXPECT_EQ(pp.active_flows(), 1u);
  pp.Advance(t0 + 62 * flow::kSecond);
  ASSERT_EQ(ends.size(), 1u);
  EXPECT_EQ(ends[0], flow::EndReason::kIdleTimeout);
  EXPECT_EQ(pp.active_flows(), 0u);
}

// A parser's anomaly and violation names reach the flattened counters (what --stats-json and
// the sensor report) as app.anomaly.<name> / app.violation.<name>; the flow layer's own detach
// reasons are always there.
class Complainer : public AppParser {
 public:
  ParseResult OnData(Direction, ByteView b, ParseContext& ctx) override {
    ctx.Anomaly("fake.odd");
    if (AsChars(b).find("BAD") != std::string_view::npos) ctx.Violate("fake.bad");
    return ParseResult::Ok(uint32_t(b.size()));
  }
  void OnGap(Direction, uint32_t, ParseContext&) override {}
};

TEST(PacketProcessorTest, ParserCountersAreFlattenedByName) {
  ParserRegistry registry;
  registry.Add({.name = "complainer",
                .transport = Transport::kUdp,
                .probe = [](Direction, ByteView) { return ProbeResult::kYes; },
                .create = [] { return std::unique_ptr<AppParser>(new Complainer()); }});
  EventBus bus;
  PacketProcessor pp({}, registry, bus);
  TimestampUs ts = 1'700'000'000'000'000;
  for (std::string_view payload : {"ok", "ok", "BAD", "later"}) {
    Bytes f = PacketBuilder()
                  .Ethernet()
                  .Ipv4("10.0.0.1", "10.0.0.2")
                  .Udp(40000, 5353)
                  .Payload(payload)
                  .Build();
    pp.Process(capture::RawPacket{ts += 1000, 1, ByteView(f), uint32_t(f.size())});
  }
  std::map<std::string, uint64_t> counters;
  for (const auto& [name, v] : pp.stats().Flatten()) counters[name] = v;
  EXPECT_EQ(counters["app.anomaly.fake.odd"], 3u);  // the fourth datagram finds no parser
  EXPECT_EQ(counters["app.violation.fake.bad"], 1u);
  EXPECT_EQ(counters["app.parser_violations"], 1u);
  EXPECT_EQ(counters.count("app.violation.max_buffer"), 1u);
  EXPECT_EQ(counters["app.violation.max_buffer"], 0u);
  EXPECT_EQ(pp.stats().MalformedTotal(), 1u + 3u);
}

// Every real capture from nDPI's suite goes through the whole packet path without a crash, with
// plausible totals. Exact numbers are not asserted: this is a robustness sweep.
TEST(PacketProcessorTest, AllNdpiCapturesDecode) {
  const std::string dir = std::string(MW_SHARED_DATA_DIR) + "/pcaps/ndpi";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "shared data not found at " << dir;
  ParserRegistry registry;  // no parsers: exercises decode, flows and reassembly bookkeeping
  EventBus bus;
  uint64_t packets = 0, decoded = 0, flows = 0, files = 0;
  decode::DecodeCounters total;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    auto src = capture::PcapFileSource::Open(e.path().string());
    if (!src) continue;
    PacketProcessor pp({}, registry, bus);
    capture::RawPacket raw;
    for (;;) {
      auto more = (*src)->Next(raw);
      if (!more || !*more) break;
      pp.Process(raw);
    }
    pp.Finish();
    const PacketStats& s = pp.stats();
    EXPECT_EQ(pp.active_flows(), 0u);
    EXPECT_LE(s.decode.decoded, s.packets + s.decode.reassembled);
    packets += s.packets;
    decoded += s.decode.decoded;
    flows += s.flows_created;
    for (size_t i = 0; i < total.dropped.size(); ++i) total.dropped[i] += s.decode.dropped[i];
    for (size_t i = 0; i < total.skipped.size(); ++i) total.skipped[i] += s.decode.skipped[i];
    ++files;
  }
  std::printf("ndpi: %lu files, %lu packets, %lu decoded, %lu flows\n", (unsigned long)files,
              (unsigned long)packets, (unsigned long)decoded, (unsigned long)flows);
  for (size_t i = 0; i < total.dropped.size(); ++i)
    if (total.dropped[i])
      std::printf("  dropped %s: %lu\n", std::string(decode::Name(decode::DropReason(i))).c_str(),
                  (unsigned long)total.dropped[i]);
  for (size_t i = 0; i < total.skipped.size(); ++i)
    if (total.skipped[i])
      std::printf("  skipped %s: %lu\n", std::string(decode::Name(decode::SkipReason(i))).c_str(),
                  (unsigned long)total.skipped[i]);
  EXPECT_GT(files, 500u);
  EXPECT_GT(packets, 100000u);
  EXPECT_GT(decoded, packets * 8 / 10);
  EXPECT_GT(flows, 5000u);
}

// nDPI's expected output for mining.pcapng (ndpi-results/mining.pcapng.out) lists 4 TCP flows
// with client/server roles and packets per direction; ours must agree, and every stream byte
// must reach the parser without holes.
TEST(PacketProcessorTest, MiningCaptureMatchesNdpiFlows) {
  const std::string path = std::string(MW_SHARED_DATA_DIR) + "/pcaps/ndpi/mining.pcapng";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "shared data not found: " << path;
  std::string stream;
  g_stream = &stream;
  ParserRegistry registry;
  registry.Add({.name = "rec",
                .transport = Transport::kTcp,
                .probe = [](Direction, ByteView) { return ProbeResult::kYes; },
                .create = [] { return std::unique_ptr<AppParser>(new Recorder()); }});
  EventBus bus;
  std::vector<std::string> flows;
  bus.On<flow::FlowEndEvent>([&](const flow::FlowEndEvent& e) {
    const FlowInfo& f = e.flow;
    flows.push_back(f.client.ToString() + ":" + std::to_string(f.client_port) + " " +
                    f.server.ToString() + ":" + std::to_string(f.server_port) + " " +
                    std::to_string(f.packets[0]) + "/" + std::to_string(f.packets[1]));
  });
  PacketProcessor pp({}, registry, bus);
  auto src = capture::PcapFileSource::Open(path);
  ASSERT_TRUE(src) << src.error().message();
  capture::RawPacket raw;
  while ((*src)->Next(raw).value_or(false)) pp.Process(raw);
  pp.Finish();
  std::sort(flows.begin(), flows.end());
  std::vector<std::string> want = {
      "147.229.13.222:49307 185.71.66.39:9999 112/97",
      "192.168.2.148:46838 94.23.199.191:3333 159/113",
      "192.168.2.148:53846 116.211.167.195:3333 24/23",
      "192.168.2.92:55190 178.32.196.217:9050 83/62",
  };
  EXPECT_EQ(flows, want);
  EXPECT_EQ(pp.stats().flow.tcp.gaps, 0u);
  EXPECT_NE(stream.find("mining.subscribe"), std::string::npos);
  EXPECT_NE(stream.find("\"login\""), std::string::npos);  // xmr-stak on 9050
}

}  // namespace
}  // namespace mw
