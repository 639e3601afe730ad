// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Pure DNS message decoding (RFC 1035 section 4): header, first question, A/AAAA/CNAME answers.
// No I/O and no knowledge of flows; dns_parser.h adds UDP/TCP framing on top.
//
// Names are decompressed into a fixed-size arena owned by the DnsMessageDecoder, so decoding a
// message allocates nothing once the decoder exists. Views in DecodedMessage point into that
// arena (or stay valid as long as the decoder is not reused).
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "mw/core/byte_view.h"
#include "protocols/dns/dns_anomalies.h"
#include "protocols/dns/dns_events.h"

namespace mw::dns {

inline constexpr size_t kHeaderSize = 12;
inline constexpr size_t kMaxNameLength = 253;  // presentation form, without the trailing dot
inline constexpr size_t kMaxAnswers = 32;      // A/AAAA/CNAME answers kept per message
inline constexpr int kMaxPointerHops = 32;     // compression pointers followed per name

enum class NameStatus : uint8_t { kOk, kTruncated, kLoop, kTooLong, kBadLabel };

// Decodes the (possibly compressed) name at "offset" of "msg" into "out" (lower-case, dot
// separated, no trailing dot; the root name is empty). On success "*out_len" is the text length
// and "*next" is the offset just after the name in the uncompressed part of the message.
// REQUIRES: "out" has room for kMaxNameLength bytes.
NameStatus DecodeName(ByteView msg, size_t offset, char* out, size_t* out_len, size_t* next);

struct DecodedMessage {
  bool is_response = false;
  uint8_t opcode = 0;
  uint8_t rcode = 0;
  uint16_t id = 0;
  uint16_t qdcount = 0, ancount = 0, nscount = 0, arcount = 0;
  std::string_view qname;
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  std::span<const Answer> answers;
};

// Reusable decoder: one per parser (per flow), not thread-safe.
class DnsMessageDecoder {
 public:
  struct Outcome {
    bool ok = false;  // header and first question decoded; "message" is usable
    // Why the message did not decode, or the first oddity of one that did: one of the message
    // anomalies of dns_anomalies.h (kTruncated ... kTooManyAnswers).
    std::optional<Anomaly> anomaly;
  };

  // Decodes "msg". When Outcome::ok is false, "message" is unspecified.
  Outcome Decode(ByteView msg, DecodedMessage& message);

 private:
  // Decodes the name at "offset" straight into the arena (no copy) and returns a view of it.
  NameStatus DecodeInto(ByteView msg, size_t offset, std::string_view* name, size_t* next);

  static constexpr size_t kArenaSize = (1 + 2 * kMaxAnswers) * kMaxNameLength;
  std::array<char, kArenaSize> arena_;
  size_t arena_used_ = 0;
  std::array<Answer, kMaxAnswers> answers_;
};

}  // namespace mw::dns
