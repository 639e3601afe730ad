// minerwatch — SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the TLS parser: the first input byte picks the direction pattern and
// chunk size; the rest is delivered like the flow layer does. Every published view is read so
// ASan sees dangling or out-of-range data.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "protocols/parse_test_util.h"
#include "protocols/tls/tls_events.h"
#include "protocols/tls/tls_parser.h"

namespace {

volatile size_t g_sink;

size_t Touch(std::string_view s) {
  size_t n = s.size();
  for (char c : s) n += uint8_t(c);
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  mw::ByteView in(data + 1, size - 1);
  (void)mw::tls::ProbeTls(mw::Direction::kToServer, in);

  mw::testing::FakeParseContext ctx;
  ctx.bus().On<mw::tls::ClientHelloEvent>([](const mw::tls::ClientHelloEvent& e) {
    size_t n = Touch(e.sni);
    for (auto a : e.alpn) n += Touch(a);
    g_sink = n;
  });
  ctx.bus().On<mw::tls::ClientFingerprintEvent>([](const mw::tls::ClientFingerprintEvent& e) {
    g_sink = Touch(e.ja3) + Touch(e.ja3_hash) + Touch(e.ja4);
  });
  ctx.bus().On<mw::tls::ServerHelloEvent>(
      [](const mw::tls::ServerHelloEvent& e) { g_sink = e.version + e.cipher; });
  ctx.bus().On<mw::tls::ServerFingerprintEvent>([](const mw::tls::ServerFingerprintEvent& e) {
    g_sink = Touch(e.ja3s) + Touch(e.ja3s_hash);
  });
  ctx.bus().On<mw::tls::CertificateEvent>([](const mw::tls::CertificateEvent& e) {
    size_t n = Touch(e.subject) + Touch(e.issuer);
    for (auto d : e.dns_names) n += Touch(d);
    g_sink = n;
  });
  mw::tls::TlsParser parser;
  mw::testing::StreamFeeder feeder(parser, ctx,
                                   mw::tls::kRecordHeader + mw::tls::kMaxRecordPayload);
  const size_t chunk = 1 + (mode >> 1) * 8;
  for (size_t pos = 0; pos < in.size(); pos += chunk) {
    const size_t n = std::min(chunk, in.size() - pos);
    auto dir = static_cast<mw::Direction>((mode & 1) ? int((pos / chunk) & 1) : 0);
    if (!feeder.Feed(dir, in.data() + pos, n)) break;
  }
  if (feeder.over_consumed() || feeder.over_buffer()) __builtin_trap();
  return 0;
}
