// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// pool_intel on the host agent's events: a process's socket to a listed address ("Malware: Bad
// IP") and a listed pool host on its command line ("Malware: Bad Domain"). Host findings name the
// process in their indicator ("198.51.100.23 by /opt/xmrig/xmrig"), so they never share a
// finding key with the sensor's for the same address or name (docs/findings.md).
#include <optional>
#include <string>
#include <string_view>

#include "hostscan/process.h"
#include "intel/intel_store.h"
#include "mw/detect/detector.h"

namespace mw {

// Why intel blocks "host" (a name or an IP literal): "<source>: <category> (<pattern>)", or
// nothing when it is not listed (allow-listed, or no entry behind the match).
std::optional<std::string> ListedHost(const intel::IntelStore& intel, std::string_view host);
// The same for an address.
std::optional<std::string> ListedIp(const intel::IntelStore& intel, const IpAddress& ip);

// "<what> by <executable>" (the process name when the executable is unknown or a memfd).
std::string HostIntelIndicator(std::string_view what, const hostscan::ProcessInfo& p);

// Subscribes the host checks to "bus"; findings go through "ctx" (pool_intel's context).
void SubscribeHostIntel(EventBus& bus, DetectorContext& ctx);

}  // namespace mw
