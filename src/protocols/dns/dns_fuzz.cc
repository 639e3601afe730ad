// minerwatch — SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the DNS parser: the first input byte picks framing, direction pattern
// and chunk size; the rest is delivered the way the flow layer would (unconsumed bytes kept
// and re-delivered), with a gap wherever "GAP!" + a direction byte appears. Every published
// view is read so ASan sees dangling or out-of-range data.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "protocols/dns/dns_events.h"
#include "protocols/dns/dns_parser.h"
#include "protocols/parse_test_util.h"

namespace {
volatile size_t g_sink;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  mw::ByteView in(data + 1, size - 1);
  (void)mw::dns::ProbeUdp(mw::Direction::kToServer, in);
  (void)mw::dns::ProbeTcp(mw::Direction::kToServer, in);

  mw::testing::FakeParseContext ctx;
  ctx.bus().On<mw::dns::MessageEvent>([](const mw::dns::MessageEvent& e) {
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
  // One feeder per direction, so that a gap can drop one direction's unconsumed bytes the way
  // the flow layer does. "GAP!" followed by a direction byte in the input marks a gap there.
  constexpr uint32_t kMaxBuffer = 2 + 65535;  // the declared max_buffer
  std::optional<mw::testing::StreamFeeder> feeders[2];
  for (auto& f : feeders) f.emplace(parser, ctx, kMaxBuffer);
  auto breached = [&feeders] {
    for (auto& f : feeders)
      if (f->over_consumed() || f->over_buffer()) return true;
    return false;
  };
  const size_t chunk = 1 + (mode >> 2);
  size_t chunks = 0;
  std::string_view rest(reinterpret_cast<const char*>(in.data()), in.size());
  while (!rest.empty()) {
    const size_t marker = rest.find("GAP!");
    std::string_view piece = rest.substr(0, marker);
    for (size_t pos = 0; pos < piece.size(); pos += chunk, ++chunks) {
      const size_t n = std::min(chunk, piece.size() - pos);
      const int d = (mode & 2) ? int(chunks & 1) : 0;
      const auto* bytes = reinterpret_cast<const uint8_t*>(piece.data()) + pos;
      if (!tcp) {  // datagrams are never re-delivered
        mw::ParseResult r =
            parser.OnData(static_cast<mw::Direction>(d), mw::ByteView(bytes, n), ctx);
        if (r.kind == mw::ParseResult::Kind::kInvalid) return 0;
        if (r.consumed > n) __builtin_trap();
        continue;
      }
      if (!feeders[d]->Feed(static_cast<mw::Direction>(d), bytes, n)) break;
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
