// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "core/text_sanitize.h"

#include <gtest/gtest.h>

#include "core/bounded_queue.h"

namespace mw {
namespace {

TEST(SanitizeText, ReplacesInvalidUtf8AndControls) {
  EXPECT_EQ(SanitizeText("ok"), "ok");
  EXPECT_EQ(SanitizeText("a\nb\r\tc"), "a b  c");
  EXPECT_EQ(SanitizeText("a\nb", true), "a\nb");
  EXPECT_EQ(SanitizeText("\xff"), "\xEF\xBF\xBD");
  EXPECT_EQ(SanitizeText("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong '/'
  EXPECT_EQ(SanitizeText("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(SanitizeText("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(SanitizeText("\xF0\x9F\x98\x80"), "\xF0\x9F\x98\x80");
  EXPECT_EQ(SanitizeText("\xE2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // truncated
}

TEST(DumpJson, InvalidUtf8IsReplacedNotThrown) {
  EXPECT_EQ(DumpJson(nlohmann::json("a\xff")), "\"a\xEF\xBF\xBD\"");
}

TEST(BoundedQueue, RefusesBeyondCapacityAndAfterClose) {
  BoundedQueue<int> q(2);
  EXPECT_TRUE(q.Push(1));
  EXPECT_TRUE(q.Push(2));
  EXPECT_FALSE(q.Push(3));
  EXPECT_EQ(*q.PopUntil(std::chrono::steady_clock::now()), 1);
  q.Close();
  EXPECT_FALSE(q.Push(4));
  EXPECT_EQ(*q.PopUntil(std::chrono::steady_clock::now()), 2);
  EXPECT_FALSE(
      q.PopUntil(std::chrono::steady_clock::now() + std::chrono::seconds(5)));  // closed: no wait
}

}  // namespace
}  // namespace mw
