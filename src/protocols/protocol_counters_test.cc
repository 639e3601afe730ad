// minerwatch — SPDX-License-Identifier: Apache-2.0
// Every protocol's declared anomalies and violations (<proto>_anomalies.h): well-formed unique
// names under the protocol's prefix, a help line, documented in the protocol's README, and
// reported through ParseContext as the table's own literal.
#include "protocols/protocol_counters.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "protocols/dns/dns_anomalies.h"
#include "protocols/http/http_anomalies.h"
#include "protocols/parse_test_util.h"
#include "protocols/stratum/stratum_anomalies.h"
#include "protocols/tls/tls_anomalies.h"

namespace mw::protocols {
namespace {

struct Declared {
  std::string proto;
  std::vector<CounterInfo> anomalies, violations;
};

template <typename A, typename V>
Declared Of(std::string proto, const A& anomalies, const V& violations) {
  return {std::move(proto),
          {anomalies.begin(), anomalies.end()},
          {violations.begin(), violations.end()}};
}

std::vector<Declared> All() {
  return {Of("dns", dns::kAnomalies, dns::kViolations),
          Of("http", http::kAnomalies, http::kViolations),
          Of("stratum", stratum::kAnomalies, stratum::kViolations),
          Of("tls", tls::kAnomalies, tls::kViolations)};
}

bool IsCounterName(std::string_view s) {
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.')) return false;
  return !s.empty();
}

TEST(ProtocolCounters, NamesAreWellFormedUniqueAndDocumented) {
  for (const Declared& d : All()) {
    std::ifstream in(std::string(MW_SOURCE_DIR) + "/src/protocols/" + d.proto + "/README.md");
    std::stringstream readme;
    readme << in.rdbuf();
    ASSERT_FALSE(readme.str().empty()) << d.proto << ": README.md not found";
    for (const auto* list : {&d.anomalies, &d.violations}) {
      std::set<std::string> seen;
      for (const CounterInfo& c : *list) {
        const std::string name = c.name;
        SCOPED_TRACE(name);
        EXPECT_EQ(name.rfind(d.proto + ".", 0), 0u);
        EXPECT_TRUE(IsCounterName(name));
        EXPECT_TRUE(seen.insert(name).second) << "declared twice";
        EXPECT_NE(std::string(c.help), "");
        EXPECT_NE(readme.str().find("`" + name + "`"), std::string::npos) << "not in README";
      }
    }
  }
}

TEST(ProtocolCounters, ReportHandsTheDeclaredLiteral) {
  testing::FakeParseContext ctx;
  stratum::Report(ctx, stratum::Anomaly::kOversizedLine);
  tls::Report(ctx, tls::Violation::kBadRecordHeader);
  EXPECT_EQ(ctx.anomalies, std::vector<std::string>{"stratum.oversized_line"});
  EXPECT_EQ(ctx.violations, std::vector<std::string>{"tls.bad_record_header"});
  EXPECT_STREQ(Info(dns::Anomaly::kGap).help, dns::kAnomalies[size_t(dns::Anomaly::kGap)].help);
}

}  // namespace
}  // namespace mw::protocols
