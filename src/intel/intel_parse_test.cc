// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "intel/intel_parse.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace mw::intel {
namespace {

ParsedIntel Parse(std::string_view text, Format format = Format::kAuto,
                  ListKind list = ListKind::kBlock) {
  auto r = ParseIntel(text, ParseOptions{.format = format, .list = list});
  EXPECT_TRUE(r) << (r ? "" : r.error().message());
  return r ? *r : ParsedIntel{};
}

bool Has(const ParsedIntel& p, std::string_view pattern, ListKind list = ListKind::kBlock) {
  return std::any_of(p.indicators.begin(), p.indicators.end(),
                     [&](const Indicator& i) { return i.pattern == pattern && i.list == list; });
}

TEST(ParsePlain, CommentsDuplicatesAndInvalid) {
  auto p = Parse(
      "# header\n"
      "pool.minexmr.com\n"
      "POOL.minexmr.com  # same, case differs\n"
      "\n"
      "1.31.173.33\r\n"
      "10.0.0.0/8\n"
      "download sites:\n"
      "http://xmr.ipzse.com:66/bd.sh\n"
      "0.0.0.0\n",
      Format::kPlain);
  EXPECT_EQ(p.stats.format, Format::kPlain);
  EXPECT_EQ(p.stats.domains, 2u);
  EXPECT_EQ(p.stats.ips, 1u);
  EXPECT_EQ(p.stats.cidrs, 1u);
  EXPECT_EQ(p.stats.invalid, 1u);
  EXPECT_EQ(p.stats.skipped, 4u);  // comment, blank, duplicate, sinkhole
  EXPECT_TRUE(Has(p, "pool.minexmr.com"));
  EXPECT_TRUE(Has(p, "xmr.ipzse.com"));
  EXPECT_TRUE(Has(p, "10.0.0.0/8"));
}

TEST(ParseHosts, AddressIsASinkholeNotAnIndicator) {
  auto p = Parse(
      "# CoinBlocker-style hosts\n"
      "127.0.0.1 localhost\n"
      "0.0.0.0 000.0x1f4b0.com\n"
      "0.0.0.0 a.example.com b.example.com # two names\n"
      "127.0.0.1\tc.example.com\n"
      "::1 ip6-localhost\n"
      "1.2.3.4 d.example.com\n");
  EXPECT_EQ(p.stats.format, Format::kHosts);
  EXPECT_EQ(p.stats.domains, 5u);
  EXPECT_EQ(p.stats.ips, 0u);
  EXPECT_FALSE(Has(p, "1.2.3.4"));
  EXPECT_TRUE(Has(p, "b.example.com"));
  EXPECT_TRUE(Has(p, "d.example.com"));
}

TEST(ParseAdblock, DomainsSubdomainsExceptionsAndCosmetics) {
  auto p = Parse(
      "[Adblock Plus 2.0]\n"
      "! Title: test\n"
      "||coinhive.com^\n"
      "||2miners.com^$third-party\n"
      "||35.194.26.233^$third-party\n"
      "@@||bitpay.com^\n"
      "||cdn.example.net/miner.js\n"
      "/coinhive.min.js\n"
      "example.org##.miner-banner\n"
      "csgoconfigs.com##+js(acis, m, CH.Anonymous)\n"
      "|https://badminer.io/|\n"
      "||gone.example^$badfilter\n"
      "bare-host.example.com\n");
  EXPECT_EQ(p.stats.format, Format::kAdblock);
  EXPECT_TRUE(Has(p, "*.coinhive.com"));
  EXPECT_TRUE(Has(p, "*.2miners.com"));
  EXPECT_TRUE(Has(p, "35.194.26.233"));
  EXPECT_TRUE(Has(p, "*.bitpay.com", ListKind::kAllow));
  EXPECT_FALSE(Has(p, "*.bitpay.com"));
  EXPECT_FALSE(Has(p, "*.cdn.example.net"));  // a path on a host is not a host indicator
  EXPECT_TRUE(Has(p, "badminer.io"));
  EXPECT_TRUE(Has(p, "*.bare-host.example.com"));
  EXPECT_EQ(p.stats.domains, 5u);
  EXPECT_EQ(p.stats.ips, 1u);
  EXPECT_EQ(p.stats.invalid, 0u);
}

TEST(ParseAdblock, AllowImportPutsEverythingOnTheAllowlist) {
  auto p = Parse("||a.example.com^\n", Format::kAdblock, ListKind::kAllow);
  EXPECT_TRUE(Has(p, "*.a.example.com", ListKind::kAllow));
}

TEST(ParseCsv, HeaderTypeAndNoteColumns) {
  auto p = Parse(
      "\xEF\xBB\xBFIndicator_type,Data,Note\n"
      "Description,Indicators of MrbMiner,https://news.example/report\n"
      "domain,mrbpool.xyz,\"Cryptocurrency destination, pool\"\n"
      "domain_port,vihansoft.ir:3341,\n"
      "ip,\"185.1.2.3\",C2\n"
      "sha256,89eb0b66022dc2e5ac1e86b01fb833ebdbf94ee2ac276c9b3bebb3117058a7b0 ,x\n"
      "url,hxxp://broken,\n");
  EXPECT_EQ(p.stats.format, Format::kCsv);
  EXPECT_EQ(p.stats.domains, 2u);
  EXPECT_EQ(p.stats.ips, 1u);
  EXPECT_EQ(p.stats.invalid, 1u);  // the defanged URL
  ASSERT_TRUE(Has(p, "mrbpool.xyz"));
  auto it = std::find_if(p.indicators.begin(), p.indicators.end(),
                         [](const Indicator& i) { return i.pattern == "mrbpool.xyz"; });
  EXPECT_EQ(it->note, "Cryptocurrency destination, pool");
}

TEST(ParseCsv, ColumnFoundByContentWithoutHeader) {
  auto p = Parse(
      "0,rugbysearch.co.za,jsecoin,load.jsecoin.com,NotFound,\n"
      "1,czh72.com,nerohut,nerohut.com/srv,NotFound,\n"
      "2,\"raffey-cassidy.com\",coinhive,\"coinhive.min.js\",NotFound,\n");
  EXPECT_EQ(p.stats.format, Format::kCsv);
  EXPECT_EQ(p.stats.domains, 3u);
  EXPECT_TRUE(Has(p, "raffey-cassidy.com"));
  EXPECT_FALSE(Has(p, "load.jsecoin.com"));
}

TEST(ParseCsv, QuotedNewlinesAndNamedAddressColumn) {
  auto p = Parse("address,source\n\"a.pool.ml\",\"multi\nline\"\nb.pool.ml,x\n", Format::kCsv);
  EXPECT_EQ(p.stats.domains, 2u);
  EXPECT_EQ(p.stats.invalid, 0u);
}

TEST(ParseCsv, HashOnlyCsvIsSkippedNotInvalid) {
  auto p = Parse(
      "0,b6cd59f6db5d8795b9859ad86cd555f508f52af4a030407ba5296f3790d2bc41\n"
      "1,0f45b1e2c1a0ba10e16dd89a2c4aa5508bc487b9e297f3d5cfb7184ee3c5ad06\n");
  EXPECT_EQ(p.stats.domains + p.stats.ips, 0u);
  EXPECT_EQ(p.stats.invalid, 0u);
  EXPECT_EQ(p.stats.skipped, 2u);
}

constexpr std::string_view kStix = R"({
  "type": "bundle", "id": "bundle--1", "spec_version": "2.0",
  "objects": [
    {"type": "report", "id": "report--1", "name": "r"},
    {"type": "indicator", "name": "pool", "pattern": "[domain-name:value = 'Pool.Bad.Example']"},
    {"type": "indicator", "pattern": "[ipv4-addr:value = '146.71.79.230']"},
    {"type": "indicator", "pattern": "[url:value = 'http://xmr.ipzse.com:66/bd.sh'] OR [domain-name:value = 'it\\'s.example.com']"},
    {"type": "indicator", "pattern": "[file:hashes.'SHA-256' = 'aa']"},
    {"type": "domain-name", "id": "domain-name--1", "value": "sco.example.net"}
  ]})";

TEST(ParseStix, PatternsAndObservables) {
  auto p = Parse(kStix);
  EXPECT_EQ(p.stats.format, Format::kStix);
  EXPECT_TRUE(Has(p, "pool.bad.example"));
  EXPECT_TRUE(Has(p, "146.71.79.230"));
  EXPECT_TRUE(Has(p, "xmr.ipzse.com"));
  EXPECT_TRUE(Has(p, "sco.example.net"));
  EXPECT_EQ(p.stats.invalid, 1u);  // it's.example.com is not a host name
  EXPECT_EQ(p.stats.skipped, 1u);  // the file hash
}

constexpr std::string_view kMisp = R"({"response": [{"Event": {
  "info": "campaign",
  "Attribute": [
    {"type": "domain", "value": "c2.bad.example", "comment": "C2"},
    {"type": "ip-dst", "value": "45.9.148.37"},
    {"type": "ip-src", "value": "2001:db8::7"},
    {"type": "hostname", "value": "h.bad.example"},
    {"type": "url", "value": "https://u.bad.example/x"},
    {"type": "domain|ip", "value": "d.bad.example|45.9.148.38"},
    {"type": "sha1", "value": "49d3fe31b87b14bef61a6029a644da3ddc81ae85"},
    {"type": "link", "value": "https://www.welivesecurity.com/report"}
  ],
  "Object": [{"name": "domain-ip", "Attribute": [{"type": "domain", "value": "o.bad.example"}]}]
}}]})";

TEST(ParseMisp, AttributesAndObjects) {
  auto p = Parse(kMisp);
  EXPECT_EQ(p.stats.format, Format::kMisp);
  EXPECT_EQ(p.stats.domains, 5u);
  EXPECT_EQ(p.stats.ips, 3u);
  EXPECT_EQ(p.stats.skipped, 2u);  // sha1, reference link
  EXPECT_FALSE(Has(p, "www.welivesecurity.com"));
  EXPECT_TRUE(Has(p, "2001:db8::7"));
  auto it = std::find_if(p.indicators.begin(), p.indicators.end(),
                         [](const Indicator& i) { return i.pattern == "c2.bad.example"; });
  ASSERT_NE(it, p.indicators.end());
  EXPECT_EQ(it->note, "C2");
}

TEST(ParseJson, GenericObjectsAndBrokenJson) {
  auto p = Parse(R"([{"ip": "216.116.96.2", "domain": "ns.example.net", "comments": "x"}])");
  EXPECT_EQ(p.stats.format, Format::kJson);
  EXPECT_EQ(p.stats.ips, 1u);
  EXPECT_EQ(p.stats.domains, 1u);
  auto bad = ParseIntel("{\"objects\": [", ParseOptions{.format = Format::kStix});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Error::Code::kCorruption);
  // Deep nesting: no stack overflow, no indicators.
  std::string deep(100000, '[');
  EXPECT_FALSE(ParseIntel(deep, ParseOptions{}));
}

TEST(ParseIntel, BinaryInputIsAnError) {
  std::string bin(
      "\x7f"
      "ELF\0\0\0",
      7);
  EXPECT_FALSE(ParseIntel(bin, ParseOptions{}));
}

TEST(ParseTsv, RoundTripThroughTsvLine) {
  Indicator ind{.kind = TokenKind::kDomainSuffix,
                .pattern = "*.pool.example",
                .category = "mining_pool",
                .note = "note\twith tab",
                .score = 80};
  std::string text = "# minerwatch-intel v1\n" + TsvLine(ind) + "\n";
  auto p = Parse(text);
  EXPECT_EQ(p.stats.format, Format::kTsv);
  ASSERT_EQ(p.indicators.size(), 1u);
  EXPECT_EQ(p.indicators[0].pattern, "*.pool.example");
  EXPECT_EQ(p.indicators[0].category, "mining_pool");
  EXPECT_EQ(p.indicators[0].note, "note with tab");
  EXPECT_EQ(p.indicators[0].score, 80);
  EXPECT_EQ(Parse("# minerwatch-intel\na.example.com\tx\ty\t101\n").stats.invalid, 1u);
}

TEST(DetectFormat, Basics) {
  EXPECT_EQ(DetectFormat("a.com\nb.com\n"), Format::kPlain);
  EXPECT_EQ(DetectFormat("0.0.0.0 a.com\n0.0.0.0 b.com\n"), Format::kHosts);
  EXPECT_EQ(DetectFormat("||a.com^\n"), Format::kAdblock);
  EXPECT_EQ(DetectFormat("! title\n! x\na.com\n"), Format::kAdblock);
  EXPECT_EQ(DetectFormat("a.com,3333,btc\n"), Format::kCsv);
  EXPECT_EQ(DetectFormat("[uBlock Origin]\n"), Format::kAdblock);
  EXPECT_EQ(DetectFormat("  [ {\"ip\": \"1.2.3.4\"} ]"), Format::kJson);
  EXPECT_EQ(DetectFormat(""), Format::kPlain);
}

TEST(ParseIntel, MatchEverythingEntriesAreRefusedAndReported) {
  std::string_view text =
      "# a feed with its worst lines\n"
      "pool.example.com\n"
      "0.0.0.0/0\n"
      "::/0\n"
      "10.0.0.0/7\n"
      "com\n"
      "co.uk\n"
      "*.github.io\n"
      "10.0.0.0/8\n";
  auto p = Parse(text, Format::kPlain);
  EXPECT_TRUE(Has(p, "pool.example.com"));
  EXPECT_TRUE(Has(p, "10.0.0.0/8"));
  EXPECT_EQ(p.indicators.size(), 2u);
  EXPECT_EQ(p.stats.broad, 5u);    // the three prefixes, co.uk, *.github.io
  EXPECT_EQ(p.stats.invalid, 1u);  // "com": one label
  EXPECT_EQ(p.stats.rejected[size_t(RejectReason::kBroadPrefix)], 3u);
  EXPECT_EQ(p.stats.rejected[size_t(RejectReason::kPublicSuffix)], 3u);
  ASSERT_GE(p.stats.examples.size(), 3u);
  EXPECT_EQ(p.stats.examples[0].line, 3u);
  EXPECT_EQ(p.stats.examples[0].text, "0.0.0.0/0");
  EXPECT_EQ(p.stats.examples[0].reason, RejectReason::kBroadPrefix);

  auto kept = ParseIntel(text, ParseOptions{.format = Format::kPlain, .allow_broad = true});
  ASSERT_TRUE(kept);
  EXPECT_TRUE(Has(*kept, "0.0.0.0/0"));
  EXPECT_TRUE(Has(*kept, "::/0"));
  EXPECT_TRUE(Has(*kept, "co.uk"));
  EXPECT_EQ(kept->stats.broad, 0u);
}

uint64_t MatchEverything(const ParsedIntel& p) {
  return p.stats.rejected[size_t(RejectReason::kBroadPrefix)] +
         p.stats.rejected[size_t(RejectReason::kPublicSuffix)];
}

TEST(ParseIntel, BroadEntriesInEveryFormat) {
  auto adblock = Parse("||com^\n||co.uk^\n||pool.example.com^\n", Format::kAdblock);
  EXPECT_EQ(MatchEverything(adblock), 2u);
  EXPECT_EQ(adblock.indicators.size(), 1u);
  EXPECT_EQ(MatchEverything(Parse("0.0.0.0 co.uk\n", Format::kHosts)), 1u);
  EXPECT_EQ(MatchEverything(Parse("indicator,type\n0.0.0.0/0,ip\n", Format::kCsv)), 1u);
  EXPECT_EQ(MatchEverything(Parse("[{\"ip\": \"::/0\"}]", Format::kJson)), 1u);
  EXPECT_EQ(MatchEverything(Parse("::/0\tintel\tx\n", Format::kTsv)), 1u);
  auto allow = Parse("@@||co.uk^\n", Format::kAdblock);  // an allowlist that hides everything
  EXPECT_EQ(allow.stats.broad, 1u);
  EXPECT_TRUE(allow.indicators.empty());
}

TEST(ParseIntel, JunkLinesAreCountedWithReasonsAndLineNumbers) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "3.p\n-leading-dash.x\nfoo_bar.example.com\n";
  text += "real.pool.example\n";
  auto p = Parse(text, Format::kPlain);
  EXPECT_EQ(p.stats.domains, 1u);
  EXPECT_EQ(p.stats.invalid, 3000u);
  EXPECT_EQ(p.stats.rejected[size_t(RejectReason::kBadHostName)], 3000u);
  ASSERT_EQ(p.stats.examples.size(), ImportStats::kMaxRejectExamples);
  EXPECT_EQ(p.stats.examples[1].line, 2u);
  EXPECT_EQ(p.stats.examples[1].text, "-leading-dash.x");
  // CSV rows know their line too, across quoted newlines.
  auto c = Parse("indicator,note\n\"ok.example.com\",\"two\nlines\"\n3.p,x\n", Format::kCsv);
  ASSERT_EQ(c.stats.examples.size(), 1u);
  EXPECT_EQ(c.stats.examples[0].line, 4u);
}

}  // namespace
}  // namespace mw::intel
