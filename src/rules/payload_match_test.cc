// minerwatch — SPDX-License-Identifier: Apache-2.0
// CompiledPayload against Suricata 7's payload semantics: each case is a rule as Suricata reads it
// and what Suricata answers on the data (payload-keywords.html and the unit tests of
// detect-engine-content-inspection.c, detect-bytejump.c, detect-isdataat.c, detect-pcre.c).
#include "rules/payload_match.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <new>
#include <random>
#include <string>

#include "rules/rule_parser.h"

// Counts C++ heap allocations, so a test can show Matches makes none once its scratch has grown.
static size_t g_allocations = 0;
void* operator new(size_t n) {
  ++g_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
// GCC sees free() on what it takes for operator new's memory; here that is malloc's, by design.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace mw::rules {
namespace {

// The rule's matches on "buffer", compiled; the test fails when the rule does not parse.
CompiledPayload CompileRule(std::string_view options, std::string_view buffer = "pkt_data") {
  std::string text = "alert tcp any any -> any any (" + std::string(options) + " sid:1;)";
  auto rule = ParseRule(text, DefaultVars());
  EXPECT_TRUE(rule.has_value()) << text << ": " << (rule ? "" : rule.error().message());
  if (rule) {
    for (const BufferMatches& b : rule->buffers) {
      if (b.buffer != buffer) continue;
      auto compiled = CompiledPayload::Compile(b);
      EXPECT_TRUE(compiled.has_value());
      if (compiled) return std::move(*compiled);
    }
  }
  ADD_FAILURE() << "no matches on " << buffer << " in " << text;
  return std::move(*CompiledPayload::Compile(BufferMatches{std::string(buffer), {}}));
}

bool Hit(std::string_view options, std::string_view data, std::string_view buffer = "pkt_data",
         MatchSpan* span = nullptr) {
  PayloadScratch scratch;
  return CompileRule(options, buffer).Matches(AsBytes(data), scratch, span);
}

TEST(PayloadMatch, ContentAnywhereAndNocase) {
  EXPECT_TRUE(Hit(R"(content:"mining.notify";)", R"({"method":"mining.notify"})"));
  EXPECT_FALSE(Hit(R"(content:"mining.notify";)", R"({"method":"Mining.Notify"})"));
  // nocase: "the content is matched without regard to case".
  EXPECT_TRUE(Hit(R"(content:"mining.notify"; nocase;)", R"({"method":"Mining.NOTIFY"})"));
  // Hex bytes and text mixed, as the ET rules write them.
  EXPECT_TRUE(Hit(R"(content:"|22|result|22 3A|";)", R"({"result":true})"));
}

TEST(PayloadMatch, OffsetAndDepthAreAbsoluteDepthCountsFromOffset) {
  // Suricata docs: offset 3 skips three bytes, depth 3 then looks at bytes 3..5 only.
  EXPECT_TRUE(Hit(R"(content:"abc"; offset:3; depth:3;)", "xxxabc"));
  EXPECT_FALSE(Hit(R"(content:"abc"; offset:3; depth:3;)", "xxxxabc"));
  EXPECT_FALSE(Hit(R"(content:"abc"; offset:3; depth:3;)", "abcxxx"));
  EXPECT_TRUE(Hit(R"(content:"abc"; depth:3;)", "abcd"));
  EXPECT_FALSE(Hit(R"(content:"abc"; depth:3;)", "xabc"));
  EXPECT_TRUE(Hit(R"(content:"abc"; offset:1;)", "xabc"));
  EXPECT_FALSE(Hit(R"(content:"abc"; offset:1;)", "abcx"));
}

TEST(PayloadMatch, StartswithAndEndswith) {
  EXPECT_TRUE(Hit(R"(content:"GET"; startswith;)", "GET /"));
  EXPECT_FALSE(Hit(R"(content:"GET"; startswith;)", " GET /"));
  // endswith: the match must end where the buffer ends; a later occurrence is looked for.
  EXPECT_TRUE(Hit(R"(content:".onion"; endswith;)", "x.onion"));
  EXPECT_FALSE(Hit(R"(content:".onion"; endswith;)", "x.onion.to"));
  EXPECT_TRUE(Hit(R"(content:".to"; endswith;)", "a.to.b.to"));
}

TEST(PayloadMatch, DistanceAndWithinAreRelativeToThePreviousMatch) {
  // Docs example: "efg" must start within 10 bytes after "abc" ends.
  EXPECT_TRUE(Hit(R"(content:"abc"; content:"efg"; within:10;)", "abcdefg"));
  EXPECT_FALSE(Hit(R"(content:"abc"; content:"efg"; within:10;)", "abc0123456789efg"));
  // distance:1 skips one byte after the previous match.
  EXPECT_TRUE(Hit(R"(content:"abc"; content:"def"; distance:1;)", "abcxdef"));
  EXPECT_FALSE(Hit(R"(content:"abc"; content:"def"; distance:1;)", "abcdef"));
  // distance with within: the window starts at distance and is within bytes long.
  EXPECT_TRUE(Hit(R"(content:"a"; content:"b"; distance:2; within:1;)", "axxb"));
  EXPECT_FALSE(Hit(R"(content:"a"; content:"b"; distance:2; within:1;)", "axxxb"));
  // The ET getblocktemplate rule: depth on the first content, within on the second.
  EXPECT_TRUE(Hit(
      R"(content:"{|22|id|22 3A|"; depth:6; content:"|22|method|22 3A| |22|getblocktemplate|22|"; within:40;)",
      R"({"id": 1, "method": "getblocktemplate", "params": []})"));
}

TEST(PayloadMatch, NegativeDistanceLooksBack) {
  // distance:-6 from the end of "def" is the start of the buffer: "abc" is found right before.
  EXPECT_TRUE(Hit(R"(content:"def"; content:"abc"; distance:-6; within:3;)", "abcdef"));
  EXPECT_FALSE(Hit(R"(content:"def"; content:"abc"; distance:-6; within:3;)", "abxdef"));
  // A distance reaching before the buffer starts at its first byte (Suricata clamps to 0).
  EXPECT_TRUE(Hit(R"(content:"def"; content:"ab"; distance:-100;)", "abdef"));
}

TEST(PayloadMatch, BacktracksToTheNextOccurrenceOfTheAnchor) {
  // Suricata retries "a" at its next occurrence when the relative "b" fails after the first.
  EXPECT_TRUE(Hit(R"(content:"a"; content:"b"; distance:0; within:1;)", "a a ab"));
  EXPECT_FALSE(Hit(R"(content:"a"; content:"b"; distance:0; within:1;)", "a a a b"));
  // Three levels: the middle content is retried too.
  EXPECT_TRUE(
      Hit(R"(content:"x"; content:"y"; distance:0; content:"z"; distance:0; within:1;)", "xyyz"));
  EXPECT_TRUE(Hit(R"(content:"abc"; content:"d"; distance:0; within:1;)", "abcxabcd"));
}

TEST(PayloadMatch, NegatedContent) {
  EXPECT_TRUE(Hit(R"(content:!"evil";)", "good"));
  EXPECT_FALSE(Hit(R"(content:!"evil";)", "very evil"));
  EXPECT_TRUE(Hit(R"(content:"GET"; content:!"evil";)", "GET good"));
  // Negation is of the window its modifiers define: "bar" right after "foo" is refused, "bar"
  // further on is not.
  EXPECT_FALSE(Hit(R"(content:"foo"; content:!"bar"; distance:0; within:5;)", "foo12bar"));
  EXPECT_TRUE(Hit(R"(content:"foo"; content:!"bar"; distance:0; within:5;)", "foo123456bar"));
  EXPECT_TRUE(Hit(R"(content:!"abc"; depth:3;)", "xabc"));
  EXPECT_FALSE(Hit(R"(content:!"abc"; depth:3;)", "abcx"));
  // A negated relative content that is present makes Suricata retry the content before it.
  EXPECT_TRUE(Hit(R"(content:"a"; content:!"b"; distance:0; within:1;)", "abac"));
  // Negated with endswith: refused only where the buffer ends with it.
  EXPECT_TRUE(Hit(R"(content:!".com"; endswith;)", "a.com.org"));
  EXPECT_FALSE(Hit(R"(content:!".com"; endswith;)", "a.org.com"));
}

TEST(PayloadMatch, AfterANegatedContentTheAnchorIsThePreviousMatch) {
  // The negated content matches by being absent and leaves Suricata's buffer offset where the
  // content before it ended: the last content looks back over "abc" itself.
  EXPECT_TRUE(
      Hit(R"(content:"abc"; content:!"zzz"; distance:0; content:"abc"; distance:-3; within:3;)",
          "abcdef"));
  EXPECT_TRUE(
      Hit(R"(content:"a"; content:!"x"; distance:0; content:"b"; distance:0; within:1;)", "ab"));
}

TEST(PayloadMatch, IsDataAt) {
  EXPECT_TRUE(Hit(R"(content:"abc"; isdataat:3;)", "abcd"));
  EXPECT_FALSE(Hit(R"(content:"abc"; isdataat:3;)", "abc"));
  EXPECT_TRUE(Hit(R"(content:"abc"; isdataat:1,relative;)", "abcd"));
  EXPECT_FALSE(Hit(R"(content:"abc"; isdataat:1,relative;)", "abc"));
  // isdataat:!1,relative: nothing after the match. Suricata retries "abc" at its next occurrence.
  EXPECT_TRUE(Hit(R"(content:"abc"; isdataat:!1,relative;)", "xxabc"));
  EXPECT_FALSE(Hit(R"(content:"abc"; isdataat:!1,relative;)", "abcx"));
  EXPECT_TRUE(Hit(R"(content:"abc"; isdataat:!1,relative;)", "abcxabc"));
  EXPECT_TRUE(Hit(R"(content:"a"; isdataat:!10;)", "a"));
}

TEST(PayloadMatch, ByteTest) {
  EXPECT_TRUE(Hit(R"(byte_test:2,=,258,0;)", std::string("\x01\x02", 2)));
  EXPECT_TRUE(Hit(R"(byte_test:2,=,513,0,little;)", std::string("\x01\x02", 2)));
  EXPECT_FALSE(Hit(R"(byte_test:2,=,258,1;)", std::string("\x01\x02", 2)));  // past the end
  EXPECT_TRUE(Hit(R"(byte_test:3,>,100,0,string,dec;)", "123"));
  EXPECT_FALSE(Hit(R"(byte_test:3,>,200,0,string,dec;)", "123"));
  EXPECT_TRUE(Hit(R"(byte_test:2,=,255,0,string,hex;)", "ff"));
  EXPECT_FALSE(Hit(R"(byte_test:3,=,1,0,string,dec;)", "abc"));  // no number: no match
  EXPECT_TRUE(Hit(R"(content:"len="; byte_test:2,=,42,0,relative,string,dec;)", "xlen=42"));
  // bitmask: the masked value is shifted right by the mask's trailing zeros.
  EXPECT_TRUE(Hit(R"(byte_test:1,=,3,0,bitmask 0xf0;)", "\x30"));
  EXPECT_TRUE(Hit(R"(byte_test:1,&,1,0;)", "\x03"));
  EXPECT_TRUE(Hit(R"(byte_test:1,!=,5,0;)", "\x04"));
  EXPECT_FALSE(Hit(R"(byte_test:1,!>,3,0;)", "\x04"));
  EXPECT_TRUE(Hit(R"(byte_test:1,<=,4,0;)", "\x04"));
}

TEST(PayloadMatch, ByteJumpThenContent) {
  // One length byte, then the jump lands after the bytes read plus the value.
  EXPECT_TRUE(Hit(R"(byte_jump:1,0; content:"X"; distance:0; within:1;)",
                  "\x03"
                  "abcX"));
  EXPECT_FALSE(Hit(R"(byte_jump:1,0; content:"X"; distance:0; within:1;)",
                   "\x02"
                   "abcX"));
  EXPECT_TRUE(Hit(R"(byte_jump:1,0,from_beginning; content:"X"; distance:0; within:1;)",
                  "\x04"
                  "abcX"));
  EXPECT_TRUE(Hit(R"(byte_jump:1,0,post_offset -1; content:"X"; distance:0; within:1;)",
                  "\x04"
                  "abcX"));
  EXPECT_TRUE(Hit(R"(byte_jump:1,0,multiplier 2; content:"X"; distance:0; within:1;)",
                  "\x02"
                  "abcdX"));
  EXPECT_TRUE(Hit(R"(byte_jump:1,0,align; content:"X"; distance:0; within:1;)",
                  "\x02"
                  "abcdX"));
  EXPECT_TRUE(Hit(R"(byte_jump:2,0,string,dec; content:"X"; distance:0; within:1;)", "03abcX"));
  EXPECT_TRUE(Hit(R"(byte_jump:0,0,from_end,post_offset -1; content:"Z"; distance:0;)", "abcZ"));
  // A jump to or past the end fails.
  EXPECT_FALSE(Hit(R"(byte_jump:1,0;)",
                   "\x09"
                   "ab"));
  // Relative to the content before it.
  EXPECT_TRUE(Hit(R"(content:"L"; byte_jump:1,0,relative; content:"!"; distance:0; within:1;)",
                  "xL\x02"
                  "ab!"));
}

TEST(PayloadMatch, Pcre) {
  EXPECT_TRUE(Hit(R"(pcre:"/a.c/";)", "xabcx"));
  EXPECT_FALSE(Hit(R"(pcre:"/a.c/";)", "xABCx"));
  EXPECT_TRUE(Hit(R"(pcre:"/a.c/i";)", "xABCx"));
  EXPECT_TRUE(Hit(R"(pcre:!"/evil/";)", "good"));
  EXPECT_FALSE(Hit(R"(pcre:!"/evil/";)", "evil"));
  // R: the pcre starts where the previous match ended, so ^ is that position.
  EXPECT_TRUE(Hit(R"(content:"foo"; pcre:"/^bar/R";)", "foobar"));
  EXPECT_FALSE(Hit(R"(content:"foo"; pcre:"/^bar/R";)", "foo bar"));
  EXPECT_FALSE(Hit(R"(content:"foo"; pcre:"/bar/R";)", "barfoo"));
  // The pcre's end is the anchor of the next relative step, and it is retried like a content.
  EXPECT_TRUE(Hit(R"(pcre:"/a+/"; content:"b"; distance:0; within:1;)", "aab"));
  EXPECT_TRUE(Hit(R"(pcre:"/x./"; content:"!"; distance:0; within:1;)", "xaxb!"));
  // Back-references, which Hyperscan cannot do.
  EXPECT_TRUE(Hit(R"(pcre:"/(\w)\1/";)", "abccd"));
}

TEST(PayloadMatch, DotprefixAndBsize) {
  // dotprefix: the buffer is "." + data, so ".example.com" with endswith matches the domain and
  // its subdomains but not "notexample.com".
  const char* rule = R"(dns.query; dotprefix; content:".example.com"; endswith;)";
  EXPECT_TRUE(Hit(rule, "example.com", "dns.query"));
  EXPECT_TRUE(Hit(rule, "sub.example.com", "dns.query"));
  EXPECT_FALSE(Hit(rule, "notexample.com", "dns.query"));
  EXPECT_TRUE(Hit(R"(http.uri; bsize:5;)", "abcde", "http.uri"));
  EXPECT_FALSE(Hit(R"(http.uri; bsize:5;)", "abcdef", "http.uri"));
  EXPECT_TRUE(Hit(R"(http.uri; bsize:<3;)", "ab", "http.uri"));
  EXPECT_TRUE(Hit(R"(http.uri; bsize:2<>5;)", "abcd", "http.uri"));
  EXPECT_FALSE(Hit(R"(http.uri; bsize:2<>5;)", "ab", "http.uri"));
  EXPECT_TRUE(Hit(R"(http.uri; bsize:0;)", "", "http.uri"));
}

// Cases of Suricata's own regression suite (suricata-verify), reduced to the buffer.
TEST(PayloadMatch, SuricataVerifyCases) {
  // issue-8031-01-isdataat, 32-byte payload: absolute isdataat:n needs a byte at offset n,
  // relative isdataat:n needs n bytes after the anchor (0 with no match before).
  std::string p32(32, 'a');
  EXPECT_TRUE(Hit("isdataat:31;", p32));
  EXPECT_FALSE(Hit("isdataat:32;", p32));
  EXPECT_TRUE(Hit("isdataat:32,relative;", p32));
  EXPECT_FALSE(Hit("isdataat:33,relative;", p32));
  EXPECT_TRUE(Hit(R"(content:"a"; depth:1; isdataat:31,relative;)", p32));
  EXPECT_FALSE(Hit(R"(content:"a"; depth:1; isdataat:32,relative;)", p32));
  // detect-bytejump-05: a jump to before the buffer lands on its start; the pcre R runs from there.
  std::string bj = "NSLO" + std::string("\x0a\x95\x00\x20", 4) + "rest";
  EXPECT_TRUE(Hit(
      R"(content:"|0A 95 00 20|"; byte_jump:0,0,relative,post_offset -8; pcre:"/\x4e\x53\x4c\x4f/R";)",
      bj));
  EXPECT_TRUE(Hit(
      R"(content:"|0A 95 00 20|"; byte_jump:0,0,relative,post_offset -10; pcre:"/\x4e\x53\x4c\x4f/R";)",
      bj));
  // bug-docs-5030: distance 9 / within 29 bound the window to [9, 38); endswith needs the buffer
  // to end inside it.
  const char* rule = R"(content:"yYYYYYYYYYYYYYYYY"; distance:9; within:29; endswith;)";
  EXPECT_TRUE(Hit(rule, std::string(17, 'x') + "yYYYYYYYYYYYYYYYY"));   // 34 bytes
  EXPECT_FALSE(Hit(rule, std::string(22, 'x') + "yYYYYYYYYYYYYYYYY"));  // 39 bytes
  // alert-distance-within-1: "DullBoy" one byte after the first content, within 7.
  EXPECT_TRUE(
      Hit(R"(content:"AllWorkAndNoPlayMakesWill"; content:"DullBoy"; distance:1; within:7;)",
          "GET /AllWorkAndNoPlayMakesWillADullBoy HTTP/1.0"));
  EXPECT_FALSE(
      Hit(R"(content:"AllWorkAndNoPlayMakesWill"; content:"DullBoy"; distance:1; within:7;)",
          "GET /AllWorkAndNoPlayMakesWillDullBoy HTTP/1.0"));
  // detect-content-ends-with-negated-01/02 on http.host.
  const char* host = R"(http.host; content:!".google.com"; endswith;)";
  EXPECT_TRUE(Hit(host, "www.google.com.example.com", "http.host"));
  EXPECT_FALSE(Hit(host, "www.google.com", "http.host"));
  // detect-dotprefix-01.
  EXPECT_TRUE(Hit(R"(dns.query; dotprefix; content:".windowsupdate.com";)",
                  "download.windowsupdate.com", "dns.query"));
  EXPECT_TRUE(
      Hit(R"(dns.query; dotprefix; content:".com"; endswith;)", "windowsupdate.com", "dns.query"));
}

TEST(PayloadMatch, EmptyBuffer) {
  EXPECT_FALSE(Hit(R"(content:"a";)", ""));
  EXPECT_TRUE(Hit(R"(content:!"a";)", ""));
  EXPECT_FALSE(Hit(R"(byte_test:1,=,0,0;)", ""));
}

TEST(PayloadMatch, FastPatternOnlyIsNotInspectedAgain) {
  // Matches is called after the prefilter saw the fast_pattern:only content; Suricata does not
  // look for it again.
  EXPECT_TRUE(Hit(R"(content:"zzz"; fast_pattern:only;)", "abc"));
  EXPECT_TRUE(Hit(R"(content:"zzz"; fast_pattern:only; content:"abc";)", "xabc"));
  EXPECT_FALSE(Hit(R"(content:"zzz"; fast_pattern:only; content:"abc";)", "xab"));
}

TEST(PayloadMatch, SpanIsTheFirstPositiveMatch) {
  MatchSpan span;
  EXPECT_TRUE(
      Hit(R"(content:!"x"; content:"bc"; content:"d"; distance:0;)", "abcd", "pkt_data", &span));
  EXPECT_EQ(span.offset, 1u);
  EXPECT_EQ(span.length, 2u);
  // Backtracked: the span is where the successful chain matched.
  EXPECT_TRUE(Hit(R"(content:"a"; content:"b"; distance:0; within:1;)", "a ab", "pkt_data", &span));
  EXPECT_EQ(span.offset, 2u);
  // dotprefix: offsets are in the caller's bytes.
  EXPECT_TRUE(Hit(R"(dns.query; dotprefix; content:".pool.com"; endswith;)", "xmr.pool.com",
                  "dns.query", &span));
  EXPECT_EQ(span.offset, 3u);
  EXPECT_EQ(span.length, 9u);  // ".pool.com" in "xmr.pool.com"
}

TEST(PayloadMatch, PathologicalRuleIsBounded) {
  // Every "a" is retried for every "a" before it: without Suricata's recursion limit this is
  // exponential. The limit makes it a no match, quickly.
  std::string rule = R"(content:"a";)";
  for (int i = 0; i < 8; ++i) rule += R"( content:"a"; distance:0;)";
  rule += R"( content:"b"; distance:0; within:1;)";
  std::string data(20000, 'a');
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(Hit(rule, data));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  // Catastrophic pcre backtracking stops at the match limit.
  start = std::chrono::steady_clock::now();
  EXPECT_FALSE(Hit(R"(pcre:"/(a+)+$/";)", std::string(5000, 'a') + "b"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

// A single content against its definition, on random data over a small alphabet (so matches,
// near-matches and matches at the edges are frequent).
TEST(PayloadMatch, SingleContentAgreesWithItsDefinitionOnRandomData) {
  std::mt19937 rng(7);
  const std::string alphabet = "abAB\"";
  auto random_text = [&](size_t n) {
    std::string t;
    for (size_t i = 0; i < n; ++i) t += alphabet[rng() % alphabet.size()];
    return t;
  };
  PayloadScratch scratch;
  for (int round = 0; round < 300; ++round) {
    std::string pattern = random_text(1 + rng() % 3);
    bool nocase = rng() % 2;
    uint32_t offset = rng() % 4, depth = uint32_t(pattern.size()) + rng() % 6;
    BufferMatches b{"pkt_data", {}};
    Match m;
    m.content.bytes = pattern;
    m.content.nocase = nocase;
    m.content.offset = int32_t(offset);
    m.content.depth = int32_t(depth);
    b.matches.push_back(m);
    auto compiled = CompiledPayload::Compile(b);
    ASSERT_TRUE(compiled.has_value());
    for (int d = 0; d < 20; ++d) {
      std::string data = random_text(rng() % 12);
      auto eq = [nocase](char x, char y) {
        return nocase ? std::tolower(uint8_t(x)) == std::tolower(uint8_t(y)) : x == y;
      };
      bool expected = false;
      for (size_t i = offset; i + pattern.size() <= std::min<size_t>(data.size(), offset + depth);
           ++i)
        expected |= std::equal(pattern.begin(), pattern.end(), data.begin() + long(i), eq);
      EXPECT_EQ(compiled->Matches(AsBytes(data), scratch), expected)
          << "pattern '" << pattern << "' nocase " << nocase << " offset " << offset << " depth "
          << depth << " data '" << data << "'";
    }
  }
}

TEST(PayloadMatch, NoAllocationOnceTheScratchHasGrown) {
  CompiledPayload a = CompileRule(
      R"(dns.query; dotprefix; content:".POOL.com"; nocase; endswith; pcre:"/(\w+)\.pool/i";)",
      "dns.query");
  CompiledPayload b = CompileRule(
      R"(content:"a"; content:"b"; distance:0; within:1; byte_jump:1,0,relative; isdataat:!1,relative;)");
  PayloadScratch scratch;
  std::string big(4000, 'x');
  big += "xmr.pool.com";
  (void)a.Matches(AsBytes(big), scratch);  // grows the scratch to this size
  size_t before = g_allocations;
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(a.Matches(AsBytes("xmr.pool.com"), scratch));
    EXPECT_TRUE(a.Matches(AsBytes(big), scratch));
    EXPECT_FALSE(b.Matches(AsBytes("a a ab\x05"), scratch));
  }
  EXPECT_EQ(g_allocations, before);
}

TEST(PayloadMatch, ScratchIsReusedAcrossRulesAndCalls) {
  CompiledPayload a =
      CompileRule(R"(dns.query; dotprefix; content:".a.com"; endswith;)", "dns.query");
  CompiledPayload b = CompileRule(R"(pcre:"/b+c/";)");
  PayloadScratch scratch;
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(a.Matches(AsBytes("x.a.com"), scratch));
    EXPECT_TRUE(b.Matches(AsBytes("abbbc"), scratch));
    EXPECT_FALSE(a.Matches(AsBytes("xa.com"), scratch));
  }
}

}  // namespace
}  // namespace mw::rules
