// minerwatch — SPDX-License-Identifier: Apache-2.0
// The ids_rules detector on a DetectionEngine's bus: what fires, what flowbits, thresholds, pass
// and inline drop change, and what the alert and the finding carry.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/detection_engine.h"
#include "flow/flow_events.h"
#include "flow/inspection_events.h"
#include "intel/intel_store.h"
#include "protocols/dns/dns_events.h"
#include "rules/rule_alert.h"
#include "rules/rule_engine.h"

namespace mw {
namespace {

class RulesHarness {
 public:
  explicit RulesHarness(std::string_view rules_text, bool inline_mode = false)
      : engine_(intel_, Options(rules_text, inline_mode)) {
    engine_.bus().On<rules::RuleAlertEvent>([this](const rules::RuleAlertEvent& a) {
      alerts.push_back(a.rule.sid);
      blocked.push_back(a.blocked);
    });
  }

  FlowInfo Flow(uint64_t id) const {
    FlowInfo f;
    f.flow_id = id;
    f.client = *IpAddress::Parse("10.0.0.2");
    f.server = *IpAddress::Parse("198.51.100.1");
    f.client_port = 40000 + uint16_t(id);
    f.server_port = 3333;
    f.last_seen = 1'700'000'000'000'000 + int64_t(id);
    f.packets[0] = f.packets[1] = 1;
    return f;
  }

  // A packet of an established, handshaked flow in "dir" with "payload".
  void Packet(const FlowInfo& flow, Direction dir, std::string_view payload, bool tracked = true) {
    decode::DecodedPacket p;
    p.ts = flow.last_seen;
    const bool up = dir == Direction::kToServer;
    p.src = up ? flow.client : flow.server;
    p.dst = up ? flow.server : flow.client;
    p.src_port = up ? flow.client_port : flow.server_port;
    p.dst_port = up ? flow.server_port : flow.client_port;
    p.proto = IpProto::kTcp;
    p.payload = AsBytes(payload);
    engine_.bus().Publish(
        flow::PacketEvent{flow, dir, p, flow::FlowState{true, tracked, tracked}, {}});
  }
  void Stream(const FlowInfo& flow, Direction dir, std::string_view bytes,
              bool inspectable = true) {
    engine_.bus().Publish(flow::StreamDataEvent{flow, dir, AsBytes(bytes), 0, {}, inspectable});
  }
  void Query(const FlowInfo& flow, std::string_view name) {
    engine_.bus().Publish(dns::MessageEvent{
        .flow = flow, .dir = Direction::kToServer, .is_response = false, .qname = name});
  }
  const Finding* Find(uint32_t sid) const {
    for (const Finding& f : engine_.findings().all())
      if (f.category == category::kIdsRule && f.evidence.value("sid", 0u) == sid) return &f;
    return nullptr;
  }

  std::vector<uint32_t> alerts;
  std::vector<bool> blocked;

 private:
  static engine::EngineOptions Options(std::string_view text, bool inline_mode) {
    rules::RuleLoader loader({});
    loader.LoadText(text, "test.rules");
    EXPECT_EQ(loader.rule_set().stats.skipped, 0u)
        << (loader.rule_set().skipped.empty() ? "" : loader.rule_set().skipped[0].Text());
    auto built = rules::RuleEngine::Build(loader.Take(), inline_mode);
    EXPECT_TRUE(built.has_value());
    engine::EngineOptions o;
    o.rules = built ? *built : nullptr;
    return o;
  }

  intel::IntelStore intel_;
  engine::DetectionEngine engine_;
};

TEST(IdsRules, DnsQueryRuleFiresWithEvidence) {
  RulesHarness h(
      R"(alert dns $HOME_NET any -> any any (msg:"pool query"; dns.query; content:"xmr.2miners.com"; )"
      R"(nocase; bsize:15; classtype:coin-mining; sid:2040353; rev:3; )"
      R"(metadata:mitre_technique_id T1496;))");
  FlowInfo f = h.Flow(1);
  h.Query(f, "example.org");
  EXPECT_TRUE(h.alerts.empty());
  h.Query(f, "XMR.2miners.com");
  ASSERT_EQ(h.alerts, std::vector<uint32_t>{2040353});
  const Finding* found = h.Find(2040353);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->resource.host_ip, "10.0.0.2");
  EXPECT_EQ(found->indicator, "sid:2040353 10.0.0.2 -> 198.51.100.1");
  EXPECT_EQ(found->evidence["msg"], "pool query");
  EXPECT_EQ(found->evidence["buffer"], "dns.query");
  EXPECT_EQ(found->evidence["matched"], "XMR.2miners.com");
  EXPECT_EQ(found->evidence["category"], "Crypto Currency Mining Activity Detected");
  EXPECT_EQ(found->severity, Severity::kMedium);  // coin-mining: priority 2
  EXPECT_EQ(found->attack, std::vector<std::string>{"T1496"});
  // Repeats fold into the same finding.
  h.Query(f, "xmr.2miners.com");
  EXPECT_EQ(h.Find(2040353)->count, 2u);
}

TEST(IdsRules, FlowbitsLinkTwoDirectionsOfOneFlow) {
  RulesHarness h(
      R"(alert tcp any any -> any any (msg:"login"; flow:to_server; content:"login"; )"
      R"(flowbits:set,mw.login; flowbits:noalert; sid:1;))"
      "\n"
      R"(alert tcp any any -> any any (msg:"job after login"; flow:to_client; content:"job"; )"
      R"(flowbits:isset,mw.login; sid:2;))");
  FlowInfo a = h.Flow(1), b = h.Flow(2);
  h.Stream(b, Direction::kToClient, "job", /*inspectable=*/false);  // mid-stream: ignored
  h.Packet(a, Direction::kToServer, "", true);
  h.Packet(b, Direction::kToServer, "", true);
  h.Stream(a, Direction::kToClient, "{\"job\":1}");
  EXPECT_TRUE(h.alerts.empty()) << "isset before set";
  h.Stream(a, Direction::kToServer, "{\"method\":\"login\"}");
  EXPECT_TRUE(h.alerts.empty()) << "noalert";
  h.Stream(b, Direction::kToClient, "{\"job\":1}");
  EXPECT_TRUE(h.alerts.empty()) << "the bit is per flow";
  h.Stream(a, Direction::kToClient, "{\"job\":2}");
  EXPECT_EQ(h.alerts, std::vector<uint32_t>{2});
}

TEST(IdsRules, ThresholdLimitAlertsOncePerWindow) {
  RulesHarness h(
      R"(alert tcp-pkt any any -> any any (msg:"x"; content:"FROM,PC Miner,"; startswith; )"
      R"(threshold:type limit,track by_src,count 1,seconds 3600; sid:7;))");
  FlowInfo f = h.Flow(1);
  for (int i = 0; i < 3; ++i) h.Packet(f, Direction::kToServer, "FROM,PC Miner,abc");
  EXPECT_EQ(h.alerts.size(), 1u);
  EXPECT_EQ(h.Find(7)->count, 1u);
}

TEST(IdsRules, PassRuleSilencesTheInspection) {
  RulesHarness h(R"(alert tcp any any -> any any (msg:"a"; content:"mining"; sid:10;))"
                 "\n"
                 R"(pass tcp any any -> any any (msg:"p"; content:"allowed-pool"; sid:11;))");
  FlowInfo f = h.Flow(1);
  h.Packet(f, Direction::kToServer, "", true);
  h.Stream(f, Direction::kToServer, "mining allowed-pool");
  EXPECT_TRUE(h.alerts.empty());
  h.Stream(f, Direction::kToServer, "mining elsewhere");
  EXPECT_EQ(h.alerts, std::vector<uint32_t>{10});
}

TEST(IdsRules, StreamRulesSeeStreamsAndPacketRulesSeePackets) {
  RulesHarness h(R"(alert tcp any any -> any any (msg:"tcp"; content:"abc"; sid:20;))"
                 "\n"
                 R"(alert tcp-pkt any any -> any any (msg:"pkt"; content:"abc"; sid:21;))");
  FlowInfo f = h.Flow(1);
  h.Packet(f, Direction::kToServer, "abc", true);  // tracked: the tcp rule waits for the stream
  EXPECT_EQ(h.alerts, std::vector<uint32_t>{21});
  h.Stream(f, Direction::kToServer, "abc");
  EXPECT_EQ(h.alerts, (std::vector<uint32_t>{21, 20}));
  FlowInfo g = h.Flow(2);
  h.Packet(g, Direction::kToServer, "abc", false);  // mid-stream: packets carry both
  EXPECT_EQ(h.alerts, (std::vector<uint32_t>{21, 20, 20, 21}));
}

TEST(IdsRules, InlineDropOfAPacketBlocksThatPacket) {
  RulesHarness h(
      R"(drop tcp-pkt any any -> any any (msg:"d"; content:"mining.subscribe"; sid:30;))",
      /*inline_mode=*/true);
  FlowInfo f = h.Flow(1);
  h.Packet(f, Direction::kToServer, "mining.subscribe");
  h.Packet(f, Direction::kToServer, "mining.subscribe");
  ASSERT_EQ(h.alerts, (std::vector<uint32_t>{30, 30}));
  EXPECT_TRUE(h.blocked[0] && h.blocked[1]);
}

TEST(IdsRules, InlineDropOnTheStreamDropsTheFlow) {
  RulesHarness h(R"(drop tcp any any -> any any (msg:"d"; content:"mining.subscribe"; sid:32;))",
                 /*inline_mode=*/true);
  FlowInfo f = h.Flow(1), g = h.Flow(2);
  h.Stream(f, Direction::kToServer, "mining.subscribe");
  h.Stream(f, Direction::kToServer, "mining.subscribe");
  h.Stream(g, Direction::kToServer, "mining.subscribe");
  ASSERT_EQ(h.alerts, (std::vector<uint32_t>{32, 32}));  // once per flow
  EXPECT_TRUE(h.blocked[0]);
}

TEST(IdsRules, DropWithoutInlineModeOnlyAlerts) {
  RulesHarness h(
      R"(drop tcp-pkt any any -> any any (msg:"d"; content:"mining.subscribe"; sid:31;))");
  FlowInfo f = h.Flow(1);
  h.Packet(f, Direction::kToServer, "mining.subscribe");
  h.Packet(f, Direction::kToServer, "mining.subscribe");
  EXPECT_EQ(h.alerts.size(), 2u);
  EXPECT_FALSE(h.blocked[0]);
}

TEST(IdsRules, IdleWithoutRules) {
  intel::IntelStore intel;
  engine::DetectionEngine engine(intel, {});
  EXPECT_TRUE(engine.IsEnabled("ids_rules"));
  EXPECT_FALSE(engine.bus().HasSubscribers<flow::PacketEvent>());
}

}  // namespace
}  // namespace mw
