// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// The decoder's output: one IP packet's addresses, transport header fields and payload.
#include <cstdint>

#include "mw/core/byte_view.h"
#include "mw/net/flow_info.h"
#include "mw/net/ip_address.h"

namespace mw::decode {

// Decoder::Decode resets every field one by one: a field added here must be reset there too.
struct DecodedPacket {
  TimestampUs ts = 0;
  IpAddress src;
  IpAddress dst;
  uint16_t src_port = 0;  // 0 for ICMP
  uint16_t dst_port = 0;
  IpProto proto = IpProto::kTcp;
  uint8_t ip_version = 4;
  uint8_t ttl = 0;        // IPv4 TTL / IPv6 hop limit
  uint8_t tcp_flags = 0;  // FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 URG 0x20
  uint8_t icmp_type = 0;
  uint8_t icmp_code = 0;
  bool reassembled = false;  // rebuilt from IP fragments
  uint16_t vlan_id = 0;      // innermost 802.1Q tag, 0 if untagged
  uint16_t tcp_window = 0;
  uint32_t tcp_seq = 0;
  uint32_t tcp_ack = 0;
  // Transport payload as captured. Valid until the decoder's next Decode().
  ByteView payload;
  // Payload length according to the headers; larger than payload.size() when the snaplen cut
  // the frame (the flow layer reports the missing bytes as a gap).
  uint32_t payload_wire_len = 0;
};

namespace tcp_flags {
inline constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;
}

}  // namespace mw::decode
