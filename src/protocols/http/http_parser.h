// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// HTTP/1.x over TCP, both directions of one flow: requests and responses, keep-alive
// pipelining, Content-Length and chunked bodies, read-until-close response bodies.
//
// A message is published (http::RequestEvent / ResponseEvent) once its body is complete, with
// every buffer Suricata's HTTP keywords inspect (http_events.h). The header block is copied
// into a per-direction string and the buffers are views into it or into strings derived from
// it, so they survive while a long body streams; all capacities are reused across messages.
//
// Responses are read the way libhtp (Suricata 7) reads them, which is how browsers read them:
// a status line is whatever starts with "HTTP" (else the bytes are an HTTP/0.9 body), lines end
// at LF or a lone CR, Transfer-Encoding is chunked when it mentions "chunked" and wins over
// Content-Length, the first Content-Length counts and its junk is ignored, a bad chunk size
// turns the rest of the connection into body, bytes after a body that do not start a new
// response belong to it, and Content-Encoding layers are decoded (http_decompress.h). These are
// anomalies, not violations: an IDS must see the body the browser sees. Requests keep strict
// framing: a smuggling attempt there violates.
//
// Limits: a header block over kMaxHeaderBlock raises "http.oversized_headers" and violates;
// bodies are kept up to the options' limits (Suricata's request/response-body-limit). After
// 101 Switching Protocols or a successful CONNECT the flow is a tunnel and is no longer parsed.
// Every anomaly and violation is declared in http_anomalies.h.
//
// Thread-safety: one instance per flow, used by the flow's pipeline thread only.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mw/parse/app_parser.h"
#include "protocols/http/http_decompress.h"
#include "protocols/http/http_events.h"

namespace mw::http {

inline constexpr size_t kMaxHeaderBlock = 16 * 1024;
inline constexpr size_t kDefaultBodyLimit = 100 * 1024;  // Suricata's default body limits
// Most header fields kept per message; later ones count "http.too_many_headers".
inline constexpr size_t kMaxHeaderFields = 256;

struct HttpParserOptions {
  size_t request_body_limit = kDefaultBodyLimit;
  size_t response_body_limit = kDefaultBodyLimit;
  // Suricata's response-body-decompress-layer-limit (0 = no limit, at most
  // ContentDecoder::kMaxLayers layers are decoded).
  int decompress_layer_limit = 2;
};

class HttpParser final : public AppParser {
 public:
  explicit HttpParser(const HttpParserOptions& options = {});
  ParseResult OnData(Direction dir, ByteView bytes, ParseContext& ctx) override;
  void OnGap(Direction dir, uint32_t len, ParseContext& ctx) override;
  void OnEnd(ParseContext& ctx) override;
  size_t heap_bytes() const override;

 private:
  enum class State : uint8_t {
    kStartLine,   // waiting for a complete header block
    kBodyLength,  // Content-Length bytes remain
    kChunkSize,
    kChunkData,
    kChunkDataEnd,  // the line ending after chunk data
    kTrailers,
    kBodyUntilClose,  // response without length: the body ends with the connection
    kFinalize,        // response body done: do the next bytes start a response or extend it?
    kIgnore,          // tunnel or lost sync: bytes are no longer HTTP/1.x
  };

  struct Field {
    std::string_view name, value;
  };

  struct Side {
    State state = State::kStartLine;
    size_t scanned = 0;      // header-block bytes already searched for the blank line
    uint64_t remaining = 0;  // body or chunk bytes still expected
    std::string head;        // start line and header block as sent
    std::string folded;      // values of folded headers (reserved: views stay valid)
    std::string start, header, names, host, uri, cookie;  // derived buffers
    std::vector<Field> fields;                            // in order, repeats kept
    Buffers buf;
    std::string_view version, reason, user_agent, content_type, content_encoding, x_stratum,
        x_mining_extensions;
    int status = 0;
    int64_t content_length = -1;
    bool chunked = false;
    bool junk_line = false;  // kFinalize: inside a line that extends the body
    std::string body;
    bool body_truncated = false;  // bytes lost: over the limit or in a gap
    bool body_full = false;       // the limit is reached: later bytes are not even decoded
    ContentDecoder decoder;       // responses only
  };

  class Sink;

  // Each returns the bytes consumed from "in", or kNeedMore (keep them) / kFailed (violated).
  static constexpr size_t kNeedMore = ~size_t(0);
  static constexpr size_t kFailed = ~size_t(0) - 1;
  size_t ParseHeaderBlock(Direction dir, std::string_view in, ParseContext& ctx);
  size_t ParseNoStatusLine(Side& s, std::string_view in, size_t line_end, ParseContext& ctx);
  bool ParseStartLine(Direction dir, std::string_view line, ParseContext& ctx);
  void ParseFields(Side& s, std::string_view lines, ParseContext& ctx);
  void AddField(Side& s, std::string_view line, ParseContext& ctx);
  void BuildBuffers(Side& s);
  size_t DecideFraming(Direction dir, size_t end, ParseContext& ctx);
  size_t DecideResponseFraming(Side& s, size_t end, ParseContext& ctx);
  // Per pipelined request, whether its response has no body (HEAD) or opens a tunnel (CONNECT).
  enum class Expect : uint8_t { kNormal, kNoBody, kTunnel };
  Expect TakeExpectation(int status);
  size_t ParseChunkSize(Side& s, std::string_view in, ParseContext& ctx);
  size_t ParseResponseChunkSize(Side& s, std::string_view in, ParseContext& ctx);
  static void StartChunk(Side& s, uint64_t size);
  size_t ParseChunkDataEnd(Side& s, std::string_view in, ParseContext& ctx);
  size_t ParseTrailers(Side& s, std::string_view in, ParseContext& ctx);
  size_t ParseFinalize(Side& s, std::string_view in, ParseContext& ctx);
  void AppendBody(Side& s, std::string_view bytes);
  std::string_view Get(const Side& s, std::string_view lower_name) const;
  // The message in "dir" is complete: publish and reset for the next one.
  void Finish(Direction dir, ParseContext& ctx);

  HttpParserOptions options_;
  Side sides_[2];
  std::array<Expect, 32> expect_{};
  uint8_t expect_head_ = 0, expect_count_ = 0;
  bool confirmed_ = false;
  mutable bool heap_dirty_ = true;  // heap_ needs recounting (see heap_bytes)
  mutable size_t heap_ = 0;
};

// Probe: a request line (method token, space, URI, " HTTP/1.") or a "HTTP/1.x NNN" status line.
ProbeResult ProbeHttp(Direction dir, ByteView first_bytes);

std::unique_ptr<AppParser> CreateHttpParser();
std::unique_ptr<AppParser> CreateHttpParser(const HttpParserOptions& options);

// The path of "uri" percent-decoded (%XX; invalid escapes kept) with dot segments removed
// (RFC 3986 5.2.4), then its query as sent: libhtp's default URI normalisation. Absolute URIs
// ("http://host/p") keep only the path and query, as Suricata's http.uri does.
// "scratch" holds the decoded path on the way.
void NormalizeUri(std::string_view uri, std::string* scratch, std::string* out);

}  // namespace mw::http
