// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "pipeline/finding_merger.h"

#include <gtest/gtest.h>

#include "findings/finding_emitter.h"

namespace mw {
namespace {

constexpr std::string_view kCat = category::kPoolProtocol;

// Two workers each saw one connection of the same miner to the same pool.
TEST(FindingMerger, SameMinerOnTwoWorkersIsOneFinding) {
  FindingEmitter a, b;
  Finding& fa = a.Upsert(kCat, "10.0.0.5", "pool.example:3333", 1000);
  fa.evidence["worker"] = "a";
  fa.attack = {"T1496"};
  b.Upsert(kCat, "10.0.0.5", "pool.example:3333", 500);
  Finding& fb = b.Upsert(kCat, "10.0.0.5", "pool.example:3333", 3000);
  fb.evidence["worker"] = "b";
  fb.stage = Stage::kMining;
  fb.severity = Severity::kHigh;
  fb.attack = {"T1496", "T1571"};

  FindingMerger merger(2);
  merger.Add(0, a.TakeChanged());
  merger.Add(1, b.TakeChanged());
  auto out = merger.TakeChanged();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(merger.size(), 1u);
  const Finding& m = out[0];
  EXPECT_EQ(m.first_seen, 500);
  EXPECT_EQ(m.last_seen, 3000);
  EXPECT_EQ(m.count, 3u);
  EXPECT_EQ(m.revision, 3u);
  EXPECT_EQ(m.stage, Stage::kMining);
  EXPECT_EQ(m.severity, Severity::kHigh);
  EXPECT_EQ(m.attack, (std::vector<std::string>{"T1496", "T1571"}));
  EXPECT_EQ(m.evidence["worker"], "b") << "evidence is the part seen last";
}

TEST(FindingMerger, OnlyChangedFindingsComeOutAndRevisionsGrow) {
  FindingEmitter a, b;
  a.Upsert(kCat, "10.0.0.5", "p1:3333", 1);
  b.Upsert(kCat, "10.0.0.6", "p2:3333", 2);
  FindingMerger merger(2);
  merger.Add(0, a.TakeChanged());
  merger.Add(1, b.TakeChanged());
  auto first = merger.TakeChanged();
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].indicator, "p1:3333");
  EXPECT_EQ(first[1].indicator, "p2:3333");
  EXPECT_TRUE(merger.TakeChanged().empty());

  b.Upsert(kCat, "10.0.0.5", "p1:3333", 5);
  merger.Add(0, a.TakeChanged());
  merger.Add(1, b.TakeChanged());
  auto second = merger.TakeChanged();
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].indicator, "p1:3333");
  EXPECT_GT(second[0].revision, first[0].revision);
  EXPECT_EQ(second[0].count, 2u);
  EXPECT_EQ(merger.size(), 2u);
}

}  // namespace
}  // namespace mw
