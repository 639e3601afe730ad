// minerwatch — SPDX-License-Identifier: Apache-2.0
// The HTTP JSON-RPC bridge, driven through the real HTTP parser.
#include "protocols/stratum/http_jsonrpc_bridge.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocols/http/http_parser.h"
#include "protocols/parse_test_util.h"
#include "protocols/stratum/stratum_classifier.h"
#include "protocols/stratum/stratum_events.h"

namespace mw::stratum {
namespace {

struct Msg {
  Direction dir;
  Dialect dialect;
  MessageKind kind;
  std::string method, request_method, agent, job_id;
  double difficulty;
  bool is_share, over_http;
};

std::vector<Msg> RunHttp(const std::vector<mw::testing::Segment>& segments) {
  mw::testing::FakeParseContext ctx;
  SubscribeHttpJsonRpcBridge(ctx.bus());
  std::vector<Msg> out;
  ctx.bus().On<MessageEvent>([&out](const MessageEvent& e) {
    out.push_back({e.dir, e.dialect, e.kind, std::string(e.method), std::string(e.request_method),
                   std::string(e.agent), std::string(e.job_id), e.difficulty, e.is_share,
                   e.over_http});
  });
  http::HttpParser parser;
  mw::testing::StreamFeeder feeder(parser, ctx, http::kMaxHeaderBlock);
  for (const auto& s : segments) EXPECT_TRUE(feeder.Deliver(s.dir, s.bytes));
  parser.OnEnd(ctx);
  return out;
}

std::string Post(std::string_view ua, std::string_view body) {
  return "POST / HTTP/1.1\r\nHost: 127.0.0.1:8332\r\nUser-Agent: " + std::string(ua) +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + std::string(body);
}

std::string Ok(std::string_view body) {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

TEST(HttpJsonRpcBridge, GetworkOverHttp) {
  auto out = RunHttp({
      {Direction::kToServer,
       Post("cgminer 2.7.5", R"({"method": "getwork", "params": [], "id":0})")},
      {Direction::kToClient,
       Ok(R"({"result":{"midstate":"5fa8","data":"00000001","hash1":"0000","target":"ffffffffffffffffffffffffffffffffffffffffffffffffffffffff00000000"},"error":null,"id":0})")},
      {Direction::kToServer,
       Post("cgminer 2.7.5", R"({"method": "getwork", "params": ["0000000109a78d37"], "id":1})")},
  });
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].dialect, Dialect::kGetwork);
  EXPECT_EQ(out[0].method, "getwork");
  EXPECT_EQ(out[0].agent, "cgminer 2.7.5");  // from the User-Agent
  EXPECT_TRUE(out[0].over_http);
  EXPECT_FALSE(out[0].is_share);
  EXPECT_EQ(out[1].kind, MessageKind::kResponse);
  EXPECT_EQ(out[1].dialect, Dialect::kGetwork);
  EXPECT_EQ(out[1].request_method, "getwork");
  EXPECT_NEAR(out[1].difficulty, 4294967296.0, 1.0);  // difficulty-1 target
  EXPECT_TRUE(out[2].is_share);                       // getwork with data submits a header
}

TEST(HttpJsonRpcBridge, GetblocktemplateAndEthereumOverHttp) {
  auto out = RunHttp({
      {Direction::kToServer,
       Post(
           "bfgminer/5.5.0",
           R"({"id":1,"method":"getblocktemplate","params":[{"capabilities":["coinbasetxn","workid","coinbase/append"],"rules":["segwit"]}]})")},
      {Direction::kToClient,
       Ok(R"({"result":{"version":536870912,"previousblockhash":"00000000000000000002a7c4c1e48d76c5a37902165a270156b7a8d72728a054","transactions":[],"coinbasevalue":625000000,"target":"00000000000000000004d6f10000000000000000000000000000000000000000","height":840000},"error":null,"id":1})")},
      {Direction::kToServer,
       Post("ethminer/0.18.0", R"({"jsonrpc":"2.0","method":"eth_getWork","params":[],"id":73})")},
      {Direction::kToClient,
       Ok(R"({"jsonrpc":"2.0","id":73,"result":["0x415559c31768833f25b6dbfbb39be72e71375e14a3a711e589696850bc9431ec","0x71a56feffb6f10ea9d76e1a9464eb0abd86e4349ae98fb794923a65b650282a3","0x00000000dbe6fecebdedd5beb573440e5a884d1b2fbf06fcce912adcb8d8422e"]})")},
  });
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].dialect, Dialect::kGetwork);
  EXPECT_EQ(out[0].method, "getblocktemplate");
  EXPECT_EQ(out[1].request_method, "getblocktemplate");
  EXPECT_EQ(out[2].dialect, Dialect::kEthProxy);
  EXPECT_EQ(out[2].agent, "ethminer/0.18.0");
  EXPECT_EQ(out[3].dialect, Dialect::kEthProxy);
  EXPECT_EQ(out[3].request_method, "eth_getWork");
  for (const auto& m : out) EXPECT_TRUE(m.over_http);
}

TEST(HttpJsonRpcBridge, OrdinaryJsonRpcIsNotMining) {
  auto out = RunHttp({
      {Direction::kToServer,
       Post("curl/7.88.1", R"({"jsonrpc":"2.0","method":"eth_blockNumber","params":[],"id":83})")},
      {Direction::kToClient, Ok(R"({"jsonrpc":"2.0","id":83,"result":"0x4b7"})")},
      {Direction::kToServer,
       Post("python-requests/2.31",
            R"({"jsonrpc":"2.0","method":"login","params":{"user":"a","password":"b"},"id":1})")},
      {Direction::kToClient, Ok(R"({"jsonrpc":"2.0","id":1,"result":true})")},
      {Direction::kToServer, Post("curl/7.88.1", "not json at all")},
      {Direction::kToClient, Ok("[1,2,3]")},
  });
  EXPECT_TRUE(out.empty());
}

std::string Describe(const std::vector<Msg>& msgs) {
  std::string s;
  for (const auto& m : msgs) {
    s += std::to_string(int(m.dir)) + " " + std::string(DialectName(m.dialect)) + " " +
         std::to_string(int(m.kind)) + " " + m.method + " req=" + m.request_method +
         " ua=" + m.agent + " job=" + m.job_id + " diff=" + std::to_string(m.difficulty) +
         " share=" + std::to_string(m.is_share) + " http=" + std::to_string(m.over_http) + "\n";
  }
  return s;
}

TEST(HttpJsonRpcBridge, BatchBodyIsHandledLikeSeparatePosts) {
  const std::string gbt = R"({"id":1,"method":"getblocktemplate","params":[{"rules":["segwit"]}]})";
  const std::string getwork = R"({"method":"getwork","params":[],"id":2})";
  const std::string block_number = R"({"jsonrpc":"2.0","method":"eth_blockNumber","id":3})";
  const std::string gbt_reply =
      R"({"result":{"previousblockhash":"00000000000000000002a7c4c1e48d76c5a37902165a270156b7a8d72728a054","coinbasevalue":625000000,"target":"00000000000000000004d6f10000000000000000000000000000000000000000"},"error":null,"id":1})";
  const std::string getwork_reply =
      R"({"result":{"midstate":"5fa8","data":"00000001","hash1":"0000","target":"ffffffffffffffffffffffffffffffffffffffffffffffffffffffff00000000"},"error":null,"id":2})";
  const std::string ua = "bfgminer/5.5.0";
  // The same messages as three pipelined POSTs and their three answers.
  auto separate = RunHttp({
      {Direction::kToServer, Post(ua, gbt) + Post(ua, getwork) + Post(ua, block_number)},
      {Direction::kToClient,
       Ok(gbt_reply) + Ok(getwork_reply) + Ok(R"({"jsonrpc":"2.0","id":3,"result":"0x4b7"})")},
  });
  auto batched = RunHttp({
      {Direction::kToServer, Post(ua, "\r\n [" + gbt + "," + getwork + "," + block_number + "]")},
      {Direction::kToClient, Ok("[" + gbt_reply + "," + getwork_reply +
                                R"(,{"jsonrpc":"2.0","id":3,"result":"0x4b7"}])")},
  });
  ASSERT_EQ(separate.size(), 4u);
  EXPECT_EQ(Describe(batched), Describe(separate));
  ASSERT_EQ(batched.size(), 4u);
  EXPECT_EQ(batched[0].agent, ua);
  EXPECT_EQ(batched[3].request_method, "getwork");
}

TEST(HttpJsonRpcBridge, BatchBodyIsBounded) {
  std::string body = "[";
  for (size_t i = 0; i < kMaxBatch + 10; ++i)
    body += std::string(i ? "," : "") + R"({"method":"getwork","params":[],"id":)" +
            std::to_string(i) + "}";
  body += "]";
  auto out = RunHttp({{Direction::kToServer, Post("cgminer 2.7.5", body)}});
  EXPECT_EQ(out.size(), kMaxBatch);
  // Nesting beyond the JSON parser's depth limit is simply not JSON-RPC.
  out = RunHttp({{Direction::kToServer,
                  Post("cgminer 2.7.5", std::string(3000, '[') + std::string(3000, ']'))}});
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace mw::stratum
