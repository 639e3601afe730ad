// minerwatch — SPDX-License-Identifier: Apache-2.0
// The must-show: every public list in /work/shared/data/threat-intel imports without error, with
// the indicator counts the lists themselves (or their README) state, and the default allowlist
// and curated pools behave on top of them.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "intel/intel_loader.h"
#include "intel/intel_store.h"

namespace mw::intel {
namespace {

namespace fs = std::filesystem;

std::string IntelDir() { return std::string(MW_SHARED_DATA_DIR) + "/threat-intel"; }

struct Expect {
  Format format;
  uint64_t min_domains;
  uint64_t min_ips;  // IPs + CIDRs
  // Lists of hashes/wallets/ports/binary names: no network indicators by nature, and (except for
  // the free-text ones) no line the parser fails to recognise either.
  bool non_network = false;
};

// Floors come from the data README (CoinBlockerLists: 5,837 domains, 1,026 IPs), from a list's
// own header, or from counting its distinct non-comment lines with grep/sort -u.
const std::map<std::string, Expect>& Expectations() {
  static const std::map<std::string, Expect> kExpect = {
      {"anudeepND/CoinMiner.txt", {Format::kHosts, 5830, 0}},  // 5,939 lines, 5,830 distinct
      {"campaign-iocs/eset/kryptocibule_misp-kryptocibule.json", {Format::kMisp, 67, 1}},
      {"campaign-iocs/eset/stantinko_cryptominer_samples.md5", {Format::kPlain, 0, 0, true}},
      {"campaign-iocs/eset/stantinko_cryptominer_samples.sha1", {Format::kPlain, 0, 0, true}},
      {"campaign-iocs/eset/stantinko_cryptominer_samples.sha256", {Format::kPlain, 0, 0, true}},
      {"campaign-iocs/sok-cryptojacking/VT_miners.csv", {Format::kCsv, 0, 0, true}},
      {"campaign-iocs/sok-cryptojacking/known_service_provider_domain_list.csv",
       {Format::kCsv, 5000, 0}},
      {"campaign-iocs/sok-cryptojacking/service_provider_keywords.csv", {Format::kCsv, 3, 0}},
      {"campaign-iocs/sok-cryptojacking/unknown_service_provider_domain_list.csv",
       {Format::kCsv, 900, 0}},
      {"campaign-iocs/sok-cryptojacking/unknown_service_provider_keywords.csv",
       {Format::kPlain, 100, 0}},
      {"campaign-iocs/sophos/Miner-Mrbminer.csv", {Format::kCsv, 5, 2}},
      {"campaign-iocs/sophos/Miner-Tor2Mine.csv", {Format::kCsv, 11, 4}},
      {"campaign-iocs/sophos/PUA-QuickCPU_xmr-stak.csv", {Format::kCsv, 0, 0, true}},
      {"campaign-iocs/sophos/Troj-Miner-AED.csv", {Format::kCsv, 0, 1}},
      {"campaign-iocs/sophos/Trojan-LDMiner.csv", {Format::kCsv, 15, 1}},
      {"campaign-iocs/sophos/malware-MyKings", {Format::kPlain, 60, 70}},
      {"campaign-iocs/sophos/malware-MyKings-domains", {Format::kPlain, 137, 0}},
      {"campaign-iocs/sophos/malware-MyKings-v2.csv", {Format::kCsv, 60, 70}},
      {"campaign-iocs/unit42/6908_of_8712_coin_mining_urls_in_pandb.txt",
       {Format::kPlain, 6000, 0}},
      {"campaign-iocs/unit42/coinhive_top_domains.txt", {Format::kPlain, 104, 0}},
      {"campaign-iocs/unit42/cryptocurrency_miners_xmr_wallets.txt", {Format::kPlain, 0, 0, true}},
      {"campaign-iocs/unit42/postgresql-delivered-coinminer.json", {Format::kStix, 3, 0}},
      {"campaign-iocs/unit42/pro-ocean-new-cryptojacking-malware.json", {Format::kStix, 1, 0}},
      {"campaign-iocs/unit42/watchdog-cryptomining-operation.json", {Format::kStix, 7, 18}},
      {"cape-community/cryptopools_pool_domains.txt", {Format::kPlain, 750, 0}},
      {"coinblockerlists/MiningServerIPList.txt", {Format::kPlain, 0, 1026}},
      {"coinblockerlists/hosts", {Format::kHosts, 5836, 0}},
      {"coinblockerlists/hosts_browser", {Format::kHosts, 1700, 0}},
      {"coinblockerlists/hosts_optional", {Format::kHosts, 296, 0}},
      {"coinblockerlists/invalid_hosts.txt", {Format::kPlain, 28, 0}},
      {"coinblockerlists/invalid_ips.txt", {Format::kPlain, 0, 0, true}},  // header only
      {"coinblockerlists/list.txt", {Format::kPlain, 5836, 0}},
      {"coinblockerlists/list_browser.txt", {Format::kPlain, 1700, 0}},
      {"coinblockerlists/list_browser_UBO.txt", {Format::kAdblock, 700, 0}},
      {"coinblockerlists/list_optional.txt", {Format::kPlain, 296, 0}},
      {"coinblockerlists/white_list.txt", {Format::kPlain, 15, 0}},
      {"coinblockerlists/white_list_IPs.txt", {Format::kPlain, 0, 15}},
      {"cryptoioc-antoinet/dns-servers.json", {Format::kJson, 7, 11}},
      {"cryptoioc-antoinet/pools.csv", {Format::kCsv, 50, 0}},
      {"derived/sha256_from_yara_rule_metadata.tsv", {Format::kPlain, 0, 0, true}},
      {"falco/extracted_http_miner_domains.txt", {Format::kPlain, 8, 0}},
      {"falco/extracted_https_miner_domains.txt", {Format::kPlain, 18, 0}},
      {"falco/extracted_miner_binaries.txt", {Format::kPlain, 0, 0, true}},
      {"falco/extracted_miner_domains.txt", {Format::kPlain, 63, 0}},
      {"falco/extracted_miner_ports.txt", {Format::kPlain, 0, 0, true}},
      {"mining-pools-FrantisekHrdina/pools-IP.csv", {Format::kCsv, 0, 1200}},
      {"mining-pools-FrantisekHrdina/pools-name.csv", {Format::kCsv, 780, 0}},
      {"mining-pools-list-andoniaf/mining-pools.lst", {Format::kPlain, 772, 0}},
      {"mining-pools-list-andoniaf/mining-pools_IP.lst", {Format::kPlain, 0, 678}},
      {"ndpi/mining_hosts.txt", {Format::kPlain, 245, 0}},
      {"nemea-miner-detector/default_blacklisted_ip.txt", {Format::kPlain, 0, 20}},
      {"nocoin-hoshsadiq/hosts.txt", {Format::kHosts, 300, 0}},
      {"nocoin-hoshsadiq/nocoin-ublock.txt", {Format::kAdblock, 0, 0, true}},  // scriptlets
      {"nocoin-hoshsadiq/nocoin.txt", {Format::kAdblock, 190, 7}},
      {"nocoin-keraf/blacklist.txt", {Format::kPlain, 100, 0}},
      {"panther-analysis/CRYPTO_MINING_DOMAINS.txt", {Format::kPlain, 251, 0}},
      {"signature-base/c2-iocs_monero_mining_pools_extract.txt", {Format::kPlain, 20, 0}},
      {"signature-base/hash-iocs_miner_extract.txt", {Format::kPlain, 0, 0, true}},
  };
  return kExpect;
}

// Documentation and licences, and the Falco rules file whose lists are also extracted as the
// falco/extracted_*.txt files above.
bool IsDocumentation(const fs::path& p) {
  std::string name = p.filename().string();
  return name == "LICENSE" || name.starts_with("README") || p.extension() == ".adoc" ||
         p.extension() == ".yaml" || name == "SOURCES.tsv";
}

class SharedIntel : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::is_directory(IntelDir())) {
      GTEST_SKIP() << "shared test data not found at " << IntelDir();
    }
  }
};

TEST_F(SharedIntel, EveryPublicListImports) {
  std::set<std::string> seen;
  for (const auto& de : fs::recursive_directory_iterator(IntelDir())) {
    if (!de.is_regular_file() || IsDocumentation(de.path())) continue;
    std::string rel = fs::relative(de.path(), IntelDir()).string();
    seen.insert(rel);
    auto it = Expectations().find(rel);
    ASSERT_NE(it, Expectations().end()) << "new file in the shared data, add it here: " << rel;
    const Expect& want = it->second;
    IntelStore store;
    auto stats = store.ImportFile(de.path().string(), ImportOptions{});
    ASSERT_TRUE(stats) << rel << ": " << stats.error().message();
    EXPECT_EQ(FormatName(stats->format), FormatName(want.format)) << rel;
    EXPECT_GE(stats->domains, want.min_domains) << rel;
    EXPECT_GE(stats->ips + stats->cidrs, want.min_ips) << rel;
    if (want.non_network) {
      EXPECT_EQ(stats->domains + stats->ips + stats->cidrs, 0u) << rel;
    } else {
      EXPECT_GT(stats->domains + stats->ips + stats->cidrs, 0u) << rel;
    }
    // The store holds what the parser counted (distinct patterns).
    EXPECT_EQ(store.domain_count(), stats->domains) << rel;
    EXPECT_EQ(store.ip_count(), stats->ips + stats->cidrs) << rel;
  }
  for (const auto& [rel, want] : Expectations()) {
    EXPECT_TRUE(seen.count(rel)) << "expected file missing from the shared data: " << rel;
  }
}

TEST_F(SharedIntel, PureListsHaveNoInvalidLines) {
  // Lists that are one indicator per line (after comments): every line must be understood,
  // including CoinBlocker's internationalized names and "host:port" entries.
  for (const char* rel : {"coinblockerlists/list.txt", "coinblockerlists/hosts",
                          "coinblockerlists/MiningServerIPList.txt", "anudeepND/CoinMiner.txt",
                          "mining-pools-list-andoniaf/mining-pools.lst",
                          "campaign-iocs/eset/stantinko_cryptominer_samples.sha256",
                          "campaign-iocs/sok-cryptojacking/VT_miners.csv",
                          "nocoin-hoshsadiq/nocoin.txt", "ndpi/mining_hosts.txt"}) {
    IntelStore store;
    auto stats = store.ImportFile(IntelDir() + "/" + rel, ImportOptions{});
    ASSERT_TRUE(stats) << rel;
    // Except one typo three lists share: a label starting with '-' is not a host name.
    uint64_t typos = 0;
    for (const auto& e : stats->examples) {
      typos += e.text == "xmr.-eu1.nanopool.org" && e.reason == RejectReason::kBadHostName;
    }
    EXPECT_EQ(stats->invalid, typos) << rel << ": " << DescribeRejections(*stats);
    EXPECT_EQ(stats->broad, 0u) << rel << ": " << DescribeRejections(*stats);
  }
}

TEST_F(SharedIntel, DefaultsOnTopOfCoinBlocker) {
  auto store = LoadIntel(
      IntelOptions{.intel_dir = "/nonexistent",
                   .extra_files = {IntelDir() + "/coinblockerlists/list.txt",
                                   IntelDir() + "/coinblockerlists/MiningServerIPList.txt",
                                   IntelDir() + "/falco/extracted_miner_domains.txt"}});
  ASSERT_TRUE(store) << store.error().message();
  // CoinBlockerLists lists the payment processor; the default allowlist overrides it.
  auto bitpay = store->LookupDomain("bitpay.com");
  ASSERT_TRUE(bitpay);
  EXPECT_EQ(bitpay->list, ListKind::kAllow);
  ASSERT_NE(bitpay->overridden, nullptr);
  EXPECT_EQ(bitpay->overridden->source, "list.txt");
  EXPECT_EQ(store->LookupDomain("blog.bitpay.com")->list, ListKind::kAllow);
  // A pool from the public lists, found through the list itself...
  auto minexmr = store->LookupDomain("pool.minexmr.com");
  ASSERT_TRUE(minexmr);
  EXPECT_EQ(minexmr->list, ListKind::kBlock);
  // ...and pools the lists name only by example host, covered by the curated wildcards.
  EXPECT_EQ(store->LookupDomain("xmr-us-west1.nanopool.org")->list, ListKind::kBlock);
  EXPECT_EQ(store->LookupDomain("gulf.moneroocean.stream")->list, ListKind::kBlock);
  // An IP from MiningServerIPList.
  auto ip = store->LookupIp(*IpAddress::Parse("1.31.173.33"));
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->entry->source, "MiningServerIPList.txt");
  EXPECT_FALSE(store->LookupDomain("www.debian.org"));
}

TEST_F(SharedIntel, CuratedPoolsAgreeWithPublicLists) {
  // Hosts that several public lists name as pools must be blocked by the built-in list alone.
  IntelStore defaults;
  ASSERT_TRUE(defaults.LoadDefaults());
  IntelStore cape;
  ASSERT_TRUE(cape.ImportFile(IntelDir() + "/cape-community/cryptopools_pool_domains.txt", {}));
  for (std::string_view host :
       {"pool.supportxmr.com", "xmr-eu1.nanopool.org", "pool.hashvault.pro", "rx.unmineable.com",
        "mine.xmrpool.net", "eth-eu1.nanopool.org", "stratum.antpool.com"}) {
    auto m = defaults.LookupDomain(host);
    ASSERT_TRUE(m) << host;
    EXPECT_EQ(m->list, ListKind::kBlock) << host;
  }
  // And none of the curated allowlist's names is a pool host in CAPE's list.
  EXPECT_FALSE(cape.LookupDomain("bitpay.com"));
}

}  // namespace
}  // namespace mw::intel
