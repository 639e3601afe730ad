// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "export/syslog/syslog_output.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sinks/output_set.h"

namespace mw::siem {
namespace {

TEST(SyslogOutput, NotConfiguredIsNull) {
  auto o = SyslogOutput::Start(config::ExportConfig{});
  ASSERT_TRUE(o);
  EXPECT_EQ(*o, nullptr);
}

// A UDP syslog receiver on a free loopback port.
class UdpReceiver {
 public:
  UdpReceiver() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    socklen_t len = sizeof(a);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    address_ = "udp://127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  }
  ~UdpReceiver() { ::close(fd_); }
  const std::string& address() const { return address_; }
  std::string Receive() {
    char buf[8192];
    ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    return n > 0 ? std::string(buf, size_t(n)) : std::string();
  }

 private:
  int fd_;
  std::string address_;
};

store::StoredFinding Finding1(uint64_t revision) {
  store::StoredFinding sf;
  sf.finding.id = "f1";
  sf.finding.category = std::string(category::kBadDomain);
  sf.finding.severity = Severity::kMedium;
  sf.finding.revision = revision;
  return sf;
}

TEST(SyslogOutput, BadAddressIsANamedStartError) {
  config::ServiceConfig cfg;
  cfg.exports.syslog_address = "udp://nohost";
  OutputRegistry r;
  RegisterSyslogOutput(r);
  auto e = OutputSet::Start(r, {.host = OutputHost::kService, .config = &cfg});
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message().find("missing port"), std::string::npos);
  EXPECT_EQ(e.error().message().rfind("syslog: ", 0), 0u) << "the output is named";
}

TEST(SyslogOutput, CefOverUdpThroughTheSeam) {
  UdpReceiver rx;
  config::ServiceConfig cfg;
  cfg.exports.syslog_address = rx.address();
  cfg.exports.syslog_format = "cef";
  OutputRegistry r;
  RegisterSyslogOutput(r);
  auto e = OutputSet::Start(r, {.host = OutputHost::kService, .config = &cfg});
  ASSERT_TRUE(e) << e.error().message();
  std::vector<store::StoredFinding> changes = {Finding1(1), Finding1(2)};
  ASSERT_TRUE((*e)->Write({ChangeKind::kDetected, changes}));
  (*e)->Stop();
  double sent = -1;
  for (const auto& c : (*e)->Counters())
    if (c.name == "minerwatch_export_syslog_sent_total") sent = c.value;
  EXPECT_EQ(sent, 2);
  std::string msg = rx.Receive();
  EXPECT_EQ(msg.rfind("<132>1 ", 0), 0u) << msg;  // local0 * 8 + warning (medium)
  EXPECT_NE(msg.find("] CEF:0|minerwatch|minerwatch|"), std::string::npos) << msg;
}

TEST(SyslogOutput, OcsfFormatSendsTheOcsfDocumentAsMsg) {
  UdpReceiver rx;
  config::ExportConfig c;
  c.syslog_address = rx.address();
  c.syslog_format = "ocsf";
  auto o = SyslogOutput::Start(c);
  ASSERT_TRUE(o) << o.error().message();
  ASSERT_NE(*o, nullptr);
  std::vector<store::StoredFinding> changes = {Finding1(1)};
  ASSERT_TRUE((*o)->Write({ChangeKind::kDetected, changes}));
  EXPECT_EQ((*o)->stats().delivered, 1u);
  std::string msg = rx.Receive();
  EXPECT_NE(msg.find("] {\"activity_id\":1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"class_uid\":2004"), std::string::npos) << msg;
}

}  // namespace
}  // namespace mw::siem
