// minerwatch — SPDX-License-Identifier: Apache-2.0
// Fuzzes the HTTP/1.x probe and parser. Byte 0 picks the chunk size, the starting direction and
// whether a gap or the end of the flow follows; the rest is delivered like the flow layer would,
// switching direction after every blank line so requests and responses interleave.
#include <cstddef>
#include <cstdint>
#include <string>

#include "protocols/http/http_parser.h"
#include "protocols/parse_test_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  using mw::Direction;
  const size_t chunk = 1 + (data[0] & 0x1f) * 11;
  Direction dir = (data[0] & 0x80) ? Direction::kToClient : Direction::kToServer;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  (void)mw::http::ProbeHttp(dir, mw::AsBytes(input));

  mw::testing::FakeParseContext ctx;
  size_t seen = 0;
  ctx.bus().On<mw::http::RequestEvent>([&seen](const mw::http::RequestEvent& e) {
    seen += e.method.size() + e.uri.size() + e.headers.host.size() + e.body.size();
  });
  ctx.bus().On<mw::http::ResponseEvent>([&seen](const mw::http::ResponseEvent& e) {
    seen += e.reason.size() + e.headers.user_agent.size() + e.body.size();
  });
  mw::http::HttpParser parser;
  mw::testing::StreamFeeder feeder(parser, ctx, mw::http::kMaxHeaderBlock + 1024);
  size_t pos = 0;
  while (pos < input.size() && !feeder.dead()) {
    std::string_view piece = input.substr(pos, chunk);
    feeder.Deliver(dir, piece);
    pos += piece.size();
    if (piece.find("\r\n\r\n") != std::string_view::npos)
      dir = dir == Direction::kToServer ? Direction::kToClient : Direction::kToServer;
  }
  if (data[0] & 0x40) parser.OnGap(dir, 7, ctx);
  if (data[0] & 0x20) parser.OnEnd(ctx);
  return 0;
}
