// minerwatch — SPDX-License-Identifier: Apache-2.0
// EVE alert records against the field layout Suricata documents (eve-json-format.html, "Event
// type: Alert"): the keys, their JSON types and their values for one known alert.
#include "export/eve/eve_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "rules/rule_parser.h"

namespace mw::eve {
namespace {

rules::Rule ParseOrDie(std::string_view text) {
  auto r = rules::ParseRule(text, rules::DefaultVars());
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message());
  return r ? *r : rules::Rule{};
}

struct AlertFixture {
  FlowInfo flow;
  rules::Rule rule;
  AlertFixture() {
    flow.flow_id = 42;
    flow.client = *IpAddress::Parse("10.0.0.2");
    flow.server = *IpAddress::Parse("198.51.100.1");
    flow.client_port = 40000;
    flow.server_port = 3333;
    flow.first_seen = 1'764'720'000'000'000;
    flow.packets[0] = 3;
    flow.packets[1] = 2;
    rule = ParseOrDie(R"(drop tcp $HOME_NET any -> $EXTERNAL_NET any (msg:"ET COINMINER test"; )"
                      R"(content:"mining.subscribe"; classtype:coin-mining; sid:2024792; rev:4; )"
                      R"(metadata:created_at 2017_10_02, signature_severity Major;))");
  }
  rules::RuleAlertEvent Event(bool blocked) const {
    return {.ts = 1'764'720'001'250'000,
            .flow = flow,
            .rule = rule,
            .src = flow.client,
            .dst = flow.server,
            .src_port = flow.client_port,
            .dst_port = flow.server_port,
            .ip_proto = IpProto::kTcp,
            .dir = Direction::kToServer,
            .app_protocol = "",
            .blocked = blocked,
            .category = "Crypto Currency Mining Activity Detected",
            .priority = 2,
            .buffer = "pkt_data",
            .matched = {}};
  }
};

TEST(EveFormat, AlertRecordHasSuricatasLayout) {
  AlertFixture fx;
  const nlohmann::json j = nlohmann::json::parse(FormatAlert(fx.Event(false)));
  EXPECT_EQ(j["event_type"], "alert");
  ASSERT_TRUE(j["timestamp"].is_string());
  // Suricata's form: microseconds and a numeric zone.
  EXPECT_EQ(j["timestamp"], "2025-12-03T00:00:01.250000+0000");
  EXPECT_TRUE(j["flow_id"].is_number_unsigned());
  EXPECT_EQ(j["flow_id"], 42u);
  EXPECT_EQ(j["src_ip"], "10.0.0.2");
  EXPECT_EQ(j["src_port"], 40000);
  EXPECT_EQ(j["dest_ip"], "198.51.100.1");
  EXPECT_EQ(j["dest_port"], 3333);
  EXPECT_EQ(j["proto"], "TCP");
  EXPECT_EQ(j["direction"], "to_server");
  EXPECT_FALSE(j.contains("app_proto"));  // absent, as Suricata omits it when none was found
  const auto& a = j["alert"];
  EXPECT_EQ(a["action"], "allowed");
  EXPECT_EQ(a["gid"], 1);
  EXPECT_EQ(a["signature_id"], 2024792);
  EXPECT_EQ(a["rev"], 4);
  EXPECT_EQ(a["signature"], "ET COINMINER test");
  EXPECT_EQ(a["category"], "Crypto Currency Mining Activity Detected");
  EXPECT_EQ(a["severity"], 2);
  EXPECT_EQ(a["metadata"]["signature_severity"][0], "Major");
  EXPECT_TRUE(j["flow"]["pkts_toserver"].is_number());
}

TEST(EveFormat, BlockedAlertAndAppProto) {
  AlertFixture fx;
  auto ev = fx.Event(true);
  ev.app_protocol = "http";
  const nlohmann::json j = nlohmann::json::parse(FormatAlert(ev));
  EXPECT_EQ(j["alert"]["action"], "blocked");
  EXPECT_EQ(j["app_proto"], "http");
}

TEST(EveWriter, AppendsOneFlushedLinePerAlert) {
  AlertFixture fx;
  char dir[] = "/tmp/mw-eve-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/eve.json";
  {
    auto w = EveWriter::Open(path);
    ASSERT_TRUE(w.has_value());
    (*w)->Write(fx.Event(false));
    (*w)->Write(fx.Event(true));
    EXPECT_EQ((*w)->written(), 2u);
    EXPECT_EQ((*w)->errors(), 0u);
    // Flushed per record: readable before the writer closes.
    std::ifstream in(path);
    std::string line;
    int lines = 0;
    while (std::getline(in, line)) {
      EXPECT_EQ(nlohmann::json::parse(line)["event_type"], "alert");
      ++lines;
    }
    EXPECT_EQ(lines, 2);
  }
  std::remove(path.c_str());
  rmdir(dir);
}

TEST(EveWriter, UnwritablePathIsAClearError) {
  auto w = EveWriter::Open("/nonexistent-dir/eve.json");
  ASSERT_FALSE(w.has_value());
  EXPECT_NE(w.error().message().find("/nonexistent-dir/eve.json"), std::string::npos);
}

}  // namespace
}  // namespace mw::eve
