// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// One rule hit as the rule detector publishes it on the engine's bus, after flowbits, thresholds
// and pass rules had their say: what EVE JSON output (and anything else that wants each alert,
// not the folded finding) subscribes to. Views are valid only during EventBus::Publish.
#include <cstdint>
#include <string_view>

#include "mw/core/byte_view.h"
#include "mw/net/flow_info.h"
#include "rules/rule.h"

namespace mw::rules {

struct RuleAlertEvent {
  TimestampUs ts = 0;
  const FlowInfo& flow;
  const Rule& rule;
  // The packet's (or stream direction's) endpoints, as Suricata's src/dest.
  IpAddress src, dst;
  uint16_t src_port = 0, dst_port = 0;
  IpProto ip_proto = IpProto::kTcp;
  mw::Direction dir = mw::Direction::kToServer;
  std::string_view app_protocol;  // empty when none was identified
  bool blocked = false;           // a drop/reject rule in inline mode
  std::string_view category;      // the classtype's description, or empty
  uint8_t priority = 3;           // the rule's priority, else its classtype's, else 3
  std::string_view buffer;        // the buffer that matched ("pkt_data", "http.uri", ...)
  ByteView matched;               // that buffer (the whole of it, bounded by its producer)
};

}  // namespace mw::rules
