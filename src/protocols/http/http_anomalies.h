// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// What the HTTP parser reports (src/protocols/protocol_counters.h). Responses are read as
// libhtp and browsers read them, so their oddities are anomalies; requests keep strict framing,
// and broken request framing (bad chunks, ambiguous lengths) violates: a stream whose message
// boundaries are lost cannot be parsed on.
#include "protocols/protocol_counters.h"

// X(enum, name, help)
#define MW_HTTP_ANOMALIES(X)                                                                    \
  X(kBadChunk, "http.bad_chunk", "chunked body with a bad size line or no CRLF after a chunk")  \
  X(kOversizedHeaders, "http.oversized_headers", "header or trailer block over 16 KB")          \
  X(kBadHeader, "http.bad_header", "header line without a name and colon, or space before it")  \
  X(kBadContentLength, "http.bad_content_length",                                               \
    "unparseable, junk-carrying or conflicting Content-Length (request smuggling)")             \
  X(kTooManyPipelined, "http.too_many_pipelined",                                               \
    "more than 32 requests awaiting responses: the oldest forgotten")                           \
  X(kGap, "http.gap", "bytes lost outside a Content-Length body: direction no longer parsed")   \
  X(kBadStatusLine, "http.bad_status_line", "status line without HTTP/1.x or a 3-digit status") \
  X(kNoStatusLine, "http.no_status_line", "response without a status line: read as HTTP/0.9")   \
  X(kJunkBeforeStatus, "http.junk_before_status", "a line before the status line: skipped")     \
  X(kFolding, "http.folded_header", "header line continued on the next (obsolete folding)")     \
  X(kTooManyHeaders, "http.too_many_headers", "more than 256 header fields: the rest ignored")  \
  X(kChunkedWithLength, "http.chunked_with_length",                                             \
    "response with Transfer-Encoding chunked and Content-Length: chunked wins")                 \
  X(kUnexpectedBody, "http.unexpected_body",                                                    \
    "bytes after a response that start no new one: read as more of its body")                   \
  X(kBadEncoding, "http.bad_content_encoding",                                                  \
    "compressed body that does not inflate (kept as sent) or is corrupt (kept to the error)")   \
  X(kTooManyEncodings, "http.too_many_encodings",                                               \
    "more Content-Encoding layers than the decompress layer limit: the rest not decoded")

#define MW_HTTP_VIOLATIONS(X)                                                                 \
  X(kBadChunkEnd, "http.bad_chunk_end", "request chunk data not followed by CRLF")            \
  X(kOversizedHeaders, "http.oversized_headers", "header block over 16 KB")                   \
  X(kBadRequestLine, "http.bad_request_line", "request line that is not METHOD URI HTTP/1.x") \
  X(kBadContentLength, "http.bad_content_length",                                             \
    "request Content-Length unparseable or conflicting; response one without digits")         \
  X(kChunkLineTooLong, "http.chunk_line_too_long", "request chunk size line over 1 KB")       \
  X(kBadChunkSize, "http.bad_chunk_size", "request chunk size not hexadecimal below 2^60")    \
  X(kOversizedTrailers, "http.oversized_trailers", "trailer block over 16 KB")

namespace mw::http {
MW_PROTOCOL_COUNTERS(MW_HTTP_ANOMALIES, MW_HTTP_VIOLATIONS);
}  // namespace mw::http
