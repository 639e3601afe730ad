// minerwatch — SPDX-License-Identifier: Apache-2.0
// memory_rules, hash_match and combined_detection: MemoryScanEvents in, findings out.
#include <gtest/gtest.h>

#include "detectors/host_detector_testing.h"

namespace mw {
namespace {

using hostscan::MemoryScanEvent;
using hostscan::PageDbBinary;
using hostscan::PageDbHit;
using hostscan::ProcessInfo;
using hostscan::ProcessMemResult;
using hostscan::YaraHit;
using testing::HostEngine;

const match::RuleInfo kRandomX{.name = "MW_RandomX_Constants",
                               .ns = "randomx.yar",
                               .description = "RandomX",
                               .family = "xmrig",
                               .evidence = match::Evidence::kProofOfWork};
const match::RuleInfo kPoolHosts{.name = "MW_Pool_And_Donation_Hosts",
                                 .ns = "pools.yar",
                                 .description = "pool hosts",
                                 .family = "",
                                 .evidence = match::Evidence::kNames};
const PageDbBinary kXmrigBuild{.family = "xmrig", .sha256 = "ab", .name = "xmrig", .pages = 100};

ProcessInfo Proc() {
  ProcessInfo p;
  p.pid = 300;
  p.comm = "java";
  p.exe = "/usr/bin/java";
  p.exe_sha256 = "cd";
  return p;
}

ProcessMemResult Hits(std::initializer_list<const match::RuleInfo*> rules) {
  ProcessMemResult m;
  m.read_method = "process_vm_readv";
  for (const match::RuleInfo* r : rules) {
    m.hits.push_back({.rule = r,
                      .region_start = 0x1000,
                      .region_end = 0x2000,
                      .perms = "rw-p",
                      .address = 0x1010,
                      .string_id = "$a"});
  }
  return m;
}

struct Scan {
  ProcessInfo process = Proc();
  ProcessMemResult memory;
  std::vector<PageDbHit> pages;
  bool miner_evidence = false;
  void PublishOn(HostEngine& engine) const {
    engine.bus().Publish(
        MemoryScanEvent{HostEngine::kHost, process, memory, pages, miner_evidence});
  }
};

TEST(MemoryRulesDetector, ProofOfWorkRuleIsStageOne) {
  HostEngine engine;
  Scan{.memory = Hits({&kRandomX})}.PublishOn(engine);
  const Finding* f = engine.Find(category::kYaraRule);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->indicator, "sha256:cd");
  EXPECT_EQ(f->detector, "memory_rules");
  EXPECT_EQ(f->stage, Stage::kMining);
  EXPECT_EQ(f->severity, Severity::kHigh);
  EXPECT_EQ(f->source, "randomx.yar");
  EXPECT_EQ(f->evidence["proof"], "proof_of_work rule");
  EXPECT_EQ(f->evidence["families"], "xmrig");
  EXPECT_EQ(f->evidence["rules"][0]["region"], "0x1000-0x2000 rw-p");
  EXPECT_EQ(engine.Find(category::kMinerStrings), nullptr);
}

TEST(MemoryRulesDetector, NamesAloneAreLowStageZero) {
  HostEngine engine;
  Scan{.memory = Hits({&kPoolHosts})}.PublishOn(engine);
  EXPECT_EQ(engine.Find(category::kYaraRule), nullptr);
  const Finding* f = engine.Find(category::kMinerStrings);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->stage, Stage::kPrecursor);
  EXPECT_EQ(f->severity, Severity::kLow);
  EXPECT_TRUE(f->evidence.contains("why_not_stage_1"));
}

TEST(MemoryRulesDetector, NamesInAMinerProcessAreStageOne) {
  HostEngine engine;
  Scan{.memory = Hits({&kPoolHosts}), .miner_evidence = true}.PublishOn(engine);
  const Finding* f = engine.Find(category::kYaraRule);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->evidence["proof"], "miner process");
}

TEST(HashMatchDetector, PageMatchIsAHashMatchFinding) {
  HostEngine engine;
  Scan{.pages = {{.binary = &kXmrigBuild, .matched = 80, .percent = 80.04}}}.PublishOn(engine);
  const Finding* f = engine.Find(category::kHashMatch);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->detector, "hash_match");
  EXPECT_EQ(f->severity, Severity::kHigh);
  EXPECT_EQ(f->source, "pagedb");
  EXPECT_EQ(f->evidence["page_matches"][0]["percent"], 80.0);
  EXPECT_EQ(engine.Find(category::kCombined), nullptr);  // no rule hit
  EXPECT_EQ(engine.Find(category::kYaraRule), nullptr);
}

TEST(CombinedDetectionDetector, RuleAndPagesTogetherAreCritical) {
  HostEngine engine;
  Scan{.memory = Hits({&kPoolHosts}), .pages = {{.binary = &kXmrigBuild, .matched = 80}}}.PublishOn(
      engine);
  const Finding* f = engine.Find(category::kCombined);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kCritical);
  EXPECT_EQ(f->source, "yara+pagedb");
  // With a page match, names back up the pages: stage 1 for memory_rules too.
  ASSERT_NE(engine.Find(category::kYaraRule), nullptr);
  EXPECT_EQ(engine.Find(category::kYaraRule)->evidence["proof"], "page match");
}

TEST(MemoryDetectors, EachSwitchStopsOnlyItsOwnCategories) {
  HostEngine engine({"memory_rules", "combined_detection"});
  Scan{.memory = Hits({&kRandomX}), .pages = {{.binary = &kXmrigBuild, .matched = 80}}}.PublishOn(
      engine);
  EXPECT_EQ(engine.Find(category::kYaraRule), nullptr);
  EXPECT_EQ(engine.Find(category::kCombined), nullptr);
  EXPECT_NE(engine.Find(category::kHashMatch), nullptr);
}

}  // namespace
}  // namespace mw
