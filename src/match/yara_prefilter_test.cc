// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "match/yara_prefilter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>

#include "match/chunk_scanner.h"
#include "match/yara_rules.h"

namespace mw::match {
namespace {

bool Gated(std::string_view cond, std::vector<std::string> ids = {"$a", "$b", "$c1", "$c2"}) {
  return ConditionBound::Analyze(cond, ids).Gated();
}

TEST(ConditionBound, GatedFollowsAndOrNot) {
  EXPECT_TRUE(Gated("$a"));
  EXPECT_TRUE(Gated("$a and filesize < 100"));
  EXPECT_TRUE(Gated("filesize < 100 and $a"));
  EXPECT_FALSE(Gated("$a or filesize < 100"));
  EXPECT_TRUE(Gated("$a or $b"));
  EXPECT_TRUE(Gated("($a or $b) and not $c1"));
  EXPECT_FALSE(Gated("not $a"));
  EXPECT_FALSE(Gated("not $a and not $b"));
  EXPECT_TRUE(Gated("any of them"));
  EXPECT_TRUE(Gated("all of them"));
  EXPECT_TRUE(Gated("2 of ($c*)"));
  EXPECT_TRUE(Gated("1 of ($a, $c*)"));
  EXPECT_FALSE(Gated("none of them"));
  EXPECT_FALSE(Gated("0 of them"));
  EXPECT_TRUE(Gated("#a > 0"));
  EXPECT_TRUE(Gated("#a > 3"));
  EXPECT_TRUE(Gated("#a >= 1"));
  EXPECT_FALSE(Gated("#a >= 0"));
  EXPECT_FALSE(Gated("#a < 3"));
  EXPECT_FALSE(Gated("#a == 0"));
  EXPECT_TRUE(Gated("$a at 0"));
  EXPECT_TRUE(Gated("$a in (0..100) and uint16(0) == 0x5A4D"));
  EXPECT_FALSE(Gated("uint16(0) == 0x5A4D"));
  EXPECT_FALSE(Gated("pe.is_pe or math.entropy(0, filesize) > 7.0"));
  EXPECT_FALSE(Gated("for any of ($a, $b) : ($ at 0)"));  // not understood: may be true
  EXPECT_FALSE(Gated("#a + #b > 3"));
  EXPECT_FALSE(Gated("($a or true)"));
  EXPECT_TRUE(Gated("false"));  // never matches, so needs nothing scanned
  EXPECT_FALSE(Gated(""));
  EXPECT_FALSE(Gated("$a and"));  // garbage: give up
  EXPECT_FALSE(Gated("$zzz"));    // unknown identifier
  EXPECT_TRUE(Gated("$a /* x or */ and // y or\n filesize > 0"));
  EXPECT_TRUE(Gated("$a and \"or\" matches /a or b/i"));
}

TEST(ConditionBound, EvalCountsOf) {
  std::vector<std::string> ids = {"$u1", "$u2", "$m1", "$m2", "$m3", "$x1", "$x2"};
  auto b = ConditionBound::Analyze("1 of ($u*) and (3 of ($m*) or 2 of ($x*))", ids);
  auto eval = [&](std::initializer_list<int> on) {
    std::vector<uint8_t> seen(ids.size(), 0);
    for (int i : on) seen[size_t(i)] = 1;
    return b.Eval(seen.data());
  };
  EXPECT_FALSE(eval({}));
  EXPECT_FALSE(eval({0, 2, 3}));
  EXPECT_TRUE(eval({0, 2, 3, 4}));
  EXPECT_TRUE(eval({1, 5, 6}));
  EXPECT_FALSE(eval({2, 3, 4, 5, 6}));
  EXPECT_EQ(b.ToString(), "and(atleast(1;0,1),or(atleast(3;2,3,4),atleast(2;5,6)))");
}

TEST(RuleSource, ReadsStringsAndConditions) {
  auto rules = ParseRuleSource(R"(
    import "pe"
    private rule A : t1 t2 {
      meta: description = "condition: } {" n = 3
      strings:
        $t = "a\"b}" wide nocase
        $h = { 4D 5A ?? [2-4] ( 01 | 02 ) } // comment }
        $r = /x{1,2}\/y}/is
        $x = "q" xor(0x01-0xff) private
        $ = "anon"
      condition: $t and #h > 1 and pe.is_pe }
    rule B { condition: true })");
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].name, "A");
  ASSERT_EQ(rules[0].strings.size(), 5u);
  EXPECT_EQ(rules[0].strings[0].body, "a\\\"b}");
  EXPECT_EQ(rules[0].strings[1].kind, 'h');
  EXPECT_EQ(rules[0].strings[2].body, "x{1,2}\\/y}");
  EXPECT_EQ(rules[0].strings[4].id, "$");
  EXPECT_EQ(rules[0].condition, "$t and #h > 1 and pe.is_pe");
  EXPECT_EQ(rules[1].condition, "true");
}

TEST(RuleSource, HexToRegex) {
  EXPECT_EQ(HexToRegex("4D 5a"), "\\x4d\\x5a");
  EXPECT_EQ(HexToRegex("4D ?? [2-4] (01|0?)"), "\\x4d..{2,4}(?:\\x01|[\\x00-\\x0f])");
  EXPECT_EQ(HexToRegex("4D ?? [2-4] [-] 01"), "\\x4d..{2,4}.{0,}\\x01");
  EXPECT_EQ(HexToRegex("?1"),
            "[\\x01\\x11\\x21\\x31\\x41\\x51\\x61\\x71\\x81\\x91\\xa1\\xb1\\xc1\\xd1\\xe1\\xf1]");
  EXPECT_EQ(HexToRegex("~4D"), "");
  EXPECT_EQ(HexToRegex("4"), "");
}

// Cover's promise, checked over every set of present strings: whenever the condition can be
// true, one of its cover strings is present.
void ExpectCovers(std::string_view cond, const std::vector<std::string>& ids,
                  const std::vector<double>& cost) {
  ConditionBound b = ConditionBound::Analyze(cond, ids);
  std::vector<uint32_t> cover = b.Cover(cost);
  for (uint32_t set = 0; set < (1u << ids.size()); ++set) {
    std::vector<uint8_t> seen(ids.size() + 1, 0);
    for (size_t i = 0; i < ids.size(); ++i) seen[i] = (set >> i) & 1;
    if (!b.Eval(seen.data())) continue;
    bool hit = std::any_of(cover.begin(), cover.end(), [&](uint32_t i) { return seen[i]; });
    EXPECT_TRUE(hit) << cond << " set " << set;
  }
}

TEST(ConditionBound, CoverTakesTheCheapestNeededStrings) {
  std::vector<std::string> ids = {"$e1", "$e2", "$d1", "$d2", "$m1", "$m2", "$m3"};
  // "DAG" ($d1) is short and dear; the rule needs one of $e* anyway.
  std::vector<double> cost = {2, 2, 12, 3, 2, 2, 2};
  auto b = ConditionBound::Analyze("1 of ($e*) and 1 of ($d*) and 2 of ($m*)", ids);
  EXPECT_EQ(b.Cover(cost), (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(ConditionBound::Analyze("2 of ($m*) and $d1", ids).Cover(cost),
            (std::vector<uint32_t>{4, 5}));
  EXPECT_EQ(ConditionBound::Analyze("$d1 or $e1", ids).Cover(cost), (std::vector<uint32_t>{0, 2}));
  EXPECT_EQ(ConditionBound::Analyze("4 of them", ids).Cover(cost),
            (std::vector<uint32_t>{0, 1, 4, 5}));
  // Not understood ("may be true" without strings): every string.
  EXPECT_EQ(ConditionBound::Analyze("$e1 or filesize > 3", ids).Cover(cost).size(), ids.size());
  for (std::string_view cond :
       {"1 of ($e*) and 1 of ($d*) and 2 of ($m*)", "($e1 and $d1) or 3 of ($m*)", "all of them",
        "any of them", "$e1 and not $e2", "(#m1 > 2 or $d2) and 2 of ($e1, $m2, $m3)",
        "5 of them or ($d1 and $d2)", "false or $m3"}) {
    ExpectCovers(cond, ids, cost);
  }
}

std::shared_ptr<const YaraRules> Builtin() {
  static auto rules = *YaraRules::Load(true, {});
  return rules;
}

TEST(YaraPrefilter, ShippedRulesArePrefilterable) {
  auto rules = Builtin();
  ASSERT_NE(rules->prefilter(), nullptr);
  std::string why;
  for (const auto& r : rules->prefilter()->always_scan_reasons()) why += r + "\n";
  EXPECT_FALSE(rules->prefilter()->always_scan()) << why;
  EXPECT_GT(rules->prefilter()->atom_count(), 100u);
  // Windows are first searched for fewer atoms than the whole prefilter holds.
  EXPECT_LT(rules->prefilter()->trigger_atom_count(), rules->prefilter()->atom_count());
  // MW_CryptoNight_Main_Loop's hex string with a [0-128] jump is bounded: the shipped rules
  // are scanned piece by piece as memory is read, not chunk by chunk.
  EXPECT_TRUE(rules->prefilter()->windowed());
  EXPECT_TRUE(ChunkScanner(rules, ChunkScanOptions{}).incremental());
  EXPECT_GE(rules->rule_count(), 16u);
}

TEST(YaraPrefilter, BoundedRegexAtomsAreWindowedUnboundedOnesAreNot) {
  auto bounded =
      YaraRules::FromText("rule H { strings: $h = { 4D 5A [0-100] 50 45 00 00 } condition: $h }");
  ASSERT_TRUE(bounded.has_value());
  EXPECT_TRUE((*bounded)->prefilter()->windowed());
  EXPECT_EQ((*bounded)->prefilter()->max_literal_length(), 106u);  // 2 + 100 + 4 bytes
  auto unbounded = YaraRules::FromText("rule R { strings: $r = /abcd.*efgh/ condition: $r }");
  ASSERT_TRUE(unbounded.has_value());
  EXPECT_FALSE((*unbounded)->prefilter()->always_scan());
  EXPECT_FALSE((*unbounded)->prefilter()->windowed());
}

TEST(YaraPrefilter, UngatedRuleMeansAlwaysScan) {
  auto rules = YaraRules::FromText(
      "rule Gated { strings: $a = \"abc\" condition: $a }\n"
      "rule Open { strings: $a = \"abc\" condition: $a or filesize > 10 }\n");
  ASSERT_TRUE(rules.has_value());
  const YaraPrefilter* pf = (*rules)->prefilter();
  EXPECT_TRUE(pf->always_scan());
  ASSERT_EQ(pf->always_scan_reasons().size(), 1u);
  EXPECT_NE(pf->always_scan_reasons()[0].find("Open"), std::string::npos);
  auto xr = YaraRules::FromText("rule X { strings: $a = \"abcd\" xor condition: $a }");
  ASSERT_TRUE(xr.has_value());
  EXPECT_TRUE((*xr)->prefilter()->always_scan());
}

std::optional<std::string> Plantable(const RuleSourceString& s) {
  std::string out;
  if (s.kind == 't') {
    for (size_t i = 0; i < s.body.size(); ++i) {
      char c = s.body[i];
      if (c != '\\' || i + 1 >= s.body.size()) {
        out += c;
        continue;
      }
      char e = s.body[++i];
      if (e == 'n')
        out += '\n';
      else if (e == 't')
        out += '\t';
      else if (e == 'x' && i + 2 < s.body.size()) {
        out += char(std::stoi(std::string(s.body.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else
        out += e;
    }
    return out;
  }
  if (s.kind == 'h') {
    std::string hex;
    for (char c : s.body) {
      if (std::isxdigit(static_cast<unsigned char>(c)))
        hex += c;
      else if (!std::isspace(static_cast<unsigned char>(c)))
        return std::nullopt;
    }
    for (size_t i = 0; i + 1 < hex.size(); i += 2)
      out += char(std::stoi(hex.substr(i, 2), nullptr, 16));
    return out;
  }
  return std::nullopt;
}

std::vector<std::string> ScanAll(std::shared_ptr<const YaraRules> rules, ByteView data,
                                 bool prefilter, uint64_t chunk) {
  ChunkScanOptions o;
  o.prefilter = prefilter;
  o.chunk_bytes = chunk;
  ChunkScanner scanner(std::move(rules), o);
  std::vector<RuleMatch> out;
  EXPECT_TRUE(scanner.ScanBuffer(data, 0x10000, &out).has_value());
  std::vector<std::string> keys;
  for (const RuleMatch& m : out) {
    keys.push_back(m.rule->ns + ":" + m.rule->name + "@" + std::to_string(m.address) + m.string_id);
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

// Random buffers with strings of "sources" planted at random offsets (including across chunk
// boundaries), as ascii, wide and case-flipped: prefiltered == plain libyara. Returns how many
// trials matched at least one rule.
int Differential(std::shared_ptr<const YaraRules> rules, const std::vector<std::string>& texts,
                 int trials, uint32_t seed) {
  std::vector<std::string> plant;
  for (const std::string& t : texts) {
    for (const RuleSource& r : ParseRuleSource(t)) {
      for (const RuleSourceString& s : r.strings) {
        if (auto p = Plantable(s); p && !p->empty()) plant.push_back(*p);
      }
    }
  }
  if (plant.empty()) return 0;
  std::mt19937 rng(seed);
  const uint64_t chunk = 64 << 10;
  int matched = 0;
  for (int t = 0; t < trials; ++t) {
    std::vector<uint8_t> buf((1 << 20) + rng() % 4096);
    for (auto& b : buf) b = uint8_t(rng());
    // Zero runs, so the zero-page skipping and its context are exercised too.
    for (int z = 0; z < 8; ++z) {
      size_t at = (rng() % buf.size()) & ~size_t(4095);
      size_t len = std::min<size_t>(buf.size() - at, 4096 * (1 + rng() % 8));
      std::fill(buf.begin() + long(at), buf.begin() + long(at + len), 0);
    }
    int n = 4 + int(rng() % 60);
    for (int k = 0; k < n; ++k) {
      std::string s = plant[rng() % plant.size()];
      int variant = int(rng() % 4);
      if (variant == 1) {
        for (char& c : s) {
          if (rng() % 2)
            c = char(std::isupper(static_cast<unsigned char>(c)) ? std::tolower(c)
                                                                 : std::toupper(c));
        }
      }
      if (variant == 2) {
        std::string w;
        for (char c : s) w += {c, '\0'};
        s = w;
      }
      size_t at;
      if (rng() % 3 == 0) {  // straddle a chunk boundary (chunks step by chunk - overlap)
        size_t boundary = (chunk - 4096) * (1 + rng() % 14) + 4096;
        at = boundary - std::min<size_t>(boundary, 1 + rng() % s.size());
      } else {
        at = rng() % buf.size();
      }
      if (at + s.size() > buf.size()) continue;
      std::copy(s.begin(), s.end(), buf.begin() + long(at));
    }
    auto plain = ScanAll(rules, buf, false, chunk);
    auto fast = ScanAll(rules, buf, true, chunk);
    EXPECT_EQ(plain, fast) << "trial " << t;
    if (!plain.empty()) ++matched;
  }
  return matched;
}

TEST(YaraPrefilter, DifferentialShippedRules) {
  std::vector<std::string> texts;
  for (const RuleText& r : BuiltinRules()) texts.push_back(r.text);
  int matched = Differential(Builtin(), texts, 40, 1);
  EXPECT_GT(matched, 10) << "planting should make rules match in many trials";
}

TEST(YaraPrefilter, DifferentialHexRegexWideNocaseChains) {
  std::string text = R"(
rule Hex { strings: $h = { 52 61 ?? 64 [2-6] 6F 6D } $i = { 58 4D ( 52 | 69 ) 67 ?1 } $f = { 11 22 33 44 }
           condition: $h and ($i or $f) }
rule Re { strings: $r = /stra?tum\+(tcp|ssl):\/\/[a-z]{2,}/ nocase $s = /mining\.[a-z_]{,12}/ $w = "donate" wide ascii nocase
          condition: #r > 0 and 2 of ($s, $w) }
rule Chain { strings: $c = { 52 61 6E 64 [-] 6F 6D 58 03 } $d = "chukwa" fullword condition: $c and $d }
rule Count { strings: $a = "xmrig" nocase $b = "XMR" condition: #a >= 2 or (1 of them and $b at 4096) })";
  auto rules = YaraRules::FromText(text);
  ASSERT_TRUE(rules.has_value()) << rules.error().message();
  std::string why;
  for (const auto& r : (*rules)->prefilter()->always_scan_reasons()) why += r + "\n";
  ASSERT_FALSE((*rules)->prefilter()->always_scan()) << why;
  std::vector<std::string> texts = {
      text,
      "rule P { strings: $ = \"RaXd12345om\" $ = \"stratum+tcp://pool\" "
      "$ = \"mining.notify\" $ = \"XMRig1\" $ = \"RandomX\\x03\" "
      "$ = \"chukwa\" $ = \"xmrigxmrig\" $ = \"Rand\" condition: any of them }"};
  int matched = Differential(*rules, texts, 40, 2);
  EXPECT_GT(matched, 5);
}

TEST(YaraPrefilter, RandomDataMayNotMatch) {
  std::vector<uint8_t> buf(4 << 20);
  std::mt19937_64 rng(3);
  for (auto& b : buf) b = uint8_t(rng());
  YaraScanner scanner(Builtin());
  EXPECT_FALSE(scanner.MayMatch(buf));
  const std::string s = "stratum+tcp://x mining.subscribe mining.notify mining.submit";
  std::copy(s.begin(), s.end(), buf.begin() + 12345);
  EXPECT_TRUE(scanner.MayMatch(buf));
}

TEST(YaraPrefilter, LongStringAcrossChunkBoundary) {
  std::string lit(6000, 'q');
  for (size_t i = 0; i < lit.size(); ++i) lit[i] = char('a' + (i * 7) % 26);
  auto rules = YaraRules::FromText("rule Long { strings: $l = \"" + lit + "\" condition: $l }");
  ASSERT_TRUE(rules.has_value());
  std::vector<uint8_t> buf(1 << 20, 0x55);
  // Straddle the first boundary (chunk 64 KiB grows to hold the overlap).
  ChunkScanOptions o;
  o.chunk_bytes = 64 << 10;
  for (size_t at : {size_t(64 << 10) - 3000, size_t(128 << 10) - 5999}) {
    std::vector<uint8_t> b = buf;
    std::copy(lit.begin(), lit.end(), b.begin() + long(at));
    ChunkScanner scanner(*rules, o);
    std::vector<RuleMatch> out;
    ASSERT_TRUE(scanner.ScanBuffer(b, 0, &out).has_value());
    ASSERT_FALSE(out.empty()) << "missed at " << at;
    EXPECT_EQ(out[0].address, at);
  }
}

// Real public rule files: each loads, and prefiltered == plain on buffers planted with the
// file's own strings. Files the prefilter cannot bound scan everything (still equal).
TEST(YaraPrefilter, DifferentialSharedDataRules) {
  std::filesystem::path dir = std::filesystem::path(MW_SHARED_DATA_DIR) / "yara";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "no shared data at " << dir;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    auto ext = e.path().extension();
    if (e.is_regular_file() && (ext == ".yar" || ext == ".yara")) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());
  int prefilterable = 0;
  for (const auto& f : files) {
    auto rules = YaraRules::Load(false, {f.string()});
    ASSERT_TRUE(rules.has_value()) << f << ": " << rules.error().message();
    if (!(*rules)->prefilter()->always_scan()) ++prefilterable;
    std::ifstream in(f);
    std::stringstream ss;
    ss << in.rdbuf();
    Differential(*rules, {ss.str()}, 3, 7);
  }
  std::printf("shared rule files: %d of %zu prefilterable\n", prefilterable, files.size());
  EXPECT_GT(prefilterable, 0);
}

}  // namespace
}  // namespace mw::match
