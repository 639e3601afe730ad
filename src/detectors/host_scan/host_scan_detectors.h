// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// The host detector not yet moved to its own folder (persistence); miner_process, memory_rules,
// hash_match and combined_detection have theirs, the host-side intel checks are pool_intel's.
#include "mw/detect/detector.h"

namespace mw {
void RegisterHostScanDetectors(DetectorRegistry& registry);
}  // namespace mw
