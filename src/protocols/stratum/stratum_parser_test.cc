// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "protocols/stratum/stratum_parser.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <new>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "protocols/capture_test_util.h"
#include "protocols/parse_test_util.h"
#include "protocols/stratum/stratum_plugin.h"

// Counts heap allocations so the steady-state test can check the data plane makes none.
namespace {
std::atomic<size_t> g_allocations{0};
}  // namespace
void* operator new(size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
// GCC pairs operator delete's argument with operator new and flags free() on it once inlined;
// here new is malloc, so the pairing is right.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace mw::stratum {
namespace {

using mw::testing::Chunkings;
using mw::testing::FakeParseContext;
using mw::testing::Segment;
using mw::testing::StreamFeeder;
constexpr Direction kUp = Direction::kToServer;
constexpr Direction kDown = Direction::kToClient;

// An owned copy of a MessageEvent (its views die with Publish).
struct Msg {
  Direction dir;
  Dialect dialect;
  MessageKind kind;
  std::string method, agent, login, worker, coin, job_id, request_method;
  std::vector<std::string> algos;
  double difficulty;
  bool is_share, accepted;

  std::string ToString() const {
    std::ostringstream o;
    o << (dir == kUp ? ">" : "<") << " " << DialectName(dialect) << " kind=" << int(kind)
      << " method=" << method << " req=" << request_method << " agent=" << agent
      << " login=" << login << " worker=" << worker << " coin=" << coin << " job=" << job_id
      << " diff=" << difficulty << " share=" << is_share << " acc=" << accepted << " algos=";
    for (const auto& a : algos) o << a << ",";
    return o.str();
  }
};

struct Outcome {
  std::vector<Msg> msgs;
  int confirms = 0;
  std::vector<std::string> violations, anomalies;
  Dialect dialect = Dialect::kUnknown;

  std::string ToString() const {
    std::string s;
    for (const auto& m : msgs) s += m.ToString() + "\n";
    s += "confirms=" + std::to_string(confirms);
    for (const auto& v : violations) s += " violate:" + v;
    for (const auto& a : anomalies) s += " anomaly:" + a;
    return s;
  }
};

void Record(FakeParseContext& ctx, std::vector<Msg>* out) {
  ctx.bus().On<MessageEvent>([out](const MessageEvent& e) {
    Msg m{e.dir,
          e.dialect,
          e.kind,
          std::string(e.method),
          std::string(e.agent),
          std::string(e.login),
          std::string(e.worker),
          std::string(e.coin),
          std::string(e.job_id),
          std::string(e.request_method),
          {},
          e.difficulty,
          e.is_share,
          e.accepted};
    for (auto a : e.algos) m.algos.emplace_back(a);
    EXPECT_FALSE(e.over_http);
    out->push_back(std::move(m));
  });
}

Outcome Feed(const std::vector<Segment>& segments) {
  Outcome out;
  FakeParseContext ctx;
  Record(ctx, &out.msgs);
  StratumParser parser;
  StreamFeeder feeder(parser, ctx, uint32_t(kMaxLine));
  for (const auto& s : segments) feeder.Deliver(s.dir, s.bytes);
  out.confirms = ctx.confirms;
  out.violations = ctx.violations;
  out.anomalies = ctx.anomalies;
  out.dialect = parser.dialect();
  return out;
}

// A captured flow, replayed as the flow layer delivered it (holes included).
Outcome Feed(const mw::testing::CapturedFlow& flow) {
  Outcome out;
  FakeParseContext ctx;
  Record(ctx, &out.msgs);
  StratumParser parser;
  StreamFeeder feeder(parser, ctx, uint32_t(kMaxLine));
  mw::testing::Replay(feeder, flow);
  out.confirms = ctx.confirms;
  out.violations = ctx.violations;
  out.anomalies = ctx.anomalies;
  out.dialect = parser.dialect();
  return out;
}

// The chunking property: every chunking of the vector gives the same events and verdicts.
Outcome FeedAllChunkings(const std::vector<Segment>& segments) {
  Outcome whole = Feed(segments);
  std::string want = whole.ToString();
  for (const auto& chunked : Chunkings(segments)) {
    Outcome got = Feed(chunked);
    EXPECT_EQ(got.ToString(), want) << "chunking with " << chunked.size() << " deliveries";
    if (got.ToString() != want) break;
  }
  return whole;
}

std::string L(std::string_view json) { return std::string(json) + "\n"; }

constexpr std::string_view kXmrigWallet =
    "48edfHu7V9Z84YzzMa6fUueoELZ9ZRXq9VetWzYGzKt52XU5xvqgzYnDK9URnRoJMk1j8nLwEVsaSWJ4fhdUyZijBGUico"
    "D";

TEST(StratumParser, XmrigCryptoNoteSession) {
  std::string login =
      R"({"id":1,"jsonrpc":"2.0","method":"login","params":{"login":")" +
      std::string(kXmrigWallet) +
      R"(","pass":"x","agent":"XMRig/6.16.0 (Linux x86_64) libuv/1.42.0 gcc/9.3.0","algo":["cn/1","cn/2","cn/r","cn-lite/1","cn-heavy/xhv","rx/0","rx/wow","argon2/chukwav2","astrobwt"],"rigid":"rig01"}})";
  auto out = FeedAllChunkings({
      {kUp, L(login)},
      {kDown,
       L(R"({"id":1,"jsonrpc":"2.0","error":null,"result":{"id":"a1b2c3","job":{"blob":"0e0eb8a1ea9f06","job_id":"jNqx","target":"b88d0600","algo":"rx/0","height":2500000,"seed_hash":"d1fc"},"extensions":["algo","nicehash","connect","tls","keepalive"],"status":"OK"}})")},
      {kUp,
       L(R"({"id":2,"jsonrpc":"2.0","method":"submit","params":{"id":"a1b2c3","job_id":"jNqx","nonce":"5e0a0000","result":"c9be9381a68d533c059d614d961e0534d7d8785dd5c339c2f9596eb95f320100","algo":"rx/0"}})")},
      {kDown,
       L(R"({"id":2,"jsonrpc":"2.0","error":null,"result":{"status":"OK"}})") +
           L(R"({"jsonrpc":"2.0","method":"job","params":{"blob":"0e0e","job_id":"k2","target":"e4a63d00","algo":"rx/0","height":2500001}})")},
      {kUp,
       L(R"({"id":3,"jsonrpc":"2.0","method":"keepalived","params":{"id":"a1b2c3"}})") +
           L(R"({"id":4,"jsonrpc":"2.0","method":"submit","params":{"id":"a1b2c3","job_id":"k2","nonce":"01000000","result":"aa"}})")},
      {kDown,
       L(R"({"id":3,"jsonrpc":"2.0","error":null,"result":{"status":"KEEPALIVED"}})") +
           L(R"({"id":4,"jsonrpc":"2.0","error":{"code":-1,"message":"Low difficulty share"}})")},
  });
  ASSERT_EQ(out.msgs.size(), 9u) << out.ToString();
  EXPECT_EQ(out.confirms, 1);
  EXPECT_TRUE(out.violations.empty());
  EXPECT_EQ(out.dialect, Dialect::kCryptoNote);
  const Msg& l = out.msgs[0];
  EXPECT_EQ(l.dialect, Dialect::kCryptoNote);
  EXPECT_EQ(l.method, "login");
  EXPECT_EQ(l.agent, "XMRig/6.16.0 (Linux x86_64) libuv/1.42.0 gcc/9.3.0");
  EXPECT_EQ(l.login, kXmrigWallet);
  EXPECT_EQ(l.worker, "rig01");
  EXPECT_EQ(l.coin, "XMR");
  EXPECT_EQ(l.algos.size(), 9u);
  const Msg& resp = out.msgs[1];
  EXPECT_EQ(resp.kind, MessageKind::kResponse);
  EXPECT_EQ(resp.request_method, "login");
  EXPECT_EQ(resp.job_id, "jNqx");
  EXPECT_DOUBLE_EQ(resp.difficulty, 10000.0);
  EXPECT_EQ(resp.coin, "XMR");
  EXPECT_TRUE(out.msgs[2].is_share);
  EXPECT_EQ(out.msgs[2].job_id, "jNqx");
  EXPECT_TRUE(out.msgs[3].accepted);
  EXPECT_EQ(out.msgs[3].request_method, "submit");
  EXPECT_EQ(out.msgs[4].kind, MessageKind::kNotification);
  EXPECT_EQ(out.msgs[4].method, "job");
  EXPECT_EQ(out.msgs[4].job_id, "k2");
  EXPECT_NEAR(out.msgs[4].difficulty, 1063.0, 1.0);  // e4a63d00 → 0x003da6e4
  EXPECT_EQ(out.msgs[5].method, "keepalived");
  EXPECT_TRUE(out.msgs[6].is_share);
  EXPECT_EQ(out.msgs[7].request_method, "keepalived");
  EXPECT_FALSE(out.msgs[7].is_share);
  EXPECT_FALSE(out.msgs[7].accepted);  // not a share
  EXPECT_TRUE(out.msgs[8].is_share);
  EXPECT_FALSE(out.msgs[8].accepted);  // rejected: "Low difficulty share"
  EXPECT_EQ(out.msgs[8].request_method, "submit");
}

TEST(StratumParser, CgminerStratumV1Bitcoin) {
  auto out = FeedAllChunkings({
      {kUp, L(R"({"id": 1, "method": "mining.subscribe", "params": ["cgminer/4.10.0"]})")},
      {kDown,
       L(R"({"id": 1, "result": [[["mining.set_difficulty", "b4b6693b72a50c7116db18d6497cac52"], ["mining.notify", "ae6812eb4cd7735a302a8a9dd95cf71f"]], "08000002", 4], "error": null})")},
      {kUp,
       L(R"({"id": 2, "method": "mining.authorize", "params": ["bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq.worker1", "x"]})")},
      {kDown,
       L(R"({"id": 2, "result": true, "error": null})") +
           L(R"({"id": null, "method": "mining.set_difficulty", "params": [2048]})") +
           L(R"({"id": null, "method": "mining.notify", "params": ["bf", "4d16b6f85af6e2198f44ae2a6de67f78487ae5611b77c6c0440b921e00000000", "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff20020862062f503253482f04b8864e5008", "072f736c7573682f000000000100f2052a010000001976a914d23fcdf86f7e756a64a7a9688ef9903327048ed988ac00000000", [], "00000002", "1c2ac4af", "504e86b9", false]})")},
      {kUp,
       L(R"({"id": 4, "method": "mining.submit", "params": ["bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq.worker1", "bf", "00000001", "504e86ed", "b2957c02"]})")},
      {kDown, L(R"({"id": 4, "result": true, "error": null})")},
  });
  ASSERT_EQ(out.msgs.size(), 8u) << out.ToString();
  EXPECT_EQ(out.dialect, Dialect::kStratumV1);
  EXPECT_EQ(out.msgs[0].agent, "cgminer/4.10.0");
  EXPECT_EQ(out.msgs[1].request_method, "mining.subscribe");
  EXPECT_EQ(out.msgs[2].login, "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq");
  EXPECT_EQ(out.msgs[2].worker, "worker1");
  EXPECT_EQ(out.msgs[2].coin, "BTC");
  EXPECT_DOUBLE_EQ(out.msgs[4].difficulty, 2048);
  EXPECT_EQ(out.msgs[4].kind, MessageKind::kNotification);
  EXPECT_EQ(out.msgs[5].job_id, "bf");
  EXPECT_EQ(out.msgs[5].coin, "BTC");  // remembered from the flow's login
  EXPECT_TRUE(out.msgs[6].is_share);
  EXPECT_TRUE(out.msgs[7].accepted);
}

TEST(StratumParser, EthereumStratumNiceHash) {
  auto out = FeedAllChunkings({
      {kUp,
       L(R"({"id": 1, "method": "mining.subscribe", "params": ["NiceHash/1.0", "EthereumStratum/1.0.0"]})")},
      {kDown,
       L(R"({"id": 1, "result": [["mining.notify", "ae6812eb4cd7735a302a8a9dd95cf71f", "EthereumStratum/1.0.0"], "080c"], "error": null})")},
      {kUp,
       L(R"({"id": 2, "method": "mining.extranonce.subscribe", "params": []})") +
           L(R"({"id": 3, "method": "mining.authorize", "params": ["0x52bc44d5378309ee2abf1539bf71de1b7d7be3b5.rig7", "x"]})")},
      {kDown,
       L(R"({"id": 3, "result": true, "error": null})") +
           L(R"({"id": null, "method": "mining.set_difficulty", "params": [0.5]})") +
           L(R"({"id": null, "method": "mining.notify", "params": ["bf0488aa", "abad8f99f3918bf903c6a909d9bbc0fdfa5a2f4b9cb1196175ec825c6610126c", "9dc5dfb0fc1fb3dd3c0b3a6a9e8b36f5e0d6e7ee2dc3e2e1d7a4b5c6d7e8f901", true]})") +
           L(R"({"id": null, "method": "mining.set_extranonce", "params": ["af4c"]})")},
      {kUp,
       L(R"({"id": 4, "method": "mining.submit", "params": ["0x52bc44d5378309ee2abf1539bf71de1b7d7be3b5.rig7", "bf0488aa", "6a909d9bbc0f"]})")},
      {kDown, L(R"({"id": 4, "result": false, "error": [23, "Low difficulty share", null]})")},
  });
  ASSERT_EQ(out.msgs.size(), 10u) << out.ToString();
  EXPECT_EQ(out.dialect, Dialect::kEthereumStratum);
  for (const auto& m : out.msgs) EXPECT_EQ(m.dialect, Dialect::kEthereumStratum) << m.ToString();
  EXPECT_EQ(out.msgs[0].agent, "NiceHash/1.0");
  EXPECT_EQ(out.msgs[3].login, "0x52bc44d5378309ee2abf1539bf71de1b7d7be3b5");
  EXPECT_EQ(out.msgs[3].coin, "ETH");
  EXPECT_EQ(out.msgs[6].job_id, "bf0488aa");
  EXPECT_EQ(out.msgs[7].method, "mining.set_extranonce");
  EXPECT_TRUE(out.msgs[9].is_share);
  EXPECT_FALSE(out.msgs[9].accepted);
}

TEST(StratumParser, EthereumProxyClaymore) {
  // From nDPI's mining.pcapng (Claymore to an eth-proxy pool); the pool pushes work as id 0.
  auto out = FeedAllChunkings({
      {kUp,
       L(R"({"worker": "eth1.0", "jsonrpc": "2.0", "params": ["0x9c99d212f7e5daa18ab50810e0fd255d1f04303b/tester.worker1/vvesely@mailinator", "x"], "id": 2, "method": "eth_submitLogin"})")},
      {kDown,
       L(R"({"jsonrpc":"2.0","id":2,"result":true})") +
           L(R"({"jsonrpc":"2.0","id":0,"result":["0x415559c31768833f25b6dbfbb39be72e71375e14a3a711e589696850bc9431ec","0x71a56feffb6f10ea9d76e1a9464eb0abd86e4349ae98fb794923a65b650282a3","0x00000000dbe6fecebdedd5beb573440e5a884d1b2fbf06fcce912adcb8d8422e"]})")},
      {kUp,
       L(R"({"worker": "", "jsonrpc": "2.0", "params": [], "id": 3, "method": "eth_getWork"})")},
      {kUp,
       L(R"({"id":6,"jsonrpc":"2.0","method":"eth_submitHashrate","params":["0x1d08a61", "0x0000000000000000000000000000000000000000000000000000000002df91be"]})")},
      {kUp,
       L(R"({"id":4,"method":"eth_submitWork","params":["0x07a05fa4133e5126","0x41f3161ce643ebcf25d34dde1ac0d3e695edcbf136eed96680bac4cf1a82e417","0x44e9206e9c830706f60e0129bdd117a2718d6553f3405b477541994df3583d4b"]})")},
      {kDown, L(R"({"jsonrpc":"2.0","id":4,"result":true})")},
  });
  ASSERT_EQ(out.msgs.size(), 7u) << out.ToString();
  EXPECT_EQ(out.dialect, Dialect::kEthProxy);
  EXPECT_EQ(out.msgs[0].login, "0x9c99d212f7e5daa18ab50810e0fd255d1f04303b");
  EXPECT_EQ(out.msgs[0].worker, "tester.worker1");
  EXPECT_EQ(out.msgs[0].coin, "ETH");
  EXPECT_EQ(out.msgs[1].request_method, "eth_submitLogin");
  EXPECT_EQ(out.msgs[2].request_method, "eth_getWork");
  EXPECT_EQ(out.msgs[2].job_id,
            "0x415559c31768833f25b6dbfbb39be72e71375e14a3a711e589696850bc9431ec");
  EXPECT_NEAR(out.msgs[2].difficulty, 5.0e9, 0.01e9);  // 2^64 / 0xdbe6fece
  EXPECT_TRUE(out.msgs[5].is_share);
  EXPECT_TRUE(out.msgs[6].accepted);
}

TEST(StratumParser, NotMiningJsonRpcViolates) {
  struct Case {
    const char* name;
    std::string bytes;
  } cases[] = {
      {"ethereum node call",
       L(R"({"jsonrpc":"2.0","method":"eth_blockNumber","params":[],"id":83})")},
      {"lsp initialize",
       "Content-Length: 62\r\n\r\n"
       R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{}})"},
      {"lsp body without header",
       L(R"({"jsonrpc":"2.0","id":1,"method":"textDocument/didOpen","params":{"textDocument":{}}})")},
      {"generic login api",
       L(R"({"jsonrpc":"2.0","id":7,"method":"login","params":{"user":"bob","password":"hunter2"}})")},
      {"http request", "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"},
      {"garbage", std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11)},
      {"broken json", L(R"({"id":1,"method":"mining.subscribe","params":[)")},
  };
  for (const auto& c : cases) {
    auto out = FeedAllChunkings({{kUp, c.bytes}});
    EXPECT_TRUE(out.msgs.empty()) << c.name;
    EXPECT_EQ(out.confirms, 0) << c.name;
    EXPECT_EQ(out.violations.size(), 1u) << c.name;
    EXPECT_EQ(ProbeStratum(kUp, AsBytes(c.bytes)), ProbeResult::kNo) << c.name;
  }
}

TEST(StratumParser, UnprovenResponsesEventuallyViolate) {
  std::vector<Segment> v;
  for (int i = 0; i < 9; ++i) v.push_back({kDown, L(R"({"id":1,"result":true})")});
  auto out = Feed(v);
  EXPECT_TRUE(out.msgs.empty());
  EXPECT_EQ(out.violations.size(), 1u);
}

TEST(StratumParser, MalformedLineAfterConfirmationIsAnAnomaly) {
  auto out = FeedAllChunkings({
      {kUp, L(R"({"id":1,"method":"mining.subscribe","params":["bfgminer/5.5.0"]})")},
      {kUp, L(R"({"id":2,"method":"mining.authorize","params":["user.w1",)") + "\r\n" +
                L("[1,2,3]") + "\r\n\r\n" +
                L(R"({"id":3,"method":"mining.authorize","params":["user.w1","x"]})")},
  });
  ASSERT_EQ(out.msgs.size(), 2u) << out.ToString();
  EXPECT_EQ(out.msgs[1].worker, "w1");
  EXPECT_TRUE(out.violations.empty());
  // "[1,2,3]" is a JSON-RPC 2.0 batch of three invalid requests (spec section 7 example): one
  // anomaly per element, as if each had been sent alone.
  EXPECT_EQ(out.anomalies,
            (std::vector<std::string>{"stratum.malformed_json", "stratum.not_jsonrpc",
                                      "stratum.not_jsonrpc", "stratum.not_jsonrpc"}));
}

TEST(StratumParser, OversizedLineIsSkipped) {
  std::string huge =
      R"({"id":9,"method":"mining.submit","params":[")" + std::string(kMaxLine, 'a') + "\"]}\n";
  std::string subscribe = L(R"({"id":1,"method":"mining.subscribe","params":["cpuminer"]})");
  std::string after =
      L(R"({"id":10,"method":"mining.submit","params":["u.w","j1","00","01","02"]})");
  for (size_t chunk : {size_t(1) << 20, size_t(1000), size_t(1)}) {
    FakeParseContext ctx;
    std::vector<Msg> msgs;
    Record(ctx, &msgs);
    StratumParser parser;
    StreamFeeder feeder(parser, ctx, uint32_t(kMaxLine));
    std::string all = subscribe + huge + after;
    for (size_t pos = 0; pos < all.size(); pos += chunk)
      ASSERT_TRUE(feeder.Deliver(kUp, std::string_view(all).substr(pos, chunk))) << chunk;
    EXPECT_EQ(ctx.anomalies, std::vector<std::string>{"stratum.oversized_line"}) << chunk;
    ASSERT_EQ(msgs.size(), 2u) << chunk;
    EXPECT_EQ(msgs[1].job_id, "j1");
  }
}

TEST(StratumParser, GapResynchronisesOnNextLine) {
  FakeParseContext ctx;
  std::vector<Msg> msgs;
  Record(ctx, &msgs);
  StratumParser parser;
  StreamFeeder feeder(parser, ctx, uint32_t(kMaxLine));
  feeder.Deliver(kUp, L(R"({"id":1,"method":"mining.subscribe","params":[]})"));
  parser.OnGap(kUp, 100, ctx);
  feeder.Deliver(kUp, "ms\":[\"u.w\",\"x\"]}\n" +
                          L(R"({"id":3,"method":"mining.authorize","params":["u.w","x"]})"));
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[1].method, "mining.authorize");
  EXPECT_TRUE(ctx.anomalies.empty());
  EXPECT_TRUE(ctx.violations.empty());
}

TEST(StratumParser, GapBeforeConfirmationDropsTheCutLine) {
  // The gap lands inside the first line, before anything proved mining: the rest of that line
  // (not starting with '{', spread over several deliveries) must neither violate nor be parsed.
  FakeParseContext ctx;
  std::vector<Msg> msgs;
  Record(ctx, &msgs);
  StratumParser parser;
  StreamFeeder feeder(parser, ctx, uint32_t(kMaxLine));
  feeder.Deliver(kUp, R"({"id":1,"method":"mining.subs)");
  parser.OnGap(kUp, 40, ctx);
  EXPECT_TRUE(feeder.Deliver(kUp, R"(ker/1.0"]}garbage )"));
  EXPECT_TRUE(feeder.Deliver(
      kUp,
      "still the cut line\n" + L(R"({"id":2,"method":"mining.authorize","params":["u.w","x"]})")));
  EXPECT_TRUE(ctx.violations.empty());
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].method, "mining.authorize");
  EXPECT_EQ(msgs[0].worker, "w");
  EXPECT_EQ(ctx.confirms, 1);
}

// ---- JSON-RPC 2.0 batches (a top-level array of messages on one line) ------------------------

const std::string kSubscribe =
    R"({"id":1,"jsonrpc":"2.0","method":"mining.subscribe","params":["cpuminer-multi/1.3.7","EthereumStratum/1.0.0"]})";
const std::string kAuthorize =
    R"({"id":2,"jsonrpc":"2.0","method":"mining.authorize","params":["t1Vsqu8fTMZFHMFNGUFPj8ZYvQcigaC8q9K.rig7","x"]})";
const std::string kSubscribeReply =
    R"({"id":1,"result":[[["mining.notify","ae6812eb4cd7735a302a8a9dd95cf71f"]],"08000002",4],"error":null})";
const std::string kAuthorizeReply = R"({"id":2,"result":true,"error":null})";
const std::string kNotify =
    R"({"id":null,"method":"mining.notify","params":["bf","4d16b6f8","0100","072f",[],"00000002","1c2ac4af","504e86b9",false]})";
const std::string kSetDifficulty = R"({"id":null,"method":"mining.set_difficulty","params":[16]})";

TEST(StratumParser, BatchIsHandledLikeSeparateLines) {
  auto separate = FeedAllChunkings({
      {kUp, L(kSubscribe) + L(kAuthorize)},
      {kDown, L(kSubscribeReply) + L(kAuthorizeReply)},
      {kDown, L(kSetDifficulty) + L(kNotify)},
  });
  auto batched = FeedAllChunkings({
      {kUp, L("[" + kSubscribe + ", " + kAuthorize + "]")},
      {kDown, L(" [" + kSubscribeReply + "," + kAuthorizeReply + "]\r")},
      {kDown, L("[" + kSetDifficulty + "," + kNotify + "]")},
  });
  ASSERT_EQ(separate.msgs.size(), 6u) << separate.ToString();
  EXPECT_EQ(batched.ToString(), separate.ToString());
  ASSERT_EQ(batched.msgs.size(), 6u);
  EXPECT_EQ(batched.dialect, Dialect::kEthereumStratum);
  EXPECT_EQ(batched.confirms, 1);
  EXPECT_TRUE(batched.violations.empty());
  EXPECT_TRUE(batched.anomalies.empty());
  // Responses inside a batch are matched to the requests of the other direction's batch.
  EXPECT_EQ(batched.msgs[2].request_method, "mining.subscribe");
  EXPECT_EQ(batched.msgs[3].request_method, "mining.authorize");
  EXPECT_EQ(batched.msgs[1].worker, "rig7");
  EXPECT_EQ(batched.msgs[1].coin, "ZEC");
  EXPECT_EQ(batched.msgs[4].difficulty, 16);
}

TEST(StratumParser, BatchElementsKeepTheirOwnVerdicts) {
  // Before confirmation: a batch whose first element is a non-mining request violates exactly
  // like that request alone would, and a mining request after it is never reached.
  auto out = Feed({{kUp, L(R"([{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]},)" +
                           kSubscribe + "]")}});
  EXPECT_TRUE(out.msgs.empty());
  EXPECT_EQ(out.violations, std::vector<std::string>{"stratum.not_mining"});
  // A proving-nothing answer first, then a mining request: confirmed by the second element.
  out = Feed({{kDown, L(R"([{"id":9,"result":true},)" + kNotify + "]")}});
  EXPECT_TRUE(out.violations.empty());
  EXPECT_EQ(out.confirms, 1);
  ASSERT_EQ(out.msgs.size(), 1u);
  EXPECT_EQ(out.msgs[0].method, "mining.notify");
  // Non-object elements and an empty batch are "not JSON-RPC", one anomaly each, once the flow
  // is confirmed; the good elements around them still count.
  out = FeedAllChunkings({{kUp, L(kSubscribe) + L("[1, " + kAuthorize + R"(, "x", [], {"a":1}])") +
                                    L("[]") + L("[" + kAuthorize)}});
  ASSERT_EQ(out.msgs.size(), 2u) << out.ToString();
  EXPECT_EQ(out.msgs[1].method, "mining.authorize");
  EXPECT_EQ(out.anomalies,
            (std::vector<std::string>{"stratum.not_jsonrpc", "stratum.not_jsonrpc",
                                      "stratum.not_jsonrpc", "stratum.not_jsonrpc",
                                      "stratum.not_jsonrpc", "stratum.malformed_json"}));
  // Before confirmation an empty batch violates like any non-JSON-RPC line.
  out = Feed({{kUp, L("[]")}});
  EXPECT_EQ(out.violations, std::vector<std::string>{"stratum.not_jsonrpc"});
}

TEST(StratumParser, BatchIsBoundedAndDeepOrHugeArraysAreSafe) {
  // kMaxBatch + 8 notifications in one batch: the first kMaxBatch are handled, the rest are
  // skipped and counted once.
  std::string batch = "[";
  for (size_t i = 0; i < kMaxBatch + 8; ++i) {
    batch += (i ? "," : "") + std::string(R"({"id":null,"method":"mining.notify","params":["j)") +
             std::to_string(i) + R"(","4d16","0100","072f",[],"02","1c2a","504e",false]})";
  }
  batch += "]";
  ASSERT_LT(batch.size(), kMaxLine);
  auto out = Feed({{kDown, L(batch) + L(kSetDifficulty)}});
  ASSERT_EQ(out.msgs.size(), kMaxBatch + 1) << out.ToString();
  EXPECT_EQ(out.msgs[kMaxBatch - 1].job_id, "j" + std::to_string(kMaxBatch - 1));
  EXPECT_EQ(out.msgs[kMaxBatch].method, "mining.set_difficulty");
  EXPECT_EQ(out.anomalies, std::vector<std::string>{"stratum.batch_too_large"});
  EXPECT_EQ(out.confirms, 1);

  // A line as long as allowed of empty objects, then one nested far beyond the depth limit:
  // each is one bounded line, never a crash or a recursion.
  std::string huge = "[{}";
  while (huge.size() + 4 < kMaxLine) huge += ",{}";
  huge += "]";
  std::string deep = std::string(kMaxLine / 2 - 1, '[') + std::string(kMaxLine / 2 - 1, ']');
  out = Feed({{kUp, L(kSubscribe) + L(huge) + L(deep) + L(kAuthorize)}});
  ASSERT_EQ(out.msgs.size(), 2u) << out.ToString();
  ASSERT_EQ(out.anomalies.size(), kMaxBatch + 2);
  EXPECT_EQ(out.anomalies[0], "stratum.not_jsonrpc");  // {} is no JSON-RPC message
  EXPECT_EQ(out.anomalies[kMaxBatch], "stratum.batch_too_large");
  EXPECT_EQ(out.anomalies[kMaxBatch + 1], "stratum.malformed_json");
}

TEST(StratumParser, SteadyStateDoesNotAllocate) {
  FakeParseContext ctx;
  size_t shares = 0;
  ctx.bus().On<MessageEvent>([&shares](const MessageEvent& e) { shares += e.is_share; });
  StratumParser parser;
  const std::string notify = L(
      R"({"id": null, "method": "mining.notify", "params": ["bf", "4d16b6f8", "0100", "072f", [], "00000002", "1c2ac4af", "504e86b9", false]})");
  const std::string submit = L(
      R"({"id": 4, "method": "mining.submit", "params": ["bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq.worker1", "bf", "00000001", "504e86ed", "b2957c02"]})");
  const std::string reply = L(R"({"id": 4, "result": true, "error": null})");
  auto round = [&] {
    parser.OnData(kDown, AsBytes(notify), ctx);
    parser.OnData(kUp, AsBytes(submit), ctx);
    parser.OnData(kDown, AsBytes(reply), ctx);
  };
  round();  // warm-up: the thread's JSON parser allocates its buffers once
  size_t before = g_allocations.load();
  static std::string* volatile sink;  // volatile: the compiler may not elide this new/delete
  sink = new std::string(64, 'x');    // the counter sees allocations at all
  delete sink;
  ASSERT_GT(g_allocations.load(), before);
  before = g_allocations.load();
  for (int i = 0; i < 100; ++i) round();
  EXPECT_EQ(g_allocations.load() - before, 0u);
  EXPECT_EQ(shares, 202u);  // 101 submissions and 101 verdicts
}

TEST(StratumParser, BatchesDoNotAllocateInSteadyState) {
  FakeParseContext ctx;
  size_t messages = 0;
  ctx.bus().On<MessageEvent>([&messages](const MessageEvent&) { ++messages; });
  StratumParser parser;
  const std::string up = L("[" + kSubscribe + "," + kAuthorize + "]");
  const std::string down = L("[" + kSubscribeReply + "," + kAuthorizeReply + "," + kNotify + "]");
  auto round = [&] {
    parser.OnData(kUp, AsBytes(up), ctx);
    parser.OnData(kDown, AsBytes(down), ctx);
  };
  round();  // warm-up
  size_t before = g_allocations.load();
  for (int i = 0; i < 100; ++i) round();
  EXPECT_EQ(g_allocations.load() - before, 0u);
  EXPECT_EQ(messages, 505u);
}

TEST(StratumProbe, ShortMaybeThenVerdict) {
  std::string login = L(R"({"id":1,"method":"mining.subscribe","params":["EWBF 0.3.4b",null]})");
  EXPECT_EQ(ProbeStratum(kUp, AsBytes(std::string_view())), ProbeResult::kMaybe);
  EXPECT_EQ(ProbeStratum(kUp, AsBytes(std::string_view(login).substr(0, 10))), ProbeResult::kMaybe);
  EXPECT_EQ(ProbeStratum(kUp, AsBytes(login)), ProbeResult::kYes);
  // Without its newline yet, a complete object still decides.
  EXPECT_EQ(ProbeStratum(kUp, AsBytes(std::string_view(login).substr(0, login.size() - 1))),
            ProbeResult::kYes);
  EXPECT_EQ(
      ProbeStratum(
          kDown,
          AsBytes(L(
              R"({"jsonrpc":"2.0","method":"job","params":{"blob":"0e0e","job_id":"k2","target":"e4a63d00"}})"))),
      ProbeResult::kYes);
  EXPECT_EQ(ProbeStratum(kUp, AsBytes(std::string(5000, ' ') + "{\"id\":")), ProbeResult::kNo);
  EXPECT_EQ(ProbeStratum(kUp, AsBytes(L(R"({"id":1,"result":true})"))), ProbeResult::kNo);
}

TEST(StratumProbe, BatchesDecideLikeTheirElements) {
  EXPECT_EQ(ProbeStratum(kUp, AsBytes(L("[" + kSubscribe + "," + kAuthorize + "]"))),
            ProbeResult::kYes);
  EXPECT_EQ(ProbeStratum(kDown, AsBytes(L(R"([{"id":9,"result":true},)" + kNotify + "]"))),
            ProbeResult::kYes);
  EXPECT_EQ(ProbeStratum(kUp, AsBytes(std::string_view("[" + kSubscribe).substr(0, 30))),
            ProbeResult::kMaybe);
  EXPECT_EQ(ProbeStratum(kUp, AsBytes(L(R"([{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"},)" +
                                        kSubscribe + "]"))),
            ProbeResult::kNo);
  EXPECT_EQ(ProbeStratum(kUp, AsBytes(L("[1,2,3]"))), ProbeResult::kNo);
  EXPECT_EQ(ProbeStratum(kUp, AsBytes(L("[]"))), ProbeResult::kNo);
}

TEST(StratumPlugin, Registers) {
  ParserRegistry registry;
  RegisterStratum(registry);
  const ParserSpec* spec = registry.Find("stratum");
  ASSERT_NE(spec, nullptr);
  EXPECT_EQ(spec->transport, Transport::kTcp);
  ASSERT_NE(spec->create, nullptr);
  EXPECT_NE(spec->create(), nullptr);
  EXPECT_GE(spec->max_buffer, kMaxLine);
}

// ---- nDPI's mining.pcapng: four real mining flows --------------------------------------------

// The TCP flows of a capture as the flow layer delivers them (the real packet path:
// capture_test_util.h). Files that are no capture, or a broken one's tail, fail only if "strict".
std::vector<mw::testing::CapturedFlow> ReadTcpFlows(const std::string& path, bool strict = true) {
  std::string err;
  std::vector<mw::testing::CapturedFlow> flows;
  for (auto& f : mw::testing::ReadCaptureFlows(path, &err))
    if (f.tcp) flows.push_back(std::move(f));
  if (strict) {
    EXPECT_TRUE(err.empty()) << path << ": " << err;
  }
  return flows;
}

std::vector<Segment> Segments(const mw::testing::CapturedFlow& f) {
  std::vector<Segment> out;
  for (const auto& d : f.deliveries) out.push_back({d.dir, std::string(AsChars(d.bytes))});
  return out;
}

TEST(StratumParser, NdpiMiningCapture) {
  std::string path = std::string(MW_SHARED_DATA_DIR) + "/pcaps/ndpi/mining.pcapng";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "shared test data not found: " << path;
  std::vector<mw::testing::CapturedFlow> flows = ReadTcpFlows(path);
  ASSERT_EQ(flows.size(), 4u);
  struct Expect {
    std::string server;
    Dialect dialect;
    std::string agent, coin, worker;
  };
  std::map<std::string, Expect> expect = {
      {"192.168.2.148:46838",
       {"94.23.199.191:3333", Dialect::kStratumV1, "EWBF 0.3.4b", "ZEC", "rig4"}},
      {"147.229.13.222:49307",
       {"185.71.66.39:9999", Dialect::kEthProxy, "", "ETH", "tester.worker1"}},
      {"192.168.2.92:55190",
       {"178.32.196.217:9050", Dialect::kCryptoNote, "xmr-stak-cpu/1.3.0-1.5.0", "XMR", "ryzen"}},
      {"192.168.2.148:53846",
       {"116.211.167.195:3333", Dialect::kStratumV1, "EWBF 0.3.4b", "ZEC", "c1"}},
  };
  for (const auto& f : flows) {
    SCOPED_TRACE(f.client + " -> " + f.server);
    auto e = expect.find(f.client);
    ASSERT_NE(e, expect.end());
    EXPECT_EQ(f.server, e->second.server);
    EXPECT_EQ(f.gaps, 0u);
    const std::vector<Segment> segments = Segments(f);
    ASSERT_FALSE(segments.empty());
    EXPECT_EQ(segments[0].dir, kUp);
    EXPECT_EQ(ProbeStratum(kUp, AsBytes(segments[0].bytes)), ProbeResult::kYes);
    Outcome out = Feed(segments);
    EXPECT_EQ(out.confirms, 1);
    EXPECT_TRUE(out.violations.empty()) << out.violations.front();
    EXPECT_TRUE(out.anomalies.empty());
    EXPECT_EQ(out.dialect, e->second.dialect);
    ASSERT_GT(out.msgs.size(), 2u);
    bool agent = e->second.agent.empty(), coin = false, worker = false, share = false,
         accepted = false;
    for (const Msg& m : out.msgs) {
      agent |= !m.agent.empty() && m.agent == e->second.agent;
      coin |= m.coin == e->second.coin;
      worker |= m.worker == e->second.worker;
      share |= m.is_share && m.kind == MessageKind::kRequest;
      accepted |= m.accepted;
    }
    EXPECT_TRUE(agent);
    EXPECT_TRUE(coin);
    EXPECT_TRUE(worker);
    EXPECT_TRUE(share);
    EXPECT_TRUE(accepted);
  }
}

// nDPI's other captures are hundreds of protocols that are not mining (including Monero,
// Bitcoin and Ethereum node traffic): none of their TCP flows may be confirmed as mining.
TEST(StratumParser, NdpiBenignCorpusHasNoFalsePositives) {
  std::string dir = std::string(MW_SHARED_DATA_DIR) + "/pcaps/ndpi";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "shared test data not found: " << dir;
  size_t files = 0, flows_seen = 0, probed_yes = 0;
  std::vector<std::string> confirmed;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (name == "mining.pcapng") continue;
    ++files;
    for (const auto& f : ReadTcpFlows(entry.path().string(), /*strict=*/false)) {
      ++flows_seen;
      for (Direction d : {kUp, kDown}) {
        for (const auto& s : f.deliveries) {
          if (s.dir != d) continue;
          probed_yes += ProbeStratum(d, s.bytes) == ProbeResult::kYes;
          break;
        }
      }
      Outcome out = Feed(f);
      if (out.confirms > 0) confirmed.push_back(name + " " + f.client + " -> " + f.server);
    }
  }
  EXPECT_GT(files, 500u);
  EXPECT_GT(flows_seen, 1000u);
  EXPECT_EQ(probed_yes, 0u);
  EXPECT_TRUE(confirmed.empty()) << confirmed.size() << " flows, first: " << confirmed.front();
}

}  // namespace
}  // namespace mw::stratum
