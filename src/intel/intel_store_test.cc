// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "intel/intel_store.h"

#include <gtest/gtest.h>

namespace mw::intel {
namespace {

Entry E(std::string source, std::string note = "") {
  return Entry{.source = std::move(source), .category = "mining_pool", .note = std::move(note)};
}

IpAddress Ip(std::string_view s) { return *IpAddress::Parse(s); }

TEST(IntelStore, ExactVersusSuffix) {
  IntelStore s;
  ASSERT_TRUE(s.AddDomain("pool.example.com", ListKind::kBlock, E("a")));
  ASSERT_TRUE(s.AddDomain("*.nanopool.org", ListKind::kBlock, E("b")));
  EXPECT_TRUE(s.LookupDomain("pool.example.com"));
  EXPECT_FALSE(s.LookupDomain("eu.pool.example.com"));  // exact does not cover subdomains
  EXPECT_FALSE(s.LookupDomain("example.com"));
  auto m = s.LookupDomain("xmr-eu1.nanopool.org");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->pattern, "*.nanopool.org");
  EXPECT_EQ(m->entry->source, "b");
  EXPECT_TRUE(s.LookupDomain("nanopool.org"));  // the suffix covers the apex too
  EXPECT_FALSE(s.LookupDomain("notnanopool.org"));
  EXPECT_FALSE(s.LookupDomain("nanopool.org.evil.com"));
  EXPECT_FALSE(s.LookupDomain("org"));
}

// LookupDomain rules names out by their last two labels before walking suffixes; it must agree
// with a plain walk on every name.
TEST(IntelStore, NameFilterAgreesWithPlainSuffixWalk) {
  IntelStore s;
  const std::vector<std::string> keys = {"a.b.c.d.example.net", "*.x.y.z.org",   "*.pool.io",
                                         "exact.pool.io",       "*.example.org", "lan.io"};
  for (const auto& k : keys) ASSERT_TRUE(s.AddDomain(k, ListKind::kBlock, E("t")));
  EXPECT_TRUE(s.LookupDomain("a.b.c.d.example.net"));
  EXPECT_FALSE(s.LookupDomain("b.c.d.example.net"));
  EXPECT_TRUE(s.LookupDomain("W.X.Y.Z.ORG."));
  EXPECT_FALSE(s.LookupDomain("y.z.org"));
  EXPECT_EQ(s.LookupDomain("exact.pool.io")->pattern, "exact.pool.io");
  EXPECT_FALSE(s.LookupDomain("x.lan.io"));

  // Every name made of these labels, up to four deep, against a reference walk.
  const std::vector<std::string> labels = {"a", "b", "c",   "d",    "example", "net", "x",
                                           "y", "z", "org", "pool", "io",      "lan", "exact"};
  auto reference = [&](const std::string& name) {
    for (size_t pos = 0;;) {
      const std::string tail = name.substr(pos);
      for (const auto& k : keys) {
        if (k == tail && pos == 0) return true;
        if (k.starts_with("*.") && k.substr(2) == tail) return true;
      }
      const size_t dot = name.find('.', pos);
      if (dot == std::string::npos) return false;
      pos = dot + 1;
    }
  };
  size_t checked = 0, matched = 0;
  std::vector<std::string> names = {""};
  for (int depth = 0; depth < 4; ++depth) {
    std::vector<std::string> longer;
    for (const auto& n : names) {
      for (const auto& l : labels) {
        std::string name = n.empty() ? l : l + "." + n;
        const bool want = reference(name);
        EXPECT_EQ(s.LookupDomain(name).has_value(), want) << name;
        ++checked;
        matched += want;
        if (depth < 3) longer.push_back(std::move(name));
      }
    }
    names = std::move(longer);
  }
  EXPECT_GT(checked, 40000u);
  EXPECT_GT(matched, 100u);
  EXPECT_LT(matched, checked);
}

TEST(IntelStore, CaseAndTrailingDot) {
  IntelStore s;
  ASSERT_TRUE(s.AddDomain("Pool.SupportXMR.COM.", ListKind::kBlock, E("a")));
  EXPECT_TRUE(s.LookupDomain("pool.supportxmr.com"));
  EXPECT_TRUE(s.LookupDomain("POOL.SUPPORTXMR.COM."));
  EXPECT_FALSE(s.LookupDomain("pool.supportxmr.com.."));
  EXPECT_FALSE(s.LookupDomain(""));
  EXPECT_FALSE(s.LookupDomain("."));
  EXPECT_FALSE(s.LookupDomain(std::string(300, 'a')));
}

TEST(IntelStore, MostSpecificPatternWins) {
  IntelStore s;
  ASSERT_TRUE(s.AddDomain("*.xmrig.com", ListKind::kBlock, E("d", "site")));
  ASSERT_TRUE(s.AddDomain("donate.v2.xmrig.com", ListKind::kBlock, E("d", "donation")));
  ASSERT_TRUE(s.AddDomain("*.v2.xmrig.com", ListKind::kBlock, E("d", "v2")));
  EXPECT_EQ(s.LookupDomain("donate.v2.xmrig.com")->entry->note, "donation");
  EXPECT_EQ(s.LookupDomain("x.v2.xmrig.com")->entry->note, "v2");
  EXPECT_EQ(s.LookupDomain("xmrig.com")->entry->note, "site");
}

TEST(IntelStore, AllowlistWins) {
  IntelStore s;
  ASSERT_TRUE(s.AddDomain("blog.bitpay.com", ListKind::kBlock, E("coinblocker")));
  ASSERT_TRUE(s.AddDomain("*.bitpay.com", ListKind::kAllow, E("default", "payment processor")));
  auto m = s.LookupDomain("blog.bitpay.com");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->list, ListKind::kAllow);
  EXPECT_EQ(m->pattern, "*.bitpay.com");
  ASSERT_NE(m->overridden, nullptr);
  EXPECT_EQ(m->overridden->source, "coinblocker");
  EXPECT_EQ(m->overridden_pattern, "blog.bitpay.com");
  m = s.LookupDomain("pay.bitpay.com");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->list, ListKind::kAllow);
  EXPECT_EQ(m->overridden, nullptr);
}

TEST(IntelStore, FirstEntryForAPatternWins) {
  IntelStore s;
  ASSERT_TRUE(s.AddDomain("a.example.com", ListKind::kBlock, E("first")));
  ASSERT_TRUE(s.AddDomain("A.example.com", ListKind::kBlock, E("second")));
  EXPECT_EQ(s.LookupDomain("a.example.com")->entry->source, "first");
  EXPECT_EQ(s.domain_count(), 1u);
}

TEST(IntelStore, RejectsBadPatterns) {
  IntelStore s;
  EXPECT_FALSE(s.AddDomain("not a domain", ListKind::kBlock, E("x")));
  EXPECT_FALSE(s.AddDomain("1.2.3.4", ListKind::kBlock, E("x")));
  EXPECT_FALSE(s.AddIpOrCidr("pool.com", ListKind::kBlock, E("x")));
  EXPECT_FALSE(s.AddIpOrCidr("1.2.3.0/40", ListKind::kBlock, E("x")));
  EXPECT_FALSE(s.AddCidr(Ip("1.2.3.0"), 33, ListKind::kBlock, E("x")));
  EXPECT_EQ(s.domain_count() + s.ip_count(), 0u);
}

TEST(IntelStore, LongestPrefixMatchV4) {
  IntelStore s;
  ASSERT_TRUE(s.AddIpOrCidr("10.0.0.0/8", ListKind::kBlock, E("wide")));
  ASSERT_TRUE(s.AddIpOrCidr("10.1.0.0/16", ListKind::kBlock, E("mid")));
  ASSERT_TRUE(s.AddIpOrCidr("10.1.2.3", ListKind::kBlock, E("host")));
  EXPECT_EQ(s.LookupIp(Ip("10.1.2.3"))->entry->source, "host");
  EXPECT_EQ(s.LookupIp(Ip("10.1.2.3"))->pattern, "10.1.2.3");
  EXPECT_EQ(s.LookupIp(Ip("10.1.9.9"))->entry->source, "mid");
  EXPECT_EQ(s.LookupIp(Ip("10.1.9.9"))->pattern, "10.1.0.0/16");
  EXPECT_EQ(s.LookupIp(Ip("10.200.0.1"))->entry->source, "wide");
  EXPECT_FALSE(s.LookupIp(Ip("11.0.0.1")));
  // An IPv4 entry never matches IPv6 and vice versa.
  EXPECT_FALSE(s.LookupIp(Ip("::a01:203")));
}

TEST(IntelStore, LongestPrefixMatchV6) {
  IntelStore s;
  ASSERT_TRUE(s.AddIpOrCidr("2001:db8::/32", ListKind::kBlock, E("wide")));
  ASSERT_TRUE(s.AddIpOrCidr("2001:db8:1:2::/64", ListKind::kBlock, E("net")));
  ASSERT_TRUE(s.AddIpOrCidr("2001:db8:1:2::99", ListKind::kBlock, E("host")));
  ASSERT_TRUE(s.AddIpOrCidr("2001:db8:1:2:8000::/65", ListKind::kBlock, E("half")));
  EXPECT_EQ(s.LookupIp(Ip("2001:db8:1:2::99"))->entry->source, "host");
  EXPECT_EQ(s.LookupIp(Ip("2001:db8:1:2::98"))->entry->source, "net");
  EXPECT_EQ(s.LookupIp(Ip("2001:db8:1:2:8000::1"))->entry->source, "half");
  EXPECT_EQ(s.LookupIp(Ip("2001:db8:ffff::1"))->entry->source, "wide");
  EXPECT_EQ(s.LookupIp(Ip("2001:db8:ffff::1"))->pattern, "2001:db8::/32");
  EXPECT_FALSE(s.LookupIp(Ip("2001:db9::1")));
}

TEST(IntelStore, IpAllowlistWins) {
  IntelStore s;
  ASSERT_TRUE(s.AddIpOrCidr("104.24.108.138", ListKind::kBlock, E("list")));
  ASSERT_TRUE(s.AddIpOrCidr("104.16.0.0/12", ListKind::kAllow, E("cdn")));
  auto m = s.LookupIp(Ip("104.24.108.138"));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->list, ListKind::kAllow);
  EXPECT_EQ(m->pattern, "104.16.0.0/12");
  EXPECT_EQ(m->overridden_pattern, "104.24.108.138");
}

TEST(IntelStore, ZeroLengthPrefixAndPorts) {
  IntelStore s;
  ASSERT_TRUE(s.AddIpOrCidr("0.0.0.0/0", ListKind::kBlock, E("all")));
  EXPECT_TRUE(s.LookupIp(Ip("8.8.8.8")));
  s.AddPort(3333, "stratum");
  ASSERT_NE(s.PortNote(3333), nullptr);
  EXPECT_EQ(*s.PortNote(3333), "stratum");
  EXPECT_EQ(s.PortNote(80), nullptr);
}

TEST(IntelStore, MatchSurvivesMove) {
  IntelStore s;
  ASSERT_TRUE(s.AddDomain("*.c3pool.com", ListKind::kBlock, E("x")));
  IntelStore moved = std::move(s);
  auto m = moved.LookupDomain("auto.c3pool.com");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->pattern, "*.c3pool.com");
}

TEST(IntelStore, CountsBySource) {
  IntelStore s;
  ASSERT_TRUE(s.AddDomain("a.com", ListKind::kBlock, E("x")));
  ASSERT_TRUE(s.AddIpOrCidr("1.2.3.4", ListKind::kBlock, E("x")));
  ASSERT_TRUE(s.AddDomain("b.com", ListKind::kAllow, E("y")));
  auto counts = s.CountsBySource();
  EXPECT_EQ((counts[{"x", ListKind::kBlock}].domains), 1u);
  EXPECT_EQ((counts[{"x", ListKind::kBlock}].ips), 1u);
  EXPECT_EQ((counts[{"y", ListKind::kAllow}].domains), 1u);
}

TEST(ParseFormat, Names) {
  EXPECT_EQ(*ParseFormat("hosts"), Format::kHosts);
  EXPECT_EQ(*ParseFormat("misp"), Format::kMisp);
  EXPECT_FALSE(ParseFormat("yaml"));
  for (Format f : {Format::kAuto, Format::kPlain, Format::kHosts, Format::kAdblock, Format::kCsv,
                   Format::kStix, Format::kMisp, Format::kJson, Format::kTsv}) {
    EXPECT_EQ(*ParseFormat(FormatName(f)), f);
  }
}

}  // namespace
}  // namespace mw::intel
