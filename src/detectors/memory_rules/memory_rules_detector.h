// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// YARA rules over process memory (hostscan::MemoryScanEvent). Stage 1 from memory needs proof of
// work: "Execution: Cryptomining YARA Rule" when a rule proves mining (meta evidence =
// "proof_of_work"), or names back up a page match or miner-process evidence; names alone (pool
// hosts, miner strings, which a shell, resolver or log reader that handled them holds too) are a
// low stage-0 "Execution: Cryptomining Miner Strings" finding that says why it is not stage 1.
#include "mw/detect/detector.h"

namespace mw {
void RegisterMemoryRules(DetectorRegistry& registry);
}  // namespace mw
