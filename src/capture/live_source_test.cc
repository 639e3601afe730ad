// minerwatch — SPDX-License-Identifier: Apache-2.0
// Live capture on the loopback interface (127.0.0.0/8 only). Skips when capturing is not
// permitted (no root / CAP_NET_RAW).
#include "capture/live_source.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

namespace mw::capture {
namespace {

void SendUdp(uint16_t port, const char* msg) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::sendto(fd, msg, std::strlen(msg), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
  ::close(fd);
}

TEST(LiveSourceTest, CapturesLoopbackWithFilterAndStops) {
  const uint16_t port = uint16_t(40000 + ::getpid() % 20000);
  auto src =
      LiveSource::Open({.interface = "lo", .bpf = "udp and dst port " + std::to_string(port)});
  if (!src) GTEST_SKIP() << "cannot capture on lo: " << src.error().message();
  std::thread sender([port] {
    for (int i = 0; i < 20; ++i) {
      SendUdp(port, "minerwatch-live-test");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  RawPacket p;
  auto got = (*src)->Next(p);
  sender.join();
  ASSERT_TRUE(got) << got.error().message();
  ASSERT_TRUE(*got);
  EXPECT_GT(p.ts, 0);
  std::string_view data = AsChars(p.data);
  EXPECT_NE(data.find("minerwatch-live-test"), std::string_view::npos);
  EXPECT_GE((*src)->stats().received, 1u);

  // Stop() from another thread ends a blocked Next() promptly.
  auto start = std::chrono::steady_clock::now();
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    (*src)->Stop();
  });
  RawPacket q;
  auto r = (*src)->Next(q);
  while (r && *r) r = (*src)->Next(q);  // drain anything still queued
  stopper.join();
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(LiveSourceTest, BadFilterAndInterfaceAreClearErrors) {
  auto bad = LiveSource::Open({.interface = "lo", .bpf = "this is not bpf"});
  if (!bad && bad.error().message().find("bad filter") == std::string::npos &&
      bad.error().message().find("cannot start") != std::string::npos)
    GTEST_SKIP() << "cannot capture on lo: " << bad.error().message();
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("bad filter"), std::string::npos) << bad.error().message();
  auto none = LiveSource::Open({.interface = "mw-no-such-if0"});
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message().find("mw-no-such-if0"), std::string::npos);
}

}  // namespace
}  // namespace mw::capture
