// minerwatch — SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "match/chunk_scanner.h"
#include "match/hyperscan.h"
#include "match/yara_rules.h"

namespace mw::match {
namespace {

using namespace std::string_literals;

ByteView Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(Evidence, ParsedFromMeta) {
  EXPECT_EQ(ParseEvidence("proof_of_work"), Evidence::kProofOfWork);
  EXPECT_EQ(ParseEvidence("names"), Evidence::kNames);
  // Anything else, as a missing key, is names: a user rule must claim proof_of_work.
  EXPECT_EQ(ParseEvidence("Proof_Of_Work"), Evidence::kNames);
  EXPECT_EQ(ParseEvidence(""), Evidence::kNames);
  EXPECT_STREQ(EvidenceName(Evidence::kProofOfWork), "proof_of_work");
  EXPECT_STREQ(EvidenceName(Evidence::kNames), "names");

  auto rules = YaraRules::FromText(R"(
rule Pow { meta: evidence = "proof_of_work" strings: $a = "abcdefgh" condition: $a }
rule Named { meta: evidence = "names" strings: $a = "ijklmnop" condition: $a }
rule Bare { meta: description = "no key" strings: $a = "qrstuvwx" condition: $a }
rule Odd { meta: evidence = 1 strings: $a = "yzabcdef" condition: $a })");
  ASSERT_TRUE(rules.has_value()) << rules.error().message();
  const auto& infos = (*rules)->rule_infos();
  ASSERT_EQ(infos.size(), 4u);
  EXPECT_EQ(infos[0].name, "Pow");
  EXPECT_EQ(infos[0].evidence, Evidence::kProofOfWork);
  EXPECT_EQ(infos[1].evidence, Evidence::kNames);
  EXPECT_EQ(infos[2].evidence, Evidence::kNames);
  EXPECT_EQ(infos[2].description, "no key");
  EXPECT_EQ(infos[3].evidence, Evidence::kNames);

  // The scanner hands out the same metadata.
  YaraScanner scanner(*rules);
  std::vector<RuleMatch> out;
  ASSERT_TRUE(scanner.Scan(Bytes("..abcdefgh..ijklmnop"), 100, &out).has_value());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].rule, &infos[0]);
  EXPECT_EQ(out[0].address, 102u);
}

TEST(Evidence, ShippedRulesSayWhatTheyAre) {
  auto rules = YaraRules::Load(true, {});
  ASSERT_TRUE(rules.has_value()) << rules.error().message();
  std::vector<std::string> names_rules;
  for (const RuleInfo& r : (*rules)->rule_infos()) {
    if (r.evidence == Evidence::kNames) names_rules.push_back(r.name);
  }
  // miner_strings.yar is names (algorithm-id tables too); every pow_*.yar rule is proof of work.
  EXPECT_EQ(names_rules, (std::vector<std::string>{
                             "MW_Stratum_Client", "MW_XMRig", "MW_XmrStak", "MW_GPU_Miner_Brands",
                             "MW_Pool_And_Donation_Hosts", "MW_CryptoNight_Family_Algorithms",
                             "MW_Argon2_Chukwa_Miner", "MW_CPU_Miner_Algorithm_Table"}));
  EXPECT_GT((*rules)->rule_count(), names_rules.size());
}

// What the shipped rules say about a buffer: each matching rule with its evidence kind.
std::vector<std::pair<std::string, Evidence>> ShippedMatches(ByteView buf) {
  auto rules = YaraRules::Load(true, {});
  EXPECT_TRUE(rules.has_value());
  if (!rules) return {};
  YaraScanner scanner(*rules);
  std::vector<RuleMatch> out;
  EXPECT_TRUE(scanner.Scan(buf, 0, &out).has_value());
  std::vector<std::pair<std::string, Evidence>> got;
  for (const RuleMatch& m : out) got.emplace_back(m.rule->name, m.rule->evidence);
  return got;
}

TEST(Evidence, AlgorithmIdListsAreNames) {
  // The ids a detection rule, a miner's config or its log lists (as Elastic's "Potential Coin
  // Miner Execution" behaviour rule does): names, never proof of work.
  std::string text = R"(process.args : ("rx/0", "rx/wow", "rx/arq", "rx/sfx", "rx/keva",
    "rx/graft", "cn-pico/tlo", "cn/upx2", "cn/ccx", "cn/half", "cn/rwz", "cn/zls", "cn/double",
    "cn-heavy/xhv", "cn-heavy/tube", "cn-lite/1", "argon2/chukwa", "argon2/chukwav2",
    "argon2/ninja", "kawpow/rvn", "astrobwt/dero", "ghostrider/rtm"))";
  auto got = ShippedMatches(Bytes(text));
  EXPECT_EQ(got.size(), 3u);
  for (const auto& [name, evidence] : got) {
    EXPECT_EQ(evidence, Evidence::kNames) << name;
  }
}

TEST(Evidence, CryptoNightMainLoopIsProofOfWork) {
  // The shape of cn_slow_hash's loop set-up in Debian's monerod 0.18 (and of XMRig's cn code):
  // mov r15d, 0x80000 (2^19 iterations) ... and eax, 0x1FFFF0 (2 MiB scratchpad index).
  std::string code =
      "\x41\xbf\x00\x00\x08\x00"              // mov r15d, 0x80000
      "\x48\x89\x44\x24\x38"                  // mov [rsp+0x38], rax
      "\x66\x0f\xef\x84\x24\x10\x04\x00\x00"  // pxor xmm0, [rsp+0x410]
      "\x25\xf0\xff\x1f\x00"s;                // and eax, 0x1ffff0
  code.insert(0, 64, '\x90');
  auto got = ShippedMatches(Bytes(code));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].first, "MW_CryptoNight_Main_Loop");
  EXPECT_EQ(got[0].second, Evidence::kProofOfWork);
  // The mask alone (other programs use 0x1FFFF0 too) is not the loop.
  auto mask_only = ShippedMatches(Bytes(std::string(64, '\x90') + "\x25\xf0\xff\x1f\x00"s));
  EXPECT_TRUE(mask_only.empty());
}

int Collect(unsigned id, uint64_t from, uint64_t to, void* ctx) {
  static_cast<std::vector<std::vector<uint64_t>>*>(ctx)->push_back({id, from, to});
  return 0;
}

TEST(Hyperscan, CompileScanAndReportBufferOffsets) {
  auto db = HsDatabase::Compile({{"abc", kHsSomLeftmost, 7}, {"x+y", kHsCaseless, 9}});
  ASSERT_TRUE(db.has_value()) << db.error().message();
  HsScratch scratch(**db);
  ASSERT_TRUE(scratch.ok());
  std::vector<std::vector<uint64_t>> hits;
  auto r = (*db)->Scan(Bytes("--abc--XXY"), scratch, Collect, &hits);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(*r);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0], (std::vector<uint64_t>{7, 2, 5}));
  EXPECT_EQ(hits[1][0], 9u);
  EXPECT_EQ(hits[1][2], 10u);

  EXPECT_FALSE(HsDatabase::Compile({{"(", 0, 1}}).has_value());
  EXPECT_FALSE(HsDatabase::CompilesAlone("(", 0));
  EXPECT_TRUE(HsDatabase::CompilesAlone("a.c", kHsDotAll));
}

TEST(Hyperscan, CacheFolderKeepsTheDatabaseAndSurvivesDamage) {
  const std::string dir = ::testing::TempDir() + "/hs-cache-" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  std::vector<HsPattern> pats = {{"\\x41\\x42\\x43\\x44", kHsSingleMatch, 7}};
  auto count_files = [&] {
    size_t n = 0;
    if (std::filesystem::exists(dir)) {
      for (const auto& e : std::filesystem::directory_iterator(dir))
        n += e.path().extension() == ".db";
    }
    return n;
  };
  auto finds = [](const HsDatabase& db) {
    HsScratch scratch(db);
    const std::string text = "xxABCDxx";
    unsigned got = 0;
    auto r = db.Scan(
        AsBytes(text), scratch,
        [](unsigned id, uint64_t, uint64_t, void* c) {
          *static_cast<unsigned*>(c) = id;
          return 0;
        },
        &got);
    return r.has_value() && got == 7;
  };
  auto first = HsDatabase::CompileCached(pats, dir);
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(finds(**first));
  ASSERT_EQ(count_files(), 1u);
  const auto file = std::filesystem::directory_iterator(dir)->path();
  // Loaded from the file: the same database.
  auto second = HsDatabase::CompileCached(pats, dir);
  ASSERT_TRUE(second.has_value());
  EXPECT_TRUE(finds(**second));
  // A damaged file is refused by its checksum, compiled again and rewritten.
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    char c = 0;
    f.seekg(40);
    f.get(c);
    f.seekp(40);
    f.put(char(c ^ 0x55));
  }
  std::ifstream in(file, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_FALSE(HsDatabase::Deserialize(AsBytes(bytes)).has_value());
  auto third = HsDatabase::CompileCached(pats, dir);
  ASSERT_TRUE(third.has_value());
  EXPECT_TRUE(finds(**third));
  std::ifstream again(file, std::ios::binary);
  std::string rewritten((std::istreambuf_iterator<char>(again)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(HsDatabase::Deserialize(AsBytes(rewritten)).has_value());
  // Other patterns: another file.
  pats[0].id = 8;
  ASSERT_TRUE(HsDatabase::CompileCached(pats, dir).has_value());
  EXPECT_EQ(count_files(), 2u);
  // A folder that cannot be made is no error.
  EXPECT_TRUE(HsDatabase::CompileCached(pats, "/proc/no-such-dir").has_value());
  std::filesystem::remove_all(dir);
}

TEST(ChunkScanner, FindsStringsAcrossChunksAndZeroRuns) {
  auto rules = YaraRules::FromText("rule S { strings: $a = \"needle-in-memory\" condition: $a }");
  ASSERT_TRUE(rules.has_value());
  ChunkScanOptions o;
  o.chunk_bytes = 64 << 10;
  ChunkScanner scanner(*rules, o);
  EXPECT_GE(scanner.overlap(), kPageBytes);
  std::vector<uint8_t> buf(1 << 20, 0);
  const std::string s = "needle-in-memory";
  for (size_t at : {size_t(5), size_t(scanner.chunk_bytes() - 4), size_t(700000)}) {
    std::vector<uint8_t> b = buf;
    std::copy(s.begin(), s.end(), b.begin() + long(at));
    std::vector<RuleMatch> out;
    ChunkScanCounters c;
    ASSERT_TRUE(scanner.ScanBuffer(b, 0x1000, &out, &c).has_value());
    ASSERT_FALSE(out.empty()) << at;
    EXPECT_EQ(out[0].address, 0x1000 + at);
    EXPECT_LT(c.bytes_yara, b.size() / 4);  // zero runs never reached libyara
  }
}

// Feeds "data" as MemoryScanner does: pieces of "piece" bytes, each window holding the new piece
// plus overlap() bytes of the one before.
Status FeedPieces(ChunkScanner& sc, ByteView data, uint64_t base, size_t piece,
                  std::vector<RuleMatch>* out, ChunkScanCounters* c) {
  sc.BeginChunk(base);
  for (size_t got = 0; got < data.size();) {
    size_t k = std::min(piece, data.size() - got);
    bool last = got + k == data.size();
    size_t from = got == 0 ? 0 : got - sc.overlap();
    sc.Feed(data.subspan(from, got + k - from), from, last);
    got += k;
  }
  return sc.FinishChunk([&](size_t at, size_t len) { return data.subspan(at, len); }, out, c);
}

TEST(ChunkScanner, IncrementalEqualsScanChunk) {
  auto rules = YaraRules::FromText(R"(
rule One { strings: $a = "needle-in-memory" condition: $a }
rule Three { strings: $a = "first-part" $b = "second-part" $c = "third-part" condition: 3 of them }
rule Two { strings: $a = "alpha-string" $b = "omega-string" condition: all of them }
rule Hex { strings: $h = { 6E 65 65 64 6C 65 [0-64] 2D 6D 65 6D } condition: $h })");
  ASSERT_TRUE(rules.has_value());
  ChunkScanOptions o;
  ChunkScanner a(*rules, o);
  ChunkScanner b(*rules, o);
  ASSERT_TRUE(b.incremental());
  const size_t piece = 64 << 10;
  uint32_t x = 12345;
  auto fill = [&](std::vector<uint8_t>& v, size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) v[i] = uint8_t((x = x * 1103515245 + 12345) >> 24) | 1;
  };
  // (strings, where) cases: inside a piece, across piece boundaries, across a short zero run,
  // split by a long zero run (two segments: "Three" must not match), at the very end.
  struct Case {
    std::vector<std::pair<std::string, size_t>> at;
    size_t size;
  };
  const std::vector<Case> cases = {
      {{{"needle-in-memory", piece - 5}}, 1 << 20},
      {{{"first-part", 1000}, {"second-part", piece + 7}, {"third-part", 3 * piece - 4}}, 1 << 20},
      {{{"first-part", 10}, {"second-part", 200000}, {"third-part", 900000}}, 1 << 20},
      {{{"alpha-string", 50000}, {"omega-string", 300000}}, 1 << 20},
      {{{"needle-in-memory", (1 << 20) - 16}}, 1 << 20},
      {{{"needle-in-memory", 100}}, 3 * kPageBytes},  // under 4 pages: prefiltered whole
      {{{"alpha-string", 2 * piece + 3}, {"omega-string", 5 * piece}}, 5 * piece + 100},
  };
  size_t matched = 0;
  for (size_t ci = 0; ci < cases.size(); ++ci) {
    std::vector<uint8_t> v(cases[ci].size, 0);
    // Non-zero data with zero runs: 3 pages (stays one segment) and 40 pages (splits).
    fill(v, 0, std::min<size_t>(v.size(), 180000));
    if (v.size() > 192288) fill(v, 192288, std::min<size_t>(v.size(), 600000));
    if (v.size() > 763840) fill(v, 763840, v.size());
    for (const auto& [str, pos] : cases[ci].at)
      std::copy(str.begin(), str.end(), v.begin() + long(pos));
    std::vector<RuleMatch> ra, rb;
    ChunkScanCounters ca, cb;
    ASSERT_TRUE(a.ScanChunk(v, 0x1000, &ra, &ca).has_value());
    ASSERT_TRUE(FeedPieces(b, v, 0x1000, piece, &rb, &cb).has_value());
    ASSERT_EQ(ra.size(), rb.size()) << "case " << ci;
    matched += !ra.empty();
    for (size_t i = 0; i < ra.size(); ++i) {
      EXPECT_EQ(ra[i].rule, rb[i].rule) << "case " << ci;
      EXPECT_EQ(ra[i].address, rb[i].address) << "case " << ci;
    }
    EXPECT_EQ(ca.bytes_yara, cb.bytes_yara) << "case " << ci;
    EXPECT_EQ(ca.bytes_prefiltered, cb.bytes_prefiltered) << "case " << ci;
  }
  EXPECT_EQ(matched, cases.size() - 1);  // all but the split "Three"
}

}  // namespace
}  // namespace mw::match
