// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "detectors/resolution_recorder.h"

#include "protocols/dns/dns_events.h"

namespace mw {

void SubscribeResolutionRecorder(EventBus& bus, ResolutionCache& cache,
                                 const intel::IntelStore& intel) {
  bus.On<dns::MessageEvent>([&cache, &intel](const dns::MessageEvent& e) {
    if (!e.is_response || e.answers.empty()) return;
    auto is_pool = [&intel](std::string_view name) {
      auto m = intel.LookupDomain(name);
      return m && m->list == intel::ListKind::kBlock;
    };
    std::string_view pool_match;
    if (is_pool(e.qname)) pool_match = e.qname;
    for (const dns::Answer& a : e.answers) {
      if (!pool_match.empty()) break;
      if (is_pool(a.name)) pool_match = a.name;
      if (a.type == 5 && is_pool(a.target)) pool_match = a.target;
    }
    // The client of a DNS flow is the host that asked.
    for (const dns::Answer& a : e.answers) {
      if (a.type == 1 || a.type == 28) {
        cache.Record(e.flow.client, a.address, e.qname, pool_match, e.flow.last_seen);
      }
    }
  });
}

}  // namespace mw
