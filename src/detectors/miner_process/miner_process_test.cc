// minerwatch — SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "detectors/host_detector_testing.h"
#include "detectors/miner_process/miner_heuristics.h"

namespace mw {
namespace {

using hostscan::MinerEvidenceEvent;
using hostscan::ProcessEvent;
using hostscan::ProcessInfo;
using testing::HostEngine;

TEST(MinerHeuristics, CommandLineDisguiseAndDeletedExecutables) {
  ProcessInfo p;
  p.pid = 10;
  p.cmdline = {"./x", "-o", "stratum+tcp://pool.example.org:3333", "--donate-level=1"};
  auto kinds = [](const ProcessInfo& proc) {
    std::vector<hostscan::MinerReason::Kind> out;
    for (const auto& r : MinerProcessReasons(proc, 50)) out.push_back(r.kind);
    return out;
  };
  using Kind = hostscan::MinerReason::Kind;
  EXPECT_EQ(kinds(p), (std::vector<Kind>{Kind::kPoolUrl, Kind::kMinerOptions}));
  ProcessInfo q;
  q.cmdline = {"kworker/0:1"};
  q.exe = "/tmp/.x/kworker";
  q.exe_deleted = true;
  q.exe_suspicious_dir = true;
  q.cpu_percent = 190;
  EXPECT_EQ(kinds(q),
            (std::vector<Kind>{Kind::kKernelThreadName, Kind::kDeletedExe, Kind::kHiddenDir}));
  q.cpu_percent = 1;  // idle, and no disguise: deleted executables are common after upgrades
  q.comm = "updater";
  q.cmdline = {"/tmp/.x/updater"};
  EXPECT_TRUE(MinerProcessReasons(q, 50).empty());
  q.cpu_percent = 190;
  EXPECT_EQ(MinerProcessReasons(q, 50).size(), 2u);  // deleted, plus the hidden dir as support
  q.exe_deleted = false;  // a busy program in /tmp alone: a compiler test, a benchmark
  EXPECT_TRUE(MinerProcessReasons(q, 50).empty());
  ProcessInfo benign;
  benign.cmdline = {"python3", "-m", "http.server"};
  benign.cpu_percent = 100;
  EXPECT_TRUE(MinerProcessReasons(benign, 50).empty());
}

ProcessInfo Xmrig() {
  ProcessInfo p;
  p.pid = 4101;
  p.comm = "xmrig";
  p.exe = "/opt/xmrig/xmrig";
  p.cmdline = {"/opt/xmrig/xmrig", "-o", "stratum+tcp://pool.example.org:3333"};
  return p;
}

ProcessInfo BusyDeletedKworker() {
  ProcessInfo p;
  p.pid = 4102;
  p.comm = "kworker/1:1";
  p.exe = "/var/tmp/.x/kworker";
  p.exe_deleted = true;
  p.cpu_percent = 180;
  p.cmdline = {"kworker/1:1"};
  return p;
}

TEST(MinerProcessDetector, PoolUrlIsAHighMinerProcessFinding) {
  HostEngine engine;
  ProcessInfo p = Xmrig();
  engine.bus().Publish(ProcessEvent{HostEngine::kHost, p, 50});
  const Finding* f = engine.Find(category::kMinerProcess);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->indicator, "pid:4101:/opt/xmrig/xmrig");
  EXPECT_EQ(f->resource.host_ip, "10.0.0.5");
  EXPECT_EQ(f->resource.hostname, "web-1");
  EXPECT_EQ(f->detector, "miner_process");
  EXPECT_EQ(f->stage, Stage::kMining);
  EXPECT_EQ(f->severity, Severity::kHigh);
  EXPECT_EQ(f->attack, std::vector<std::string>{"T1496"});
  EXPECT_EQ(f->evidence["processes"][0]["pid"], 4101);
  EXPECT_EQ(f->evidence["reasons"][0], "pool URL in command line");
}

TEST(MinerProcessDetector, DisguiseAddsItsAttackTechniques) {
  HostEngine engine;
  ProcessInfo p = BusyDeletedKworker();
  engine.bus().Publish(ProcessEvent{HostEngine::kHost, p, 50});
  const Finding* f = engine.Find(category::kMinerProcess);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kHigh);  // two independent signs
  EXPECT_EQ(f->attack, (std::vector<std::string>{"T1496", "T1036.004", "T1070.004"}));
}

// Techniques come from what was seen, not from words in the reasons' text: a folder named
// ".deleted" is no deleted executable.
TEST(MinerProcessDetector, AttackIdsFollowTheReasonKindNotItsText) {
  HostEngine engine;
  ProcessInfo p = BusyDeletedKworker();
  p.exe = "/var/tmp/.deleted/kworker";
  p.exe_deleted = false;
  p.exe_suspicious_dir = true;
  engine.bus().Publish(ProcessEvent{HostEngine::kHost, p, 50});
  const Finding* f = engine.Find(category::kMinerProcess);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->attack, (std::vector<std::string>{"T1496", "T1036.004"}));
  EXPECT_EQ(f->evidence["reasons"][1], "runs from /var/tmp/.deleted/, CPU 180%");
}

TEST(MinerProcessDetector, OrdinaryProcessIsNoFinding) {
  HostEngine engine;
  ProcessInfo p;
  p.pid = 7;
  p.cmdline = {"python3", "-m", "http.server"};
  p.cpu_percent = 100;
  engine.bus().Publish(ProcessEvent{HostEngine::kHost, p, 50});
  EXPECT_EQ(engine.findings().size(), 0u);
}

// Switched off, it reports nothing, but the evidence still reaches the memory and autostart
// passes (the scanner listens for MinerEvidenceEvent).
TEST(MinerProcessDetector, SwitchedOffReportsNothingButEvidenceStillFlows) {
  HostEngine engine({"miner_process"});
  std::vector<std::string> evidence_for;
  engine.bus().On<MinerEvidenceEvent>(
      [&](const MinerEvidenceEvent& e) { evidence_for.push_back(e.process.exe); });
  ProcessInfo p = Xmrig();
  engine.bus().Publish(ProcessEvent{HostEngine::kHost, p, 50});
  EXPECT_EQ(engine.findings().size(), 0u);
  EXPECT_EQ(evidence_for, std::vector<std::string>{"/opt/xmrig/xmrig"});
}

}  // namespace
}  // namespace mw
