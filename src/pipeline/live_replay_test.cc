// minerwatch — SPDX-License-Identifier: Apache-2.0
// A windowed detector decides the same on a capture file and on the same packets replayed live:
// the engine's clock is input time (packet timestamps; wall time only while a live link is idle).
// The packets go out of one end of a veth pair in a network namespace this test makes, at their
// recorded spacing, and the live sensor captures the other end. Needs root (exits with a skip
// message otherwise).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "engine/burst_test_detector.h"
#include "pipeline/sensor.h"

namespace mw {
namespace {

using engine::testing::BurstRegistry;
using engine::testing::kBurst;

uint16_t Checksum(const uint8_t* p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += uint32_t(p[i] << 8 | p[i + 1]);
  if (n & 1) sum += uint32_t(p[n - 1] << 8);
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return uint16_t(~sum);
}

// An Ethernet/IPv4/TCP SYN from client:sport to 198.18.7.1:443.
std::vector<uint8_t> Syn(uint8_t client, uint16_t sport) {
  std::vector<uint8_t> f(14 + 20 + 20, 0);
  std::fill(f.begin(), f.begin() + 6, 0xFF);  // broadcast: every capture sees it
  f[6] = 0x02;
  f[11] = client;
  f[12] = 0x08;  // IPv4
  uint8_t* ip = f.data() + 14;
  ip[0] = 0x45;
  ip[3] = 40;
  ip[8] = 64;
  ip[9] = 6;
  const uint8_t src[4] = {198, 18, 7, client}, dst[4] = {198, 18, 7, 1};
  std::copy(src, src + 4, ip + 12);
  std::copy(dst, dst + 4, ip + 16);
  uint16_t c = Checksum(ip, 20);
  ip[10] = uint8_t(c >> 8);
  ip[11] = uint8_t(c);
  uint8_t* tcp = ip + 20;
  tcp[0] = uint8_t(sport >> 8);
  tcp[1] = uint8_t(sport);
  tcp[2] = 443 >> 8;
  tcp[3] = 443 & 0xFF;
  tcp[7] = 1;
  tcp[12] = 0x50;
  tcp[13] = 0x02;  // SYN
  tcp[14] = 0xFF;
  return f;
}

struct Packet {
  int64_t offset_us;
  std::vector<uint8_t> frame;
};

// Client .2: 5 flows within 0.5 s, quiet, then 4 more at 3 s (a second window); client .3:
// 2 flows (never a burst); client .4: 3 flows at 2.2 s, exactly the threshold.
std::vector<Packet> Traffic() {
  std::vector<Packet> out;
  uint16_t port = 40000;
  for (int i = 0; i < 5; ++i) out.push_back({i * 100'000, Syn(2, port++)});
  for (int i = 0; i < 2; ++i) out.push_back({150'000 + i * 100'000, Syn(3, port++)});
  for (int i = 0; i < 3; ++i) out.push_back({2'200'000 + i * 50'000, Syn(4, port++)});
  for (int i = 0; i < 4; ++i) out.push_back({3'000'000 + i * 100'000, Syn(2, port++)});
  std::sort(out.begin(), out.end(),
            [](const Packet& a, const Packet& b) { return a.offset_us < b.offset_us; });
  return out;
}

void WritePcap(const std::string& path, const std::vector<Packet>& packets) {
  pcap_t* dead = pcap_open_dead(DLT_EN10MB, 65535);
  pcap_dumper_t* d = pcap_dump_open(dead, path.c_str());
  ASSERT_NE(d, nullptr) << pcap_geterr(dead);
  const int64_t t0 = 1'700'000'000'000'000;
  for (const auto& p : packets) {
    pcap_pkthdr h{};
    int64_t ts = t0 + p.offset_us;
    h.ts.tv_sec = ts / 1'000'000;
    h.ts.tv_usec = ts % 1'000'000;
    h.caplen = h.len = uint32_t(p.frame.size());
    pcap_dump(reinterpret_cast<u_char*>(d), &h, p.frame.data());
  }
  pcap_dump_close(d);
  pcap_close(dead);
}

// (host, indicator) → flows, the part of a burst finding both runs must agree on.
using Bursts = std::map<std::pair<std::string, std::string>, uint64_t>;

void Add(Bursts& into, std::span<const Finding> findings) {
  for (const auto& f : findings) {
    if (f.category == kBurst) into[{f.resource.host_ip, f.indicator}] = f.evidence["flows"];
  }
}

bool Sh(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0; }

TEST(LiveReplay, WindowedDetectorAgreesOnCaptureAndLive) {
  if (geteuid() != 0) GTEST_SKIP() << "SKIP: needs root (a network namespace and a veth pair)";
  ASSERT_EQ(unshare(CLONE_NEWNET), 0) << "unshare(CLONE_NEWNET): " << std::strerror(errno);
  ASSERT_TRUE(
      Sh("ip link set lo up && ip link add mwr0 type veth peer name mwr1 && "
         "ip link set mwr0 up && ip link set mwr1 up"))
      << "cannot make a veth pair (iproute2)";
  // IPv6 autoconfiguration would add its own packets (and flows) to the link.
  Sh("sysctl -w net.ipv6.conf.mwr1.disable_ipv6=1 net.ipv6.conf.mwr0.disable_ipv6=1");

  DetectorRegistry registry = BurstRegistry();
  SensorOptions options;
  options.engine.registry = &registry;
  options.flush_interval_s = 1;

  const std::vector<Packet> traffic = Traffic();
  const std::string pcap =
      (std::filesystem::temp_directory_path() / ("mw-live-replay-" + std::to_string(getpid())))
          .string() +
      ".pcap";
  WritePcap(pcap, traffic);
  Bursts from_file;
  auto stats = RunFiles({pcap}, options, [&](std::span<const Finding> f) { Add(from_file, f); });
  std::filesystem::remove(pcap);
  ASSERT_TRUE(stats) << stats.error().message();
  const Bursts expected = {{{"198.18.7.2", "burst 1"}, 5},
                           {{"198.18.7.2", "burst 2"}, 4},
                           {{"198.18.7.4", "burst 1"}, 3}};
  EXPECT_EQ(from_file, expected);

  std::mutex mu;
  Bursts live;
  LiveOptions lo;
  lo.interfaces = {"mwr1"};
  auto sensor = LiveSensor::Start(lo, options, [&](std::span<const Finding> f) {
    std::lock_guard<std::mutex> lock(mu);
    Add(live, f);
  });
  ASSERT_TRUE(sensor) << sensor.error().message();
  int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
  ASSERT_GE(fd, 0);
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_ifindex = int(if_nametoindex("mwr0"));
  to.sll_halen = 6;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the capture is open
  auto start = std::chrono::steady_clock::now();
  for (const auto& p : traffic) {
    std::this_thread::sleep_until(start + std::chrono::microseconds(p.offset_us));
    ASSERT_EQ(
        sendto(fd, p.frame.data(), p.frame.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to),
        ssize_t(p.frame.size()));
  }
  close(fd);
  // The windows close on the live clock, not at Stop(): wait for them without sending more.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (live.size() >= expected.size() || std::chrono::steady_clock::now() > deadline) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  Bursts before_stop;
  {
    std::lock_guard<std::mutex> lock(mu);
    before_stop = live;
  }
  (*sensor)->Stop();
  EXPECT_EQ(before_stop, expected) << "windows did not close on the live clock before Stop()";
  EXPECT_EQ(live, from_file);
  Sh("ip link del mwr0");
}

}  // namespace
}  // namespace mw
