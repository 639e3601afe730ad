// minerwatch — SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the DNS parser: the first input byte picks framing, direction pattern
// and chunk size; the rest is delivered the way the flow layer would (unconsumed bytes kept
// and re-delivered). Every published view is read so ASan sees dangling or out-of-range data.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "protocols/dns/dns_events.h"
#include "protocols/dns/dns_parser.h"

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  mw::ByteView in(data + 1, size - 1);
  (void)mw::dns::ProbeUdp(mw::Direction::kToServer, in);
  (void)mw::dns::ProbeTcp(mw::Direction::kToServer, in);

  FuzzContext ctx;
  ctx.bus_.On<mw::dns::MessageEvent>([](const mw::dns::MessageEvent& e) {
    size_t n = e.qname.size();
    for (char c : e.qname) n += uint8_t(c);
    for (const auto& a : e.answers) {
      for (char c : a.name) n += uint8_t(c);
      for (char c : a.target) n += uint8_t(c);
      n += a.address.bytes()[15];
    }
    g_sink = n;
  });
  const bool tcp = mode & 1;
  mw::dns::DnsParser parser(tcp ? mw::dns::Framing::kLengthPrefixed : mw::dns::Framing::kDatagram);
  const size_t chunk = 1 + (mode >> 2);
  std::vector<uint8_t> pending[2];
  for (size_t pos = 0; pos < in.size(); pos += chunk) {
    const size_t n = std::min(chunk, in.size() - pos);
    const int d = (mode & 2) ? int((pos / chunk) & 1) : 0;
    auto dir = static_cast<mw::Direction>(d);
    auto& buf = pending[d];
    if (!tcp) buf.clear();  // datagrams are never re-delivered
    buf.insert(buf.end(), in.begin() + pos, in.begin() + pos + n);
    mw::ParseResult r = parser.OnData(dir, mw::ByteView(buf.data(), buf.size()), ctx);
    if (r.kind == mw::ParseResult::Kind::kInvalid) return 0;
    if (r.consumed > buf.size()) __builtin_trap();  // contract: never over-consume
    buf.erase(buf.begin(), buf.begin() + r.consumed);
    if (buf.size() > 2 + 65535) __builtin_trap();  // must fit the declared max_buffer
  }
  return 0;
}
