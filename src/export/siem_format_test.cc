// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "export/siem_format.h"

#include <gtest/gtest.h>

namespace mw::siem {
namespace {

store::StoredFinding Sample() {
  store::StoredFinding sf;
  Finding& f = sf.finding;
  f.id = "0123456789abcdef";
  f.category = std::string(category::kPoolProtocol);
  f.stage = Stage::kMining;
  f.severity = Severity::kHigh;
  f.attack = {"T1496"};
  f.resource = {"10.0.0.5", "web-1"};
  f.indicator = "pool.example:3333";
  f.evidence = {{"agent", "XMRig/6.16.0"}};
  f.detector = "stratum_session";
  f.source = "builtin";
  f.first_seen = 1767225600000000;  // 2026-01-01T00:00:00Z
  f.last_seen = 1767225601500000;
  f.count = 42;
  f.revision = 3;
  return sf;
}

TEST(Rfc5424, EscapesSdValues) {
  EXPECT_EQ(EscapeSdValue(R"(a"b\c]d)"), R"(a\"b\\c\]d)");
  EXPECT_EQ(EscapeSdValue("x\ny"), "x y");
}

TEST(Rfc5424, FormatsHeaderAndStructuredData) {
  auto sf = Sample();
  SyslogHeader h{.facility = 16, .hostname = "sensor-1", .app_name = "minerwatch", .procid = 77};
  std::string line = FormatRfc5424(sf, h, "hello");
  // local0 (16) * 8 + err (3) = 131
  EXPECT_EQ(
      line.rfind(
          "<131>1 2026-01-01T00:00:01.500000Z sensor-1 minerwatch 77 finding [minerwatch@32473 ",
          0),
      0u)
      << line;
  EXPECT_NE(line.find(R"(id="0123456789abcdef")"), std::string::npos);
  EXPECT_NE(line.find(R"(category="Execution: Cryptomining Pool Protocol")"), std::string::npos);
  EXPECT_NE(line.find(R"(count="42")"), std::string::npos);
  EXPECT_NE(line.find(R"(attack="T1496")"), std::string::npos);
  EXPECT_EQ(line.substr(line.size() - 7), "] hello");
}

TEST(Rfc5424, HostileFieldsCannotBreakTheLine) {
  auto sf = Sample();
  sf.finding.indicator = "evil\"] [x@1 a=\"b\"]\nnext line";
  sf.finding.resource.hostname = "host\xff";
  SyslogHeader h{.hostname = "bad host\n", .procid = 0};
  std::string line = FormatRfc5424(sf, h, "m\nsg");
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_NE(line.find(R"(indicator="evil\"\] [x@1 a=\"b\"\] next line")"), std::string::npos)
      << line;
  EXPECT_NE(line.find(" bad_host_ minerwatch - finding "), std::string::npos) << line;
  EXPECT_NE(line.find("hostname=\"host\xEF\xBF\xBD\""), std::string::npos);
  // Exactly one SD element: the only unescaped ']' closes it.
  size_t unescaped = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == ']' && line[i - 1] != '\\') ++unescaped;
  }
  EXPECT_EQ(unescaped, 1u);
}

TEST(Rfc5424, SeverityMapping) {
  EXPECT_EQ(SyslogSeverity(Severity::kCritical), 2);
  EXPECT_EQ(SyslogSeverity(Severity::kInfo), 6);
  auto sf = Sample();
  sf.finding.severity = Severity::kCritical;
  EXPECT_EQ(FormatRfc5424(sf, SyslogHeader{.facility = 4}, "").rfind("<34>1 ", 0), 0u);
  EXPECT_EQ(FormatRfc5424(sf, SyslogHeader{.facility = 99}, "").rfind("<130>1 ", 0),
            0u);  // bad -> local0
}

TEST(Cef, EscapesHeaderAndExtension) {
  EXPECT_EQ(EscapeCefHeader(R"(a|b\c=d)"), R"(a\|b\\c=d)");
  EXPECT_EQ(EscapeCefExtension("a=b\\c|d\ne\rf"), R"(a\=b\\c|d\ne\rf)");
}

TEST(Cef, FormatsFinding) {
  auto sf = Sample();
  sf.finding.detector = "strat|um";
  sf.finding.indicator = "k=v";
  std::string cef = FormatCef(sf);
  EXPECT_EQ(cef.rfind("CEF:0|minerwatch|minerwatch|", 0), 0u) << cef;
  EXPECT_NE(cef.find(R"(|strat\|um|Execution: Cryptomining Pool Protocol|8|rt=1767225601500 )"),
            std::string::npos)
      << cef;
  EXPECT_NE(cef.find(" cnt=42 "), std::string::npos);
  EXPECT_NE(cef.find(" src=10.0.0.5 shost=web-1 "), std::string::npos);
  EXPECT_NE(cef.find(R"( cs1=k\=v )"), std::string::npos);
  EXPECT_NE(cef.find(" externalId=0123456789abcdef "), std::string::npos);
  EXPECT_EQ(cef.find('\n'), std::string::npos);
  // Seven unescaped '|' separate the eight header fields.
  int pipes = 0;
  for (size_t i = 0; i < cef.size(); ++i) pipes += cef[i] == '|' && cef[i - 1] != '\\';
  EXPECT_EQ(pipes, 7);
}

TEST(Ocsf, DetectionFindingFields) {
  auto sf = Sample();
  auto j = ToOcsf(sf, true);
  EXPECT_EQ(j["class_uid"], 2004);
  EXPECT_EQ(j["category_uid"], 2);
  EXPECT_EQ(j["activity_id"], 2);
  EXPECT_EQ(j["type_uid"], 200402);
  EXPECT_EQ(j["severity_id"], 4);
  EXPECT_EQ(j["severity"], "High");
  EXPECT_EQ(j["status_id"], 2);
  EXPECT_EQ(j["time"], 1767225601500);
  EXPECT_EQ(j["count"], 42);
  EXPECT_EQ(j["metadata"]["version"], "1.1.0");
  EXPECT_EQ(j["metadata"]["product"]["name"], "minerwatch");
  EXPECT_EQ(j["finding_info"]["uid"], "0123456789abcdef");
  EXPECT_EQ(j["finding_info"]["first_seen_time"], 1767225600000);
  EXPECT_EQ(j["finding_info"]["attacks"][0]["technique"]["uid"], "T1496");
  EXPECT_EQ(j["finding_info"]["attacks"][0]["technique"]["name"], "Resource Hijacking");
  EXPECT_EQ(j["finding_info"]["attacks"][0]["tactic"]["uid"], "TA0040");
  EXPECT_EQ(j["finding_info"]["analytic"]["name"], "stratum_session");
  EXPECT_EQ(j["device"]["ip"], "10.0.0.5");
  EXPECT_EQ(j["evidences"][0]["data"]["agent"], "XMRig/6.16.0");
  EXPECT_EQ(j["observables"][0]["type_id"], 2);
  // Required attributes of the class are all present.
  for (const char* k : {"activity_id", "category_uid", "class_uid", "finding_info", "metadata",
                        "severity_id", "time", "type_uid"}) {
    EXPECT_TRUE(j.contains(k)) << k;
  }
}

TEST(Ocsf, ActivityAndStatusFollowTheLifecycle) {
  auto sf = Sample();
  EXPECT_EQ(ToOcsf(sf, false)["activity_id"], 1);
  EXPECT_EQ(ToOcsf(sf, false)["status_id"], 1);
  sf.state = store::FindingState::kMuted;
  sf.state_reason = "lab box";
  EXPECT_EQ(ToOcsf(sf, true)["status_id"], 3);
  EXPECT_EQ(ToOcsf(sf, true)["status_detail"], "lab box");
  sf.state = store::FindingState::kResolved;
  EXPECT_EQ(ToOcsf(sf, true)["activity_id"], 3);
  EXPECT_EQ(ToOcsf(sf, true)["type_uid"], 200403);
  EXPECT_EQ(ToOcsf(sf, true)["status_id"], 4);
}

TEST(Ocsf, InvalidUtf8DoesNotThrow) {
  auto sf = Sample();
  sf.finding.indicator = "bad\xff\xfe";
  sf.finding.evidence = {{"agent", "x\xc3"}};
  std::string text = DumpJson(ToOcsf(sf, false));
  auto back = nlohmann::json::parse(text);
  EXPECT_EQ(back["finding_info"]["title"],
            "Execution: Cryptomining Pool Protocol: bad\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(SyslogAddress, Parses) {
  auto a = ParseSyslogAddress("tcp://127.0.0.1:6514");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->tcp);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 6514);
  a = ParseSyslogAddress("udp://[::1]:514");
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->tcp);
  EXPECT_EQ(a->host, "::1");
  for (const char* bad :
       {"", "http://x:1", "udp://", "udp://host", "udp://host:0", "udp://host:65536", "udp://:514",
        "udp://::1:514", "tcp://[::1", "tcp://[::1]514", "udp://h:5x"}) {
    EXPECT_FALSE(ParseSyslogAddress(bad)) << bad;
  }
}

}  // namespace
}  // namespace mw::siem
