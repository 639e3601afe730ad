// minerwatch — SPDX-License-Identifier: Apache-2.0
// Detectors driven by synthetic events: what each finding says, and what must not become one.
#include <gtest/gtest.h>

#include <string>

#include "detectors/resolution_cache.h"
#include "engine/detection_engine.h"
#include "flow/flow_events.h"
#include "intel/intel_store.h"
#include "mw/detect/detector.h"
#include "protocols/dns/dns_events.h"
#include "protocols/http/http_events.h"
#include "protocols/stratum/stratum_events.h"
#include "protocols/tls/tls_events.h"

namespace mw {
namespace {

class DetectorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(
        intel_.AddDomain("*.pool.example", intel::ListKind::kBlock,
                         {.source = "test", .category = "mining_pool", .note = "", .score = {}}));
    ASSERT_TRUE(
        intel_.AddDomain("pay.pool.example", intel::ListKind::kAllow,
                         {.source = "test-allow", .category = "", .note = "", .score = {}}));
    ASSERT_TRUE(
        intel_.AddIpOrCidr("203.0.113.0/24", intel::ListKind::kBlock,
                           {.source = "test", .category = "mining_pool", .note = "", .score = {}}));
    engine_ = std::make_unique<engine::DetectionEngine>(intel_, engine::EngineOptions{});
  }

  FlowInfo Flow(const char* client, const char* server, uint16_t port, uint64_t id) {
    FlowInfo f;
    f.flow_id = id;
    f.client = *IpAddress::Parse(client);
    f.server = *IpAddress::Parse(server);
    f.client_port = 40000;
    f.server_port = port;
    f.first_seen = f.last_seen = 1'700'000'000'000'000;
    return f;
  }

  std::vector<const Finding*> Of(std::string_view cat) {
    std::vector<const Finding*> out;
    for (const auto& f : engine_->findings().all())
      if (f.category == cat) out.push_back(&f);
    return out;
  }

  EventBus& bus() { return engine_->bus(); }

  intel::IntelStore intel_;
  std::unique_ptr<engine::DetectionEngine> engine_;
};

TEST_F(DetectorsTest, XmrigLoginBecomesOneStageOneFindingWithEvidence) {
  FlowInfo flow = Flow("10.1.1.1", "198.51.100.9", 3333, 1);
  std::string_view algos[] = {"rx/0", "cn/r"};
  stratum::MessageEvent login{.flow = flow,
                              .dir = Direction::kToServer,
                              .dialect = stratum::Dialect::kCryptoNote,
                              .kind = stratum::MessageKind::kRequest,
                              .method = "login",
                              .agent = "XMRig/6.16.0 (Linux x86_64) libuv/1.42.0 gcc/9.3.0",
                              .algos = algos,
                              .login = "44AFFq5kSiGBoZ",
                              .worker = "rig1",
                              .coin = "XMR"};
  bus().Publish(login);
  stratum::MessageEvent submit{.flow = flow,
                               .dir = Direction::kToServer,
                               .dialect = stratum::Dialect::kCryptoNote,
                               .kind = stratum::MessageKind::kRequest,
                               .method = "submit",
                               .is_share = true};
  bus().Publish(submit);
  bus().Publish(submit);
  auto found = Of(category::kPoolProtocol);
  ASSERT_EQ(found.size(), 1u);
  const Finding& f = *found[0];
  EXPECT_EQ(f.stage, Stage::kMining);
  EXPECT_EQ(f.resource.host_ip, "10.1.1.1");
  EXPECT_EQ(f.indicator, "198.51.100.9:3333");
  EXPECT_EQ(f.evidence["agent"], login.agent);
  EXPECT_EQ(f.evidence["login"], "44AFFq5kSiGBoZ");
  EXPECT_EQ(f.evidence["coin"], "XMR");
  EXPECT_EQ(f.evidence["algos"], nlohmann::json({"cn/r", "rx/0"}));
  EXPECT_FALSE(f.evidence.contains("algo"));  // two offered: the pool has not chosen yet
  EXPECT_EQ(f.evidence["shares_submitted"], 2);
  EXPECT_EQ(f.evidence["messages"], 3);
  EXPECT_EQ(f.count, 3u);
  EXPECT_EQ(f.attack, std::vector<std::string>{"T1496"});

  std::string_view job_algo[] = {"rx/0"};
  bus().Publish(stratum::MessageEvent{.flow = flow,
                                      .dir = Direction::kToClient,
                                      .dialect = stratum::Dialect::kCryptoNote,
                                      .kind = stratum::MessageKind::kNotification,
                                      .method = "job",
                                      .algos = job_algo});
  EXPECT_EQ(Of(category::kPoolProtocol)[0]->evidence["algo"], "rx/0");

  // A reconnect to the same pool folds into the same finding.
  bus().Publish(flow::FlowEndEvent{flow, flow::EndReason::kFin, "stratum"});
  FlowInfo again = Flow("10.1.1.1", "198.51.100.9", 3333, 2);
  bus().Publish(stratum::MessageEvent{.flow = again,
                                      .dir = Direction::kToServer,
                                      .dialect = stratum::Dialect::kCryptoNote,
                                      .kind = stratum::MessageKind::kRequest,
                                      .method = "login"});
  ASSERT_EQ(Of(category::kPoolProtocol).size(), 1u);
  EXPECT_EQ(Of(category::kPoolProtocol)[0]->evidence["flows"], 2);
  EXPECT_EQ(Of(category::kPoolProtocol)[0]->evidence["messages"], 5);
}

// The pool is labelled with the name its client used on that flow (HTTP Host, TLS SNI), and
// the evidence of one finding fed by two interleaved flows describes the latest message's flow.
TEST_F(DetectorsTest, MiningFindingNamesPoolAndFollowsInterleavedFlows) {
  FlowInfo a = Flow("10.1.1.2", "198.51.100.7", 8332, 11);
  FlowInfo b = Flow("10.1.1.2", "198.51.100.7", 8332, 12);
  b.client_port = 40001;
  bus().Publish(http::RequestEvent{.flow = a,
                                   .method = "POST",
                                   .uri = "/",
                                   .version = "HTTP/1.1",
                                   .headers = {.host = "getwork.example"}});
  bus().Publish(http::RequestEvent{.flow = a,
                                   .method = "POST",
                                   .uri = "/",
                                   .version = "HTTP/1.1",
                                   .headers = {.host = "second.example"}});  // first Host wins
  auto message = [](const FlowInfo& f, std::string_view worker) {
    return stratum::MessageEvent{.flow = f,
                                 .dir = Direction::kToServer,
                                 .dialect = stratum::Dialect::kGetwork,
                                 .kind = stratum::MessageKind::kRequest,
                                 .method = "getwork",
                                 .worker = worker,
                                 .over_http = true};
  };
  bus().Publish(message(a, "rig-a"));
  auto found = Of(category::kPoolProtocol);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]->indicator, "getwork.example:8332");
  EXPECT_EQ(found[0]->evidence["pool"]["host"], "getwork.example");
  EXPECT_EQ(found[0]->evidence["pool"]["host_from"], "http_host");

  // Flow b has no name of its own: a separate finding keyed by address.
  bus().Publish(message(b, "rig-b"));
  ASSERT_EQ(Of(category::kPoolProtocol).size(), 2u);
  EXPECT_EQ(Of(category::kPoolProtocol)[1]->indicator, "198.51.100.7:8332");

  // A TLS name replaces an earlier one for the same flow.
  FlowInfo c = Flow("10.1.1.3", "198.51.100.8", 443, 13);
  bus().Publish(http::RequestEvent{.flow = c,
                                   .method = "GET",
                                   .uri = "/",
                                   .version = "HTTP/1.1",
                                   .headers = {.host = "plain.example"}});
  bus().Publish(tls::ClientHelloEvent{.flow = c, .sni = "tls.example"});
  bus().Publish(message(c, "rig-c"));
  ASSERT_EQ(Of(category::kPoolProtocol).size(), 3u);
  EXPECT_EQ(Of(category::kPoolProtocol)[2]->evidence["pool"]["host_from"], "tls_sni");

  // Two flows of one finding, interleaved: each message rewrites the per-flow evidence.
  FlowInfo d1 = Flow("10.1.1.4", "198.51.100.9", 3333, 14);
  FlowInfo d2 = Flow("10.1.1.4", "198.51.100.9", 3333, 15);
  d2.client_port = 40002;
  bus().Publish(message(d1, "w1"));
  bus().Publish(message(d2, "w2"));
  bus().Publish(message(d1, "w1"));
  const Finding* d = Of(category::kPoolProtocol)[3];
  EXPECT_EQ(d->evidence["worker"], "w1");
  EXPECT_EQ(d->evidence["client"]["port"], 40000);
  EXPECT_EQ(d->evidence["messages"], 3);
  EXPECT_EQ(d->evidence["flows"], 2);
  bus().Publish(message(d2, "w2"));
  EXPECT_EQ(d->evidence["worker"], "w2");
  EXPECT_EQ(d->evidence["client"]["port"], 40002);
  EXPECT_EQ(d->evidence["messages"], 4);
}

TEST_F(DetectorsTest, PoolNameInDnsSniOrHostIsBadDomainButAllowlistWins) {
  FlowInfo dns_flow = Flow("10.1.1.1", "10.0.0.53", 53, 1);
  bus().Publish(dns::MessageEvent{.flow = dns_flow,
                                  .dir = Direction::kToServer,
                                  .is_response = false,
                                  .qname = "xmr.pool.example",
                                  .qtype = 1});
  bus().Publish(dns::MessageEvent{.flow = dns_flow,
                                  .dir = Direction::kToServer,
                                  .is_response = false,
                                  .qname = "pay.pool.example",
                                  .qtype = 1});
  bus().Publish(dns::MessageEvent{.flow = dns_flow,
                                  .dir = Direction::kToServer,
                                  .is_response = false,
                                  .qname = "www.example.org",
                                  .qtype = 1});
  FlowInfo tls_flow = Flow("10.1.1.1", "192.0.2.1", 443, 2);
  bus().Publish(tls::ClientHelloEvent{.flow = tls_flow, .sni = "xmr.pool.example"});
  auto found = Of(category::kBadDomain);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]->indicator, "xmr.pool.example");
  // Stage 1: a lookup of a known mining host means its infrastructure is in use.
  EXPECT_EQ(found[0]->stage, Stage::kMining);
  EXPECT_EQ(found[0]->evidence["matched_by"], nlohmann::json({"dns_query", "tls_sni"}));
  EXPECT_TRUE(Of(category::kPoolProtocol).empty());
}

TEST_F(DetectorsTest, AddressFromAPoolAnswerMakesALaterConnectionABadIp) {
  FlowInfo dns_flow = Flow("10.1.1.1", "10.0.0.53", 53, 1);
  dns::Answer answers[] = {{.name = "xmr.pool.example",
                            .type = 5,
                            .ttl = 60,
                            .address = {},
                            .target = "edge.cdn.example"},
                           {.name = "edge.cdn.example",
                            .type = 1,
                            .ttl = 60,
                            .address = *IpAddress::Parse("198.18.0.2"),
                            .target = {}},
                           {.name = "edge.cdn.example",
                            .type = 1,
                            .ttl = 60,
                            .address = *IpAddress::Parse("0.0.0.0"),
                            .target = {}}};
  bus().Publish(dns::MessageEvent{.flow = dns_flow,
                                  .dir = Direction::kToClient,
                                  .is_response = true,
                                  .qname = "xmr.pool.example",
                                  .qtype = 1,
                                  .answers = answers});
  // Another client connecting to the same address did not resolve the pool name.
  bus().Publish(flow::FlowStartEvent{Flow("10.1.1.2", "198.18.0.2", 443, 2)});
  // The sinkhole answer is never a pool address.
  bus().Publish(flow::FlowStartEvent{Flow("10.1.1.1", "0.0.0.0", 443, 3)});
  EXPECT_TRUE(Of(category::kBadIp).empty());
  bus().Publish(flow::FlowStartEvent{Flow("10.1.1.1", "198.18.0.2", 443, 4)});
  auto found = Of(category::kBadIp);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]->indicator, "198.18.0.2");
  EXPECT_EQ(found[0]->evidence["matched_by"], "dns_answer");
  EXPECT_EQ(found[0]->evidence["resolved_name"], "xmr.pool.example");
}

TEST_F(DetectorsTest, ListedAddressIsBadIp) {
  bus().Publish(flow::FlowStartEvent{Flow("10.1.1.1", "203.0.113.77", 4444, 1)});
  bus().Publish(flow::FlowStartEvent{Flow("10.1.1.1", "192.0.2.77", 4444, 2)});
  auto found = Of(category::kBadIp);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]->evidence["matched_by"], "intel_ip");
  EXPECT_EQ(found[0]->evidence["intel"]["pattern"], "203.0.113.0/24");
}

TEST(ResolutionCache, BoundedPerClientAndOverall) {
  ResolutionCache cache(/*capacity=*/8, /*per_client=*/4);
  auto client = *IpAddress::Parse("10.0.0.1");
  for (uint32_t i = 0; i < 10; ++i) {
    cache.Record(client, IpAddress::FromV4(0xC6120000 + i), "n", "", i);
  }
  EXPECT_EQ(cache.size(), 4u);
  for (uint32_t c = 2; c < 10; ++c) {
    cache.Record(IpAddress::FromV4(0x0A000000 + c), IpAddress::FromV4(0xC6120100), "n", "", c);
  }
  EXPECT_EQ(cache.size(), 8u);
  EXPECT_EQ(cache.Lookup(client, IpAddress::FromV4(0xC6120000)), nullptr);  // evicted first
}

// Lookup's pre-filter on the answer address must never hide an entry, including after
// evictions and for answers that share a filter slot.
TEST(ResolutionCache, EveryLiveEntryFoundAfterEvictions) {
  ResolutionCache cache(/*capacity=*/3000, /*per_client=*/100);
  auto client = [](uint32_t c) { return IpAddress::FromV4(0x0A000000 + c); };
  auto answer = [](uint32_t i) {  // IPv4 and IPv6 answers, many sharing a /16
    return i % 3 == 0 ? *IpAddress::Parse("2001:db8::" + std::to_string(i % 10000))
                      : IpAddress::FromV4(0xC6120000 + i);
  };
  constexpr uint32_t kRecords = 10000;
  for (uint32_t i = 0; i < kRecords; ++i) cache.Record(client(i / 100), answer(i), "n", "", i);
  ASSERT_EQ(cache.size(), 3000u);
  for (uint32_t i = 0; i < kRecords; ++i) {
    const bool live = i >= kRecords - 3000;
    EXPECT_EQ(cache.Lookup(client(i / 100), answer(i)) != nullptr, live) << i;
  }
  EXPECT_EQ(cache.Lookup(client(1), answer(kRecords - 1)), nullptr);  // other client
}

}  // namespace
}  // namespace mw
