// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Events the HTTP/1.x parser publishes. Views are valid only during EventBus::Publish.
#include <cstdint>
#include <string_view>

#include "mw/core/byte_view.h"
#include "mw/net/flow_info.h"

namespace mw::http {

// Headers minerwatch cares about; others are skipped without copying.
struct Headers {
  std::string_view host;  // lower-case, port stripped
  std::string_view user_agent;
  std::string_view content_type;
  int64_t content_length = -1;  // -1 when absent
  bool chunked = false;
  std::string_view x_stratum;            // X-Stratum (getwork long-polling pools)
  std::string_view x_mining_extensions;  // X-Mining-Extensions
};

// What Suricata 7's HTTP sticky buffers inspect for one message, with libhtp's semantics.
// Repeated headers are one field, values joined with ", " (the first Content-Length wins);
// a folded header is its lines joined. Fields of the other direction stay empty.
struct Buffers {
  std::string_view protocol;      // http.protocol: "HTTP/1.1"
  std::string_view start_line;    // http.request_line / http.response_line, no line ending
  std::string_view start;         // http.start: start line, headers ("Name: value\r\n"), "\r\n"
  std::string_view header;        // http.header: as http.start's headers, without (Set-)Cookie
  std::string_view header_raw;    // http.header.raw: header lines as sent, blank line included
  std::string_view header_names;  // http.header_names: "\r\nName1\r\nName2\r\n\r\n"
  std::string_view cookie;        // http.cookie: Cookie (requests) or Set-Cookie (responses)
  std::string_view content_type;  // http.content_type
  std::string_view content_len;   // http.content_len: the Content-Length value as sent
  // Requests only.
  std::string_view method;    // http.method
  std::string_view uri;       // http.uri: path percent-decoded, dot segments removed, + query
  std::string_view uri_raw;   // http.uri.raw
  std::string_view host;      // http.host: lower-case, no port, no trailing dot
  std::string_view host_raw;  // http.host.raw: the Host header value
  std::string_view user_agent;
  // Responses only.
  std::string_view stat_code;  // http.stat_code: the status token as sent
  std::string_view stat_msg;   // http.stat_msg
};

struct RequestEvent {
  const FlowInfo& flow;
  std::string_view method;
  std::string_view uri;      // as sent (http.uri.raw)
  std::string_view version;  // "HTTP/1.1"
  Headers headers;
  // The start of the de-chunked body (http.request_body: never decompressed, as in Suricata),
  // up to the parser's request body limit.
  ByteView body;
  bool body_truncated = false;
  Buffers buffers = {};
};

struct ResponseEvent {
  const FlowInfo& flow;
  int status = 0;  // 0 when the status line has no valid status (or there is no status line)
  std::string_view reason;
  Headers headers;
  // http.response_body / file.data: de-chunked and decoded (Content-Encoding gzip/deflate, up
  // to the layer limit), up to the parser's response body limit.
  ByteView body;
  bool body_truncated = false;
  Buffers buffers = {};
};

}  // namespace mw::http
