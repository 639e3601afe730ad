// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "hostscan/memory_evidence.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

namespace mw::hostscan {
namespace {

std::string Hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%" PRIx64, v);
  return b;
}

constexpr size_t kMaxRuleHits = 64;  // evidence stays small however many regions match

}  // namespace

bool HasRuleHit(std::span<const YaraHit> hits) {
  return std::any_of(hits.begin(), hits.end(), [](const YaraHit& h) { return h.rule != nullptr; });
}

bool HasProofOfWork(std::span<const YaraHit> hits) {
  return std::any_of(hits.begin(), hits.end(), [](const YaraHit& h) {
    return h.rule != nullptr && h.rule->evidence == match::Evidence::kProofOfWork;
  });
}

nlohmann::json RuleHitsJson(std::span<const YaraHit> hits) {
  nlohmann::json rules = nlohmann::json::array();
  for (const YaraHit& h : hits) {
    if (!h.rule) continue;
    if (rules.size() >= kMaxRuleHits) break;
    rules.push_back({{"rule", h.rule->name},
                     {"namespace", h.rule->ns},
                     {"description", h.rule->description},
                     {"family", h.rule->family},
                     {"region", Hex(h.region_start) + "-" + Hex(h.region_end) + " " + h.perms +
                                    (h.path.empty() ? "" : " " + h.path)},
                     {"address", Hex(h.address)},
                     {"offset", h.address - h.region_start},
                     {"string", h.string_id}});
  }
  return rules;
}

std::string RuleFamilies(std::span<const YaraHit> hits) {
  std::string families;
  size_t listed = 0;
  for (const YaraHit& h : hits) {
    if (!h.rule) continue;
    if (listed++ >= kMaxRuleHits) break;  // the families of the hits the evidence lists
    if (!h.rule->family.empty() && families.find(h.rule->family) == std::string::npos) {
      families += (families.empty() ? "" : ",") + h.rule->family;
    }
  }
  return families;
}

nlohmann::json PageMatchesJson(std::span<const PageDbHit> matches) {
  nlohmann::json pages = nlohmann::json::array();
  for (const PageDbHit& h : matches) {
    char pct[16];
    std::snprintf(pct, sizeof pct, "%.1f", h.percent);
    pages.push_back({{"family", h.binary->family},
                     {"binary", h.binary->name},
                     {"binary_sha256", h.binary->sha256},
                     {"pages_matched", h.matched},
                     {"pages_total", h.binary->pages},
                     {"percent", std::stod(pct)}});
  }
  return pages;
}

}  // namespace mw::hostscan
