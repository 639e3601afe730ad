// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// "Execution: Miner Process": a process whose inventory (command line, executable, CPU use)
// says it is a miner (miner_heuristics.h). Two parts: the miner_evidence translator turns each
// hostscan::ProcessEvent into a hostscan::MinerEvidenceEvent when the heuristics fire (always
// on: the memory and autostart passes use it as evidence), and the miner_process detector
// reports those as findings (switched by detectors.miner_process.enabled).
#include "mw/detect/detector.h"
#include "mw/parse/event_bus.h"

namespace mw {
void RegisterMinerProcess(DetectorRegistry& registry);
// The miner_evidence translator (src/engine/builtin_translators.cc).
void SubscribeMinerEvidence(EventBus& bus);
}  // namespace mw
