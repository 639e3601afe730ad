// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Events the DNS parser publishes. Names are lower-case, without the trailing dot. Views are
// valid only during EventBus::Publish.
#include <cstdint>
#include <span>
#include <string_view>

#include "mw/net/flow_info.h"

namespace mw::dns {

struct Answer {
  std::string_view name;  // owner name of the record
  uint16_t type = 0;      // 1 = A, 28 = AAAA, 5 = CNAME
  uint32_t ttl = 0;
  IpAddress address;        // for A/AAAA
  std::string_view target;  // for CNAME
};

// One DNS message (query or response), over UDP or TCP.
struct MessageEvent {
  const FlowInfo& flow;
  Direction dir;
  bool is_response = false;
  uint16_t id = 0;
  uint8_t rcode = 0;
  std::string_view qname;  // first question
  uint16_t qtype = 0;
  std::span<const Answer> answers;  // A, AAAA and CNAME answers, in message order
};

}  // namespace mw::dns
