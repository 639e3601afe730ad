// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "store/finding_schema.h"

#include <gtest/gtest.h>

#include <string>

namespace mw::store {
namespace {

using nlohmann::json;

constexpr TimestampUs kNow = 1767225600LL * 1000000;  // 2026-01-01T00:00:00Z

json Valid() {
  return json::parse(R"({
    "id": "mw-0123456789abcdef", "category": "Execution: Cryptomining Pool Protocol",
    "stage": 1, "severity": "high", "attack": ["T1496", "T1071.001"],
    "resource": {"host_ip": "10.0.0.5", "hostname": "web-1"},
    "indicator": "pool.example:3333", "evidence": {"agent": "XMRig/6.16.0", "pool": {"port": 3333}},
    "detector": "stratum_session", "source": "protocol",
    "first_seen": "2025-12-31T23:00:00.000000Z", "last_seen": "2025-12-31T23:59:00.000000Z",
    "count": 12, "revision": 3})");
}

json Body(std::initializer_list<json> findings) {
  json arr = json::array();
  for (const auto& f : findings) arr.push_back(f);
  return {{"findings", std::move(arr)}};
}

// The error for a body whose only finding is Valid() with "path" (a JSON pointer) set to
// "value"; "" when accepted.
std::string ErrorWith(const std::string& path, const json& value) {
  json f = Valid();
  f[json::json_pointer(path)] = value;
  auto r = ValidateIngest(Body({f}), kNow);
  return r ? "" : r.error().message();
}

std::string ErrorWithout(const std::string& field) {
  json f = Valid();
  f.erase(field);
  auto r = ValidateIngest(Body({f}), kNow);
  return r ? "" : r.error().message();
}

TEST(FindingSchema, AcceptsAValidBatchInOrder) {
  json second = Valid();
  second["id"] = "burst00001";
  second["resource"]["host_ip"] = "2001:db8::5";
  second.erase("attack");
  second.erase("evidence");
  auto r = ValidateIngest(Body({Valid(), second}), kNow);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].id, "mw-0123456789abcdef");
  EXPECT_EQ((*r)[0].severity, Severity::kHigh);
  EXPECT_EQ((*r)[0].count, 12u);
  EXPECT_EQ((*r)[1].resource.host_ip, "2001:db8::5");
  EXPECT_TRUE(ValidateIngest(Body({}), kNow));
}

TEST(FindingSchema, IdIsWhatTheIdRoutesAddress) {
  const std::string msg = "findings[0].id: must be 1-128 characters of A-Z a-z 0-9 _ . : -";
  EXPECT_EQ(ErrorWith("/id", "mw-<script>alert(1)</script>"), msg);
  EXPECT_EQ(ErrorWith("/id", ""), "findings[0].id: must not be empty");
  EXPECT_EQ(ErrorWith("/id", std::string(129, 'a')), msg);
  EXPECT_EQ(ErrorWith("/id", "a/b"), msg);
  EXPECT_EQ(ErrorWith("/id", "caf\xc3\xa9"), msg);
  EXPECT_EQ(ErrorWith("/id", std::string(128, 'a')), "");
  EXPECT_EQ(ErrorWith("/id", "A-z_0.9:x"), "");
  EXPECT_TRUE(IsAddressableId(Finding::MakeId("a", "b", "c")));
}

TEST(FindingSchema, SeverityStageAndCategoryAreEnumerations) {
  EXPECT_EQ(ErrorWith("/severity", "urgent"),
            "findings[0].severity: must be one of info, low, medium, high, critical");
  EXPECT_EQ(ErrorWith("/severity", "HIGH"),
            "findings[0].severity: must be one of info, low, medium, high, critical");
  EXPECT_EQ(ErrorWith("/stage", 2), "findings[0].stage: must be 0 (precursor) or 1 (mining)");
  EXPECT_EQ(ErrorWith("/stage", "mining"),
            "findings[0].stage: must be 0 (precursor) or 1 (mining)");
  std::string cat = ErrorWith("/category", "Execution: Something Else");
  EXPECT_EQ(cat.rfind("findings[0].category: must be one of Execution: Cryptomining Pool", 0), 0u)
      << cat;
  EXPECT_EQ(ErrorWith("/category", "Persistence: Miner Autostart"), "");
}

TEST(FindingSchema, CountsAreNonNegativeIntegersThatFit) {
  const std::string range = "findings[0].count: must be an integer from 0 to 9007199254740991";
  EXPECT_EQ(ErrorWith("/count", json::parse("9223372036854775813")), range);  // 2^63 + 5
  EXPECT_EQ(ErrorWith("/count", -7), range);
  EXPECT_EQ(ErrorWith("/count", 2.5), "findings[0].count: must be an integer");
  EXPECT_EQ(ErrorWith("/revision", json::parse("18446744073709551616")),
            "findings[0].revision: must be an integer");  // 2^64 is a float to the parser
  EXPECT_EQ(ErrorWith("/revision", -1),
            "findings[0].revision: must be an integer from 0 to 9007199254740991");
  EXPECT_EQ(ErrorWith("/count", 0), "");
}

TEST(FindingSchema, TimesArePlausible) {
  EXPECT_EQ(ErrorWith("/first_seen", "1970-01-01T00:00:00Z"),
            "findings[0].first_seen: must not be before 1990");
  EXPECT_EQ(ErrorWith("/last_seen", "2026-01-03T00:00:00Z"),
            "findings[0].last_seen: must not be more than a day after the service's clock");
  EXPECT_EQ(ErrorWith("/first_seen", "2026-01-01T00:00:00Z"),
            "findings[0].first_seen: is after last_seen");
  EXPECT_EQ(ErrorWith("/last_seen", "2025-12-31T23:59:00Z' OR 1"),
            "findings[0].last_seen: must be an RFC 3339 time such as 2026-01-02T03:04:05.000006Z");
  EXPECT_EQ(ErrorWith("/last_seen", "2026-01-01T12:00:00Z"), "");  // clock skew within a day
}

TEST(FindingSchema, StringsAndArraysAreBounded) {
  EXPECT_EQ(ErrorWith("/indicator", std::string(1025, 'x')),
            "findings[0].indicator: at most 1024 bytes");
  EXPECT_EQ(ErrorWith("/source", std::string(1025, 'x')), "findings[0].source: at most 1024 bytes");
  EXPECT_EQ(ErrorWith("/resource/hostname", std::string(254, 'h')),
            "findings[0].resource.hostname: at most 253 bytes");
  EXPECT_EQ(ErrorWith("/indicator", "pool\r\nBcc: x"),
            "findings[0].indicator: must not contain control characters");
  EXPECT_EQ(ErrorWith("/detector", "stratum session"),
            "findings[0].detector: must be at most 64 characters of A-Z a-z 0-9 _ . -");
  EXPECT_EQ(ErrorWith("/attack", json(std::vector<std::string>(33, "T1496"))),
            "findings[0].attack: at most 32 entries");
  EXPECT_EQ(ErrorWith("/attack/1", "T14"),
            "findings[0].attack[1]: must be an ATT&CK technique id such as T1496 or T1496.001");
  EXPECT_EQ(ErrorWith("/evidence/blob", std::string(17000, 'e')),
            "findings[0].evidence: at most 16384 bytes as JSON");
  json deep = 1;
  for (int i = 0; i < 9; ++i) deep = json::array({deep});
  EXPECT_EQ(ErrorWith("/evidence/deep", deep), "findings[0].evidence: at most 8 levels of nesting");
  json ok = 1;
  for (int i = 0; i < 7; ++i) ok = json::array({ok});
  EXPECT_EQ(ErrorWith("/evidence/deep", ok), "");
}

TEST(FindingSchema, HostIsAnAddress) {
  EXPECT_EQ(ErrorWithout("resource"), "findings[0].resource.host_ip: is required");
  EXPECT_EQ(ErrorWith("/resource/host_ip", "web-1"),
            "findings[0].resource.host_ip: must be an IPv4 or IPv6 address");
  EXPECT_EQ(ErrorWith("/resource/host_ip", "10.0.0.256"),
            "findings[0].resource.host_ip: must be an IPv4 or IPv6 address");
}

TEST(FindingSchema, UnknownFieldsAreRefused) {
  EXPECT_EQ(ErrorWith("/state", "muted"), "findings[0].state: unknown field");
  EXPECT_EQ(ErrorWith("/resource/mac", "00:11"), "findings[0].resource.mac: unknown field");
  auto r = ValidateIngest({{"findings", json::array()}, {"dry_run", true}}, kNow);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "dry_run: unknown field (the body is {\"findings\": [...]})");
}

TEST(FindingSchema, BatchIsBounded) {
  json many = json::array();
  for (int i = 0; i < 1001; ++i) many.push_back(Valid());
  auto r = ValidateIngest({{"findings", many}}, kNow);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "findings: at most 1000 findings per request, got 1001");
  many.erase(many.begin());
  EXPECT_TRUE(ValidateIngest({{"findings", many}}, kNow));
}

TEST(FindingSchema, NamesTheFindingThatIsWrong) {
  json bad = Valid();
  bad["severity"] = "bogus";
  auto r = ValidateIngest(Body({Valid(), Valid(), Valid(), bad}), kNow);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Error::Code::kInvalidArgument);
  EXPECT_EQ(r.error().message(),
            "findings[3].severity: must be one of info, low, medium, high, critical");
}

// Whole bodies as a client could send them, and the start of the error each must get.
TEST(FindingSchema, MalformedBodies) {
  const std::string ok = Valid().dump();
  auto with = [&](const std::string& key, const std::string& raw) {
    json f = Valid();
    f.erase(key);
    std::string s = f.dump();
    return R"({"findings":[)" + s.substr(0, s.size() - 1) + ",\"" + key + "\":" + raw + "}]}";
  };
  struct Case {
    std::string body;
    std::string error;
  } cases[] = {
      {"[]", "body must be a JSON object"},
      {"{}", "findings: is required"},
      {R"({"findings": {}})", "findings: must be an array of findings"},
      {R"({"findings": [7]})", "findings[0]: must be a JSON object"},
      {R"({"findings": [null]})", "findings[0]: must be a JSON object"},
      {with("id", R"("mw-<script>")"), "findings[0].id: must be 1-128 characters"},
      {with("id", "12"), "findings[0].id: must be a string"},
      {with("severity", R"("severe")"), "findings[0].severity: must be one of info, low"},
      {with("severity", "3"), "findings[0].severity: must be one of"},
      {with("count", "9223372036854775813"), "findings[0].count: must be an integer from 0"},
      {with("count", "-7"), "findings[0].count: must be an integer from 0"},
      {with("count", "\"7\""), "findings[0].count: must be an integer"},
      {with("count", "1e3"), "findings[0].count: must be an integer"},
      {with("stage", "true"), "findings[0].stage: must be 0 (precursor) or 1 (mining)"},
      {with("indicator", "\"" + std::string(5000, 'a') + "\""),
       "findings[0].indicator: at most 1024 bytes"},
      {with("attack", R"("T1496")"), "findings[0].attack: must be an array of strings"},
      {with("evidence", "[1, 2]"), "findings[0].evidence: must be an object"},
      {with("resource", R"("10.0.0.5")"), "findings[0].resource: must be an object"},
      {with("first_seen", "1700000000"), "findings[0].first_seen: must be a string"},
      {with("stage_name", R"("mining")"), "findings[0].stage_name: unknown field"},
      {R"({"findings": [)" + ok + "," + ok + R"(, {"id": "x"}]})",
       "findings[2].category: is required"},
  };
  for (const auto& c : cases) {
    auto body = json::parse(c.body);
    auto r = ValidateIngest(body, kNow);
    ASSERT_FALSE(r) << c.body.substr(0, 200);
    EXPECT_EQ(r.error().message().rfind(c.error, 0), 0u)
        << "got: " << r.error().message() << "\nwant: " << c.error;
  }
}

}  // namespace
}  // namespace mw::store
