// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// The host detectors not yet moved to their own folder (memory_rules, hash_match,
// combined_detection, persistence); miner_process is src/detectors/miner_process/, the
// host-side intel checks are pool_intel's.
#include "mw/detect/detector.h"

namespace mw {
void RegisterHostScanDetectors(DetectorRegistry& registry);
}  // namespace mw
