// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Feeds the ResolutionCache from DNS responses, marking answers whose name (or any name in its
// CNAME chain) is a listed pool. Subscribed before the detectors so they see fresh answers.
#include "detectors/resolution_cache.h"
#include "intel/intel_store.h"
#include "mw/parse/event_bus.h"

namespace mw {
void SubscribeResolutionRecorder(EventBus& bus, ResolutionCache& cache,
                                 const intel::IntelStore& intel);
}  // namespace mw
