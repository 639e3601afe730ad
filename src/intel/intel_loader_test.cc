// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "intel/intel_loader.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace mw::intel {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "mw-intel-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void WriteFile(const std::string& path, std::string_view data) {
  std::ofstream(path, std::ios::binary) << data;
}

TEST(LoadDefaults, CuratedListLoadsCleanly) {
  IntelStore s;
  ASSERT_TRUE(s.LoadDefaults());
  EXPECT_GT(s.domain_count(), 40u);
  EXPECT_GT(s.port_count(), 10u);
  // Subdomains of curated pools.
  for (std::string_view pool :
       {"pool.supportxmr.com", "xmr-eu1.nanopool.org", "auto.c3pool.com", "gulf.moneroocean.stream",
        "rx.unmineable.com", "etc.2miners.com", "stratum.antpool.com"}) {
    auto m = s.LookupDomain(pool);
    ASSERT_TRUE(m) << pool;
    EXPECT_EQ(m->list, ListKind::kBlock) << pool;
    EXPECT_EQ(m->entry->source, "minerwatch-default");
    EXPECT_FALSE(m->entry->note.empty()) << pool;
  }
  auto donate = s.LookupDomain("donate.v2.xmrig.com");
  ASSERT_TRUE(donate);
  EXPECT_EQ(donate->entry->category, "donation");
  EXPECT_EQ(donate->pattern, "donate.v2.xmrig.com");
  EXPECT_EQ(s.LookupDomain("donate.ssl.xmrig.com")->entry->category, "donation");
  EXPECT_EQ(s.LookupDomain("xmrig.com")->entry->category, "miner_download");
  // Never shared hosting.
  EXPECT_FALSE(s.LookupDomain("github.com"));
  EXPECT_FALSE(s.LookupDomain("btc.com"));
  // The allowlist ships with the payment processor CoinBlockerLists lists.
  auto bitpay = s.LookupDomain("bitpay.com");
  ASSERT_TRUE(bitpay);
  EXPECT_EQ(bitpay->list, ListKind::kAllow);
  ASSERT_NE(s.PortNote(3333), nullptr);
  ASSERT_NE(s.PortNote(14444), nullptr);
  EXPECT_EQ(s.PortNote(443), nullptr);
}

TEST(LoadIntel, DefaultsPlusIntelDirPlusExtraFiles) {
  TempDir dir;
  std::vector<Indicator> inds = {
      {.kind = TokenKind::kDomain,
       .list = ListKind::kBlock,
       .pattern = "evil.example.com",
       .category = "intel",
       .note = "from a feed"},
      {.kind = TokenKind::kCidr, .list = ListKind::kBlock, .pattern = "198.51.100.0/24"},
      {.kind = TokenKind::kDomainSuffix, .list = ListKind::kAllow, .pattern = "*.good.example"},
  };
  auto written = WriteSource(dir.path(), "my feed", "feed.txt", inds);
  ASSERT_TRUE(written) << written.error().message();
  ASSERT_EQ(written->size(), 2u);
  EXPECT_TRUE(fs::exists(dir.path() + "/my_feed.tsv"));
  EXPECT_TRUE(fs::exists(dir.path() + "/my_feed.allow.tsv"));
  std::string extra = dir.path() + "/../mw-extra-" + std::to_string(::getpid()) + ".txt";
  WriteFile(extra, "0.0.0.0 extra.example.org\n0.0.0.0 other.example.org\n");

  auto store = LoadIntel(IntelOptions{.intel_dir = dir.path(), .extra_files = {extra}});
  fs::remove(extra);
  ASSERT_TRUE(store) << store.error().message();
  auto m = store->LookupDomain("evil.example.com");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->entry->source, "my_feed");
  EXPECT_EQ(m->entry->note, "from a feed");
  EXPECT_EQ(store->LookupIp(*IpAddress::Parse("198.51.100.7"))->pattern, "198.51.100.0/24");
  EXPECT_EQ(store->LookupDomain("x.good.example")->list, ListKind::kAllow);
  EXPECT_TRUE(store->LookupDomain("extra.example.org"));
  EXPECT_TRUE(store->LookupDomain("pool.supportxmr.com"));  // defaults too

  // Re-importing a source with no allow entries removes its stale allowlist file.
  ASSERT_TRUE(WriteSource(dir.path(), "my feed", "feed.txt", {inds[0]}));
  EXPECT_FALSE(fs::exists(dir.path() + "/my_feed.allow.tsv"));
}

TEST(LoadIntel, MissingDirIsEmptyButUnreadableFilesFail) {
  auto store =
      LoadIntel(IntelOptions{.load_defaults = false, .intel_dir = "/nonexistent/minerwatch/intel"});
  ASSERT_TRUE(store);
  EXPECT_EQ(store->domain_count(), 0u);
  auto bad = LoadIntel(IntelOptions{.load_defaults = false,
                                    .intel_dir = "/nonexistent/minerwatch/intel",
                                    .extra_files = {"/nonexistent/list.txt"}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Error::Code::kIoError);
  EXPECT_NE(bad.error().message().find("/nonexistent/list.txt"), std::string::npos);
  TempDir dir;
  auto not_regular = ReadTextFile(dir.path());
  ASSERT_FALSE(not_regular);
  EXPECT_NE(not_regular.error().message().find("not a regular file"), std::string::npos);
}

TEST(LoadIntel, BroadEntriesAreSkippedWithAWarningUnlessImportedAsBroad) {
  TempDir dir;
  std::vector<Indicator> broad = {
      {.kind = TokenKind::kCidr, .list = ListKind::kBlock, .pattern = "0.0.0.0/0"},
      {.kind = TokenKind::kDomain, .list = ListKind::kBlock, .pattern = "pool.example.com"}};
  ASSERT_TRUE(WriteSource(dir.path(), "kept", "k.txt", broad, /*allow_broad=*/true));
  ASSERT_TRUE(WriteSource(dir.path(), "plain", "p.txt", {broad[0]}));
  std::string extra = dir.path() + "/../mw-broad-" + std::to_string(::getpid()) + ".txt";
  WriteFile(extra, "::/0\nco.uk\nother.example.org\n");
  std::vector<std::string> warnings;
  auto store =
      LoadIntel(IntelOptions{.load_defaults = false,
                             .intel_dir = dir.path(),
                             .extra_files = {extra},
                             .warn = [&](const std::string& w) { warnings.push_back(w); }});
  fs::remove(extra);
  ASSERT_TRUE(store) << store.error().message();
  // "kept" was imported with --allow-broad, its header says so; "plain" was hand-edited.
  EXPECT_EQ(store->LookupIp(*IpAddress::Parse("203.0.113.9"))->entry->source, "kept");
  EXPECT_TRUE(store->LookupDomain("other.example.org"));
  EXPECT_FALSE(store->LookupDomain("x.co.uk"));
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find("plain.tsv: skipped 1 entry: 1 prefix shorter"), std::string::npos)
      << warnings[0];
  EXPECT_NE(warnings[1].find("skipped 2 entries"), std::string::npos) << warnings[1];
  EXPECT_NE(warnings[1].find("line 1 '::/0'"), std::string::npos) << warnings[1];
}

TEST(ReadTextFile, RefusesAFifoWithoutBlocking) {
  TempDir dir;
  std::string fifo = dir.path() + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto r = ReadTextFile(fifo);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("not a regular file"), std::string::npos);
}

TEST(DefaultIntelDir, HonoursStateDir) {
  const char* old = std::getenv("MINERWATCH_STATE_DIR");
  std::string saved = old ? old : "";
  ::setenv("MINERWATCH_STATE_DIR", "/tmp/mw-state", 1);
  EXPECT_EQ(DefaultIntelDir(), "/tmp/mw-state/intel");
  if (old) {
    ::setenv("MINERWATCH_STATE_DIR", saved.c_str(), 1);
  } else {
    ::unsetenv("MINERWATCH_STATE_DIR");
    std::string d = DefaultIntelDir();
    EXPECT_TRUE(d.ends_with("minerwatch/intel")) << d;
  }
}

TEST(SanitizeSourceName, SafeFileNames) {
  EXPECT_EQ(SanitizeSourceName("CoinBlocker hosts"), "CoinBlocker_hosts");
  EXPECT_EQ(SanitizeSourceName("../../etc/passwd"), "_.._etc_passwd");
  EXPECT_EQ(SanitizeSourceName(""), "source");
}

}  // namespace
}  // namespace mw::intel
