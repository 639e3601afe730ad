// minerwatch — SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the TLS parser: the first input byte picks the direction pattern and
// chunk size; the rest is delivered like the flow layer does, with a gap wherever "GAP!" + a
// direction byte appears. Every published view is read so
// ASan sees dangling or out-of-range data.
#include <cstddef>
#include <cstdint>
#include <optional>
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
  // One feeder per direction, so that a gap can drop one direction's unconsumed bytes the way
  // the flow layer does. "GAP!" followed by a direction byte in the input marks a gap there.
  constexpr uint32_t kMaxBuffer = mw::tls::kRecordHeader + mw::tls::kMaxRecordPayload;
  std::optional<mw::testing::StreamFeeder> feeders[2];
  for (auto& f : feeders) f.emplace(parser, ctx, kMaxBuffer);
  auto breached = [&feeders] {
    for (auto& f : feeders)
      if (f->over_consumed() || f->over_buffer()) return true;
    return false;
  };
  const size_t chunk = 1 + (mode >> 1) * 8;
  size_t chunks = 0;
  std::string_view rest(reinterpret_cast<const char*>(in.data()), in.size());
  while (!rest.empty()) {
    const size_t marker = rest.find("GAP!");
    std::string_view piece = rest.substr(0, marker);
    for (size_t pos = 0; pos < piece.size(); pos += chunk, ++chunks) {
      const size_t n = std::min(chunk, piece.size() - pos);
      const int d = (mode & 1) ? int(chunks & 1) : 0;
      if (!feeders[d]->Feed(static_cast<mw::Direction>(d),
                            reinterpret_cast<const uint8_t*>(piece.data()) + pos, n))
        break;
    }
    if (breached()) __builtin_trap();
    if (feeders[0]->dead() || feeders[1]->dead()) return 0;
    if (marker == std::string_view::npos || marker + 5 > rest.size()) break;
    const int d = rest[marker + 4] & 1;
    feeders[d].emplace(parser, ctx, kMaxBuffer);
    parser.OnGap(static_cast<mw::Direction>(d), 100, ctx);
    rest.remove_prefix(marker + 5);
  }
  if (breached()) __builtin_trap();
  return 0;
}
