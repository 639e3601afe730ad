// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "notify/hmac.h"

#include <gtest/gtest.h>

namespace mw::notify {
namespace {

// RFC 4231 test cases 1, 2 and 6 (key longer than the block size).
TEST(Hmac, Rfc4231Vectors) {
  EXPECT_EQ(HmacSha256Hex(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(HmacSha256Hex(std::string(131, '\xaa'),
                          "Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(Hmac, EmptyKeyAndMessage) {
  EXPECT_EQ(HmacSha256Hex("", ""),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(Hmac, HeaderValueAndVerify) {
  std::string body = R"({"type":"finding"})";
  std::string h = SignatureHeaderValue("s3cret", body);
  EXPECT_EQ(h.rfind("sha256=", 0), 0u);
  EXPECT_EQ(h.size(), 7u + 64u);
  EXPECT_TRUE(VerifySignature("s3cret", body, h));
  EXPECT_FALSE(VerifySignature("s3cret", body + " ", h));
  EXPECT_FALSE(VerifySignature("other", body, h));
  EXPECT_FALSE(VerifySignature("s3cret", body, h.substr(0, 20)));
}

}  // namespace
}  // namespace mw::notify
