// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Events the TLS parser publishes. Views are valid only during EventBus::Publish.
#include <cstdint>
#include <span>
#include <string_view>

#include "mw/net/flow_info.h"

namespace mw::tls {

struct ClientHelloEvent {
  const FlowInfo& flow;
  uint16_t version = 0;  // highest offered (supported_versions wins over legacy_version)
  std::string_view sni;  // lower-case; empty when absent
  std::span<const std::string_view> alpn;
  // The client's second ClientHello, answering a HelloRetryRequest (RFC 8446 4.1.4); the first
  // was published too, and SNI/ALPN may differ between them.
  bool after_hello_retry = false;
};

// Fingerprints of the hello just published (same flow, right after its Client/ServerHelloEvent).
// The parser computes them only while this event type has subscribers: the strings and the
// MD5/SHA-256 digests cost more than decoding the hello itself.
struct ClientFingerprintEvent {
  const FlowInfo& flow;
  std::string_view ja3;       // the JA3 string
  std::string_view ja3_hash;  // md5 hex of ja3
  std::string_view ja4;       // e.g. t13d1516h2_8daaf6152771_b186095e22b6
};

struct ServerHelloEvent {
  const FlowInfo& flow;
  uint16_t version = 0;  // selected
  uint16_t cipher = 0;
  // A HelloRetryRequest (TLS 1.3, RFC 8446 4.1.3): the server asks for a second ClientHello;
  // the real ServerHello follows it and is published as its own event.
  bool hello_retry_request = false;
};

struct ServerFingerprintEvent {
  const FlowInfo& flow;
  std::string_view ja3s;
  std::string_view ja3s_hash;
};

struct CertificateEvent {
  const FlowInfo& flow;
  std::string_view subject;  // RFC 2253-ish one-line subject of the leaf certificate
  std::string_view issuer;
  std::span<const std::string_view> dns_names;  // subjectAltName DNS entries
  std::string_view serial;                       // "0A:E1:E6:..." (tls.cert_serial's form)
};

}  // namespace mw::tls
