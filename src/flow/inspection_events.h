// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// What the flow table publishes for inspectors that look at payload rather than at parsed
// protocol (the rule engine): every packet with its flow's state, and every TCP direction's
// reassembled bytes. Published only while something subscribes, so the sensor without rules pays
// nothing for them. Views are valid only during EventBus::Publish.
#include <cstdint>
#include <string_view>

#include "decode/decoded_packet.h"
#include "mw/core/byte_view.h"
#include "mw/net/flow_info.h"

namespace mw::flow {

// Suricata's flow states as rules test them (`flow:established`, `flow:not_established`).
struct FlowState {
  // TCP: the three-way handshake completed (this packet is the handshake's ACK or later);
  // UDP and ICMP: both directions have been seen.
  bool established = false;
  // TCP: the flow started with a handshake this table saw, so its stream is reassembled.
  bool stream_tracked = false;
  // TCP: this packet brought new bytes to its direction's stream after the handshake (in order
  // or buffered), so stream inspection sees them. Suricata inspects the payload of the other
  // packets (data on a SYN, retransmissions, mid-stream pickup) as packets.
  bool payload_in_stream = false;
};

// After the flow layer handled the packet (its stream bytes and app events are published first).
struct PacketEvent {
  const FlowInfo& flow;
  Direction dir;  // kToServer: sent by the flow's client
  const decode::DecodedPacket& packet;
  FlowState state;
  std::string_view app_protocol;  // the confirmed parser's name, or empty
};

// In-order bytes of one TCP direction, as the app layer gets them. "offset" is where "bytes"
// start in that direction's stream (0 = the first byte after the SYN). "inspectable": the flow
// began with a handshake that completed before these bytes (Suricata's stream engine without
// mid-stream pickup); bytes of other flows reach the rules as packets.
struct StreamDataEvent {
  const FlowInfo& flow;
  Direction dir;
  ByteView bytes;
  uint64_t offset;
  std::string_view app_protocol;
  bool inspectable = false;
};

}  // namespace mw::flow
