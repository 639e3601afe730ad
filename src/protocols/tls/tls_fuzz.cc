// minerwatch — SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the TLS parser: the first input byte picks the direction pattern and
// chunk size; the rest is delivered like the flow layer does, with a gap wherever "GAP!" + a
// direction byte appears. Every published view is read so
// ASan sees dangling or out-of-range data.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
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
  // Delivered the way the flow layer does; "GAP!" + a direction byte marks a gap there.
  constexpr uint32_t kMaxBuffer = mw::tls::kRecordHeader + mw::tls::kMaxRecordPayload;
  mw::testing::StreamFeeder feeder(parser, ctx, kMaxBuffer);
  const size_t chunk = 1 + (mode >> 1) * 8;
  size_t chunks = 0;
  mw::testing::SplitAtGapMarkers(
      std::string_view(reinterpret_cast<const char*>(data + 1), size - 1),
      [&](std::string_view piece) {
        for (size_t pos = 0; pos < piece.size(); pos += chunk, ++chunks) {
          const size_t n = std::min(chunk, piece.size() - pos);
          const auto dir = static_cast<mw::Direction>((mode & 1) ? int(chunks & 1) : 0);
          if (!feeder.Deliver(dir, piece.substr(pos, n))) break;
        }
        if (feeder.breached()) __builtin_trap();
        return !feeder.dead();
      },
      [&](mw::Direction dir) {
        feeder.Gap(dir, 100);
        return true;
      });
  if (feeder.breached()) __builtin_trap();
  return 0;
}
