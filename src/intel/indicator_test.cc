// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "intel/indicator.h"

#include <gtest/gtest.h>

namespace mw::intel {
namespace {

void ExpectToken(std::string_view in, TokenKind kind, std::string_view pattern) {
  Token t = ClassifyToken(in);
  EXPECT_EQ(t.kind, kind) << in;
  EXPECT_EQ(t.pattern, pattern) << in;
}

TEST(ClassifyToken, Domains) {
  ExpectToken("Pool.SupportXMR.com.", TokenKind::kDomain, "pool.supportxmr.com");
  ExpectToken("*.nanopool.org", TokenKind::kDomainSuffix, "*.nanopool.org");
  ExpectToken(".nanopool.org", TokenKind::kDomainSuffix, "*.nanopool.org");
  ExpectToken(
      "\xEF\xBB\xBF"
      "ftp.ftp0930.host \xE2\x80\x8E",
      TokenKind::kDomain, "ftp.ftp0930.host");
  ExpectToken("'minero.cc'", TokenKind::kDomain, "minero.cc");
  ExpectToken("^.*\\.nanopool\\.org$", TokenKind::kDomainSuffix, "*.nanopool.org");
  EXPECT_EQ(ClassifyToken("example.com", /*subdomains=*/true).pattern, "*.example.com");
}

TEST(ClassifyToken, RejectsNonHosts) {
  for (std::string_view bad :
       {"localhost", "coinhive.min.js", "_client.start", "a..b.com", "CRLT.Anonymous(",
        "download sites:", "", "1.2.3", "-", "x.123", "pool.com:abc:def", "(.*)\\.pool\\.com"}) {
    EXPECT_EQ(ClassifyToken(bad).kind, TokenKind::kInvalid) << bad;
  }
  std::string long_label(64, 'a');
  EXPECT_EQ(ClassifyToken(long_label + ".com").kind, TokenKind::kInvalid);
  std::string long_name;
  for (int i = 0; i < 60; ++i) long_name += "abcd.";
  EXPECT_EQ(ClassifyToken(long_name + "com").kind, TokenKind::kInvalid);
}

TEST(ClassifyToken, HostNameSyntax) {
  // Junk that once became "domains": one-letter or numeric TLDs, labels with a leading or
  // trailing '-', underscores.
  for (std::string_view bad :
       {"3.p", "-leading-dash.x", "-leading.example.com", "trailing-.example.com", "example-.com",
        "a.b-", "alfa_music.r98.ir", "x.1b", "pool.c0m", "example.xn--"}) {
    Token t = ClassifyToken(bad);
    EXPECT_EQ(t.kind, TokenKind::kInvalid) << bad;
    EXPECT_EQ(t.reject, RejectReason::kBadHostName) << bad;
  }
  ExpectToken("a-b.example.com", TokenKind::kDomain, "a-b.example.com");
  ExpectToken("3com.io", TokenKind::kDomain, "3com.io");
  ExpectToken("xn--80ak6aa92e.com", TokenKind::kDomain, "xn--80ak6aa92e.com");
  ExpectToken("пример.рф", TokenKind::kDomain, "xn--e1afmkfd.xn--p1ai");  // the idn2 path
  std::string label63(63, 'a');
  ExpectToken(label63 + ".com", TokenKind::kDomain, label63 + ".com");
}

TEST(BroadReason, MatchEverythingEntries) {
  for (std::string_view broad :
       {"0.0.0.0/0", "::/0", "10.0.0.0/7", "128.0.0.0/1", "2000::/3", "2001::/15"}) {
    Token t = ClassifyToken(broad);
    ASSERT_EQ(t.kind, TokenKind::kCidr) << broad;
    EXPECT_EQ(BroadReason(t), RejectReason::kBroadPrefix) << broad;
  }
  for (std::string_view ok : {"10.0.0.0/8", "2001::/16", "2001:db8::/32", "1.2.3.4"}) {
    EXPECT_EQ(BroadReason(ClassifyToken(ok)), RejectReason::kNone) << ok;
  }
  for (std::string_view suffix : {"co.uk", "*.co.uk", "github.io", "CO.UK."}) {
    EXPECT_EQ(BroadReason(ClassifyToken(suffix)), RejectReason::kPublicSuffix) << suffix;
  }
  // One label is never a host name, --allow-broad or not; the reason still says what it is.
  for (std::string_view tld : {"com", "*.com", "uk"}) {
    EXPECT_EQ(ClassifyToken(tld).kind, TokenKind::kInvalid) << tld;
    EXPECT_EQ(ClassifyToken(tld).reject, RejectReason::kPublicSuffix) << tld;
  }
  for (std::string_view ok : {"example.com", "*.nanopool.org", "xmr.pool", "foo.github.io"}) {
    EXPECT_EQ(BroadReason(ClassifyToken(ok)), RejectReason::kNone) << ok;
  }
}

TEST(ClassifyToken, UrlsGiveTheirHost) {
  ExpectToken("http://xmr.ipzse.com:66/bd.sh", TokenKind::kDomain, "xmr.ipzse.com");
  ExpectToken("http://146.71.79.230/363A/update.sh", TokenKind::kIp, "146.71.79.230");
  ExpectToken("stratum+tcp://User@Pool.Example.com:3333", TokenKind::kDomain, "pool.example.com");
  ExpectToken("*://*.jsecoin.com/server*", TokenKind::kDomainSuffix, "*.jsecoin.com");
  ExpectToken("*://coinhive.com/lib*", TokenKind::kDomain, "coinhive.com");
  ExpectToken("9gag.red/gag/gag12.php", TokenKind::kDomain, "9gag.red");
  ExpectToken("http://[2001:db8::1]:8080/x", TokenKind::kIp, "2001:db8::1");
}

TEST(ClassifyToken, Addresses) {
  ExpectToken("54.235.94.19:9332", TokenKind::kIp, "54.235.94.19");
  ExpectToken("10.1.2.3/8", TokenKind::kCidr, "10.0.0.0/8");
  ExpectToken("1.2.3.4/32", TokenKind::kIp, "1.2.3.4");
  ExpectToken("2001:DB8::/32", TokenKind::kCidr, "2001:db8::/32");
  ExpectToken("2001:db8::5", TokenKind::kIp, "2001:db8::5");
  EXPECT_EQ(ClassifyToken("1.2.3.0/33").kind, TokenKind::kInvalid);
  EXPECT_EQ(ClassifyToken("0.0.0.0").kind, TokenKind::kSinkhole);
  EXPECT_EQ(ClassifyToken("127.0.0.1").kind, TokenKind::kSinkhole);
  EXPECT_EQ(ClassifyToken("::1").kind, TokenKind::kSinkhole);
}

TEST(ClassifyToken, HashesAndWalletsAreNonNetwork) {
  EXPECT_EQ(ClassifyToken("9a513bd6a8073103f6244d7e2fc23ecf").kind, TokenKind::kNonNetwork);
  EXPECT_EQ(ClassifyToken(std::string(64, 'a')).kind, TokenKind::kNonNetwork);
  EXPECT_EQ(ClassifyToken("44hSy2RenbgUDr65yWQRX3cb7DGezWqbtS1X2BiodiUoRwUGmbiLSeZLYxC6aBYMRdfnqgS"
                          "28ZGkXDbu93w2cGhb7ERjC6H")
                .kind,
            TokenKind::kNonNetwork);
}

TEST(Cidr, MaskAndFormat) {
  IpAddress net;
  int len = 0;
  ASSERT_TRUE(ParseCidr("192.168.77.9/20", &net, &len));
  EXPECT_EQ(CidrToString(net, len), "192.168.64.0/20");
  ASSERT_TRUE(ParseCidr("2001:db8:ffff::1/33", &net, &len));
  EXPECT_EQ(CidrToString(net, len), "2001:db8:8000::/33");
  EXPECT_FALSE(ParseCidr("1.2.3.4/", &net, &len));
  EXPECT_FALSE(ParseCidr("1.2.3.4/-1", &net, &len));
  EXPECT_FALSE(ParseCidr("::/129", &net, &len));
}

}  // namespace
}  // namespace mw::intel
