// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "mw/net/ip_address.h"

#include <gtest/gtest.h>

namespace mw {

TEST(IpAddress, ParsesAndPrintsV4) {
  auto a = IpAddress::Parse("192.0.2.7");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->is_v4());
  EXPECT_EQ(a->v4(), 0xC0000207u);
  EXPECT_EQ(a->ToString(), "192.0.2.7");
}

TEST(IpAddress, ParsesAndPrintsV6) {
  auto a = IpAddress::Parse("2001:db8::1");
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->is_v4());
  EXPECT_EQ(a->ToString(), "2001:db8::1");
}

TEST(IpAddress, RejectsGarbage) {
  EXPECT_FALSE(IpAddress::Parse(""));
  EXPECT_FALSE(IpAddress::Parse("1.2.3"));
  EXPECT_FALSE(IpAddress::Parse("pool.example.com"));
  EXPECT_FALSE(IpAddress::Parse("1.2.3.4/24"));
}

TEST(IpAddress, SinkholeAnswersAreRecognised) {
  EXPECT_TRUE(IpAddress::Parse("0.0.0.0")->IsUnspecifiedOrLoopback());
  EXPECT_TRUE(IpAddress::Parse("127.0.0.1")->IsUnspecifiedOrLoopback());
  EXPECT_TRUE(IpAddress::Parse("::1")->IsUnspecifiedOrLoopback());
  EXPECT_FALSE(IpAddress::Parse("198.51.100.1")->IsUnspecifiedOrLoopback());
}

}  // namespace mw
