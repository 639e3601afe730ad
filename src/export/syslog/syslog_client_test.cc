// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "export/syslog/syslog_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace mw::siem {
namespace {

// A loopback socket bound to port 0.
struct Listener {
  int fd = -1;
  uint16_t port = 0;
  explicit Listener(int type) {
    fd = ::socket(AF_INET, type, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    socklen_t len = sizeof(a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    if (type == SOCK_STREAM) ::listen(fd, 4);
  }
  ~Listener() {
    if (fd >= 0) ::close(fd);
  }
};

std::string ReadFor(int fd, size_t want) {
  std::string got;
  char buf[4096];
  while (got.size() < want) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 2000) != 1) break;
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    got.append(buf, size_t(n));
  }
  return got;
}

SyslogClientOptions Opts(bool tcp, uint16_t port) {
  SyslogClientOptions o;
  o.address = {tcp, "127.0.0.1", port};
  o.io_timeout = std::chrono::milliseconds(500);
  return o;
}

TEST(SyslogClient, TcpOctetCounting) {
  Listener l(SOCK_STREAM);
  SyslogClient c(Opts(true, l.port));
  c.Send("<134>1 - - - - - - one");
  c.Send("<134>1 - - - - - - two\xC3\xA9");
  int conn = ::accept(l.fd, nullptr, nullptr);
  ASSERT_GE(conn, 0);
  std::string want = "22 <134>1 - - - - - - one24 <134>1 - - - - - - two\xC3\xA9";
  EXPECT_EQ(ReadFor(conn, want.size()), want);
  EXPECT_EQ(c.sent(), 2u);
  ::close(conn);
}

TEST(SyslogClient, TcpNewlineFraming) {
  Listener l(SOCK_STREAM);
  auto o = Opts(true, l.port);
  o.framing = TcpFraming::kNewline;
  SyslogClient c(o);
  c.Send("a");
  c.Send("b");
  int conn = ::accept(l.fd, nullptr, nullptr);
  EXPECT_EQ(ReadFor(conn, 4), "a\nb\n");
  ::close(conn);
}

TEST(SyslogClient, UdpOneDatagramPerMessage) {
  Listener l(SOCK_DGRAM);
  SyslogClient c(Opts(false, l.port));
  c.Send("first");
  c.Send("second");
  char buf[100];
  ssize_t n = ::recv(l.fd, buf, sizeof(buf), 0);
  EXPECT_EQ(std::string(buf, size_t(n)), "first");
  n = ::recv(l.fd, buf, sizeof(buf), 0);
  EXPECT_EQ(std::string(buf, size_t(n)), "second");
  EXPECT_EQ(c.sent(), 2u);
}

TEST(SyslogClient, TcpOutageKeepsMessagesAndReconnects) {
  uint16_t port;
  {
    Listener probe(SOCK_STREAM);
    port = probe.port;
  }  // closed: connections are refused now
  SyslogClient c(Opts(true, port));
  c.Send("kept-1");
  c.Send("kept-2");
  EXPECT_EQ(c.sent(), 0u);
  EXPECT_EQ(c.pending(), 2u);
  EXPECT_NE(c.ConsumeError().find("Connection refused"), std::string::npos);
  EXPECT_EQ(c.ConsumeError(), "");  // reported once per outage

  // The receiver comes back on the same port; after the backoff the queue goes out in order.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  ::listen(fd, 4);
  c.Flush();
  EXPECT_EQ(c.sent(), 0u) << "must wait for the backoff";
  ::usleep(1100 * 1000);
  c.Flush();
  EXPECT_EQ(c.sent(), 2u);
  int conn = ::accept(fd, nullptr, nullptr);
  EXPECT_EQ(ReadFor(conn, 16), "6 kept-16 kept-2");

  // The receiver restarts: the client notices the closed connection and dials again.
  ::close(conn);
  ::usleep(50 * 1000);
  c.Send("after-restart");
  conn = ::accept(fd, nullptr, nullptr);
  EXPECT_EQ(ReadFor(conn, 16), "13 after-restart");
  ::close(conn);
  ::close(fd);
}

TEST(SyslogClient, PendingIsBounded) {
  uint16_t port;
  {
    Listener probe(SOCK_STREAM);
    port = probe.port;
  }
  auto o = Opts(true, port);
  o.max_pending = 3;
  SyslogClient c(o);
  for (int i = 0; i < 10; ++i) c.Send("m" + std::to_string(i));
  EXPECT_EQ(c.pending(), 3u);
  EXPECT_EQ(c.dropped(), 7u);
}

}  // namespace
}  // namespace mw::siem
