// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// DNS over UDP (one message per datagram) and TCP (RFC 1035 4.2.2: 2-byte length prefix, any
// number of messages per segment, messages split across segments). Publishes MessageEvent for
// every query and response that has a decodable first question.
//
// TCP gaps: after lost bytes a direction scans forward (at most kMaxResyncScan bytes) for a
// length prefix followed by a plausible header and a decodable first question, the same test
// as the probe ("dns.resync"), or gives the direction up ("dns.resync_failed"). Every anomaly and
// violation is declared in dns_anomalies.h.
//
// Thread-safety: one parser per flow, used by one pipeline thread.
#include <cstdint>

#include "mw/parse/app_parser.h"

namespace mw::dns {

enum class Framing : uint8_t { kDatagram, kLengthPrefixed };

inline constexpr size_t kMaxResyncScan = 64 * 1024;  // bytes dropped looking for a message

class DnsParser final : public AppParser {
 public:
  explicit DnsParser(Framing framing) : framing_(framing) {}

  ParseResult OnData(Direction dir, ByteView bytes, ParseContext& ctx) override;
  void OnGap(Direction dir, uint32_t len, ParseContext& ctx) override;

 private:
  // Decodes and publishes one message. Returns false when the flow is not DNS after all.
  bool HandleMessage(Direction dir, ByteView msg, ParseContext& ctx);

  Framing framing_;
  bool confirmed_ = false;
  bool stopped_[2] = {false, false};     // per direction: TCP stream lost its framing for good
  bool resync_[2] = {false, false};      // per direction: after a gap, looking for a message
  uint32_t resync_dropped_[2] = {0, 0};  // bytes dropped by the current scan
};

// Content probes (ports are ignored: miners tunnel over anything). They accept a plausible
// header (opcode 0..5, Z bit clear, 1..4 questions, small record counts) followed by a first
// question of printable labels, so random binary is never claimed.
ProbeResult ProbeUdp(Direction dir, ByteView first_bytes);
ProbeResult ProbeTcp(Direction dir, ByteView first_bytes);

}  // namespace mw::dns
