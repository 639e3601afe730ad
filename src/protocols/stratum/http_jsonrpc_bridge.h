// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Mining over HTTP JSON-RPC (getwork, getblocktemplate, eth_getWork to a node or proxy): listens
// to http::RequestEvent / ResponseEvent, classifies the body with the same classifier as the
// TCP parser, and publishes stratum::MessageEvent with over_http = true. The agent comes from
// the request's User-Agent. Truncated bodies (over the HTTP parser's body limit, 100 KiB by
// default) are not classified.
//
// Thread-safety: as the EventBus — subscribe at start-up, events arrive on the bus's thread.
#include "mw/parse/event_bus.h"

namespace mw::stratum {

void SubscribeHttpJsonRpcBridge(EventBus& bus);

}  // namespace mw::stratum
