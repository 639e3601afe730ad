// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "hostscan/detector_switches.h"

namespace mw::hostscan {

bool DetectorOn(const engine::DetectorConfig& config, std::string_view name) {
  auto it = config.by_name.find(name);
  return it == config.by_name.end() || it->second.enabled();
}

void ApplyDetectorSwitches(const engine::DetectorConfig& config, HostScanOptions& o) {
  // The memory detectors decide on what the memory pass reads: no YARA scan without a detector
  // that reads rule hits, no page hashing without one that reads page matches, no memory read
  // at all when none of them runs.
  const bool rules = DetectorOn(config, "memory_rules");
  const bool pages = DetectorOn(config, "hash_match");
  const bool both = DetectorOn(config, "combined_detection");
  o.memory.yara &= rules || both;
  o.memory.hash_exec_pages &= pages || both;
  o.scan_memory &= o.memory.yara || o.memory.hash_exec_pages;
  o.scan_persistence &= DetectorOn(config, "persistence");
}

void UseIntel(std::shared_ptr<const intel::IntelStore> store, HostScanOptions& o) {
  auto describe = [](const std::optional<intel::Match>& m) -> std::optional<std::string> {
    if (!m || m->list != intel::ListKind::kBlock || !m->entry) return std::nullopt;
    return m->entry->source + ": " + m->entry->category + " (" + std::string(m->pattern) + ")";
  };
  o.lookup_ip = [store, describe](const IpAddress& ip) { return describe(store->LookupIp(ip)); };
  o.lookup_domain = [store, describe](std::string_view d) {
    return describe(store->LookupDomain(d));
  };
}

}  // namespace mw::hostscan
