// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// The miner-process heuristics: what in a process's inventory (command line, executable, CPU use)
// says it is a miner. Pure (unit tested); the miner_evidence translator and the miner_process
// detector share them.
#include <string>
#include <vector>

#include "hostscan/host_events.h"
#include "hostscan/process.h"

namespace mw {

// Why "p" looks like a miner, one reason each; empty when nothing does. "high_cpu_percent"
// (100 = one core) is the use above which a disguised or deleted executable counts.
std::vector<hostscan::MinerReason> MinerProcessReasons(const hostscan::ProcessInfo& p,
                                                       double high_cpu_percent);

}  // namespace mw
