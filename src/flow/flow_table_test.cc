// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "flow/flow_table.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "flow/flow_events.h"

namespace mw::flow {
namespace {

using decode::DecodedPacket;
namespace tf = decode::tcp_flags;

// A fake protocol "FAKE": probe says yes when a direction starts with "FAKE", no when it starts
// with anything else, maybe while fewer than 4 bytes are known. The parser records every byte
// and gap per direction and consumes only whole lines, so unconsumed bytes are exercised.
struct Recorded {
  std::string bytes[2];
  std::vector<uint32_t> gaps;
  int ends = 0;
};
Recorded* g_rec = nullptr;

ProbeResult FakeProbe(Direction, ByteView b) {
  std::string_view s = AsChars(b);
  if (s.size() < 4)
    return std::string_view("FAKE").starts_with(s) ? ProbeResult::kMaybe : ProbeResult::kNo;
  return s.starts_with("FAKE") ? ProbeResult::kYes : ProbeResult::kNo;
}

class FakeParser : public AppParser {
 public:
  ParseResult OnData(Direction dir, ByteView bytes, ParseContext& ctx) override {
    std::string_view s = AsChars(bytes);
    if (s.find("BAD") != std::string_view::npos) {
      ctx.Violate("fake.bad");
      return ParseResult::Ok(0);
    }
    if (s.find("ODD") != std::string_view::npos) ctx.Anomaly("fake.odd");
    size_t nl = s.rfind('\n');
    if (nl == std::string_view::npos) return ParseResult::NeedMore(0);
    g_rec->bytes[size_t(dir)].append(s.substr(0, nl + 1));
    ctx.Confirm();
    return ParseResult::Ok(uint32_t(nl + 1));
  }
  void OnGap(Direction, uint32_t len, ParseContext&) override { g_rec->gaps.push_back(len); }
  void OnEnd(ParseContext&) override { ++g_rec->ends; }
};

class FlowTableTest : public ::testing::Test {
 protected:
  FlowTableTest() {
    g_rec = &rec;
    registry.Add({.name = "fake",
                  .transport = Transport::kTcp,
                  .probe = &FakeProbe,
                  .create = [] { return std::unique_ptr<AppParser>(new FakeParser()); },
                  .max_buffer = 64});
    registry.Add(
        {.name = "fakeudp", .transport = Transport::kUdp, .probe = &FakeProbe, .create = [] {
           return std::unique_ptr<AppParser>(new FakeParser());
         }});
    bus.On<FlowStartEvent>([this](const FlowStartEvent& e) { starts.push_back(e.flow); });
    bus.On<FlowEndEvent>([this](const FlowEndEvent& e) {
      ends.push_back(e.flow);
      end_reasons.push_back(e.reason);
      end_protos.emplace_back(e.app_protocol);
    });
  }

  static DecodedPacket Tcp(const char* src, uint16_t sp, const char* dst, uint16_t dp,
                           uint8_t flags, uint32_t seq, std::string_view payload = {},
                           TimestampUs ts = 1'000'000) {
    DecodedPacket p;
    p.ts = ts;
    p.src = *IpAddress::Parse(src);
    p.dst = *IpAddress::Parse(dst);
    p.src_port = sp;
    p.dst_port = dp;
    p.proto = IpProto::kTcp;
    p.tcp_flags = flags;
    p.tcp_seq = seq;
    p.payload = AsBytes(payload);
    p.payload_wire_len = uint32_t(payload.size());
    return p;
  }
  static DecodedPacket Udp(const char* src, uint16_t sp, const char* dst, uint16_t dp,
                           std::string_view payload, TimestampUs ts = 1'000'000) {
    DecodedPacket p = Tcp(src, sp, dst, dp, 0, 0, payload, ts);
    p.proto = IpProto::kUdp;
    return p;
  }

  // A full client→server exchange with handshake; returns the table for inspection.
  void Handshake(FlowTable& t, TimestampUs ts = 1'000'000) {
    t.Process(Tcp("10.0.0.1", 40000, "10.0.0.2", 3333, tf::kSyn, 100, {}, ts));
    t.Process(Tcp("10.0.0.2", 3333, "10.0.0.1", 40000, tf::kSyn | tf::kAck, 500, {}, ts));
    t.Process(Tcp("10.0.0.1", 40000, "10.0.0.2", 3333, tf::kAck, 101, {}, ts));
  }

  Recorded rec;
  ParserRegistry registry;
  EventBus bus;
  FlowConfig config;
  std::vector<FlowInfo> starts, ends;
  std::vector<EndReason> end_reasons;
  std::vector<std::string> end_protos;
};

TEST_F(FlowTableTest, SynSenderIsClient) {
  FlowTable t(config, registry, bus);
  Handshake(t);
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].client.ToString(), "10.0.0.1");
  EXPECT_EQ(starts[0].server_port, 3333);
  EXPECT_EQ(t.size(), 1u);
}

TEST_F(FlowTableTest, SynAckFirstReversesRoles) {
  FlowTable t(config, registry, bus);
  t.Process(Tcp("10.0.0.2", 3333, "10.0.0.1", 40000, tf::kSyn | tf::kAck, 500));
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].client.ToString(), "10.0.0.1");
  EXPECT_EQ(starts[0].client_port, 40000);
}

TEST_F(FlowTableTest, MidStreamPickupUsesServicePort) {
  FlowTable t(config, registry, bus);
  t.Process(Tcp("10.0.0.2", 443, "10.0.0.1", 51000, tf::kAck, 1, "x"));
  t.Process(Tcp("10.0.0.3", 51000, "10.0.0.4", 52000, tf::kAck, 1, "x"));
  ASSERT_EQ(starts.size(), 2u);
  EXPECT_EQ(starts[0].server.ToString(), "10.0.0.2");
  EXPECT_EQ(starts[0].server_port, 443);
  EXPECT_EQ(starts[1].client.ToString(), "10.0.0.3");  // no hint: first sender is the client
}

TEST_F(FlowTableTest, ParserAttachesAndGetsBothDirectionsInOrder) {
  FlowTable t(config, registry, bus);
  Handshake(t);
  t.Process(Tcp("10.0.0.1", 40000, "10.0.0.2", 3333, tf::kAck, 101, "FAKE hello\nsecond "));
  t.Process(Tcp("10.0.0.2", 3333, "10.0.0.1", 40000, tf::kAck, 501, "reply\n"));
  t.Process(Tcp("10.0.0.1", 40000, "10.0.0.2", 3333, tf::kAck, 119, "line\n"));
  EXPECT_EQ(rec.bytes[0], "FAKE hello\nsecond line\n");
  EXPECT_EQ(rec.bytes[1], "reply\n");
  EXPECT_EQ(t.counters().parser_attaches, 1u);
  // Orderly close: FIN both ways ends the flow with the confirmed protocol.
  t.Process(Tcp("10.0.0.1", 40000, "10.0.0.2", 3333, tf::kFin | tf::kAck, 124));
  t.Process(Tcp("10.0.0.2", 3333, "10.0.0.1", 40000, tf::kFin | tf::kAck, 507));
  ASSERT_EQ(ends.size(), 1u);
  EXPECT_EQ(end_reasons[0], EndReason::kFin);
  EXPECT_EQ(end_protos[0], "fake");
  EXPECT_EQ(rec.ends, 1);
  EXPECT_EQ(ends[0].packets[0], 5u);
  EXPECT_EQ(ends[0].bytes[0], 23u);
  // The last ACK is absorbed by the closed flow, not a new one.
  t.Process(Tcp("10.0.0.1", 40000, "10.0.0.2", 3333, tf::kAck, 125));
  EXPECT_EQ(starts.size(), 1u);
  EXPECT_EQ(t.counters().after_close, 1u);
}

TEST_F(FlowTableTest, ProbeNeedsMoreBytesThenAttaches) {
  FlowTable t(config, registry, bus);
  Handshake(t);
  t.Process(Tcp("10.0.0.1", 40000, "10.0.0.2", 3333, tf::kAck, 101, "FA"));
  EXPECT_EQ(t.counters().parser_attaches, 0u);
  t.Process(Tcp("10.0.0.1", 40000, "10.0.0.2", 3333, tf::kAck, 103, "KE\n"));
  EXPECT_EQ(t.counters().parser_attaches, 1u);
  EXPECT_EQ(rec.bytes[0], "FAKE\n");
}

TEST_F(FlowTableTest, OutOfOrderBeforeAttachIsReassembled) {
  FlowTable t(config, registry, bus);
  Handshake(t);
  t.Process(Tcp("10.0.0.1", 40000, "10.0.0.2", 3333, tf::kAck, 106, "world\n"));
  t.Process(Tcp("10.0.0.1", 40000, "10.0.0.2", 3333, tf::kAck, 101, "FAKE "));
  EXPECT_EQ(rec.bytes[0], "FAKE world\n");
  EXPECT_EQ(t.counters().tcp.out_of_order, 1u);
}

TEST_F(FlowTableTest, UnknownProtocolStopsReassembly) {
  FlowTable t(config, registry, bus);
  Handshake(t);
  t.Process(Tcp("10.0.0.1", 40000, "10.0.0.2", 3333, tf::kAck, 101, "GET / HTTP/1.1\r\n"));
  EXPECT_EQ(t.counters().protocol_unknown, 1u);
  t.Process(Tcp("10.0.0.1", 40000, "10.0.0.2", 3333, tf::kAck, 5000, "more"));
  EXPECT_EQ(t.counters().tcp.out_of_order, 0u);  // nobody wants the bytes: not buffered
  EXPECT_EQ(t.buffered_bytes(), 0u);
}

TEST_F(FlowTableTest, ViolationDetachesParser) {
  FlowTable t(config, registry, bus);
  Handshake(t);
  t.Process(Tcp("10.0.0.1", 40000, "10.0.0.2", 3333, tf::kAck, 101, "FAKE ok\n"));
  t.Process(Tcp("10.0.0.1", 40000, "10.0.0.2", 3333, tf::kAck, 109, "BAD\n"));
  t.Process(Tcp("10.0.0.1", 40000, "10.0.0.2", 3333, tf::kAck, 113, "later\n"));
  EXPECT_EQ(rec.bytes[0], "FAKE ok\n");
  EXPECT_EQ(t.counters().parser_violations, 1u);
  EXPECT_EQ(t.counters().violations.Get("fake.bad"), 1u);
}

TEST_F(FlowTableTest, UnconsumedBytesBoundedByMaxBuffer) {
  FlowTable t(config, registry, bus);
  Handshake(t);
  t.Process(Tcp("10.0.0.1", 40000, "10.0.0.2", 3333, tf::kAck, 101, "FAKE\n"));
  std::string no_newline(100, 'a');  // > max_buffer (64) without a line end
  t.Process(Tcp("10.0.0.1", 40000, "10.0.0.2", 3333, tf::kAck, 106, no_newline));
  EXPECT_EQ(t.counters().detached[size_t(DetachReason::kMaxBuffer)], 1u);
  EXPECT_EQ(t.counters().parser_violations, 1u);
}

TEST_F(FlowTableTest, LargeSegmentAfterPendingBytesIsTakenInPieces) {
  FlowTable t(config, registry, bus);
  Handshake(t);
  t.Process(Tcp("10.0.0.1", 40000, "10.0.0.2", 3333, tf::kAck, 101, "FAKE\nab"));
  // 123 bytes of whole lines after 2 pending ones: more than max_buffer (64) at once, but no
  // line is longer than it, so the parser must see all of it.
  std::string lines = "cd\n";
  for (int i = 0; i < 3; ++i) lines += std::string(39, 'x') + "\n";
  t.Process(Tcp("10.0.0.1", 40000, "10.0.0.2", 3333, tf::kAck, 108, lines));
  EXPECT_EQ(t.counters().detached[size_t(DetachReason::kMaxBuffer)], 0u);
  EXPECT_EQ(rec.bytes[0], "FAKE\nab" + lines);
  t.Process(
      Tcp("10.0.0.1", 40000, "10.0.0.2", 3333, tf::kAck, 108 + uint32_t(lines.size()), "tail\n"));
  EXPECT_EQ(rec.bytes[0], "FAKE\nab" + lines + "tail\n");
}

TEST_F(FlowTableTest, AnomaliesCountedByName) {
  FlowTable t(config, registry, bus);
  Handshake(t);
  t.Process(Tcp("10.0.0.1", 40000, "10.0.0.2", 3333, tf::kAck, 101, "FAKE ODD\n"));
  EXPECT_EQ(t.counters().anomalies.Get("fake.odd"), 1u);
}

TEST(LiteralCountersTest, SameNameByPointerOrContentOverflowPastCapacity) {
  LiteralCounters c;
  const char a[] = "proto.thing";
  const char b[] = "proto.thing";  // another copy of the literal: still the same counter
  c.Add(a);
  c.Add(b, 2);
  c.Add("proto.other");
  ASSERT_EQ(c.items().size(), 2u);
  EXPECT_EQ(c.Get("proto.thing"), 3u);
  EXPECT_EQ(c.Get("proto.other"), 1u);
  EXPECT_EQ(c.Get("proto.none"), 0u);
  static char names[LiteralCounters::kCapacity + 1][8];
  for (size_t i = 0; i < LiteralCounters::kCapacity + 1; ++i) {
    std::snprintf(names[i], sizeof(names[i]), "n%zu", i);
    c.Add(names[i]);
  }
  EXPECT_EQ(c.items().size(), LiteralCounters::kCapacity);
  EXPECT_EQ(c.overflow(), 3u);  // the last three names found no slot
  EXPECT_EQ(c.total(), 4u + LiteralCounters::kCapacity + 1);
}

TEST_F(FlowTableTest, GapReachesParserAtReset) {
  FlowTable t(config, registry, bus);
  Handshake(t);
  t.Process(Tcp("10.0.0.1", 40000, "10.0.0.2", 3333, tf::kAck, 101, "FAKE a\n"));
  t.Process(Tcp("10.0.0.1", 40000, "10.0.0.2", 3333, tf::kAck, 118, "tail\n"));  // hole 108..117
  t.Process(Tcp("10.0.0.2", 3333, "10.0.0.1", 40000, tf::kRst, 501));
  ASSERT_EQ(ends.size(), 1u);
  EXPECT_EQ(end_reasons[0], EndReason::kReset);
  ASSERT_EQ(rec.gaps.size(), 1u);
  EXPECT_EQ(rec.gaps[0], 10u);
  EXPECT_EQ(rec.bytes[0], "FAKE a\ntail\n");
  EXPECT_EQ(rec.ends, 1);
}

TEST_F(FlowTableTest, UdpDatagramsWholeAfterProbe) {
  FlowTable t(config, registry, bus);
  t.Process(Udp("10.0.0.1", 5000, "10.0.0.2", 6000, "FAKE 1\n"));
  t.Process(Udp("10.0.0.2", 6000, "10.0.0.1", 5000, "pong\n"));
  EXPECT_EQ(rec.bytes[0], "FAKE 1\n");
  EXPECT_EQ(rec.bytes[1], "pong\n");
  EXPECT_EQ(t.size(), 1u);
}

TEST_F(FlowTableTest, IdleTimeoutsPerProtocol) {
  FlowTable t(config, registry, bus);
  const TimestampUs t0 = 1'000'000;
  t.Process(Udp("10.0.0.1", 5000, "10.0.0.2", 53, "q", t0));
  Handshake(t, t0);
  EXPECT_EQ(t.size(), 2u);
  t.Advance(t0 + 59 * kSecond);
  EXPECT_EQ(t.size(), 2u);
  t.Advance(t0 + 61 * kSecond);  // UDP (60 s) expires, TCP (300 s) not
  EXPECT_EQ(t.size(), 1u);
  ASSERT_EQ(ends.size(), 1u);
  EXPECT_EQ(end_reasons[0], EndReason::kIdleTimeout);
  EXPECT_EQ(ends[0].proto, IpProto::kUdp);
  t.Advance(t0 + 301 * kSecond);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.counters().timed_out, 2u);
}

TEST_F(FlowTableTest, ActivityKeepsFlowAlive) {
  FlowTable t(config, registry, bus);
  for (int i = 0; i < 10; ++i)
    t.Process(Udp("10.0.0.1", 5000, "10.0.0.2", 53, "q", TimestampUs(i) * 50 * kSecond));
  EXPECT_EQ(t.size(), 1u);
  EXPECT_TRUE(ends.empty());
}

TEST_F(FlowTableTest, SynFloodNeverExceedsMaxFlows) {
  config.max_flows = 1000;
  FlowTable t(config, registry, bus);
  for (uint32_t i = 0; i < 20000; ++i) {
    DecodedPacket p = Tcp("10.0.0.2", 80, "10.0.0.2", 80, tf::kSyn, i, {}, 1'000'000 + i);
    p.src = IpAddress::FromV4(0x0B000000u + i);
    p.src_port = uint16_t(1024 + i % 60000);
    t.Process(p);
    ASSERT_LE(t.size(), 1000u);
  }
  EXPECT_EQ(t.counters().created, 20000u);
  EXPECT_EQ(t.counters().evicted, 19000u);
  EXPECT_EQ(ends.size(), 19000u);
  // The oldest went first.
  EXPECT_EQ(ends[0].client, IpAddress::FromV4(0x0B000000u));
  t.Finish();
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(ends.size(), 20000u);
}

TEST_F(FlowTableTest, FinishEndsEveryFlowOnce) {
  FlowTable t(config, registry, bus);
  Handshake(t);
  t.Process(Tcp("10.0.0.1", 40000, "10.0.0.2", 3333, tf::kAck, 101, "FAKE x\n"));
  t.Process(Udp("10.0.0.5", 5000, "10.0.0.6", 6000, "hello"));
  t.Finish();
  EXPECT_EQ(ends.size(), 2u);
  EXPECT_EQ(t.counters().ended_at_shutdown, 2u);
  EXPECT_EQ(rec.ends, 1);
  t.Finish();
  EXPECT_EQ(ends.size(), 2u);
}

TEST_F(FlowTableTest, PortReuseAfterCloseStartsNewFlow) {
  FlowTable t(config, registry, bus);
  Handshake(t);
  t.Process(Tcp("10.0.0.1", 40000, "10.0.0.2", 3333, tf::kRst, 101));
  Handshake(t, 2'000'000);
  EXPECT_EQ(starts.size(), 2u);
  EXPECT_NE(starts[0].flow_id, starts[1].flow_id);
}

// The hash index starts small and doubles while flows are live: every flow must stay findable
// from both directions across the doublings, and closed flows must leave it cleanly.
TEST_F(FlowTableTest, IndexGrowthKeepsEveryFlowFindable) {
  constexpr uint32_t kFlows = 50000;  // several doublings past the initial index
  FlowTable t(config, registry, bus);
  auto client = [](uint32_t i) { return IpAddress::FromV4(0x0A000000u + i); };
  for (uint32_t i = 0; i < kFlows; ++i) {
    DecodedPacket p = Tcp("10.0.0.1", 40000, "10.9.9.9", 3333, tf::kSyn, 100);
    p.src = client(i);
    p.src_port = uint16_t(1024 + i % 50000);
    t.Process(p);
  }
  ASSERT_EQ(t.size(), kFlows);
  for (uint32_t i = 0; i < kFlows; ++i) {
    DecodedPacket p = Tcp("10.9.9.9", 3333, "10.0.0.1", 40000, tf::kSyn | tf::kAck, 500);
    p.dst = client(i);
    p.dst_port = uint16_t(1024 + i % 50000);
    t.Process(p);
    DecodedPacket q = Tcp("10.0.0.1", 40000, "10.9.9.9", 3333, tf::kAck, 101, "FAKE x\n");
    q.src = client(i);
    q.src_port = uint16_t(1024 + i % 50000);
    t.Process(q);
  }
  EXPECT_EQ(t.counters().created, kFlows);  // no packet made a second flow
  EXPECT_EQ(starts.size(), kFlows);
  // Resets remove half of the flows from the grown index; the rest end at shutdown.
  for (uint32_t i = 0; i < kFlows; i += 2) {
    DecodedPacket p = Tcp("10.9.9.9", 3333, "10.0.0.1", 40000, tf::kRst, 501);
    p.dst = client(i);
    p.dst_port = uint16_t(1024 + i % 50000);
    t.Process(p);
  }
  EXPECT_EQ(t.counters().closed_rst, kFlows / 2);
  t.Advance(1'000'000 + config.tcp_closed_timeout_us + 2 * kSecond);  // closed flows expire
  EXPECT_EQ(t.size(), kFlows / 2);
  // A freed slot and its pooled FlowExt are reused by a new flow.
  DecodedPacket p = Tcp("10.0.0.1", 40000, "10.9.9.9", 3333, tf::kSyn, 100, {},
                        1'000'000 + config.tcp_closed_timeout_us + 2 * kSecond);
  t.Process(p);
  EXPECT_EQ(t.size(), kFlows / 2 + 1);
  t.Finish();
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(ends.size(), kFlows + 1);
  EXPECT_EQ(rec.ends, int(kFlows));
  EXPECT_EQ(rec.bytes[0].size(), kFlows * std::string_view("FAKE x\n").size());
}

}  // namespace
}  // namespace mw::flow
