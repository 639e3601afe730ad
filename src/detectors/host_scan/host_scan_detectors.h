// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// The host agent's detectors (miner_process, memory_rules, hash_match, combined_detection,
// persistence); the host-side intel checks are pool_intel's.
#include "mw/detect/detector.h"

namespace mw {
void RegisterHostScanDetectors(DetectorRegistry& registry);
}  // namespace mw
