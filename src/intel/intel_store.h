// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Threat intelligence: mining-pool domains (exact or suffix, case-insensitive, trailing dot
// ignored), IPs and CIDRs (IPv4 and IPv6, longest-prefix match), each entry with its source, an
// optional score and a note. Allowlist entries beat blocklist entries (public lists contain
// payment processors and CDNs).
//
// Thread-safety: lookups are const and safe from many threads once loading is done; Add*,
// Import* and LoadDefaults need external synchronisation.
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "intel/indicator.h"
#include "mw/core/result.h"
#include "mw/net/ip_address.h"

namespace mw::intel {

enum class ListKind : uint8_t { kBlock, kAllow };
std::string_view ListKindName(ListKind list);  // "block" / "allow"

struct Entry {
  std::string source{};    // "minerwatch-default", "coinblocker", a file name...
  std::string category{};  // "mining_pool", "miner_download", "donation", "browser_miner"
  std::string note{};
  std::optional<int> score{};  // 0..100 where the list gives one
};

// Pointers and views stay valid for the store's lifetime (also across moves of the store).
struct Match {
  ListKind list = ListKind::kBlock;
  std::string_view pattern{};  // what matched: "*.nanopool.org", "1.2.3.0/24"
  const Entry* entry = nullptr;
  // When an allowlist entry won over a blocklist entry for the same name/address, the
  // blocklist entry it overrode (so "intel check" can explain the verdict).
  std::string_view overridden_pattern{};
  const Entry* overridden = nullptr;
};

// Supported import formats. kJson is any JSON holding objects with ip/domain/url keys;
// kTsv is minerwatch's own pattern<TAB>category<TAB>note[<TAB>score] (ruleset/intel, intel dir).
enum class Format : uint8_t { kAuto, kPlain, kHosts, kAdblock, kCsv, kStix, kMisp, kJson, kTsv };
Result<Format> ParseFormat(std::string_view name);
std::string_view FormatName(Format format);

struct ImportStats {
  Format format = Format::kAuto;  // the format used (detected when kAuto was asked)
  uint64_t domains = 0;
  uint64_t ips = 0;
  uint64_t cidrs = 0;
  uint64_t skipped = 0;  // comments, blanks, sinkhole addresses, duplicates, hashes/wallets,
                         // cosmetic adblock rules
  uint64_t invalid = 0;  // lines that were not an indicator
  uint64_t broad = 0;    // match-everything entries refused (see ParseOptions::allow_broad)
  // What was not taken and why: a count per RejectReason (index = the enum value) and the
  // first kMaxRejectExamples examples of each reason.
  struct Example {
    RejectReason reason = RejectReason::kNone;
    size_t line = 0;     // 1-based; 0 where the format has no lines (JSON)
    std::string text{};  // the token, cut to 80 bytes, control bytes as '?'
  };
  static constexpr size_t kMaxRejectExamples = 3;
  std::array<uint64_t, kRejectReasons> rejected{};
  std::vector<Example> examples{};
};

struct ImportOptions {
  Format format = Format::kAuto;
  ListKind list = ListKind::kBlock;  // adblock "@@" exceptions go to the allowlist regardless
  std::string source{};              // Entry::source; defaults to the file name
  std::string category = "intel";
  bool subdomains = false;   // treat bare names as the name and all its subdomains
  bool allow_broad = false;  // keep match-everything entries (ParseOptions::allow_broad)
};

// Per source and list: how many entries the store holds (for "intel stats").
struct SourceCounts {
  uint64_t domains = 0;
  uint64_t ips = 0;  // IPs and CIDRs
};

class IntelStore {
 public:
  IntelStore();
  ~IntelStore();
  IntelStore(IntelStore&&) noexcept;
  IntelStore& operator=(IntelStore&&) noexcept;

  // "pattern": "pool.example.com" (exact), "*.example.com" or ".example.com" (the domain and all
  // subdomains). The first entry added for a pattern and list wins; later ones are duplicates.
  Status AddDomain(std::string_view pattern, ListKind list, Entry entry);
  // REQUIRES: "prefix_len" <= 32 for IPv4, <= 128 for IPv6 (else InvalidArgument).
  Status AddCidr(const IpAddress& network, int prefix_len, ListKind list, Entry entry);
  // "text": "1.2.3.4", "1.2.3.0/24", "2001:db8::/32".
  Status AddIpOrCidr(std::string_view text, ListKind list, Entry entry);
  void AddPort(uint16_t port, std::string note);

  // Allowlist first: an allowlisted name yields a kAllow match. Nullopt when unlisted. No heap
  // allocation: the name is normalised into a stack buffer and its label suffixes probed.
  std::optional<Match> LookupDomain(std::string_view name) const;
  // Probes only the prefix lengths present, longest first.
  std::optional<Match> LookupIp(const IpAddress& address) const;
  // Notes on ports commonly used by pools (weak evidence only).
  const std::string* PortNote(uint16_t port) const;

  // Loads the curated list shipped with minerwatch (ruleset/intel/*, embedded at build time).
  Status LoadDefaults();
  // Reads and parses a file. Unreadable file → IoError; content problems are counted.
  Result<ImportStats> Import(const std::string& path, Format format, ListKind list,
                             std::string_view source_name);
  Result<ImportStats> ImportFile(const std::string& path, const ImportOptions& options);
  Result<ImportStats> ImportText(std::string_view text, const ImportOptions& options);

  uint64_t domain_count() const;
  uint64_t ip_count() const;  // IPs and CIDRs
  uint64_t port_count() const;
  // Keyed by (source, list).
  std::map<std::pair<std::string, ListKind>, SourceCounts> CountsBySource() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mw::intel
