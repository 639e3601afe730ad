// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "mw/findings/finding.h"

#include <gtest/gtest.h>

#include "findings/finding_emitter.h"

namespace mw {

TEST(Finding, IdIsStableAndDependsOnEachPart) {
  auto a = Finding::MakeId(category::kBadIp, "10.0.0.1", "198.51.100.7");
  EXPECT_EQ(a, Finding::MakeId(category::kBadIp, "10.0.0.1", "198.51.100.7"));
  EXPECT_NE(a, Finding::MakeId(category::kBadDomain, "10.0.0.1", "198.51.100.7"));
  EXPECT_NE(a, Finding::MakeId(category::kBadIp, "10.0.0.2", "198.51.100.7"));
  EXPECT_NE(a, Finding::MakeId(category::kBadIp, "10.0.0.1", "198.51.100.8"));
  // Parts are delimited: moving a character between parts changes the id.
  EXPECT_NE(Finding::MakeId("ab", "c", ""), Finding::MakeId("a", "bc", ""));
  EXPECT_EQ(a.size(), 19u);
}

TEST(Finding, JsonRoundTrip) {
  Finding f;
  f.id = Finding::MakeId(category::kPoolProtocol, "10.0.0.1", "pool:3333");
  f.category = category::kPoolProtocol;
  f.stage = Stage::kMining;
  f.severity = Severity::kHigh;
  f.attack = {"T1496"};
  f.resource.host_ip = "10.0.0.1";
  f.indicator = "pool:3333";
  f.evidence = {{"agent", "XMRig/6.16.0"}};
  f.detector = "mining_protocol";
  f.first_seen = 1700000000123456;
  f.last_seen = 1700000001000000;
  f.count = 3;
  auto j = f.ToJson();
  EXPECT_EQ(j["first_seen"], "2023-11-14T22:13:20.123456Z");
  auto back = Finding::FromJson(j);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->ToJson(), j);
  EXPECT_FALSE(Finding::FromJson(nlohmann::json::parse(R"({"id": 3})")));
}

TEST(FindingEmitter, OneFindingPerKeyUpdatedAsEvidenceGrows) {
  FindingEmitter emitter;
  Finding& f = emitter.Upsert(category::kBadIp, "10.0.0.1", "198.51.100.7", 100);
  f.stage = Stage::kPrecursor;
  emitter.Upsert(category::kBadIp, "10.0.0.1", "198.51.100.7", 50);
  emitter.Upsert(category::kBadIp, "10.0.0.1", "198.51.100.7", 300);
  emitter.Upsert(category::kBadIp, "10.0.0.2", "198.51.100.7", 300);
  ASSERT_EQ(emitter.size(), 2u);
  const Finding* got = emitter.Find(category::kBadIp, "10.0.0.1", "198.51.100.7");
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->count, 3u);
  EXPECT_EQ(got->first_seen, 50);
  EXPECT_EQ(got->last_seen, 300);

  auto changed = emitter.TakeChanged();
  ASSERT_EQ(changed.size(), 2u);
  EXPECT_TRUE(emitter.TakeChanged().empty());
  emitter.Upsert(category::kBadIp, "10.0.0.2", "198.51.100.7", 400);
  changed = emitter.TakeChanged();
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].resource.host_ip, "10.0.0.2");
  EXPECT_EQ(changed[0].count, 2u);
}

}  // namespace mw
