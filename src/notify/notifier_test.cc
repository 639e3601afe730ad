// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "notify/notifier.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>

#include "notify/hmac.h"

namespace mw::notify {
namespace {

namespace fs = std::filesystem;

struct Call {
  bool webhook;
  std::string target;
  std::string payload;
  std::vector<std::string> headers;
};

// The changes reach the notifier as they do in `up`: through the output seam.
void Detected(Notifier& n, const std::vector<store::StoredFinding>& changed) {
  ASSERT_TRUE(n.Write({ChangeKind::kDetected, changed}));
}

// Records what would be sent; fails the first "fail_first" attempts.
class FakeTransport : public Transport {
 public:
  explicit FakeTransport(int fail_first = 0, bool retryable = true)
      : fail_first_(fail_first), retryable_(retryable) {}
  DeliveryResult SendEmail(const std::string&, const std::string& to,
                           const std::string& data) override {
    return Record({false, to, data, {}});
  }
  DeliveryResult PostWebhook(const std::string& url, const std::string& body,
                             const std::vector<std::string>& headers) override {
    return Record({true, url, body, headers});
  }
  std::vector<Call> calls() {
    std::lock_guard l(mu_);
    return calls_;
  }
  int attempts() {
    std::lock_guard l(mu_);
    return attempts_;
  }

 private:
  DeliveryResult Record(Call c) {
    std::lock_guard l(mu_);
    if (attempts_++ < fail_first_) return {false, retryable_, "injected failure"};
    calls_.push_back(std::move(c));
    return {true, false, ""};
  }
  std::mutex mu_;
  int fail_first_;
  bool retryable_;
  int attempts_ = 0;
  std::vector<Call> calls_;
};

class NotifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mw_notify_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    std::ofstream(dir_ / "key") << "hook-secret\n";
    cfg_.smtp.url = "smtp://127.0.0.1:1";
    cfg_.window_s = 1;
    cfg_.max_per_window = 3;
    cfg_.webhook_retries = 3;
    config::ContactConfig c;
    c.name = "secops";
    c.email = "secops@example.com";
    c.webhook_url = "http://127.0.0.1:1/hook";
    c.webhook_secret_file = (dir_ / "key").string();
    c.min_severity = Severity::kHigh;
    cfg_.contacts.push_back(c);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static store::StoredFinding F(const std::string& id, uint64_t revision,
                                Severity sev = Severity::kHigh) {
    store::StoredFinding sf;
    sf.finding.id = id;
    sf.finding.category = std::string(category::kPoolProtocol);
    sf.finding.severity = sev;
    sf.finding.stage = Stage::kMining;
    sf.finding.count = revision;
    sf.finding.revision = revision;
    sf.finding.resource = {"10.0.0.9", "db-1"};
    sf.finding.indicator = "pool.example:3333";
    return sf;
  }
  NotifierOptions FastRetry() {
    NotifierOptions o;
    o.backoff_base = std::chrono::milliseconds(10);
    return o;
  }

  fs::path dir_;
  config::NotifyConfig cfg_;
  std::vector<std::string> logs_;
  std::mutex log_mu_;
  LogFn Log() {
    return [this](const std::string& m) {
      std::lock_guard l(log_mu_);
      logs_.push_back(m);
    };
  }
};

TEST_F(NotifierTest, OneFindingOneEmailAndOneSignedWebhook) {
  auto t = std::make_unique<FakeTransport>();
  FakeTransport* fake = t.get();
  auto n = Notifier::Start(cfg_, std::move(t), Log(), FastRetry());
  ASSERT_TRUE(n) << n.error().message();
  Detected(**n, {F("a", 1), F("low", 1, Severity::kLow)});
  (*n)->Stop();
  auto calls = fake->calls();
  ASSERT_EQ(calls.size(), 2u);
  const Call& mail = calls[0].webhook ? calls[1] : calls[0];
  const Call& hook = calls[0].webhook ? calls[0] : calls[1];
  EXPECT_EQ(mail.target, "secops@example.com");
  EXPECT_NE(
      mail.payload.find("Subject: [minerwatch] HIGH Execution: Cryptomining Pool Protocol on db-1"),
      std::string::npos);
  EXPECT_EQ(hook.target, "http://127.0.0.1:1/hook");
  std::string sig;
  for (const auto& h : hook.headers) {
    if (h.rfind("X-Minerwatch-Signature: ", 0) == 0) sig = h.substr(24);
  }
  EXPECT_TRUE(VerifySignature("hook-secret", hook.payload, sig)) << sig;
  EXPECT_EQ(nlohmann::json::parse(hook.payload)["findings"][0]["id"], "a");
  EXPECT_EQ((*n)->notifier_stats().sent_email, 1u);
  EXPECT_EQ((*n)->notifier_stats().sent_webhook, 1u);
  EXPECT_EQ((*n)->notifier_stats().queued, 1u) << "the low finding is filtered before the queue";
}

TEST_F(NotifierTest, RetriesWithBackoffThenDelivers) {
  cfg_.contacts[0].email.clear();
  auto t = std::make_unique<FakeTransport>(2);
  FakeTransport* fake = t.get();
  auto n = Notifier::Start(cfg_, std::move(t), Log(), FastRetry());
  ASSERT_TRUE(n);
  Detected(**n, {F("a", 1)});
  for (int i = 0; i < 200 && fake->calls().empty(); ++i) ::usleep(10000);
  (*n)->Stop();
  EXPECT_EQ(fake->attempts(), 3);
  EXPECT_EQ(fake->calls().size(), 1u);
  EXPECT_EQ((*n)->notifier_stats().retries, 2u);
  EXPECT_EQ((*n)->notifier_stats().failed, 0u);
}

TEST_F(NotifierTest, PermanentErrorsAreNotRetried) {
  cfg_.contacts[0].email.clear();
  auto t = std::make_unique<FakeTransport>(100, /*retryable=*/false);
  FakeTransport* fake = t.get();
  auto n = Notifier::Start(cfg_, std::move(t), Log(), FastRetry());
  ASSERT_TRUE(n);
  Detected(**n, {F("a", 1)});
  for (int i = 0; i < 200 && (*n)->notifier_stats().failed == 0; ++i) ::usleep(10000);
  (*n)->Stop();
  EXPECT_EQ(fake->attempts(), 1);
  EXPECT_EQ((*n)->notifier_stats().failed, 1u);
}

TEST_F(NotifierTest, GivesUpAfterTheConfiguredRetries) {
  cfg_.contacts[0].email.clear();
  cfg_.webhook_retries = 2;
  auto t = std::make_unique<FakeTransport>(100);
  FakeTransport* fake = t.get();
  auto n = Notifier::Start(cfg_, std::move(t), Log(), FastRetry());
  ASSERT_TRUE(n);
  Detected(**n, {F("a", 1)});
  for (int i = 0; i < 300 && (*n)->notifier_stats().failed == 0; ++i) ::usleep(10000);
  (*n)->Stop();
  EXPECT_EQ(fake->attempts(), 3);  // first try + 2 retries
  EXPECT_EQ((*n)->notifier_stats().failed, 1u);
}

TEST_F(NotifierTest, BurstOfTenThousandIsAHandfulOfMessages) {
  cfg_.contacts[0].email.clear();
  auto t = std::make_unique<FakeTransport>();
  FakeTransport* fake = t.get();
  auto n = Notifier::Start(cfg_, std::move(t), Log(), FastRetry());
  ASSERT_TRUE(n);
  std::vector<store::StoredFinding> batch;
  for (int round = 1; round <= 100; ++round) {
    batch.clear();
    for (int i = 0; i < 100; ++i) batch.push_back(F("f" + std::to_string(i), uint64_t(round)));
    Detected(**n, batch);
  }
  ::usleep(1300 * 1000);  // one window (1 s) closes: its digest goes out
  (*n)->Stop();
  auto calls = fake->calls();
  EXPECT_GE(calls.size(), 4u);
  EXPECT_LE(calls.size(), 6u);
  uint64_t events = 0;
  for (const auto& c : calls)
    events += nlohmann::json::parse(c.payload)["total_events"].get<uint64_t>();
  EXPECT_EQ(events, 10000u) << "every event is accounted for in some message";
}

TEST_F(NotifierTest, ConfigErrorsAreClear) {
  cfg_.contacts[0].webhook_secret_file = (dir_ / "missing").string();
  auto n = Notifier::Start(cfg_, std::make_unique<FakeTransport>(), Log());
  ASSERT_FALSE(n);
  EXPECT_NE(n.error().message().find("webhook_secret_file of contact secops"), std::string::npos);
  cfg_.contacts[0].webhook_secret_file.clear();
  cfg_.smtp.url.clear();
  n = Notifier::Start(cfg_, std::make_unique<FakeTransport>(), Log());
  ASSERT_FALSE(n);
  EXPECT_NE(n.error().message().find("notify.smtp.url"), std::string::npos);
  cfg_.contacts.clear();
  n = Notifier::Start(cfg_, std::make_unique<FakeTransport>(), Log());
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, nullptr);
}

TEST_F(NotifierTest, WarnsAboutPersonalAddressesAndUnsignedWebhooks) {
  config::ContactConfig p;
  p.name = "me";
  p.email = "john.smith@example.com";
  p.webhook_url = "http://127.0.0.1:1/x";
  cfg_.contacts.push_back(p);
  config::ContactConfig u;
  u.name = "ops";
  u.email = "jsmith@example.com";
  cfg_.contacts.push_back(u);
  auto w = Notifier::ContactWarnings(cfg_);
  ASSERT_EQ(w.size(), 3u);
  EXPECT_NE(w[0].find("john.smith@example.com looks like a personal address"), std::string::npos);
  EXPECT_NE(w[1].find("unsigned"), std::string::npos);
  EXPECT_NE(w[2].find("jsmith@example.com is not recognised as a group mailbox"),
            std::string::npos);
  for (const char* group :
       {"secops@x.org", "SOC@x.org", "security-team@x.org", "alerts+mw@x.org", "csirt@x.org"}) {
    EXPECT_EQ(config::ClassifyContactAddress(cfg_, group), config::AddressKind::kGroup) << group;
  }
}

// The libcurl transport against a real HTTP server on loopback: the signature verifies on the
// receiving side, a 503 is retried, and a 400 is not.
TEST_F(NotifierTest, CurlWebhookAgainstLoopbackServer) {
  httplib::Server srv;
  std::mutex mu;
  std::vector<std::string> bodies;
  int hits = 0;
  bool verified = true;
  srv.Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard l(mu);
    if (++hits == 1) {
      res.status = 503;
      return;
    }
    verified &=
        VerifySignature("hook-secret", req.body, req.get_header_value("X-Minerwatch-Signature"));
    verified &= req.get_header_value("Content-Type") == "application/json";
    bodies.push_back(req.body);
    res.status = 204;
  });
  srv.Post("/bad", [&](const httplib::Request&, httplib::Response& res) {
    std::lock_guard l(mu);
    ++hits;
    res.status = 400;
  });
  int port = srv.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread th([&] { srv.listen_after_bind(); });
  for (int i = 0; i < 500 && !srv.is_running(); ++i) ::usleep(2000);

  cfg_.contacts[0].email.clear();
  cfg_.contacts[0].webhook_url = "http://127.0.0.1:" + std::to_string(port) + "/hook";
  auto t = Notifier::MakeCurlTransport(cfg_);
  ASSERT_TRUE(t);
  auto n = Notifier::Start(cfg_, std::move(*t), Log(), FastRetry());
  ASSERT_TRUE(n);
  Detected(**n, {F("a", 1)});
  for (int i = 0; i < 300 && (*n)->notifier_stats().sent_webhook == 0; ++i) ::usleep(10000);
  (*n)->Stop();
  {
    std::lock_guard l(mu);
    EXPECT_EQ(hits, 2);
    ASSERT_EQ(bodies.size(), 1u);
    EXPECT_TRUE(verified);
    EXPECT_EQ(nlohmann::json::parse(bodies[0])["type"], "finding");
  }

  cfg_.contacts[0].webhook_url = "http://127.0.0.1:" + std::to_string(port) + "/bad";
  t = Notifier::MakeCurlTransport(cfg_);
  n = Notifier::Start(cfg_, std::move(*t), Log(), FastRetry());
  ASSERT_TRUE(n);
  Detected(**n, {F("b", 1)});
  for (int i = 0; i < 300 && (*n)->notifier_stats().failed == 0; ++i) ::usleep(10000);
  (*n)->Stop();
  EXPECT_EQ((*n)->notifier_stats().failed, 1u);
  {
    std::lock_guard l(mu);
    EXPECT_EQ(hits, 3);  // the 400 was not retried
  }
  srv.stop();
  th.join();
}

TEST_F(NotifierTest, CurlSmtpToAClosedPortIsRetryable) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  ::close(fd);  // nothing listens there any more
  cfg_.smtp.url = "smtp://127.0.0.1:" + std::to_string(port);
  cfg_.smtp.timeout_s = 2;
  auto t = Notifier::MakeCurlTransport(cfg_);
  ASSERT_TRUE(t);
  auto r = (*t)->SendEmail("a@example.com", "soc@example.com", "Subject: x\r\n\r\nbody\r\n");
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.retryable);
  EXPECT_NE(r.error.find("smtp://127.0.0.1:"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace mw::notify
