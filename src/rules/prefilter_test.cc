// minerwatch — SPDX-License-Identifier: Apache-2.0
// Prefilter: Suricata's fast pattern choice (fast-pattern-explained.rst, detect-engine-mpm.c) and
// one Hyperscan pass per buffer that selects exactly the rules whose fast pattern occurs.
#include "rules/prefilter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "rules/payload_match.h"
#include "rules/rule_loader.h"
#include "rules/rule_parser.h"

namespace mw::rules {
namespace {

Rule Parse(std::string_view options) {
  std::string text = "alert tcp any any -> any any (" + std::string(options) + " sid:1;)";
  auto rule = ParseRule(text, DefaultVars());
  EXPECT_TRUE(rule.has_value()) << text << ": " << (rule ? "" : rule.error().message());
  return rule ? std::move(*rule) : Rule{};
}

class PrefilterTest : public ::testing::Test {
 protected:
  // Builds the prefilter over "options" (one rule each) and its scratch.
  void Build(std::initializer_list<std::string_view> options) {
    rules_.clear();
    for (auto o : options) rules_.push_back(Parse(o));
    auto p = Prefilter::Build(rules_);
    ASSERT_TRUE(p.has_value()) << p.error().message();
    prefilter_ = std::make_unique<Prefilter>(std::move(*p));
    auto s = prefilter_->MakeScratch();
    ASSERT_TRUE(s.has_value());
    scratch_ = std::make_unique<PrefilterScratch>(std::move(*s));
  }
  std::vector<uint32_t> Scan(std::string_view buffer, std::string_view data) {
    std::vector<uint32_t> out;
    prefilter_->Scan(BufferId(BufferIdOf(buffer)), AsBytes(data), *scratch_, out);
    std::sort(out.begin(), out.end());
    return out;
  }
  std::vector<Rule> rules_;
  std::unique_ptr<Prefilter> prefilter_;
  std::unique_ptr<PrefilterScratch> scratch_;
};

using Ids = std::vector<uint32_t>;

TEST(BufferIds, PktDataIsZeroAndEveryNameHasAnId) {
  EXPECT_EQ(BufferIdOf("pkt_data"), int(kPktData));
  EXPECT_EQ(BufferNames()[0], "pkt_data");
  EXPECT_GE(BufferIdOf("http.uri"), 1);
  EXPECT_GE(BufferIdOf("dns.query"), 1);
  EXPECT_EQ(BufferIdOf("no.such.buffer"), -1);
  for (size_t i = 0; i < BufferNames().size(); ++i) EXPECT_EQ(BufferIdOf(BufferNames()[i]), int(i));
}

TEST_F(PrefilterTest, SelectsTheRulesWhosePatternOccursInTheirBuffer) {
  Build({R"(content:"alpha";)", R"(http.uri; content:"beta"; nocase;)", R"(content:"alpha";)"});
  EXPECT_EQ(Scan("pkt_data", "xx alpha alpha"), (Ids{0, 2}));  // shared pattern, each rule once
  EXPECT_EQ(Scan("pkt_data", "beta"), Ids{});                  // wrong buffer
  EXPECT_EQ(Scan("http.uri", "/BeTa"), Ids{1});                // nocase → caseless
  EXPECT_EQ(Scan("http.uri", ""), Ids{});
  EXPECT_EQ(prefilter_->fast_pattern_buffer(1), BufferIdOf("http.uri"));
  EXPECT_TRUE(prefilter_->always_candidates().empty());
}

TEST_F(PrefilterTest, RulesWithoutAPositiveContentAreAlwaysCandidates) {
  Build({R"(content:!"x";)", R"(pcre:"/a+b/";)", R"(byte_test:1,=,1,0;)", R"(msg:"none";)",
         R"(content:"y"; fast_pattern; content:!"z";)"});
  EXPECT_EQ(prefilter_->always_candidates(), (Ids{0, 1, 2, 3}));
  EXPECT_EQ(prefilter_->fast_pattern_buffer(0), -1);
  EXPECT_EQ(Scan("pkt_data", "y"), Ids{4});
}

TEST_F(PrefilterTest, LongestContentOfTheHighestPriorityBuffer) {
  Build({
      R"(content:"short"; content:"muchlonger";)",
      // An explicit fast_pattern wins over length.
      R"(content:"tiny"; fast_pattern; content:"muchlonger";)",
      // App-layer buffers come before the packet payload, whatever the length.
      R"(content:"payloadpayload"; http.uri; content:"u";)",
      // ... but http.method comes after it.
      R"(http.method; content:"GETPOST"; pkt_data; content:"xyz";)",
      // Equal length: the stronger pattern (more distinct bytes).
      R"(content:"aaaa"; content:"abcd";)",
  });
  EXPECT_EQ(Scan("pkt_data", "muchlonger"), (Ids{0}));
  EXPECT_EQ(Scan("pkt_data", "short tiny"), (Ids{1}));
  EXPECT_EQ(Scan("pkt_data", "payloadpayload"), Ids{});
  EXPECT_EQ(Scan("http.uri", "/u"), (Ids{2}));
  EXPECT_EQ(Scan("pkt_data", "xyz"), (Ids{3}));
  EXPECT_EQ(Scan("pkt_data", "aaaa"), Ids{});
  EXPECT_EQ(Scan("pkt_data", "abcd"), (Ids{4}));
}

TEST_F(PrefilterTest, FastPatternChopUsesTheSlice) {
  Build({R"(content:"abcdefgh"; fast_pattern:2,3;)"});
  EXPECT_EQ(Scan("pkt_data", "xxcdexx"), (Ids{0}));
  EXPECT_EQ(Scan("pkt_data", "abxdefgh"), Ids{});
}

TEST_F(PrefilterTest, DotprefixBuffersAreScannedAsTheEngineHasThem) {
  // The inspected buffer is "." + query; the prefilter scans the query itself, so the pattern's
  // leading '.' (which may be the added one) is not looked for.
  Build({R"(dns.query; dotprefix; content:".example.com"; endswith;)",
         R"(dns.query; dotprefix; content:"."; endswith;)",
         R"(dns.query; dotprefix; content:"a.b"; fast_pattern:1,2;)"});
  EXPECT_EQ(Scan("dns.query", "example.com"), (Ids{0}));
  EXPECT_EQ(Scan("dns.query", "www.example.com"), (Ids{0}));
  EXPECT_EQ(prefilter_->always_candidates(), (Ids{1}));  // nothing left but the added '.'
  EXPECT_EQ(Scan("dns.query", "xa.bx"), (Ids{2}));       // a chop inside is kept as it is
}

TEST_F(PrefilterTest, BinaryPatternsAndCaseSensitivity) {
  Build({R"(content:"|00 ff 22|A";)", R"(content:"Stratum";)"});
  EXPECT_EQ(Scan("pkt_data", std::string("\x01\x00\xff\"A", 5)), (Ids{0}));
  EXPECT_EQ(Scan("pkt_data", "stratum"), Ids{});
  EXPECT_EQ(Scan("pkt_data", "Stratum"), (Ids{1}));
}

TEST(PrefilterSharedRules, EveryEtOpenRuleGetsAFastPatternOrIsAlwaysACandidate) {
  std::filesystem::path dir = std::filesystem::path(MW_SHARED_DATA_DIR) / "ids-rules/et-open";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "shared data absent: " << dir;
  RuleLoader loader(LoadOptions{});
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".rules") {
      ASSERT_TRUE(loader.LoadFile(e.path().string()));
    }
  }
  RuleSet set = loader.Take();
  ASSERT_GT(set.rules.size(), 50u);
  auto p = Prefilter::Build(set.rules);
  ASSERT_TRUE(p.has_value()) << p.error().message();
  size_t with_pattern = 0;
  for (uint32_t r = 0; r < set.rules.size(); ++r) {
    bool always =
        std::binary_search(p->always_candidates().begin(), p->always_candidates().end(), r);
    EXPECT_NE(always, p->fast_pattern_buffer(r) >= 0) << "sid " << set.rules[r].sid;
    with_pattern += !always;
  }
  // The ET coinminer rules all carry a positive content.
  EXPECT_EQ(with_pattern, set.rules.size());
  // A stratum subscribe selects the stratum rules on pkt_data.
  auto scratch = p->MakeScratch();
  ASSERT_TRUE(scratch.has_value());
  std::vector<uint32_t> hits;
  p->Scan(kPktData,
          AsBytes(R"({"id": 1, "method": "mining.subscribe", "params": ["xmrig/6.21.0"]})"),
          *scratch, hits);
  EXPECT_FALSE(hits.empty());
}

// Every rule of the shared conformance cases (suricata-verify) that loads also compiles, and the
// prefilter builds over all of them.
TEST(PrefilterSharedRules, EveryConformanceRuleCompiles) {
  std::filesystem::path dir = std::filesystem::path(MW_SHARED_DATA_DIR) / "ids-conformance/tests";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "shared data absent: " << dir;
  std::vector<Rule> rules;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.path().extension() != ".rules") continue;
    RuleLoader loader(LoadOptions{});  // one per file: the cases reuse sids
    ASSERT_TRUE(loader.LoadFile(e.path().string()));
    for (Rule& r : loader.Take().rules) rules.push_back(std::move(r));
  }
  ASSERT_GT(rules.size(), 300u);
  for (const Rule& r : rules)
    for (const BufferMatches& b : r.buffers)
      EXPECT_TRUE(CompiledPayload::Compile(b).has_value()) << r.file << ":" << r.line;
  auto prefilter = Prefilter::Build(rules);
  ASSERT_TRUE(prefilter.has_value()) << prefilter.error().message();
  EXPECT_TRUE(prefilter->MakeScratch().has_value());
}

// The whole path on the shared rules: prefilter, then every selected rule's pkt_data steps.
TEST(PrefilterSharedRules, GetblocktemplateAndStratumClientsFireTheirEtRules) {
  std::filesystem::path file =
      std::filesystem::path(MW_SHARED_DATA_DIR) / "ids-rules/et-open/emerging-coinminer.rules";
  if (!std::filesystem::exists(file)) GTEST_SKIP() << "shared data absent: " << file;
  RuleLoader loader(LoadOptions{});
  ASSERT_TRUE(loader.LoadFile(file.string()));
  std::vector<Rule> rules = loader.Take().rules;
  auto prefilter = Prefilter::Build(rules);
  ASSERT_TRUE(prefilter.has_value());
  auto scratch = prefilter->MakeScratch();
  ASSERT_TRUE(scratch.has_value());
  PayloadScratch payload_scratch;
  auto fired = [&](std::string_view payload) {
    std::vector<uint32_t> candidates = prefilter->always_candidates();
    prefilter->Scan(kPktData, AsBytes(payload), *scratch, candidates);
    std::vector<uint32_t> sids;
    for (uint32_t r : candidates) {
      bool all = !rules[r].buffers.empty();
      for (const BufferMatches& b : rules[r].buffers) {
        auto compiled = CompiledPayload::Compile(b);
        all = all && compiled && b.buffer == "pkt_data" &&
              compiled->Matches(AsBytes(payload), payload_scratch);
      }
      if (all) sids.push_back(rules[r].sid);
    }
    return sids;
  };
  // sid 2017878: "{"id":" in the first 6 bytes, "method": "getblocktemplate" within 40 after.
  auto gbt = fired(R"({"id": 0, "method": "getblocktemplate", "params": [{}]})");
  EXPECT_NE(std::find(gbt.begin(), gbt.end(), 2017878u), gbt.end());
  EXPECT_TRUE(fired("GET / HTTP/1.1\r\nHost: example.org\r\n\r\n").empty());
  // The same request later in the payload is past depth 6: 2017878 stays silent.
  auto late = fired(R"(xx{"id": 0, "method": "getblocktemplate", "params": [{}]})");
  EXPECT_EQ(std::find(late.begin(), late.end(), 2017878u), late.end());
}

}  // namespace
}  // namespace mw::rules
