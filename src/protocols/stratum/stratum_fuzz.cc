// minerwatch — SPDX-License-Identifier: Apache-2.0
// Fuzzes the stratum probe, line framing and classifier. Byte 0 picks the chunk size and which
// direction starts; the rest is delivered like the flow layer would (unconsumed bytes
// re-delivered, bounded by max_buffer), alternating directions at each newline.
#include <cstddef>
#include <cstdint>
#include <string>

#include "protocols/parse_test_util.h"
#include "protocols/stratum/stratum_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  using mw::Direction;
  const size_t chunk = 1 + (data[0] & 0x3f) * 7;
  Direction dir = (data[0] & 0x80) ? Direction::kToClient : Direction::kToServer;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  (void)mw::stratum::ProbeStratum(dir, mw::AsBytes(input));

  mw::testing::FakeParseContext ctx;
  size_t events = 0;
  ctx.bus().On<mw::stratum::MessageEvent>([&events](const mw::stratum::MessageEvent& e) {
    events += e.method.size() + e.login.size() + e.algos.size();  // touch the views
  });
  mw::stratum::StratumParser parser;
  mw::testing::StreamFeeder feeder(parser, ctx, uint32_t(mw::stratum::kMaxLine));
  size_t pos = 0;
  while (pos < input.size() && !feeder.dead()) {
    std::string_view piece = input.substr(pos, chunk);
    feeder.Deliver(dir, piece);
    pos += piece.size();
    if (piece.find('\n') != std::string_view::npos)
      dir = dir == Direction::kToServer ? Direction::kToClient : Direction::kToServer;
  }
  if (data[0] & 0x40) parser.OnGap(dir, 10, ctx);
  return 0;
}
