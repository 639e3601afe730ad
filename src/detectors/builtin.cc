// minerwatch — SPDX-License-Identifier: Apache-2.0
// The one list of built-in detectors (network and host): a new detector adds one line here.
#include "detectors/host_scan/host_scan_detectors.h"
#include "detectors/miner_process/miner_process_detector.h"
#include "detectors/mining_protocol/mining_protocol_detector.h"
#include "detectors/pool_intel/pool_intel_detector.h"

namespace mw {

void RegisterBuiltinDetectors(DetectorRegistry& registry) {
  RegisterMiningProtocol(registry);
  RegisterPoolIntel(registry);
  RegisterMinerProcess(registry);
  RegisterHostScanDetectors(registry);
}

}  // namespace mw
