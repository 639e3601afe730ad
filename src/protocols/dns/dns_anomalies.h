// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// What the DNS parser reports (src/protocols/protocol_counters.h). Until a message decodes, an
// undecodable one violates (the flow is not DNS); afterwards it is an anomaly. The first eight
// anomalies are also what the message decoder (dns_message.h) says about one message.
#include "protocols/protocol_counters.h"

// X(enum, name, help)
#define MW_DNS_ANOMALIES(X)                                                                     \
  X(kTruncated, "dns.truncated", "message shorter than its header, questions or answers say")   \
  X(kNoQuestion, "dns.no_question", "message without a question (qdcount 0): not published")    \
  X(kNameLoop, "dns.name_loop", "compression pointers loop or chain over 32 hops")              \
  X(kNameTooLong, "dns.name_too_long", "name over 253 characters / 255 octets")                 \
  X(kBadLabel, "dns.bad_label", "reserved label type (0x40 / 0x80)")                            \
  X(kBadRdata, "dns.bad_rdata", "A or AAAA answer with the wrong rdata length: skipped")        \
  X(kTooManyAnswers, "dns.too_many_answers", "over 32 A/AAAA/CNAME answers: the rest not kept") \
  X(kGap, "dns.gap", "TCP bytes lost: the direction looks for a message start again")           \
  X(kResync, "dns.resync", "TCP message start found again after a gap")                         \
  X(kResyncFailed, "dns.resync_failed",                                                         \
    "no message start within 64 KB of a gap: direction stopped")                                \
  X(kBadLength, "dns.bad_length", "TCP length prefix below a header: direction stopped")

#define MW_DNS_VIOLATIONS(X)                                          \
  X(kUndecodable, "dns.undecodable", "first message does not decode") \
  X(kBadLength, "dns.bad_length", "first TCP length prefix below a header")

namespace mw::dns {
MW_PROTOCOL_COUNTERS(MW_DNS_ANOMALIES, MW_DNS_VIOLATIONS);
}  // namespace mw::dns
