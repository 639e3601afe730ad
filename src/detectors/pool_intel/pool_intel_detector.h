// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// "Malware: Bad Domain" (a DNS query, TLS SNI or HTTP Host names a listed pool or miner host) and
// "Malware: Bad IP" (a connection to a listed address, or to an address a DNS answer gave for a
// listed name). Stage 0: these precede or accompany mining; the pool protocol itself is stage 1.
#include "mw/detect/detector.h"

namespace mw {
void RegisterPoolIntel(DetectorRegistry& registry);
}  // namespace mw
