// minerwatch — SPDX-License-Identifier: Apache-2.0
// tls_fuzz (src/protocols/parser_fuzz.cc): reads every view of every TLS event. Subscribing to
// the fingerprint and certificate events also makes the parser compute them (it skips them
// while nobody listens).
#include "protocols/parser_fuzz.h"
#include "protocols/tls/tls_events.h"

namespace mw::fuzz {

ParserFuzzHooks ProtocolFuzzHooks() {
  return {.subscribe = [](EventBus& bus) {
    bus.On<tls::ClientHelloEvent>([](const tls::ClientHelloEvent& e) {
      Touch(e.sni);
      for (std::string_view a : e.alpn) Touch(a);
    });
    bus.On<tls::ClientFingerprintEvent>([](const tls::ClientFingerprintEvent& e) {
      Touch(e.ja3);
      Touch(e.ja3_hash);
      Touch(e.ja4);
    });
    bus.On<tls::ServerHelloEvent>([](const tls::ServerHelloEvent&) {});
    bus.On<tls::ServerFingerprintEvent>([](const tls::ServerFingerprintEvent& e) {
      Touch(e.ja3s);
      Touch(e.ja3s_hash);
    });
    bus.On<tls::CertificateEvent>([](const tls::CertificateEvent& e) {
      Touch(e.subject);
      Touch(e.issuer);
      for (std::string_view d : e.dns_names) Touch(d);
    });
  }};
}

}  // namespace mw::fuzz
