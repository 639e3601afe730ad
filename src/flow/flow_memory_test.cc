// minerwatch — SPDX-License-Identifier: Apache-2.0
// flow.memcap through the real flow table: floods of partial messages stay under the cap and are
// counted as shed, confirmed flows keep parsing, idle confirmed flows are ended only when
// nothing else is left, out-of-order bytes are charged, and every byte charged is given back.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "flow/flow_events.h"
#include "flow/flow_table.h"

namespace mw::flow {
namespace {

using decode::DecodedPacket;
namespace tf = decode::tcp_flags;

std::string* g_lines = nullptr;  // every complete line any parser saw, in order

ProbeResult LineProbe(Direction, ByteView b) {
  return AsChars(b).starts_with("LINE") ? ProbeResult::kYes : ProbeResult::kNo;
}

// Consumes whole lines (confirming on the first one) and leaves a partial line unconsumed, so
// the flow layer keeps it: one big partial line is the flood's "unterminated record".
class LineParser : public AppParser {
 public:
  ParseResult OnData(Direction, ByteView bytes, ParseContext& ctx) override {
    std::string_view s = AsChars(bytes);
    const size_t nl = s.rfind('\n');
    if (nl == std::string_view::npos) return ParseResult::NeedMore(0);
    g_lines->append(s.substr(0, nl + 1));
    ctx.Confirm();
    return ParseResult::Ok(uint32_t(nl + 1));
  }
  void OnGap(Direction, uint32_t, ParseContext&) override {}
};

class FlowMemoryTest : public ::testing::Test {
 protected:
  FlowMemoryTest() {
    g_lines = &lines;
    registry.Add({.name = "line",
                  .transport = Transport::kTcp,
                  .probe = &LineProbe,
                  .create = [] { return std::unique_ptr<AppParser>(new LineParser()); },
                  .max_buffer = 16384});
    bus.On<FlowEndEvent>([this](const FlowEndEvent& e) {
      if (e.reason != EndReason::kEvicted) return;
      evicted_protos.emplace_back(e.app_protocol);
      evicted_clients.push_back(e.flow.client);
    });
  }

  static DecodedPacket Tcp(uint32_t client, uint8_t flags, uint32_t seq, std::string_view payload,
                           TimestampUs ts) {
    DecodedPacket p;
    p.ts = ts;
    p.src = IpAddress::FromV4(0x0a000000u + client);
    p.dst = IpAddress::FromV4(0xc0a80001u);
    p.src_port = uint16_t(20000 + client % 40000);
    p.dst_port = 443;
    p.proto = IpProto::kTcp;
    p.tcp_flags = flags;
    p.tcp_seq = seq;
    p.payload = AsBytes(payload);
    p.payload_wire_len = uint32_t(payload.size());
    return p;
  }

  // SYN, then "payload" as the first data segment.
  void Open(FlowTable& t, uint32_t client, std::string_view payload, TimestampUs ts) {
    t.Process(Tcp(client, tf::kSyn, 1000, {}, ts));
    t.Process(Tcp(client, tf::kAck | tf::kPsh, 1001, payload, ts));
  }

  FlowConfig Config(uint64_t memcap) {
    FlowConfig c;
    c.memcap = memcap;
    return c;
  }

  std::string lines;
  ParserRegistry registry;
  EventBus bus;
  std::vector<std::string> evicted_protos;
  std::vector<IpAddress> evicted_clients;
};

std::string Partial(size_t n) { return "LINE" + std::string(n - 4, 'x'); }

TEST_F(FlowMemoryTest, PartialMessageFloodStaysUnderTheCapAndIsCountedAsShed) {
  FlowTable t(Config(256 * 1024), registry, bus);
  const std::string partial = Partial(3000);
  for (uint32_t i = 0; i < 2000; ++i) {
    Open(t, i, partial, 1'000'000 + i);
    ASSERT_LE(t.memcap().in_use, t.memcap().limit) << "flow " << i;
  }
  const MemcapCounters& m = t.memcap();
  EXPECT_LE(m.peak, m.limit);
  EXPECT_GT(m.peak, m.limit / 2);  // the budget was used, not avoided
  // About 256 KB / 3 KB flows fit: nearly all others stopped buffering.
  EXPECT_GE(m.shed_flows + m.refused, 1800u);
  EXPECT_GE(m.shed_bytes, m.shed_flows * 3000);
  EXPECT_EQ(m.evicted_flows, 0u);
  EXPECT_EQ(t.size(), 2000u);  // shedding stops buffering; the flows are still tracked
  t.Finish();
  EXPECT_EQ(t.memcap().in_use, 0u);
}

TEST_F(FlowMemoryTest, WithoutACapTheSameFloodHoldsEveryPartialMessage) {
  FlowTable t(Config(0), registry, bus);
  const std::string partial = Partial(3000);
  for (uint32_t i = 0; i < 2000; ++i) Open(t, i, partial, 1'000'000 + i);
  EXPECT_GE(t.memcap().in_use, 2000u * 3000);  // what the cap is there to prevent
  EXPECT_EQ(t.memcap().shed_flows + t.memcap().refused, 0u);
  t.Finish();
  EXPECT_EQ(t.memcap().in_use, 0u);
}

TEST_F(FlowMemoryTest, AConfirmedFlowKeepsParsingThroughTheFlood) {
  FlowTable t(Config(128 * 1024), registry, bus);
  const uint32_t miner = 999'999;
  uint32_t seq = 1001;
  std::string want;
  auto say = [&](const std::string& text, TimestampUs ts) {
    t.Process(Tcp(miner, tf::kAck | tf::kPsh, seq, text, ts));
    seq += uint32_t(text.size());
  };
  t.Process(Tcp(miner, tf::kSyn, 1000, {}, 1'000'000));
  say("LINE hello\nLINE par", 1'000'000);
  want += "LINE hello\n";
  const std::string partial = Partial(3000);
  for (uint32_t i = 0; i < 3000; ++i) {
    Open(t, i, partial, 1'000'001 + i);
    if (i % 500 == 499) {  // the miner talks now and then, rarer than the hand goes round
      const std::string line = "tial " + std::to_string(i) + "\nLINE par";
      say(line, 1'000'001 + i);
      want += "LINE partial " + std::to_string(i) + "\n";
    }
  }
  EXPECT_EQ(lines, want);
  EXPECT_GE(t.memcap().shed_flows + t.memcap().refused, 2900u);
  EXPECT_EQ(t.memcap().evicted_flows, 0u);
  t.Finish();
  EXPECT_EQ(t.memcap().in_use, 0u);
}

TEST_F(FlowMemoryTest, IdleConfirmedFlowsAreEndedOnlyWhenNothingElseIsLeft) {
  FlowTable t(Config(128 * 1024), registry, bus);
  // Every flow confirms and then holds a 3 KB partial line: all are promising.
  const std::string msg = "LINE ok\n" + Partial(3000);
  for (uint32_t i = 0; i < 200; ++i) {
    Open(t, i, msg, 1'000'000 + i);
    ASSERT_LE(t.memcap().in_use, t.memcap().limit);
  }
  const MemcapCounters& m = t.memcap();
  EXPECT_GT(m.evicted_flows, 100u);
  EXPECT_EQ(m.shed_flows, 0u);  // nothing unpromising to shed
  ASSERT_EQ(evicted_protos.size(), m.evicted_flows);
  EXPECT_EQ(evicted_protos.front(), "line");  // FlowEndEvent kEvicted, with its protocol
  // An evicted flow is closed: its later packets are strays, not a new app session.
  const uint64_t strays = t.counters().after_close;
  const uint32_t victim = evicted_clients.front().v4() - 0x0a000000u;
  t.Process(Tcp(victim, tf::kAck, 1001 + uint32_t(msg.size()), "more\n", 2'000'000));
  EXPECT_EQ(t.counters().after_close, strays + 1);
  t.Finish();
  EXPECT_EQ(t.memcap().in_use, 0u);
}

TEST_F(FlowMemoryTest, OutOfOrderBytesAreChargedAndGivenBack) {
  FlowConfig c = Config(64 * 1024);
  FlowTable t(c, registry, bus);
  t.Process(Tcp(1, tf::kSyn, 1000, {}, 1'000'000));
  t.Process(Tcp(1, tf::kAck, 1001, "LINE a\n", 1'000'000));
  const uint64_t before = t.memcap().in_use;
  // A hole at 1008, then 20 segments of 4 KB beyond it: more than the cap leaves room for.
  const std::string chunk(4096, 'y');
  for (uint32_t k = 1; k <= 20; ++k) {
    t.Process(Tcp(1, tf::kAck, 1008 + k * 4096, chunk, 1'000'000 + k));
    ASSERT_LE(t.memcap().in_use, t.memcap().limit);
  }
  EXPECT_GT(t.memcap().peak, before + 8 * 4096);      // buffered bytes were charged
  EXPECT_GT(t.counters().tcp.buffer_limit_hits, 0u);  // and the cap forced the hole closed
  EXPECT_GT(t.memcap().refused, 0u);
  t.Finish();
  EXPECT_EQ(t.memcap().in_use, 0u);
}

TEST_F(FlowMemoryTest, ChargesFollowTheParserAcrossAttachPendingAndEnd) {
  FlowTable t(Config(1 << 20), registry, bus);
  t.Process(Tcp(1, tf::kSyn, 1000, {}, 1'000'000));
  const std::string tail(6000, 'z');
  t.Process(Tcp(1, tf::kAck, 1001, "LINE one\nLINE " + tail, 1'000'000));
  const uint64_t holding = t.memcap().in_use;
  EXPECT_GT(holding, tail.size());  // the block, the parser and the pending partial line
  t.Process(Tcp(1, tf::kAck, 1001 + 14 + uint32_t(tail.size()), "\n", 1'000'001));
  EXPECT_EQ(lines, "LINE one\nLINE " + tail + "\n");
  // A large pending buffer goes back once it is empty.
  EXPECT_LT(t.memcap().in_use, holding - tail.size());
  t.Process(Tcp(1, tf::kRst, 1016 + uint32_t(tail.size()), {}, 1'000'002));
  EXPECT_EQ(t.memcap().in_use, 0u);  // the flow ended: everything it held is given back
}

}  // namespace
}  // namespace mw::flow
