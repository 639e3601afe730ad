// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// "Intrusion: IDS Rule Match": the loaded Suricata/ET rules (src/rules) over every packet, every
// reassembled TCP stream and the parsed HTTP, DNS and TLS fields. The stateless part of matching
// is the RuleEngine's; here live what needs memory: flowbits per flow, thresholds and
// detection_filter per host, pass rules. Each hit is published as rules::RuleAlertEvent (EVE
// output subscribes) and folded into one finding per (sid, source, destination).
#include "mw/detect/detector.h"

namespace mw {
void RegisterIdsRules(DetectorRegistry& registry);
}  // namespace mw
