// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// "Execution: Cryptomining Hash Match": a process's executable code pages equal a known miner
// build's (`intel add-binary`), even renamed, deleted or packed on disk
// (hostscan::MemoryScanEvent's page matches).
#include "mw/detect/detector.h"

namespace mw {
void RegisterHashMatch(DetectorRegistry& registry);
}  // namespace mw
