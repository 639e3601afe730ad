// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Threat intelligence: mining-pool domains (exact or suffix, case-insensitive, trailing dot
// ignored), IPs and CIDRs (IPv4 and IPv6, longest-prefix match), each entry with its source, an
// optional score and a note. Allowlist entries beat blocklist entries (public lists contain
// payment processors and CDNs).
//
// Thread-safety: lookups are const and safe from many threads once loading is done.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mw/core/result.h"
#include "mw/net/ip_address.h"

namespace mw::intel {

enum class ListKind : uint8_t { kBlock, kAllow };

struct Entry {
  std::string source;    // "minerwatch-default", "coinblocker", a file name...
  std::string category;  // "mining_pool", "miner_download", "donation", "browser_miner"
  std::string note;
  std::optional<int> score;  // 0..100 where the list gives one
};

struct Match {
  ListKind list = ListKind::kBlock;
  std::string_view pattern;  // what matched: "*.nanopool.org", "1.2.3.0/24"
  const Entry* entry = nullptr;
};

// Supported import formats.
enum class Format : uint8_t { kAuto, kPlain, kHosts, kAdblock, kCsv };
Result<Format> ParseFormat(std::string_view name);

struct ImportStats {
  uint64_t domains = 0;
  uint64_t ips = 0;
  uint64_t cidrs = 0;
  uint64_t skipped = 0;  // comments, blanks, sinkhole lines
  uint64_t invalid = 0;  // lines that were not an indicator
};

class IntelStore {
 public:
  IntelStore();
  ~IntelStore();
  IntelStore(IntelStore&&) noexcept;
  IntelStore& operator=(IntelStore&&) noexcept;

  // "pattern": "pool.example.com" (exact), "*.example.com" or ".example.com" (the domain and all
  // subdomains).
  Status AddDomain(std::string_view pattern, ListKind list, Entry entry);
  Status AddCidr(const IpAddress& network, int prefix_len, ListKind list, Entry entry);
  // "text": "1.2.3.4", "1.2.3.0/24", "2001:db8::/32".
  Status AddIpOrCidr(std::string_view text, ListKind list, Entry entry);
  void AddPort(uint16_t port, std::string note);

  // Allowlist first: an allowlisted name yields a kAllow match. Nullopt when unlisted.
  std::optional<Match> LookupDomain(std::string_view name) const;
  std::optional<Match> LookupIp(const IpAddress& address) const;
  // Notes on ports commonly used by pools (weak evidence only).
  const std::string* PortNote(uint16_t port) const;

  // Loads the curated list shipped with minerwatch (ruleset/intel/*).
  Status LoadDefaults();
  Result<ImportStats> Import(const std::string& path, Format format, ListKind list,
                             std::string_view source_name);

  uint64_t domain_count() const;
  uint64_t ip_count() const;  // IPs and CIDRs

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mw::intel
