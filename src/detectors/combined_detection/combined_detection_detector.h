// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// "Execution: Combined Detection": one process matched by both a YARA rule and known miner code
// pages (hostscan::MemoryScanEvent): two independent proofs, so critical.
#include "mw/detect/detector.h"

namespace mw {
void RegisterCombinedDetection(DetectorRegistry& registry);
}  // namespace mw
