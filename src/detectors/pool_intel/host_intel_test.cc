// minerwatch — SPDX-License-Identifier: Apache-2.0
// pool_intel on host events, and the persistence detector's intel reasons.
#include <gtest/gtest.h>

#include "detectors/host_detector_testing.h"

namespace mw {
namespace {

using hostscan::AutostartEvent;
using hostscan::PersistenceHit;
using hostscan::ProcessEvent;
using hostscan::ProcessInfo;
using hostscan::RemoteEndpoint;
using hostscan::SocketEvent;
using testing::HostEngine;

std::shared_ptr<const intel::IntelStore> TestIntel() {
  auto store = std::make_shared<intel::IntelStore>();
  intel::Entry pool{.source = "test", .category = "mining_pool", .note = "", .score = {}};
  EXPECT_TRUE(store->AddDomain("*.pool.example", intel::ListKind::kBlock, pool));
  EXPECT_TRUE(store->AddIpOrCidr("198.51.100.23", intel::ListKind::kBlock, pool));
  return store;
}

ProcessInfo Miner() {
  ProcessInfo p;
  p.pid = 4101;
  p.comm = "xmrig";
  p.exe = "/opt/xmrig/xmrig";
  p.cmdline = {"/opt/xmrig/xmrig", "-o", "stratum+tcp://xmr.pool.example:3333"};
  return p;
}

RemoteEndpoint To(std::string_view ip, uint16_t port) {
  return {.proto = "tcp",
          .local = *IpAddress::Parse("10.0.2.15"),
          .local_port = 42178,
          .remote = *IpAddress::Parse(ip),
          .remote_port = port,
          .state = 1};
}

TEST(HostIntel, SocketToAListedAddressIsABadIpNamingTheProcess) {
  HostEngine engine({}, TestIntel());
  ProcessInfo p = Miner();
  RemoteEndpoint s = To("198.51.100.23", 3333);
  engine.bus().Publish(SocketEvent{HostEngine::kHost, p, s});
  const Finding* f = engine.Find(category::kBadIp);
  ASSERT_NE(f, nullptr);
  // Not "198.51.100.23": the sensor's Bad IP for the same address keeps its own finding.
  EXPECT_EQ(f->indicator, "198.51.100.23 by /opt/xmrig/xmrig");
  EXPECT_EQ(f->detector, "pool_intel");
  EXPECT_EQ(f->stage, Stage::kMining);
  EXPECT_EQ(f->severity, Severity::kHigh);
  EXPECT_EQ(f->source, "test: mining_pool (198.51.100.23)");
  EXPECT_EQ(f->evidence["endpoint"], "tcp 10.0.2.15:42178 -> 198.51.100.23:3333");
  EXPECT_EQ(f->evidence["processes"][0]["pid"], 4101);
}

TEST(HostIntel, UnlistedAndLoopbackSocketsAreNoFinding) {
  HostEngine engine({}, TestIntel());
  ProcessInfo p = Miner();
  RemoteEndpoint other = To("192.0.2.1", 443);
  RemoteEndpoint loop = To("127.0.0.1", 3333);
  engine.bus().Publish(SocketEvent{HostEngine::kHost, p, other});
  engine.bus().Publish(SocketEvent{HostEngine::kHost, p, loop});
  EXPECT_EQ(engine.Find(category::kBadIp), nullptr);
}

TEST(HostIntel, ListedPoolOnTheCommandLineIsABadDomainNamingTheProcess) {
  HostEngine engine({"miner_process"}, TestIntel());
  ProcessInfo p = Miner();
  engine.bus().Publish(ProcessEvent{HostEngine::kHost, p, 50});
  const Finding* f = engine.Find(category::kBadDomain);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->indicator, "xmr.pool.example by /opt/xmrig/xmrig");
  EXPECT_EQ(f->attack, std::vector<std::string>{"T1496"});
  EXPECT_EQ(f->evidence["where"], "command line");
  EXPECT_EQ(engine.findings().size(), 1u);
}

TEST(HostIntel, ListedPoolAddressOnTheCommandLineIsABadIp) {
  // Pools are often given by address ("-o 198.51.100.23:3333"): a domain lookup never lists it.
  HostEngine engine({"miner_process"}, TestIntel());
  ProcessInfo p = Miner();
  p.cmdline = {"/opt/xmrig/xmrig", "-o", "stratum+tcp://198.51.100.23:3333"};
  engine.bus().Publish(ProcessEvent{HostEngine::kHost, p, 50});
  const Finding* f = engine.Find(category::kBadIp);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->indicator, "198.51.100.23 by /opt/xmrig/xmrig");
  EXPECT_EQ(f->source, "test: mining_pool (198.51.100.23)");
  EXPECT_EQ(f->evidence["where"], "command line");
  EXPECT_EQ(engine.Find(category::kBadDomain), nullptr);
  EXPECT_EQ(engine.findings().size(), 1u);
}

TEST(HostIntel, SwitchedOffReportsNothing) {
  HostEngine engine({"pool_intel", "miner_process"}, TestIntel());
  ProcessInfo p = Miner();
  RemoteEndpoint s = To("198.51.100.23", 3333);
  engine.bus().Publish(ProcessEvent{HostEngine::kHost, p, 50});
  engine.bus().Publish(SocketEvent{HostEngine::kHost, p, s});
  EXPECT_EQ(engine.findings().size(), 0u);
}

TEST(PersistenceIntel, AnAutostartLineNamingAListedHostIsFlagged) {
  HostEngine engine({}, TestIntel());
  PersistenceHit listed{.file = "/etc/cron.d/sysstat",
                        .line = 2,
                        .text = "*/30 * * * * root /usr/local/bin/fetchcfg 198.51.100.23",
                        .kind = "cron",
                        .attack = "T1053.003",
                        .hosts = {"198.51.100.23"}};
  PersistenceHit unlisted = listed;
  unlisted.line = 3;
  unlisted.hosts = {"mirror.good.example"};
  engine.bus().Publish(AutostartEvent{HostEngine::kHost, "/", listed});
  engine.bus().Publish(AutostartEvent{HostEngine::kHost, "/", unlisted});
  ASSERT_EQ(engine.findings().size(), 1u);
  const Finding* f = engine.Find(category::kMinerAutostart);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->indicator, "/etc/cron.d/sysstat:2");
  EXPECT_EQ(f->severity, Severity::kHigh);
  EXPECT_EQ(f->evidence["reasons"][0], "names 198.51.100.23: test: mining_pool (198.51.100.23)");
}

}  // namespace
}  // namespace mw
