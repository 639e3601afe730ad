// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// HTTP/1.x over TCP, both directions of one flow: requests and responses, keep-alive
// pipelining, Content-Length and chunked bodies, read-until-close response bodies.
//
// A message is published (http::RequestEvent / ResponseEvent) once its body is complete. The
// header fields minerwatch uses are copied into bounded per-direction strings so the header
// bytes can be released while a long body streams; the body is de-chunked into a per-direction
// buffer that keeps the first kMaxBody bytes (body_truncated says when more came).
//
// Limits: a header block over kMaxHeaderBlock raises "http.oversized_headers" and violates. After
// 101 Switching Protocols or a successful CONNECT the flow is a tunnel and is no longer parsed.
// Every anomaly and violation is declared in http_anomalies.h.
//
// Thread-safety: one instance per flow, used by the flow's pipeline thread only.
#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "mw/parse/app_parser.h"
#include "protocols/http/http_events.h"

namespace mw::http {

inline constexpr size_t kMaxHeaderBlock = 16 * 1024;
inline constexpr size_t kMaxBody = 8 * 1024;
// Longest copy kept of one header value or the request URI.
inline constexpr size_t kMaxField = 2048;

class HttpParser final : public AppParser {
 public:
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
    kChunkDataEnd,  // the CRLF after chunk data
    kTrailers,
    kBodyUntilClose,  // response without length: the body ends with the connection
    kIgnore,          // tunnel or lost sync: bytes are no longer HTTP/1.x
  };

  struct Side {
    State state = State::kStartLine;
    size_t scanned = 0;      // header-block bytes already searched for the blank line
    uint64_t remaining = 0;  // body or chunk bytes still expected
    // The message being assembled (owned copies; see class comment).
    std::string method, uri, version, reason, host, user_agent, content_type, x_stratum,
        x_mining_extensions;
    int status = 0;
    int64_t content_length = -1;
    bool chunked = false;
    std::string body;
    bool body_truncated = false;
  };

  // Each returns the bytes consumed from "in", or kNeedMore (keep them) / kFailed (violated).
  static constexpr size_t kNeedMore = ~size_t(0);
  static constexpr size_t kFailed = ~size_t(0) - 1;
  size_t ParseHeaderBlock(Direction dir, std::string_view in, ParseContext& ctx);
  size_t ParseChunkSize(Side& s, std::string_view in, ParseContext& ctx);
  size_t ParseTrailers(Side& s, std::string_view in, ParseContext& ctx);
  void AppendBody(Side& s, std::string_view bytes);
  // The message in "dir" is complete: publish and reset for the next one.
  void Finish(Direction dir, ParseContext& ctx);

  Side sides_[2];
  // Per pipelined request, whether its response has no body (HEAD) or opens a tunnel (CONNECT).
  enum class Expect : uint8_t { kNormal, kNoBody, kTunnel };
  std::array<Expect, 32> expect_{};
  uint8_t expect_head_ = 0, expect_count_ = 0;
  bool confirmed_ = false;
  mutable bool heap_dirty_ = true;  // heap_ needs recounting (see heap_bytes)
  mutable size_t heap_ = 0;
};

// Probe: a request line (method token, space, URI, " HTTP/1.") or a "HTTP/1.x NNN" status line.
ProbeResult ProbeHttp(Direction dir, ByteView first_bytes);

std::unique_ptr<AppParser> CreateHttpParser();

}  // namespace mw::http
