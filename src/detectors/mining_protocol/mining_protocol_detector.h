// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// "Execution: Cryptomining Pool Protocol" (stage 1): a flow speaks a mining protocol. One finding
// per (miner host, pool endpoint), with the evidence a responder needs: dialect, agent, algorithm,
// coin, login/wallet, worker, pool host:port, message times and shares submitted.
#include "mw/detect/detector.h"

namespace mw {
void RegisterMiningProtocol(DetectorRegistry& registry);
}  // namespace mw
