// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "protocols/stratum/stratum_classifier.h"

#include <gtest/gtest.h>

namespace mw::stratum {
namespace {

constexpr std::string_view kMoneroWallet =
    "48edfHu7V9Z84YzzMa6fUueoELZ9ZRXq9VetWzYGzKt52XU5xvqgzYnDK9URnRoJMk1j8nLwEVsaSWJ4fhdUyZijBGUico"
    "D";

TEST(InferCoin, FromAlgorithm) {
  EXPECT_EQ(InferCoin("rx/0", ""), "XMR");
  EXPECT_EQ(InferCoin("RandomX", ""), "XMR");
  EXPECT_EQ(InferCoin("cn/r", ""), "XMR");
  EXPECT_EQ(InferCoin("cn-heavy/xhv", ""), "XHV");
  EXPECT_EQ(InferCoin("cn-lite/1", ""), "AEON");
  EXPECT_EQ(InferCoin("kawpow", ""), "RVN");
  EXPECT_EQ(InferCoin("ethash", ""), "ETH");
  EXPECT_EQ(InferCoin("etchash", ""), "ETC");
  EXPECT_EQ(InferCoin("equihash", ""), "ZEC");
  EXPECT_EQ(InferCoin("sha256d", ""), "BTC");
  EXPECT_EQ(InferCoin("rx/wow", ""), "WOW");
  EXPECT_EQ(InferCoin("no-such-algo", ""), "");
  // The algorithm wins over the wallet (merged mining, proxies).
  EXPECT_EQ(InferCoin("kawpow", kMoneroWallet), "RVN");
}

TEST(InferCoin, FromWalletFormat) {
  EXPECT_EQ(InferCoin("", kMoneroWallet), "XMR");
  EXPECT_EQ(InferCoin("", "t1fAhZF5aUJdY7CikGULHmeYk7id8qmvbAd"), "ZEC");
  EXPECT_EQ(InferCoin("", "0x9c99d212f7e5daa18ab50810e0fd255d1f04303b"), "ETH");
  EXPECT_EQ(InferCoin("", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"), "BTC");
  EXPECT_EQ(InferCoin("", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"), "BTC");
  EXPECT_EQ(InferCoin("", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"), "BTC");
  EXPECT_EQ(InferCoin("", "RKLg3ZuNgCHkGiLPNaFqbXURVdDShnf3Nq"), "RVN");
  // Near misses: wrong length, a non-hex char, a non-base58 char (0 and l are not base58).
  EXPECT_EQ(InferCoin("", kMoneroWallet.substr(1)), "");
  EXPECT_EQ(InferCoin("", "0x9c99d212f7e5daa18ab50810e0fd255d1f04303g"), "");
  EXPECT_EQ(InferCoin("", "t1fAhZF5aUJdY7CikGULHmeYk7id8qmvb0d"), "");
  EXPECT_EQ(InferCoin("", "someaccount"), "");
  EXPECT_EQ(InferCoin("", ""), "");
}

TEST(SplitLogin, Conventions) {
  auto s = SplitLogin("t1fAhZF5aUJdY7CikGULHmeYk7id8qmvbAd.rig4");
  EXPECT_EQ(s.login, "t1fAhZF5aUJdY7CikGULHmeYk7id8qmvbAd");
  EXPECT_EQ(s.worker, "rig4");
  s = SplitLogin("4BCe.cb2b73415c4f.ryzen");  // wallet.paymentid.worker
  EXPECT_EQ(s.login, "4BCe");
  EXPECT_EQ(s.worker, "ryzen");
  s = SplitLogin("0xabc/tester.worker1/someone@example.org");
  EXPECT_EQ(s.login, "0xabc");
  EXPECT_EQ(s.worker, "tester.worker1");
  s = SplitLogin("wallet+50000");
  EXPECT_EQ(s.login, "wallet");
  EXPECT_EQ(s.worker, "");
  s = SplitLogin("wallet+50000.rig");
  EXPECT_EQ(s.login, "wallet");
  EXPECT_EQ(s.worker, "rig");
  s = SplitLogin("wallet.rig+50000");
  EXPECT_EQ(s.login, "wallet");
  EXPECT_EQ(s.worker, "rig");
  s = SplitLogin("plainaccount");
  EXPECT_EQ(s.login, "plainaccount");
  EXPECT_EQ(s.worker, "");
  s = SplitLogin("");
  EXPECT_EQ(s.login, "");
}

TEST(Difficulty, CryptoNoteTargets) {
  EXPECT_DOUBLE_EQ(CryptoNoteTargetDifficulty("b88d0600"), 10000.0);
  EXPECT_NEAR(CryptoNoteTargetDifficulty("dc460300"), 20000.0, 1.0);
  EXPECT_NEAR(CryptoNoteTargetDifficulty("ffffffffffff0000"), 65536.0, 1.0);  // 64-bit form
  EXPECT_EQ(CryptoNoteTargetDifficulty("zz460300"), 0);
  EXPECT_EQ(CryptoNoteTargetDifficulty("00000000"), 0);
  EXPECT_EQ(CryptoNoteTargetDifficulty("123"), 0);
}

TEST(Difficulty, Target256) {
  // 2^256 / 2^224 = 2^32.
  EXPECT_DOUBLE_EQ(
      Target256Difficulty("0x0000000100000000000000000000000000000000000000000000000000000000"),
      4294967296.0);
  EXPECT_EQ(Target256Difficulty("0x"), 0);
  EXPECT_EQ(Target256Difficulty("xyz"), 0);
  EXPECT_EQ(Target256Difficulty(std::string(65, 'f')), 0);
}

TEST(PendingRequests, BoundedAndDirectional) {
  PendingRequests p;
  p.Add(Direction::kToServer, 2, Method::kLogin);
  EXPECT_EQ(p.Take(Direction::kToClient, 2), Method::kNone);  // ids are per direction
  EXPECT_EQ(p.Take(Direction::kToServer, 2), Method::kLogin);
  EXPECT_EQ(p.Take(Direction::kToServer, 2), Method::kNone);  // taken once
  for (uint64_t i = 0; i < kMaxPending + 10; ++i)
    p.Add(Direction::kToServer, i << 1, Method::kSubmit);
  EXPECT_EQ(p.Take(Direction::kToServer, 0), Method::kNone);  // oldest overwritten
  EXPECT_EQ(p.Take(Direction::kToServer, (kMaxPending + 9) << 1), Method::kSubmit);
}

Classified ClassifyOne(std::string_view json, Direction dir = Direction::kToServer,
                       PendingRequests* pending = nullptr,
                       ClassifyStatus want = ClassifyStatus::kOk) {
  Classified c;
  EXPECT_EQ(ThreadClassifier().Classify(json, dir, Dialect::kUnknown, pending, &c), want) << json;
  return c;
}

TEST(Classifier, GenericNamesNeedTheirDialectShape) {
  EXPECT_FALSE(
      ClassifyOne(R"({"id":1,"method":"login","params":{"username":"bob","password":"x"}})")
          .mining);
  EXPECT_FALSE(ClassifyOne(R"({"id":1,"method":"submit","params":{"form":"contact"}})").mining);
  EXPECT_FALSE(ClassifyOne(R"({"method":"job","params":{"name":"backup"}})").mining);
  EXPECT_FALSE(
      ClassifyOne(R"({"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]})").mining);
  EXPECT_FALSE(
      ClassifyOne(R"({"jsonrpc":"2.0","id":1,"method":"textDocument/hover","params":{}})").mining);
  EXPECT_TRUE(ClassifyOne(R"({"id":1,"method":"login","params":{"login":"x","pass":"y"}})").mining);
  EXPECT_TRUE(ClassifyOne(R"({"id":1,"method":"mining.ping","params":[]})").mining);
}

TEST(Classifier, MalformedInput) {
  ClassifyOne("", Direction::kToServer, nullptr, ClassifyStatus::kNotJson);
  ClassifyOne("{\"id\":1,", Direction::kToServer, nullptr, ClassifyStatus::kNotJson);
  ClassifyOne("[1,2]", Direction::kToServer, nullptr, ClassifyStatus::kNotJsonRpc);
  ClassifyOne(R"({"id":1,"method":42})", Direction::kToServer, nullptr,
              ClassifyStatus::kNotJsonRpc);
  ClassifyOne(R"({"hello":"world"})", Direction::kToServer, nullptr, ClassifyStatus::kNotJsonRpc);
  ClassifyOne(std::string(kMaxLine + 1, ' '), Direction::kToServer, nullptr,
              ClassifyStatus::kTooLong);
  // Deep nesting is refused by the parser's depth limit rather than recursing.
  ClassifyOne(std::string(5000, '[') + std::string(5000, ']'), Direction::kToServer, nullptr,
              ClassifyStatus::kNotJson);
}

TEST(Classifier, ResponseMatchedToRequest) {
  PendingRequests p;
  Classified c =
      ClassifyOne(R"({"id":"s1","method":"eth_submitWork","params":["0x07a0","0x41f3","0x44e9"]})",
                  Direction::kToServer, &p);
  EXPECT_TRUE(c.is_share);
  EXPECT_EQ(c.job_id, "0x41f3");
  c = ClassifyOne(R"({"jsonrpc":"2.0","id":"s1","result":true})", Direction::kToClient, &p);
  EXPECT_EQ(c.kind, MessageKind::kResponse);
  EXPECT_EQ(c.answered, Method::kEthSubmitWork);
  EXPECT_EQ(c.dialect, Dialect::kEthProxy);
  EXPECT_TRUE(c.is_share);
  EXPECT_TRUE(c.accepted);
  // The same id answered again is no longer pending.
  c = ClassifyOne(R"({"jsonrpc":"2.0","id":"s1","result":true})", Direction::kToClient, &p);
  EXPECT_EQ(c.answered, Method::kNone);
  EXPECT_FALSE(c.mining);
}

// Records what ClassifyText hands over; the flow dialect follows the messages like the parser's.
struct Collect final : MessageVisitor {
  Dialect FlowDialect() const override { return dialect; }
  bool OnMessage(ClassifyStatus status, Classified& m) override {
    statuses.push_back(status);
    methods.emplace_back(m.method);
    answered.push_back(m.answered);
    if (status == ClassifyStatus::kOk && m.mining && dialect == Dialect::kUnknown)
      dialect = m.dialect;
    return statuses.size() < stop_after;
  }
  Dialect dialect = Dialect::kUnknown;
  size_t stop_after = 1000;
  std::vector<ClassifyStatus> statuses;
  std::vector<std::string> methods;
  std::vector<Method> answered;
};

TEST(Classifier, TextVisitsEachBatchElement) {
  PendingRequests pending;
  Collect up;
  TextShape shape;
  EXPECT_EQ(
      ThreadClassifier().ClassifyText(
          R"([{"id":1,"method":"mining.subscribe","params":[]},7,{"id":2,"method":"mining.authorize","params":["u.w","x"]}])",
          Direction::kToServer, &pending, up, &shape),
      ClassifyStatus::kOk);
  EXPECT_TRUE(shape.batch);
  EXPECT_EQ(shape.elements, 3u);
  EXPECT_FALSE(shape.over_limit);
  EXPECT_EQ(up.statuses,
            (std::vector<ClassifyStatus>{ClassifyStatus::kOk, ClassifyStatus::kNotJsonRpc,
                                         ClassifyStatus::kOk}));
  EXPECT_EQ(up.methods, (std::vector<std::string>{"mining.subscribe", "", "mining.authorize"}));
  Collect down;
  EXPECT_EQ(ThreadClassifier().ClassifyText(R"([{"id":2,"result":true},{"id":1,"result":[]}])",
                                            Direction::kToClient, &pending, down, &shape),
            ClassifyStatus::kOk);
  EXPECT_EQ(down.answered,
            (std::vector<Method>{Method::kMiningAuthorize, Method::kMiningSubscribe}));
  // A single object is one message, not a batch.
  Collect one;
  EXPECT_EQ(ThreadClassifier().ClassifyText(R"({"id":5,"method":"getwork","params":[]})",
                                            Direction::kToServer, nullptr, one, &shape),
            ClassifyStatus::kOk);
  EXPECT_FALSE(shape.batch);
  EXPECT_EQ(one.methods, std::vector<std::string>{"getwork"});
  // The visitor can stop the walk; over-long batches are cut at kMaxBatch.
  std::string many = "[";
  for (size_t i = 0; i < kMaxBatch + 1; ++i) many += std::string(i ? "," : "") + "{}";
  many += "]";
  Collect stopper;
  stopper.stop_after = 2;
  ThreadClassifier().ClassifyText(many, Direction::kToServer, nullptr, stopper, &shape);
  EXPECT_EQ(stopper.statuses.size(), 2u);
  Collect all;
  ThreadClassifier().ClassifyText(many, Direction::kToServer, nullptr, all, &shape);
  EXPECT_EQ(all.statuses.size(), kMaxBatch);
  EXPECT_TRUE(shape.over_limit);
  // Nothing is visited for text that is not a message or a non-empty batch.
  Collect none;
  EXPECT_EQ(ThreadClassifier().ClassifyText("[]", Direction::kToServer, nullptr, none),
            ClassifyStatus::kNotJsonRpc);
  EXPECT_EQ(ThreadClassifier().ClassifyText("42", Direction::kToServer, nullptr, none),
            ClassifyStatus::kNotJsonRpc);
  EXPECT_EQ(ThreadClassifier().ClassifyText(std::string(5000, '[') + std::string(5000, ']'),
                                            Direction::kToServer, nullptr, none),
            ClassifyStatus::kNotJson);
  EXPECT_TRUE(none.statuses.empty());
}

}  // namespace
}  // namespace mw::stratum
