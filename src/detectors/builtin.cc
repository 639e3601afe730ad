// minerwatch — SPDX-License-Identifier: Apache-2.0
// The one list of built-in detectors (network and host): a new detector adds one line here.
#include "detectors/combined_detection/combined_detection_detector.h"
#include "detectors/hash_match/hash_match_detector.h"
#include "detectors/ids_rules/ids_rules_detector.h"
#include "detectors/memory_rules/memory_rules_detector.h"
#include "detectors/miner_process/miner_process_detector.h"
#include "detectors/mining_protocol/mining_protocol_detector.h"
#include "detectors/persistence/persistence_detector.h"
#include "detectors/pool_intel/pool_intel_detector.h"

namespace mw {

void RegisterBuiltinDetectors(DetectorRegistry& registry) {
  RegisterMiningProtocol(registry);
  RegisterPoolIntel(registry);
  RegisterMinerProcess(registry);
  RegisterMemoryRules(registry);
  RegisterHashMatch(registry);
  RegisterCombinedDetection(registry);
  RegisterPersistence(registry);
  RegisterIdsRules(registry);
}

}  // namespace mw
