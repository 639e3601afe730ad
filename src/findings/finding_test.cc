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

nlohmann::json ValidJson() {
  return nlohmann::json::parse(R"({"id": "mw-0123456789abcdef", "category": "Malware: Bad IP",
    "stage": 0, "severity": "low", "first_seen": "2026-01-01T00:00:00Z",
    "last_seen": "2026-01-01T00:00:01.5Z", "count": 2, "revision": 1})");
}

// What Parse says about "value" in "field" of an otherwise valid finding; "" when it accepts.
std::string ParseError(const std::string& field, const nlohmann::json& value) {
  auto j = ValidJson();
  j[field] = value;
  auto f = Finding::Parse(j);
  return f ? "" : f.error().message();
}

TEST(Finding, ParseTakesOnlyIntegersThatFit) {
  const std::string range = "count: must be an integer from 0 to 9007199254740991";
  EXPECT_EQ(ParseError("count", -7), range);
  EXPECT_EQ(ParseError("count", nlohmann::json::parse("9223372036854775813")), range);  // 2^63+5
  EXPECT_EQ(ParseError("count", nlohmann::json::parse("18446744073709551621")),  // 2^64+5: float
            "count: must be an integer");
  EXPECT_EQ(ParseError("count", 9007199254740992ULL), range);
  EXPECT_EQ(ParseError("count", 9007199254740991ULL), "");
  EXPECT_EQ(ParseError("count", 1.5), "count: must be an integer");
  EXPECT_EQ(ParseError("count", true), "count: must be an integer");
  EXPECT_EQ(ParseError("count", "3"), "count: must be an integer");
  EXPECT_EQ(ParseError("revision", -1), "revision: must be an integer from 0 to 9007199254740991");
  EXPECT_EQ(ParseError("stage", 2), "stage: must be 0 (precursor) or 1 (mining)");
  EXPECT_EQ(ParseError("stage", true), "stage: must be 0 (precursor) or 1 (mining)");
  EXPECT_EQ(ParseError("stage", 1.0), "stage: must be 0 (precursor) or 1 (mining)");
  auto f = Finding::Parse(ValidJson());
  ASSERT_TRUE(f) << f.error().message();
  EXPECT_EQ(f->count, 2u);
  EXPECT_EQ(f->last_seen - f->first_seen, 1500000);
}

TEST(Finding, ParseNamesTheField) {
  EXPECT_EQ(ParseError("severity", "urgent"),
            "severity: must be one of info, low, medium, high, critical");
  EXPECT_EQ(ParseError("id", 7), "id: must be a string");
  EXPECT_EQ(ParseError("evidence", nlohmann::json::array()), "evidence: must be an object");
  EXPECT_EQ(ParseError("attack", nlohmann::json::array({"T1496", 3})),
            "attack[1]: must be a string");
  EXPECT_EQ(ParseError("resource", {{"host_ip", 10}}), "resource.host_ip: must be a string");
  EXPECT_EQ(ParseError("first_seen", "yesterday"),
            "first_seen: must be an RFC 3339 time such as 2026-01-02T03:04:05.000006Z");
  auto j = ValidJson();
  j.erase("severity");
  EXPECT_EQ(Finding::Parse(j).error().message(), "severity: is required");
  EXPECT_FALSE(Finding::Parse(nlohmann::json::array()));
}

TEST(Finding, TimestampsParseWholeRfc3339Only) {
  const TimestampUs t = 1767225600LL * 1000000;  // 2026-01-01T00:00:00Z
  EXPECT_EQ(ParseTimestamp("2026-01-01T00:00:00Z"), t);
  EXPECT_EQ(ParseTimestamp("2026-01-01t00:00:00.000001z"), t + 1);
  EXPECT_EQ(ParseTimestamp("2026-01-01T00:00:00.123456789Z"), t + 123456);
  EXPECT_EQ(ParseTimestamp("2026-01-01T02:00:00+02:00"), t);
  EXPECT_EQ(ParseTimestamp("2025-12-31T23:30:00-00:30"), t);
  EXPECT_EQ(ParseTimestamp("2024-02-29T00:00:00Z"), 1709164800LL * 1000000);
  for (const char* bad :
       {"2024-01-01T00:00:00Z' OR 1", "2024-01-01T00:00:00", "2024-01-01 00:00:00Z",
        "2024-13-01T00:00:00Z", "2023-02-29T00:00:00Z", "2024-01-01T24:00:00Z",
        "2024-01-01T00:00:00.Z", "2024-01-01T00:00:00.1234567890Z", "2024-01-01T00:00:00+2:00",
        "+024-01-01T00:00:00Z", "2024-01-01T00:00:00Z\n", "", "2024-1-01T00:00:00Z"}) {
    EXPECT_FALSE(ParseTimestamp(bad)) << bad;
  }
  Finding f;
  f.first_seen = t + 42;
  EXPECT_EQ(ParseTimestamp(FormatTimestamp(f.first_seen)), t + 42);
}

TEST(Finding, KnownCategories) {
  EXPECT_TRUE(IsKnownCategory(category::kMinerAutostart));
  EXPECT_TRUE(IsKnownCategory("Malware: Bad IP"));
  EXPECT_FALSE(IsKnownCategory("Malware: Bad Ip"));
  EXPECT_FALSE(IsKnownCategory(""));
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
