// minerwatch — SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the DNS parser: the first input byte picks framing, direction pattern
// and chunk size; the rest is delivered the way the flow layer would (unconsumed bytes kept
// and re-delivered), with a gap wherever "GAP!" + a direction byte appears. Every published
// view is read so ASan sees dangling or out-of-range data.
#include <algorithm>
#include <cstddef>
#include <cstdint>
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
  // Delivered the way the flow layer does; "GAP!" + a direction byte marks a gap there.
  constexpr uint32_t kMaxBuffer = 2 + 65535;  // the declared max_buffer
  mw::testing::StreamFeeder feeder(parser, ctx, kMaxBuffer);
  const size_t chunk = 1 + (mode >> 2);
  size_t chunks = 0;
  mw::testing::SplitAtGapMarkers(
      std::string_view(reinterpret_cast<const char*>(data + 1), size - 1),
      [&](std::string_view piece) {
        for (size_t pos = 0; pos < piece.size(); pos += chunk, ++chunks) {
          const size_t n = std::min(chunk, piece.size() - pos);
          const auto dir = static_cast<mw::Direction>((mode & 2) ? int(chunks & 1) : 0);
          if (tcp) {
            if (!feeder.Deliver(dir, piece.substr(pos, n))) break;
            continue;
          }
          // Datagrams are never re-delivered.
          mw::ParseResult r = parser.OnData(
              dir, mw::ByteView(reinterpret_cast<const uint8_t*>(piece.data()) + pos, n), ctx);
          if (r.kind == mw::ParseResult::Kind::kInvalid) return false;
          if (r.consumed > n) __builtin_trap();
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
