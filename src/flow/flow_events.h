// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Flow lifecycle events the flow table publishes.
#include <cstdint>
#include <string_view>

#include "mw/net/flow_info.h"

namespace mw::flow {

// The first packet of a new flow. "flow.server" is the side the client initiated to (the SYN's
// destination, or the UDP destination of the first datagram, with port heuristics for pickup).
struct FlowStartEvent {
  const FlowInfo& flow;
};

enum class EndReason : uint8_t { kFin, kReset, kIdleTimeout, kEvicted, kShutdown };

struct FlowEndEvent {
  const FlowInfo& flow;
  EndReason reason;
  std::string_view app_protocol;  // name of the confirmed parser, empty if none
};

}  // namespace mw::flow
