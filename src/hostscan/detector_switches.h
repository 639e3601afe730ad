// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// detectors.<name>.enabled for the host agent: which host detectors report, and so which passes
// run (memory only for memory_rules, hash_match or combined_detection; autostart only for
// persistence; autostart lines that only name hosts only for pool_intel's intel).
#include "engine/detector_settings.h"
#include "hostscan/host_scanner.h"

namespace mw::hostscan {

// Sets the detector flags and pass switches of "o" from "config" (absent = on).
void ApplyDetectorSwitches(const engine::DetectorConfig& config, HostScanOptions& o);
// Whether the detector "name" is on in "config" (every host detector is on by default).
bool DetectorOn(const engine::DetectorConfig& config, std::string_view name);

}  // namespace mw::hostscan
