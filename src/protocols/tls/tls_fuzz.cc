// minerwatch — SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the TLS parser: the first input byte picks the direction pattern and
// chunk size; the rest is delivered like the flow layer does. Every published view is read so
// ASan sees dangling or out-of-range data.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "protocols/tls/tls_events.h"
#include "protocols/tls/tls_parser.h"

namespace {

class FuzzContext final : public mw::ParseContext {
 public:
  const mw::FlowInfo& flow() const override { return flow_; }
  mw::TimestampUs now() const override { return 0; }
  mw::EventBus& events() override { return bus_; }
  void Confirm() override {}
  void Violate(const char*) override {}
  void Anomaly(const char*) override {}
  mw::FlowInfo flow_;
  mw::EventBus bus_;
};

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

  FuzzContext ctx;
  ctx.bus_.On<mw::tls::ClientHelloEvent>([](const mw::tls::ClientHelloEvent& e) {
    size_t n = Touch(e.sni) + Touch(e.ja3) + Touch(e.ja3_hash) + Touch(e.ja4);
    for (auto a : e.alpn) n += Touch(a);
    g_sink = n;
  });
  ctx.bus_.On<mw::tls::ServerHelloEvent>([](const mw::tls::ServerHelloEvent& e) {
    g_sink = Touch(e.ja3s) + Touch(e.ja3s_hash);
  });
  ctx.bus_.On<mw::tls::CertificateEvent>([](const mw::tls::CertificateEvent& e) {
    size_t n = Touch(e.subject) + Touch(e.issuer);
    for (auto d : e.dns_names) n += Touch(d);
    g_sink = n;
  });
  mw::tls::TlsParser parser;
  const size_t chunk = 1 + (mode >> 1) * 8;
  std::vector<uint8_t> pending[2];
  for (size_t pos = 0; pos < in.size(); pos += chunk) {
    const size_t n = std::min(chunk, in.size() - pos);
    const int d = (mode & 1) ? int((pos / chunk) & 1) : 0;
    auto& buf = pending[d];
    buf.insert(buf.end(), in.begin() + pos, in.begin() + pos + n);
    mw::ParseResult r =
        parser.OnData(static_cast<mw::Direction>(d), mw::ByteView(buf.data(), buf.size()), ctx);
    if (r.kind == mw::ParseResult::Kind::kInvalid) return 0;
    if (r.consumed > buf.size()) __builtin_trap();
    buf.erase(buf.begin(), buf.begin() + r.consumed);
    if (buf.size() > mw::tls::kRecordHeader + mw::tls::kMaxRecordPayload) __builtin_trap();
  }
  return 0;
}
