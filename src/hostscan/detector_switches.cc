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
  // Lines that only name hosts matter only for intel (pool_intel's switch, as for sockets and
  // command lines).
  o.autostart_hosts = DetectorOn(config, "pool_intel");
}

}  // namespace mw::hostscan
