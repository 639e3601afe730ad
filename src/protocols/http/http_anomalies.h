// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// What the HTTP parser reports (src/protocols/protocol_counters.h). Broken framing (bad chunks,
// oversized or ambiguous headers) is counted as an anomaly and then violates: a stream whose
// message boundaries are lost cannot be parsed on.
#include "protocols/protocol_counters.h"

// X(enum, name, help)
#define MW_HTTP_ANOMALIES(X)                                                                   \
  X(kBadChunk, "http.bad_chunk", "chunked body with a bad size line or no CRLF after a chunk") \
  X(kOversizedHeaders, "http.oversized_headers", "header or trailer block over 16 KB")         \
  X(kBadHeader, "http.bad_header", "header line without a name and colon: ignored")            \
  X(kBadContentLength, "http.bad_content_length",                                              \
    "unparseable or conflicting Content-Length (request smuggling)")                           \
  X(kTooManyPipelined, "http.too_many_pipelined",                                              \
    "more than 32 requests awaiting responses: the oldest forgotten")                          \
  X(kGap, "http.gap", "bytes lost outside a Content-Length body: direction no longer parsed")

#define MW_HTTP_VIOLATIONS(X)                                                                  \
  X(kBadChunkEnd, "http.bad_chunk_end", "chunk data not followed by CRLF")                     \
  X(kOversizedHeaders, "http.oversized_headers", "header block over 16 KB")                    \
  X(kBadStatusLine, "http.bad_status_line", "response that does not start HTTP/1.x NNN")       \
  X(kBadRequestLine, "http.bad_request_line", "request line that is not METHOD URI HTTP/1.x")  \
  X(kBadContentLength, "http.bad_content_length", "unparseable or conflicting Content-Length") \
  X(kChunkLineTooLong, "http.chunk_line_too_long", "chunk size line over 1 KB")                \
  X(kBadChunkSize, "http.bad_chunk_size", "chunk size that is not hexadecimal below 2^60")     \
  X(kOversizedTrailers, "http.oversized_trailers", "trailer block over 16 KB")

namespace mw::http {
MW_PROTOCOL_COUNTERS(MW_HTTP_ANOMALIES, MW_HTTP_VIOLATIONS);
}  // namespace mw::http
