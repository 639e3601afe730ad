// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "notify/message.h"

#include <gtest/gtest.h>

namespace mw::notify {
namespace {

constexpr TimestampUs kT0 = 1767225600LL * 1000000;

Notice OneFinding() {
  Notice n;
  NoticeItem it;
  Finding& f = it.finding.finding;
  f.id = "abc123";
  f.category = std::string(category::kPoolProtocol);
  f.severity = Severity::kCritical;
  f.stage = Stage::kMining;
  f.resource = {"10.0.0.5", "web-1"};
  f.indicator = "pool.example:3333";
  f.detector = "stratum_session";
  f.evidence = {{"agent", "XMRig/6.16.0"}};
  f.attack = {"T1496"};
  f.count = 7;
  it.reason = Reason::kNew;
  it.new_events = 7;
  n.items.push_back(it);
  n.total_events = 7;
  return n;
}

config::ContactConfig Soc() {
  config::ContactConfig c;
  c.name = "SOC";
  c.email = "soc@example.com";
  return c;
}

TEST(Message, SubjectNamesSeverityCategoryAndHost) {
  EXPECT_EQ(NoticeSubject(OneFinding()),
            "[minerwatch] CRITICAL Execution: Cryptomining Pool Protocol on web-1 (10.0.0.5)");
  Notice d = OneFinding();
  d.digest = true;
  d.omitted_findings = 4;
  d.total_events = 9000;
  EXPECT_EQ(NoticeSubject(d), "[minerwatch] digest: 5 findings changed, 9000 events");
}

TEST(Message, EmailIsWellFormed) {
  EmailMessage m = RenderEmail(OneFinding(), Soc(), "minerwatch@example.org", kT0, "d1");
  EXPECT_EQ(m.to, "soc@example.com");
  EXPECT_EQ(m.from, "minerwatch@example.org");
  const std::string& d = m.data;
  EXPECT_EQ(d.rfind("Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n", 0), 0u) << d;
  EXPECT_NE(d.find("\r\nTo: SOC <soc@example.com>\r\n"), std::string::npos);
  EXPECT_NE(
      d.find("\r\nSubject: [minerwatch] CRITICAL Execution: Cryptomining Pool Protocol on web-1"),
      std::string::npos);
  EXPECT_NE(d.find("\r\nMessage-ID: <d1." + std::to_string(kT0) + "@example.org>\r\n"),
            std::string::npos);
  EXPECT_NE(d.find("Content-Type: text/plain; charset=utf-8\r\n"), std::string::npos);
  EXPECT_NE(d.find("\r\n\r\n"), std::string::npos);
  EXPECT_NE(d.find("indicator: pool.example:3333\r\n"), std::string::npos);
  EXPECT_NE(d.find("evidence:  {\"agent\":\"XMRig/6.16.0\"}"), std::string::npos);
  // Every line ends in CRLF, none is longer than 998 octets.
  size_t start = 0;
  for (size_t i = 0; i < d.size(); ++i) {
    if (d[i] == '\n') {
      ASSERT_GT(i, 0u);
      EXPECT_EQ(d[i - 1], '\r');
      EXPECT_LE(i - start, 999u);
      start = i + 1;
    }
  }
}

TEST(Message, HostileFieldsCannotInjectHeaders) {
  Notice n = OneFinding();
  n.items[0].finding.finding.resource.hostname = "x\r\nBcc: victim@example.com";
  n.items[0].finding.finding.indicator = std::string(5000, 'A');
  EmailMessage m = RenderEmail(n, Soc(), "mw@example.org", kT0, "d2");
  size_t body = m.data.find("\r\n\r\n");
  EXPECT_EQ(m.data.substr(0, body).find("\r\nBcc:"), std::string::npos);
  size_t start = 0;
  for (size_t i = 0; i < m.data.size(); ++i) {
    if (m.data[i] == '\n') {
      EXPECT_LE(i - start, 999u);
      start = i + 1;
    }
  }
}

TEST(Message, NonAsciiHeadersAreEncodedWords) {
  EXPECT_EQ(EncodeHeaderValue("plain"), "plain");
  EXPECT_EQ(EncodeHeaderValue("caf\xC3\xA9"), "=?UTF-8?B?Y2Fmw6k=?=");
  EXPECT_EQ(EncodeHeaderValue("a\r\nb"), "a  b");
  std::string long_utf8;
  for (int i = 0; i < 40; ++i) long_utf8 += "\xC3\xA9";
  std::string enc = EncodeHeaderValue(long_utf8);
  EXPECT_NE(enc.find("?=\r\n =?UTF-8?B?"), std::string::npos);  // folded into several words
  EXPECT_EQ(enc.find("\r\n\r\n"), std::string::npos);
}

TEST(Message, WebhookPayload) {
  Notice d = OneFinding();
  d.digest = true;
  d.window_start = kT0;
  d.window_end = kT0 + 600LL * 1000000;
  d.omitted_findings = 2;
  d.omitted_events = 20;
  auto j = WebhookPayload(d, Soc(), kT0 + 600LL * 1000000);
  EXPECT_EQ(j["type"], "digest");
  EXPECT_EQ(j["contact"], "SOC");
  EXPECT_EQ(j["findings"][0]["id"], "abc123");
  EXPECT_EQ(j["findings"][0]["notify_reason"], "new");
  EXPECT_EQ(j["findings"][0]["state"], "active");
  EXPECT_EQ(j["window"]["start"], "2026-01-01T00:00:00.000000Z");
  EXPECT_EQ(j["omitted_changes"], 2);
  EXPECT_EQ(WebhookPayload(OneFinding(), Soc(), kT0)["type"], "finding");
}

}  // namespace
}  // namespace mw::notify
