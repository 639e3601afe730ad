// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// DNS over UDP (one message per datagram) and TCP (RFC 1035 4.2.2: 2-byte length prefix, any
// number of messages per segment, messages split across segments). Publishes MessageEvent for
// every query and response that has a decodable first question.
//
// Thread-safety: one parser per flow, used by one pipeline thread.
#include <cstdint>

#include "mw/parse/app_parser.h"

namespace mw::dns {

enum class Framing : uint8_t { kDatagram, kLengthPrefixed };

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
  bool stopped_[2] = {false, false};  // per direction: TCP stream lost its framing
};

// Content probes (ports are ignored: miners tunnel over anything). They accept a plausible
// header (opcode 0..5, Z bit clear, 1..4 questions, small record counts) followed by a first
// question of printable labels, so random binary is never claimed.
ProbeResult ProbeUdp(Direction dir, ByteView first_bytes);
ProbeResult ProbeTcp(Direction dir, ByteView first_bytes);

}  // namespace mw::dns
