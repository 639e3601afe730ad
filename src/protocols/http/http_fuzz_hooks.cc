// minerwatch — SPDX-License-Identifier: Apache-2.0
// http_fuzz (src/protocols/parser_fuzz.cc): reads every view of the request and response
// events, Suricata buffers and decoded bodies included; "turn" mode changes direction after a
// header block, so requests and responses interleave.
#include "protocols/http/http_events.h"
#include "protocols/parser_fuzz.h"

namespace mw::fuzz {
namespace {

void TouchHeaders(const http::Headers& h) {
  Touch(h.host);
  Touch(h.user_agent);
  Touch(h.content_type);
  Touch(h.x_stratum);
  Touch(h.x_mining_extensions);
}

void TouchBuffers(const http::Buffers& b) {
  for (std::string_view v :
       {b.protocol, b.start_line, b.start, b.header, b.header_raw, b.header_names, b.cookie,
        b.content_type, b.content_len, b.method, b.uri, b.uri_raw, b.host, b.host_raw, b.user_agent,
        b.stat_code, b.stat_msg})
    Touch(v);
}

void TouchBody(ByteView b) {
  Touch(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
}

}  // namespace

ParserFuzzHooks ProtocolFuzzHooks() {
  return {.subscribe =
              [](EventBus& bus) {
                bus.On<http::RequestEvent>([](const http::RequestEvent& e) {
                  Touch(e.method);
                  Touch(e.uri);
                  Touch(e.version);
                  TouchHeaders(e.headers);
                  TouchBuffers(e.buffers);
                  TouchBody(e.body);
                });
                bus.On<http::ResponseEvent>([](const http::ResponseEvent& e) {
                  Touch(e.reason);
                  TouchHeaders(e.headers);
                  TouchBuffers(e.buffers);
                  TouchBody(e.body);  // decoded: the seeds carry gzip/deflate layers
                });
              },
          .turn_after = "\r\n\r\n"};
}

}  // namespace mw::fuzz
