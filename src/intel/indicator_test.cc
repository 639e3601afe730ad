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
