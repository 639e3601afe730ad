// minerwatch — SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "rules/rule_loader.h"
#include "rules/rule_parser.h"

// GCC says __SANITIZE_ADDRESS__, clang says __has_feature(address_sanitizer).
#if defined(__SANITIZE_ADDRESS__)
#define MW_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MW_UNDER_ASAN 1
#endif
#endif
#ifndef MW_UNDER_ASAN
#define MW_UNDER_ASAN 0
#endif

namespace mw::rules {
namespace {

Rule MustParse(std::string_view text) {
  auto rule = ParseRule(text, DefaultVars());
  EXPECT_TRUE(rule) << text << "\n  -> " << (rule ? "" : rule.error().message());
  return rule ? *rule : Rule{};
}

std::string ErrorOf(std::string_view text) {
  auto rule = ParseRule(text, DefaultVars());
  EXPECT_FALSE(rule) << "parsed but should not: " << text;
  return rule ? "" : rule.error().message();
}

std::string WithOptions(std::string_view options) {
  return "alert tcp any any -> any any (" + std::string(options) + " sid:1;)";
}

const Content& OnlyContent(const Rule& r, size_t buffer = 0, size_t match = 0) {
  return r.buffers.at(buffer).matches.at(match).content;
}

TEST(RuleHeader, ActionsProtocolsAndDirection) {
  EXPECT_EQ(MustParse("drop udp any any <> any any (sid:1;)").action, Action::kDrop);
  EXPECT_EQ(MustParse("pass ip any any -> any any (sid:1;)").action, Action::kPass);
  EXPECT_EQ(MustParse("reject tcp any any -> any any (sid:1;)").action, Action::kReject);
  EXPECT_EQ(MustParse("alert tcp-stream any any -> any any (sid:1;)").protocol,
            Protocol::kTcpStream);
  EXPECT_EQ(MustParse("alert http1 any any -> any any (sid:1;)").protocol, Protocol::kHttp1);
  EXPECT_EQ(MustParse("alert udp any any <> any any (sid:1;)").direction, Direction::kBoth);
  EXPECT_NE(ErrorOf("alert smb any any -> any any (sid:1;)").find("protocol 'smb'"),
            std::string::npos);
  EXPECT_NE(ErrorOf("alert tcp any any => any any (sid:1;)").find("direction"), std::string::npos);
  EXPECT_NE(ErrorOf("hello tcp any any -> any any (sid:1;)").find("action"), std::string::npos);
}

TEST(RuleHeader, AddressVariablesListsRangesAndNegation) {
  Rule r = MustParse("alert tcp $HOME_NET any -> $EXTERNAL_NET any (sid:1;)");
  ASSERT_EQ(r.source.ranges.size(), 3u);  // Suricata's default HOME_NET
  EXPECT_FALSE(r.source.any);
  EXPECT_FALSE(r.source.ranges[0].negated);
  // EXTERNAL_NET = !$HOME_NET: only exclusions, so any other address.
  ASSERT_EQ(r.destination.ranges.size(), 3u);
  EXPECT_TRUE(r.destination.ranges[0].negated);
  EXPECT_TRUE(r.destination.any);

  Rule list = MustParse(
      "alert ip [10.0.0.0/8, !10.1.0.0/16, 2001:db8::/32] any -> "
      "1.2.3.4-1.2.3.9 any (sid:1;)");
  ASSERT_EQ(list.source.ranges.size(), 3u);
  EXPECT_TRUE(list.source.ranges[1].negated);
  EXPECT_TRUE(list.source.ranges[2].v6);
  EXPECT_EQ(list.source.ranges[0].first[12], 10);
  EXPECT_EQ(list.source.ranges[0].last[13], 255);
  EXPECT_EQ(list.destination.ranges[0].last[15], 9);
  // Negation of a group flips every member; a double negation includes.
  Rule nested = MustParse("alert ip ![1.1.1.1,!2.2.2.2] any -> any any (sid:1;)");
  EXPECT_TRUE(nested.source.ranges[0].negated);
  EXPECT_FALSE(nested.source.ranges[1].negated);
}

TEST(RuleHeader, VarsFromTheMapAndTheirErrors) {
  Vars vars = DefaultVars();
  vars["HOME_NET"] = "[192.0.2.0/24]";
  vars["LOOP"] = "$LOOP";
  auto r = ParseRule("alert tcp $HOME_NET any -> any any (sid:1;)", vars);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->source.ranges.size(), 1u);
  EXPECT_EQ(r->source.ranges[0].first[14], 2);
  EXPECT_NE(ErrorOf("alert tcp $NOPE any -> any any (sid:1;)").find("undefined variable $NOPE"),
            std::string::npos);
  auto loop = ParseRule("alert tcp $LOOP any -> any any (sid:1;)", vars);
  ASSERT_FALSE(loop);
  EXPECT_NE(loop.error().message().find("nest too deeply"), std::string::npos);
  EXPECT_NE(ErrorOf("alert tcp 10.0.0.0/33 any -> any any (sid:1;)").find("prefix"),
            std::string::npos);
  EXPECT_NE(ErrorOf("alert tcp !any any -> any any (sid:1;)").find("!any"), std::string::npos);
}

TEST(RuleHeader, Ports) {
  Rule r = MustParse("alert tcp any [80,8000:8080,!8008] -> any $HTTP_PORTS (sid:1;)");
  ASSERT_EQ(r.source_ports.ranges.size(), 3u);
  EXPECT_EQ(r.source_ports.ranges[1].first, 8000);
  EXPECT_EQ(r.source_ports.ranges[1].last, 8080);
  EXPECT_TRUE(r.source_ports.ranges[2].negated);
  EXPECT_EQ(r.destination_ports.ranges.at(0).first, 80);
  Rule open = MustParse("alert tcp any 1024: -> any :1023 (sid:1;)");
  EXPECT_EQ(open.source_ports.ranges[0].last, 65535);
  EXPECT_EQ(open.destination_ports.ranges[0].first, 0);
  EXPECT_NE(ErrorOf("alert tcp any 70000 -> any any (sid:1;)").find("out of range"),
            std::string::npos);
  EXPECT_NE(ErrorOf("alert tcp any 90:80 -> any any (sid:1;)").find("reversed"), std::string::npos);
}

TEST(RuleOptions, MetaKeywords) {
  Rule r = MustParse(
      "alert tcp any any -> any any (msg:\"a \\\"quoted\\\" \\; msg\"; sid:2017872; rev:3; "
      "gid:1; classtype:coin-mining; reference:url,example.com/x; priority:2; target:dest_ip; "
      "metadata:created_at 2013_12_17, mitre_technique_id T1496;)");
  EXPECT_EQ(r.msg, "a \"quoted\" ; msg");
  EXPECT_EQ(r.sid, 2017872u);
  EXPECT_EQ(r.rev, 3u);
  EXPECT_EQ(r.classtype, "coin-mining");
  ASSERT_EQ(r.references.size(), 1u);
  EXPECT_EQ(r.references[0].system, "url");
  EXPECT_EQ(r.references[0].id, "example.com/x");
  EXPECT_EQ(r.priority, 2);
  EXPECT_EQ(r.target, "dest_ip");
  ASSERT_EQ(r.metadata.size(), 2u);
  EXPECT_EQ(r.metadata[1].key, "mitre_technique_id");
  EXPECT_EQ(r.metadata[1].value, "T1496");
  ASSERT_GE(r.options.size(), 9u);
  EXPECT_EQ(r.options[0].keyword, "msg");  // every option kept in order
  EXPECT_EQ(r.options[1].keyword, "sid");
}

TEST(RuleOptions, SyntaxErrors) {
  EXPECT_NE(ErrorOf("alert tcp any any -> any any (msg:\"x\";)").find("no sid"), std::string::npos);
  EXPECT_NE(ErrorOf("alert tcp any any -> any any (sid:1)").find("has no ';'"), std::string::npos);
  EXPECT_NE(ErrorOf(WithOptions("frobnicate:3;")).find("unsupported keyword 'frobnicate'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(WithOptions("priority:0;")).find("out of range"), std::string::npos);
  EXPECT_NE(ErrorOf("alert tcp any any -> any any sid:1;").find("not a rule"), std::string::npos);
}

TEST(Content, HexEscapesAndNegation) {
  Rule r = MustParse(WithOptions(R"(content:"|7B 22|id|22 3A|"; content:!"a\;b\"c\\d\:";)"));
  EXPECT_EQ(OnlyContent(r).bytes, "{\"id\":");
  EXPECT_FALSE(OnlyContent(r).negated);
  EXPECT_EQ(OnlyContent(r, 0, 1).bytes, "a;b\"c\\d:");
  EXPECT_TRUE(OnlyContent(r, 0, 1).negated);
  EXPECT_EQ(r.buffers[0].buffer, "pkt_data");
  EXPECT_NE(ErrorOf(WithOptions(R"(content:"|4|";)")).find("odd number"), std::string::npos);
  EXPECT_NE(ErrorOf(WithOptions(R"(content:"|4G|";)")).find("hex digit"), std::string::npos);
  EXPECT_NE(ErrorOf(WithOptions(R"(content:"|41";)")).find("not closed"), std::string::npos);
  EXPECT_NE(ErrorOf(WithOptions(R"(content:"a\x";)")).find("invalid escape"), std::string::npos);
  EXPECT_NE(ErrorOf(WithOptions(R"(content:"";)")).find("empty"), std::string::npos);
  // Suricata does not honour quotes when splitting options: the ';' ends the option.
  EXPECT_FALSE(ParseRule(WithOptions(R"(content:"a;b";)"), DefaultVars()));
}

TEST(Content, Modifiers) {
  Rule r = MustParse(WithOptions(
      R"(content:"abc"; nocase; depth:10; offset:2; fast_pattern; content:"de"; distance:-1; within:5; content:"f"; startswith; content:"g"; endswith;)"));
  const Content& a = OnlyContent(r, 0, 0);
  EXPECT_TRUE(a.nocase);
  EXPECT_EQ(a.depth, 10);
  EXPECT_EQ(a.offset, 2);
  EXPECT_TRUE(a.fast_pattern);
  const Content& d = OnlyContent(r, 0, 1);
  EXPECT_EQ(d.distance, -1);
  EXPECT_EQ(d.within, 5);
  EXPECT_TRUE(OnlyContent(r, 0, 2).startswith);
  EXPECT_TRUE(OnlyContent(r, 0, 3).endswith);
  EXPECT_TRUE(
      OnlyContent(MustParse(WithOptions("content:\"abc\"; fast_pattern:only;"))).fast_pattern_only);
  MustParse(WithOptions("content:\"abcdef\"; fast_pattern:1,3;"));
}

TEST(Content, ModifierErrors) {
  EXPECT_NE(ErrorOf(WithOptions("nocase;")).find("needs a content"), std::string::npos);
  EXPECT_NE(ErrorOf(WithOptions("content:\"abcd\"; depth:2;")).find("smaller than"),
            std::string::npos);
  EXPECT_NE(ErrorOf(WithOptions("content:\"a\"; content:\"abcd\"; within:2;")).find("smaller"),
            std::string::npos);
  EXPECT_NE(ErrorOf(WithOptions("content:\"a\"; depth:4; distance:1;")).find("mixes"),
            std::string::npos);
  EXPECT_NE(ErrorOf(WithOptions("content:\"a\"; startswith; offset:1;")).find("startswith"),
            std::string::npos);
  EXPECT_NE(ErrorOf(WithOptions("content:\"a\"; nocase; nocase;")).find("twice"),
            std::string::npos);
  EXPECT_NE(ErrorOf(WithOptions("content:\"a\"; fast_pattern; content:\"b\"; fast_pattern;"))
                .find("more than one"),
            std::string::npos);
  EXPECT_NE(ErrorOf(WithOptions("content:\"a\"; depth:x;")).find("not a number"),
            std::string::npos);
}

TEST(Buffers, StickyBuffersAndLegacyModifiers) {
  Rule r = MustParse(
      "alert http any any -> any any (content:\"GET\"; http_method; content:\"/x\"; http_uri; "
      "http.host; content:\"pool\"; http.user_agent; content:\"xmrig\"; nocase; sid:1;)");
  ASSERT_EQ(r.buffers.size(), 4u);
  EXPECT_EQ(r.buffers[0].buffer, "http.method");
  EXPECT_EQ(r.buffers[1].buffer, "http.uri");
  EXPECT_EQ(r.buffers[2].buffer, "http.host");
  EXPECT_EQ(r.buffers[3].buffer, "http.user_agent");
  EXPECT_TRUE(OnlyContent(r, 3).nocase);

  Rule dns = MustParse("alert dns any any -> any any (dns_query; content:\"pool\"; sid:1;)");
  EXPECT_EQ(dns.buffers.at(0).buffer, "dns.query");  // the legacy spelling, Suricata's buffer
  Rule file = MustParse("alert http any any -> any any (file_data; content:\"x\"; sid:1;)");
  EXPECT_EQ(file.buffers.at(0).buffer, "file.data");
  // A modifier may not move a content out of a sticky buffer.
  EXPECT_NE(ErrorOf("alert http any any -> any any (http.uri; content:\"x\"; http_uri; sid:1;)")
                .find("inside sticky buffer"),
            std::string::npos);
  EXPECT_NE(ErrorOf("alert tcp any any -> any any (http_uri; sid:1;)").find("needs a content"),
            std::string::npos);
  // Buffers of different protocols cannot meet in one rule.
  EXPECT_NE(ErrorOf("alert tls any any -> any any (dns.query; content:\"x\"; sid:1;)")
                .find("cannot be used"),
            std::string::npos);
}

TEST(Buffers, BsizeAndDotprefix) {
  Rule r = MustParse(
      "alert dns any any -> any any (dns.query; dotprefix; content:\".pool.example\"; endswith; "
      "bsize:<100; sid:1;)");
  ASSERT_EQ(r.buffers.size(), 1u);
  ASSERT_EQ(r.buffers[0].matches.size(), 3u);
  EXPECT_EQ(r.buffers[0].matches[0].kind, Match::Kind::kDotPrefix);
  EXPECT_EQ(r.buffers[0].matches[2].bsize.op, NumberCheck::Op::kLess);
  EXPECT_EQ(r.buffers[0].matches[2].bsize.value, 100u);
  EXPECT_NE(ErrorOf(WithOptions("dotprefix;")).find("sticky buffer"), std::string::npos);
  EXPECT_NE(ErrorOf(WithOptions("bsize:10;")).find("sticky buffer"), std::string::npos);
  EXPECT_NE(ErrorOf("alert dns any any -> any any (dns.query; content:\"a\"; dotprefix; sid:1;)")
                .find("right after"),
            std::string::npos);
}

TEST(Snort3, ContentSuboptionsStickyBuffersBufferlenService) {
  Rule r = MustParse(
      "alert tcp any any -> any $HTTP_PORTS ( msg:\"x\"; flow:to_server,established; "
      "http_raw_uri; bufferlen:>10; http_uri; content:\"/minerd.exe\",fast_pattern,nocase; "
      "content:\"a=\",distance 0; http_client_body; content:\"token=\",depth 6; "
      "service:http; sid:30551; rev:3; )");
  EXPECT_EQ(r.dialect, Dialect::kSnort3);
  ASSERT_EQ(r.buffers.size(), 3u);
  EXPECT_EQ(r.buffers[0].buffer, "http.uri.raw");
  EXPECT_EQ(r.buffers[0].matches[0].kind, Match::Kind::kBsize);
  EXPECT_EQ(r.buffers[1].buffer, "http.uri");
  const Content& exe = OnlyContent(r, 1, 0);
  EXPECT_EQ(exe.bytes, "/minerd.exe");
  EXPECT_TRUE(exe.fast_pattern);
  EXPECT_TRUE(exe.nocase);
  EXPECT_EQ(OnlyContent(r, 1, 1).distance, 0);
  EXPECT_EQ(r.buffers[2].buffer, "http.request_body");
  EXPECT_EQ(OnlyContent(r, 2).depth, 6);
  ASSERT_EQ(r.services.size(), 1u);
  EXPECT_EQ(r.services[0], "http");
  // Without a Snort 3 form, http_uri keeps Suricata's meaning (it modifies the content before).
  Rule suricata = MustParse(WithOptions("content:\"a\"; http_uri; content:\"b\";"));
  EXPECT_EQ(suricata.dialect, Dialect::kSuricata);
  EXPECT_EQ(suricata.buffers[0].buffer, "http.uri");
  EXPECT_EQ(suricata.buffers[1].buffer, "pkt_data");
  // Suricata has no service keyword, so a rule with one is Snort 3's: no Suricata rule changes.
  EXPECT_EQ(MustParse(WithOptions("service:http;")).dialect, Dialect::kSnort3);
}

TEST(Pcre, PatternFlagsAndCompileCheck) {
  Rule r = MustParse(WithOptions(R"(content:"x"; pcre:"/^mining\.(subscribe|authorize)/Ri";)"));
  const Pcre& p = r.buffers[0].matches[1].pcre;
  EXPECT_EQ(p.pattern, R"(^mining\.(subscribe|authorize))");
  EXPECT_TRUE(p.relative);
  EXPECT_NE(p.pcre2_options, 0u);
  Rule uri = MustParse(WithOptions(R"(pcre:!"/\/[a-z]{8}\.php$/U";)"));
  EXPECT_EQ(uri.buffers.at(0).buffer, "http.uri");
  EXPECT_TRUE(uri.buffers[0].matches[0].pcre.negated);
  EXPECT_NE(ErrorOf(WithOptions(R"(pcre:"/(unclosed/";)")).find("does not compile"),
            std::string::npos);
  EXPECT_NE(ErrorOf(WithOptions(R"(pcre:"/a/q";)")).find("unknown flag"), std::string::npos);
  EXPECT_NE(ErrorOf(WithOptions(R"(pcre:"a";)")).find("/pattern/"), std::string::npos);
}

TEST(StateKeywords, FlowDsizeThresholdFlowbits) {
  Rule r = MustParse(
      WithOptions("flow:established,to_server,only_stream; dsize:10<>100; "
                  "threshold:type limit, track by_src, count 1, seconds 60; "
                  "detection_filter:track by_dst, count 5, seconds 10; flowbits:set,mw.seen; "
                  "flowbits:isset,a|b; flowbits:noalert;"));
  ASSERT_TRUE(r.flow);
  EXPECT_EQ(r.flow->side, FlowOptions::Side::kToServer);
  EXPECT_EQ(r.flow->state, FlowOptions::State::kEstablished);
  EXPECT_EQ(r.flow->stream, FlowOptions::Stream::kOnlyStream);
  ASSERT_TRUE(r.dsize);
  EXPECT_EQ(r.dsize->op, NumberCheck::Op::kRange);
  EXPECT_EQ(r.dsize->upper, 100u);
  ASSERT_TRUE(r.threshold);
  EXPECT_EQ(r.threshold->type, Threshold::Type::kLimit);
  EXPECT_EQ(r.threshold->seconds, 60u);
  ASSERT_TRUE(r.detection_filter);
  EXPECT_EQ(r.detection_filter->track, Threshold::Track::kByDst);
  ASSERT_EQ(r.flowbits.size(), 3u);
  EXPECT_EQ(r.flowbits[1].names.size(), 2u);
  EXPECT_EQ(r.flowbits[2].command, Flowbit::Command::kNoAlert);
  EXPECT_NE(ErrorOf(WithOptions("flow:to_server,to_client;")).find("both directions"),
            std::string::npos);
  EXPECT_NE(ErrorOf(WithOptions("flowbits:set,a|b;")).find("only isset"), std::string::npos);
  EXPECT_NE(ErrorOf(WithOptions("threshold:type limit, count 1;")).find("needs"),
            std::string::npos);
  EXPECT_EQ(MustParse(WithOptions("dsize:>400;")).dsize->op, NumberCheck::Op::kGreater);
}

TEST(ByteKeywords, ByteTestByteJumpIsdataat) {
  Rule r =
      MustParse(WithOptions("content:\"x\"; byte_test:2,>,0x100,0,relative,little; "
                            "byte_jump:4,0,relative,multiplier 2,post_offset -1,align; "
                            "byte_test:3,!=,10,1,string,dec; isdataat:!1,relative;"));
  const auto& m = r.buffers.at(0).matches;
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[1].byte_test.value, 256u);
  EXPECT_FALSE(m[1].byte_test.big_endian);
  EXPECT_TRUE(m[1].byte_test.relative);
  EXPECT_EQ(m[2].byte_jump.multiplier, 2u);
  EXPECT_EQ(m[2].byte_jump.post_offset, -1);
  EXPECT_TRUE(m[2].byte_jump.align);
  EXPECT_TRUE(m[3].byte_test.string);
  EXPECT_EQ(m[3].byte_test.op, "!=");
  EXPECT_TRUE(m[4].isdataat.negated);
  EXPECT_TRUE(m[4].isdataat.relative);
  EXPECT_NE(ErrorOf(WithOptions("byte_test:2,~,1,0;")).find("operator"), std::string::npos);
  EXPECT_NE(ErrorOf(WithOptions("byte_test:9,=,1,0;")).find("8 bytes"), std::string::npos);
  EXPECT_NE(ErrorOf(WithOptions("byte_jump:2,0,dce;")).find("dce"), std::string::npos);
  EXPECT_NE(ErrorOf(WithOptions("byte_test:0,=,1,0;")).find("out of range"), std::string::npos);
  MustParse(WithOptions("content:\"x\"; byte_jump:0,0,relative,post_offset -8;"));
}

RuleSet LoadText(std::string_view text, LoadOptions options = {}) {
  RuleLoader loader(std::move(options));
  loader.LoadText(text, "t.rules");
  return loader.Take();
}

TEST(RuleLoader, CommentsDisabledContinuationAndErrorLines) {
  RuleSet set = LoadText(
      "# a comment\n"
      "\n"
      "# alert tcp any any -> any any (msg:\"off\"; sid:5;)\n"
      "alert tcp any any -> any any (msg:\"one\"; \\\n"
      "  content:\"x\"; sid:1;)\n"
      "alert tcp any any -> any any (msg:\"bad\"; frob; sid:2;)\r\n"
      "junk\n"
      "alert tcp any any -> any any (msg:\"two\"; sid:3;)");
  EXPECT_EQ(set.stats.active, 4u);
  EXPECT_EQ(set.stats.loaded, 2u);
  EXPECT_EQ(set.stats.skipped, 2u);
  EXPECT_EQ(set.stats.disabled, 1u);
  EXPECT_EQ(set.stats.Summary(), "2 of 4 rules loaded (2 skipped, 1 disabled)");
  ASSERT_EQ(set.rules.size(), 2u);
  EXPECT_EQ(set.rules[0].line, 4u);  // a continued rule is named by its first line
  EXPECT_EQ(set.rules[1].line, 8u);
  ASSERT_EQ(set.skipped.size(), 2u);
  EXPECT_EQ(set.skipped[0].Text(), "t.rules:6: sid 2: unsupported keyword 'frob'");
  EXPECT_EQ(set.skipped[1].Text().rfind("t.rules:7: not a rule", 0), 0u);
}

TEST(RuleLoader, ABackslashContinuesRulesNotComments) {
  RuleSet set = LoadText(
      "# alert tcp any any -> any any (msg:\"off\"; \\\n"
      "alert tcp any any -> any any (msg:\"on\"; \\  \r\n"
      "  sid:1;)\n");
  EXPECT_EQ(set.stats.disabled, 1u);
  ASSERT_EQ(set.rules.size(), 1u) << (set.skipped.empty() ? "" : set.skipped[0].Text());
  EXPECT_EQ(set.rules[0].msg, "on");
  EXPECT_EQ(set.rules[0].line, 2u);
}

TEST(RuleLoader, DuplicateSidKeepsTheHigherRev) {
  RuleSet set = LoadText(
      "alert tcp any any -> any any (msg:\"old\"; sid:7; rev:1;)\n"
      "alert tcp any any -> any any (msg:\"new\"; sid:7; rev:2;)\n"
      "alert tcp any any -> any any (msg:\"same\"; sid:7; rev:2;)\n");
  ASSERT_EQ(set.rules.size(), 1u);
  EXPECT_EQ(set.rules[0].msg, "new");
  EXPECT_EQ(set.stats.loaded, 1u);
  EXPECT_EQ(set.stats.skipped, 2u);
  EXPECT_NE(set.skipped[0].reason.find("superseded by rev 2 at t.rules:2"), std::string::npos);
  EXPECT_NE(set.skipped[1].reason.find("duplicate"), std::string::npos);
}

TEST(RuleLoader, OversizedLineIsSkippedWithoutBeingKept) {
  LoadOptions options;
  options.max_rule_bytes = 100;
  std::string text = "alert tcp any any -> any any (msg:\"" + std::string(500, 'a') +
                     "\"; sid:1;)\n# " + std::string(500, 'b') +
                     "\nalert tcp any any -> any any (sid:2;)\n";
  RuleSet set = LoadText(text, options);
  EXPECT_EQ(set.stats.loaded, 1u);
  EXPECT_EQ(set.stats.skipped, 1u);  // the long comment is not a rule
  ASSERT_EQ(set.skipped.size(), 1u);
  EXPECT_EQ(set.skipped[0].Text(), "t.rules:1: rule longer than 100 bytes");
}

long PeakRssKiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// One MiB of junk with a fixed seed: random bytes, and lines that start like a rule and end in
// random options, so the option parser sees junk too, not only the header check.
std::string JunkBlock(uint32_t seed) {
  std::string block;
  uint32_t x = seed;
  auto next = [&x] { return x = x * 1103515245 + 12345; };
  while (block.size() < (1u << 20)) {
    if (next() % 4 == 0) block += "alert tcp any any -> any any (";
    for (uint32_t n = next() % 300; n > 0; --n) {
      char c = char(next() >> 24);
      block += c == '\n' ? ';' : c;
    }
    block += (next() % 2 ? ";)\n" : "\n");
  }
  return block;
}

// Must-show 5: 50 MB of junk loads (every line refused) in bounded time and memory.
TEST(RuleLoader, FiftyMegabytesOfJunk) {
  auto path = std::filesystem::temp_directory_path() / "mw_rules_junk_test.rules";
  {
    std::ofstream out(path, std::ios::binary);
    for (uint32_t i = 0; i < 48; ++i) out << JunkBlock(i);
    out << std::string(3 << 20, '[') << "\n";  // one 3 MiB line of nesting, no newline inside
  }
  ASSERT_GE(std::filesystem::file_size(path), 50u << 20);
  LoadOptions options;
  uint64_t skips_seen = 0;
  options.on_skip = [&skips_seen](const SkippedRule&) { ++skips_seen; };
  RuleLoader loader(options);
  long rss_before = PeakRssKiB();
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(loader.LoadFile(path.string()));
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::filesystem::remove(path);
  const RuleSet& set = loader.rule_set();
  EXPECT_EQ(set.stats.loaded, 0u);
  EXPECT_EQ(set.stats.skipped, skips_seen);
  EXPECT_EQ(set.stats.active, set.stats.skipped);
  EXPECT_LE(set.skipped.size(), options.max_kept_skips);
  EXPECT_LT(seconds, 30.0);
#if !MW_UNDER_ASAN  // ASan's quarantine keeps up to 256 MiB of freed memory
  EXPECT_LT(PeakRssKiB() - rss_before, 32 * 1024) << "loading junk grew the peak RSS";
#endif
  std::printf("50 MB junk: %s in %.2f s, peak RSS +%ld KiB\n", set.stats.Summary().c_str(), seconds,
              PeakRssKiB() - rss_before);
}

// Must-show 1: the shared ET Open rules and the Snort community extracts (Snort 2 and 3).
TEST(SharedRules, AtLeast95PercentOfActiveRulesLoad) {
  std::filesystem::path dir = std::filesystem::path(MW_SHARED_DATA_DIR) / "ids-rules";
  if (!std::filesystem::is_directory(dir)) GTEST_SKIP() << "no shared data at " << dir;
  uint64_t active = 0, loaded = 0, et_active = 0, et_loaded = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.path().extension() != ".rules") continue;
    // One loader per file: the two ET snapshots share sids on purpose.
    LoadOptions options;
    options.on_skip = [](const SkippedRule& s) { std::printf("skipped: %s\n", s.Text().c_str()); };
    RuleLoader loader(options);
    ASSERT_TRUE(loader.LoadFile(entry.path().string()));
    const LoadStats& stats = loader.rule_set().stats;
    std::printf("%s: %s\n", entry.path().filename().c_str(), stats.Summary().c_str());
    active += stats.active;
    loaded += stats.loaded;
    if (entry.path().parent_path().filename() == "et-open") {
      et_active += stats.active;
      et_loaded += stats.loaded;
    }
  }
  ASSERT_GT(et_active, 0u);
  double et_rate = 100.0 * double(et_loaded) / double(et_active);
  double rate = 100.0 * double(loaded) / double(active);
  std::printf("ET Open: %lu of %lu active rules loaded (%.1f%%)\n", (unsigned long)et_loaded,
              (unsigned long)et_active, et_rate);
  std::printf("all shared rules: %lu of %lu active rules loaded (%.1f%%)\n", (unsigned long)loaded,
              (unsigned long)active, rate);
  EXPECT_GE(et_rate, 95.0);
  EXPECT_GE(rate, 95.0);
}

}  // namespace
}  // namespace mw::rules
