// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// What the TLS parser reports (src/protocols/protocol_counters.h). Before the first valid hello
// a bad record or hello violates (the flow is not TLS); after it the same is an anomaly and the
// direction stops being parsed.
#include "protocols/protocol_counters.h"

// X(enum, name, help)
#define MW_TLS_ANOMALIES(X)                                                                       \
  X(kGap, "tls.gap", "bytes lost: the direction looks for a record boundary again")               \
  X(kResync, "tls.resync", "record boundary found again after a gap")                             \
  X(kResyncFailed, "tls.resync_failed",                                                           \
    "no record boundary within 64 KB of a gap: direction stopped")                                \
  X(kBadRecord, "tls.bad_record",                                                                 \
    "record header with a bad type, version or length: direction stopped")                        \
  X(kHandshakeTooLong, "tls.handshake_too_long",                                                  \
    "handshake message over 64 KB: direction stopped")                                            \
  X(kMalformedClientHello, "tls.malformed_client_hello", "ClientHello that does not decode")      \
  X(kMalformedServerHello, "tls.malformed_server_hello", "ServerHello that does not decode")      \
  X(kRepeatedHelloRetry, "tls.repeated_hello_retry", "second HelloRetryRequest (RFC 8446 4.1.4)") \
  X(kBadCertificate, "tls.bad_certificate", "server Certificate whose leaf does not decode")

#define MW_TLS_VIOLATIONS(X)                                                                  \
  X(kBadRecordHeader, "tls.bad_record_header", "first record header is not TLS")              \
  X(kMalformedClientHello, "tls.malformed_client_hello", "first ClientHello does not decode") \
  X(kMalformedServerHello, "tls.malformed_server_hello", "first ServerHello does not decode")

namespace mw::tls {
MW_PROTOCOL_COUNTERS(MW_TLS_ANOMALIES, MW_TLS_VIOLATIONS);
}  // namespace mw::tls
