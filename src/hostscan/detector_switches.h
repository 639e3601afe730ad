// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// detectors.<name>.enabled for the host agent: which host detectors report, and so which passes
// run (memory only for memory_rules, hash_match or combined_detection; autostart only for
// persistence). Intel is loaded, and UseIntel called, only when pool_intel is on.
#include <memory>

#include "engine/detector_settings.h"
#include "hostscan/host_scanner.h"
#include "intel/intel_store.h"

namespace mw::hostscan {

// Sets the detector flags and pass switches of "o" from "config" (absent = on).
void ApplyDetectorSwitches(const engine::DetectorConfig& config, HostScanOptions& o);
// Whether the detector "name" is on in "config" (every host detector is on by default).
bool DetectorOn(const engine::DetectorConfig& config, std::string_view name);
// The host agent's intel checks (sockets, command lines, autostart hosts) against "store": a
// block-listed indicator is described as "source: category (pattern)".
void UseIntel(std::shared_ptr<const intel::IntelStore> store, HostScanOptions& o);

}  // namespace mw::hostscan
