// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// For the output tests: a pool-protocol finding with the evidence a miner's session leaves.
#include "mw/findings/finding.h"

namespace mw::testing {

inline Finding SampleMinerFinding() {
  Finding f;
  f.category = category::kPoolProtocol;
  f.resource.host_ip = "10.0.0.5";
  f.indicator = "pool.example.net:3333";
  f.id = Finding::MakeId(f.category, f.resource.host_ip, f.indicator);
  f.stage = Stage::kMining;
  f.severity = Severity::kHigh;
  f.evidence = {{"dialect", "cryptonote"}, {"agent", "XMRig/6.16.0"}, {"algos", {"rx/0"}}};
  f.first_seen = 1;
  f.last_seen = 2;
  f.count = 1;
  return f;
}

}  // namespace mw::testing
