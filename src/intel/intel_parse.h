// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Parsers for the public intel formats: plain lists, hosts files, adblock filters, CSV, STIX 2
// bundles, MISP events, generic JSON and minerwatch's own TSV. Control plane: they build a
// vector of indicators that the store (or "intel import", which writes a normalized TSV) takes.
// Malformed lines are counted, never fatal; only unparsable JSON or binary input is an error.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "intel/indicator.h"
#include "intel/intel_store.h"
#include "mw/core/result.h"

namespace mw::intel {

struct Indicator {
  TokenKind kind = TokenKind::kDomain;  // kDomain, kDomainSuffix, kIp or kCidr
  ListKind list = ListKind::kBlock;
  std::string pattern{};   // normalized, see Token::pattern
  std::string category{};  // empty: the importer's default
  std::string note{};
  std::optional<int> score{};
};

struct ParseOptions {
  Format format = Format::kAuto;
  ListKind list = ListKind::kBlock;
  bool subdomains = false;
  // Keep prefixes shorter than /8 (IPv4) or /16 (IPv6) and bare public suffixes ("com",
  // "*.co.uk"). Off: they are refused and counted (ImportStats::broad), because one such entry
  // makes every connection a finding, or, on an allowlist, hides every finding.
  bool allow_broad = false;
};

struct ParsedIntel {
  ImportStats stats{};                  // stats.format holds the format used
  std::vector<Indicator> indicators{};  // deduplicated by (list, pattern)
};

// Guesses the format from content alone (file names lie: "hosts" files come as .txt).
Format DetectFormat(std::string_view text);

Result<ParsedIntel> ParseIntel(std::string_view text, const ParseOptions& options);

// One line of the TSV format, tabs and newlines in fields replaced by spaces.
std::string TsvLine(const Indicator& indicator);

}  // namespace mw::intel
