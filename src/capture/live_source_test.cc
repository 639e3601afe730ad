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
#include <map>
#include <set>
#include <thread>
#include <utility>

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

// A UDP socket on 127.0.0.1:"port".
int BoundUdp(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in at{};
  at.sin_family = AF_INET;
  at.sin_port = htons(port);
  at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&at), sizeof at) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void SendFrom(int fd, uint16_t to_port) {
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(to_port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::sendto(fd, "fanout", 6, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
}

// The unordered UDP port pair of an Ethernet/IPv4/UDP frame (loopback frames are Ethernet).
std::pair<uint16_t, uint16_t> PortPair(ByteView frame) {
  const uint8_t* udp = frame.data() + 14 + (frame[14] & 0x0F) * 4;
  uint16_t a = uint16_t(udp[0] << 8 | udp[1]), b = uint16_t(udp[2] << 8 | udp[3]);
  return {std::min(a, b), std::max(a, b)};
}

// Two sources in one fanout group split the flows, and both directions of a flow reach the same
// source: what lets each capture worker reassemble and parse its flows alone.
TEST(LiveSourceTest, FanoutKeepsBothDirectionsOfAFlowTogether) {
  const uint16_t base = uint16_t(20000 + ::getpid() % 10000 * 2);
  constexpr int kFlows = 24;
  const std::string bpf =
      "udp and portrange " + std::to_string(base) + "-" + std::to_string(base + 2 * kFlows - 1);
  auto first = LiveSource::Open({.interface = "lo", .bpf = bpf});
  if (!first) GTEST_SKIP() << "cannot capture on lo: " << first.error().message();
  auto second = LiveSource::Open({.interface = "lo", .bpf = bpf});
  ASSERT_TRUE(second) << second.error().message();
  auto group = (*first)->CreateFanout();
  ASSERT_TRUE(group) << group.error().message();
  ASSERT_TRUE((*second)->JoinFanout(*group));

  for (int i = 0; i < kFlows; ++i) {
    const uint16_t client = uint16_t(base + 2 * i), server = uint16_t(client + 1);
    int c = BoundUdp(client), s = BoundUdp(server);
    ASSERT_GE(c, 0);
    ASSERT_GE(s, 0);
    for (int k = 0; k < 2; ++k) {
      SendFrom(c, server);
      SendFrom(s, client);
    }
    ::close(c);
    ::close(s);
  }
  // Stop first: Next() then hands out what the ring holds and returns false once it is empty.
  (*first)->Stop();
  (*second)->Stop();
  std::map<std::pair<uint16_t, uint16_t>, std::set<int>> sources_of_flow;
  std::map<std::pair<uint16_t, uint16_t>, int> packets_of_flow;
  int per_source[2] = {0, 0};
  LiveSource* sources[2] = {first->get(), second->get()};
  for (int which = 0; which < 2; ++which) {
    RawPacket p;
    for (auto r = sources[which]->Next(p); r && *r; r = sources[which]->Next(p)) {
      auto flow = PortPair(p.data);
      sources_of_flow[flow].insert(which);
      packets_of_flow[flow]++;
      per_source[which]++;
    }
  }
  ASSERT_EQ(sources_of_flow.size(), size_t(kFlows));
  for (const auto& [flow, which] : sources_of_flow) {
    EXPECT_EQ(which.size(), 1u) << "flow " << flow.first << "<->" << flow.second
                                << " reached both sources";
    EXPECT_EQ(packets_of_flow[flow], 4) << "flow " << flow.first << "<->" << flow.second;
  }
  // 24 flows all on one of two sources: 2^-23 by chance.
  EXPECT_GT(per_source[0], 0);
  EXPECT_GT(per_source[1], 0);
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
