// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// How a process appears in a host finding: its indicator (the executable's hash, else pid and
// path) and its evidence object. One form for every host detector, so a process reads the same
// in a Miner Process, YARA Rule or Bad IP finding and remediation finds it by the same fields.
#include <string>

#include "hostscan/process.h"
#include "mw/findings/finding.h"

namespace mw::hostscan {

// "sha256:<hex>" of the executable, else "pid:<pid>:<exe>" (no hash: unreadable or fileless).
std::string ProcessIndicator(const ProcessInfo& p);
// The process as evidence: identity, executable, command line, CPU, container, sockets.
nlohmann::json ProcessJson(const ProcessInfo& p);
// Adds or refreshes "p" in f.evidence["processes"] (one entry per pid, at most 32).
void AddProcess(Finding& f, const ProcessInfo& p);
// "1.2.3.4:80", "[::1]:80".
std::string Endpoint(const IpAddress& ip, uint16_t port);

}  // namespace mw::hostscan
