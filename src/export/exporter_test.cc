// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "export/exporter.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace mw::siem {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> Lines(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

store::StoredFinding Finding1(uint64_t revision, uint64_t count) {
  store::StoredFinding sf;
  sf.finding.id = "f1";
  sf.finding.category = std::string(category::kBadDomain);
  sf.finding.severity = Severity::kMedium;
  sf.finding.resource = {"192.0.2.7", ""};
  sf.finding.indicator = "xmr.pool.example";
  sf.finding.detector = "pool_intel";
  sf.finding.first_seen = 1767225600000000;
  sf.finding.last_seen = 1767225600000000 + int64_t(count);
  sf.finding.count = count;
  sf.finding.revision = revision;
  sf.evidence_samples = nlohmann::json::array({{{"big", std::string(1000, 'x')}}});
  return sf;
}

TEST(BoundedQueue, RefusesBeyondCapacityAndAfterClose) {
  BoundedQueue<int> q(2);
  EXPECT_TRUE(q.Push(1));
  EXPECT_TRUE(q.Push(2));
  EXPECT_FALSE(q.Push(3));
  EXPECT_EQ(*q.PopUntil(std::chrono::steady_clock::now()), 1);
  q.Close();
  EXPECT_FALSE(q.Push(4));
  EXPECT_EQ(*q.PopUntil(std::chrono::steady_clock::now()), 2);
  EXPECT_FALSE(
      q.PopUntil(std::chrono::steady_clock::now() + std::chrono::seconds(5)));  // closed: no wait
}

TEST(SiemExporter, NothingConfiguredIsNull) {
  auto e = SiemExporter::Start(config::ExportConfig{}, [](const std::string&) {});
  ASSERT_TRUE(e);
  EXPECT_EQ(*e, nullptr);
}

TEST(SiemExporter, BadSyslogAddressIsAnError) {
  config::ExportConfig c;
  c.syslog_address = "udp://nohost";
  auto e = SiemExporter::Start(c, [](const std::string&) {});
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message().find("missing port"), std::string::npos);
}

TEST(SiemExporter, WritesJsonlOcsfAndSyslog) {
  fs::path dir = fs::temp_directory_path() / ("mw_exp_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  int udp = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(udp, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  socklen_t len = sizeof(a);
  ::getsockname(udp, reinterpret_cast<sockaddr*>(&a), &len);

  config::ExportConfig c;
  c.jsonl_path = (dir / "findings.jsonl").string();
  c.ocsf_path = (dir / "ocsf.jsonl").string();
  c.syslog_address = "udp://127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  c.syslog_format = "cef";
  std::vector<std::string> logs;
  auto e = SiemExporter::Start(c, [&](const std::string& m) { logs.push_back(m); });
  ASSERT_TRUE(e) << e.error().message();
  ASSERT_NE(*e, nullptr);
  (*e)->OnChanges({Finding1(1, 1), Finding1(2, 5)});
  (*e)->Stop();
  EXPECT_EQ((*e)->stats().exported, 2u);
  EXPECT_EQ((*e)->stats().syslog_sent, 2u);

  auto jl = Lines(dir / "findings.jsonl");
  ASSERT_EQ(jl.size(), 2u);
  auto j = nlohmann::json::parse(jl[1]);
  EXPECT_EQ(j["id"], "f1");
  EXPECT_EQ(j["count"], 5);
  EXPECT_EQ(j["state"], "active");
  EXPECT_FALSE(j.contains("evidence_samples"));
  auto ol = Lines(dir / "ocsf.jsonl");
  ASSERT_EQ(ol.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(ol[0])["activity_id"], 1);  // created
  EXPECT_EQ(nlohmann::json::parse(ol[1])["activity_id"], 2);  // updated
  EXPECT_EQ(nlohmann::json::parse(ol[1])["class_uid"], 2004);

  char buf[8192];
  ssize_t n = ::recv(udp, buf, sizeof(buf), MSG_DONTWAIT);
  ASSERT_GT(n, 0);
  std::string msg(buf, size_t(n));
  EXPECT_EQ(msg.rfind("<132>1 ", 0), 0u) << msg;  // local0 * 8 + warning (medium)
  EXPECT_NE(msg.find("] CEF:0|minerwatch|minerwatch|"), std::string::npos) << msg;
  ::close(udp);
  fs::remove_all(dir);
  EXPECT_TRUE(logs.empty());
}

TEST(SiemExporter, UnwritableFileIsLoggedOnceAndCounted) {
  config::ExportConfig c;
  c.jsonl_path = "/proc/mw-no-such-dir/f.jsonl";
  std::vector<std::string> logs;
  auto e = SiemExporter::Start(c, [&](const std::string& m) { logs.push_back(m); });
  ASSERT_TRUE(e);
  (*e)->OnChanges({Finding1(1, 1), Finding1(2, 2), Finding1(3, 3)});
  (*e)->Stop();
  EXPECT_EQ((*e)->stats().write_errors, 3u);
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_NE(logs[0].find("/proc/mw-no-such-dir/f.jsonl"), std::string::npos);
}

}  // namespace
}  // namespace mw::siem
