// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "protocols/http/http_parser.h"

#include <algorithm>
#include <cstring>

#include "protocols/http/http_anomalies.h"

namespace mw::http {
namespace {

constexpr size_t kMaxMethod = 20;
constexpr size_t kMaxChunkLine = 1024;
constexpr size_t kProbeMaxRequestLine = 8192;

bool IsMethodChar(char c) { return (c >= 'A' && c <= 'Z') || c == '-' || c == '_'; }
bool IsUriChar(char c) { return c > 0x20 && c < 0x7f; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

bool IEquals(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (Lower(a[i]) != lower[i]) return false;
  return true;
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

void Assign(std::string& dst, std::string_view v) { dst.assign(v.substr(0, kMaxField)); }

// "Example.COM:8080" → "example.com"; "[::1]:80" → "[::1]".
void AssignHost(std::string& dst, std::string_view v) {
  if (!v.empty() && v.front() == '[') {
    size_t close = v.find(']');
    if (close != std::string_view::npos) v = v.substr(0, close + 1);
  } else {
    v = v.substr(0, v.find(':'));
  }
  Assign(dst, v);
  for (char& c : dst) c = Lower(c);
}

// Parses a non-negative decimal; false on anything else or overflow past 2^62.
bool ParseLength(std::string_view v, int64_t* out) {
  if (v.empty() || v.size() > 18) return false;
  int64_t n = 0;
  for (char c : v) {
    if (!IsDigit(c)) return false;
    n = n * 10 + (c - '0');
  }
  *out = n;
  return true;
}

// "ws" is the list of transfer codings; chunked counts only as the final one (RFC 9112 6.1).
bool FinalCodingIsChunked(std::string_view te) {
  size_t comma = te.rfind(',');
  std::string_view last = TrimOws(comma == std::string_view::npos ? te : te.substr(comma + 1));
  return IEquals(last, "chunked");
}

// Returns the line at "in" without its terminator and sets "*next" past "\n"; false if "in" has
// no complete line.
bool NextLine(std::string_view in, size_t from, std::string_view* line, size_t* next) {
  const void* nl = std::memchr(in.data() + from, '\n', in.size() - from);
  if (nl == nullptr) return false;
  size_t end = size_t(static_cast<const char*>(nl) - in.data());
  std::string_view l = in.substr(from, end - from);
  if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
  *line = l;
  *next = end + 1;
  return true;
}

}  // namespace

ParseResult HttpParser::OnData(Direction dir, ByteView bytes, ParseContext& ctx) {
  std::string_view in = AsChars(bytes);
  Side& s = sides_[int(dir)];
  size_t pos = 0;
  while (pos < in.size()) {
    std::string_view rest = in.substr(pos);
    size_t used = 0;
    switch (s.state) {
      case State::kIgnore:
        return ParseResult::Ok(uint32_t(in.size()));
      case State::kStartLine:
        used = ParseHeaderBlock(dir, rest, ctx);
        break;
      case State::kBodyLength:
      case State::kChunkData: {
        used = size_t(std::min<uint64_t>(s.remaining, rest.size()));
        AppendBody(s, rest.substr(0, used));
        s.remaining -= used;
        if (s.remaining == 0) {
          if (s.state == State::kChunkData) {
            s.state = State::kChunkDataEnd;
          } else {
            Finish(dir, ctx);
          }
        }
        break;
      }
      case State::kChunkDataEnd:
        if (rest[0] == '\n') {
          used = 1;
        } else if (rest[0] == '\r') {
          if (rest.size() < 2) {
            used = kNeedMore;
          } else if (rest[1] == '\n') {
            used = 2;
          } else {
            used = kFailed;
          }
        } else {
          used = kFailed;
        }
        if (used == kFailed) {
          Report(ctx, Anomaly::kBadChunk);
          Report(ctx, Violation::kBadChunkEnd);
        } else if (used != kNeedMore) {
          s.state = State::kChunkSize;
        }
        break;
      case State::kChunkSize:
        used = ParseChunkSize(s, rest, ctx);
        break;
      case State::kTrailers:
        used = ParseTrailers(s, rest, ctx);
        break;
      case State::kBodyUntilClose:
        AppendBody(s, rest);
        used = rest.size();
        break;
    }
    if (used == kFailed) return ParseResult::Invalid();
    if (used == kNeedMore) return ParseResult::NeedMore(uint32_t(pos));
    pos += used;
    if (s.state == State::kIgnore) return ParseResult::Ok(uint32_t(in.size()));
  }
  return ParseResult::Ok(uint32_t(pos));
}

size_t HttpParser::ParseHeaderBlock(Direction dir, std::string_view in, ParseContext& ctx) {
  Side& s = sides_[int(dir)];
  heap_dirty_ = true;  // header values may grow their strings
  // Blank lines between pipelined messages are allowed before a request line (RFC 9112 2.2).
  size_t skip = 0;
  while (skip < in.size() && (in[skip] == '\r' || in[skip] == '\n')) ++skip;
  if (skip > 0) {
    s.scanned = 0;
    return skip;
  }
  // Find the blank line that ends the header block, resuming where the last delivery stopped.
  size_t from = s.scanned, next = 0, end = std::string_view::npos;
  std::string_view line;
  while (NextLine(in, from, &line, &next)) {
    if (line.empty()) {
      end = next;
      break;
    }
    from = next;
  }
  if (end == std::string_view::npos) {
    s.scanned = from;
    if (in.size() > kMaxHeaderBlock) {
      Report(ctx, Anomaly::kOversizedHeaders);
      Report(ctx, Violation::kOversizedHeaders);
      return kFailed;
    }
    return kNeedMore;
  }
  s.scanned = 0;
  if (end > kMaxHeaderBlock) {
    Report(ctx, Anomaly::kOversizedHeaders);
    Report(ctx, Violation::kOversizedHeaders);
    return kFailed;
  }

  std::string_view block = in.substr(0, end);
  size_t p = 0;
  NextLine(block, 0, &line, &p);
  const bool is_response = dir == Direction::kToClient;
  if (is_response) {
    // HTTP/1.1 200 OK
    if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || !IsDigit(line[7]) || line[8] != ' ' ||
        !IsDigit(line[9]) || !IsDigit(line[10]) || !IsDigit(line[11]) ||
        (line.size() > 12 && line[12] != ' ')) {
      Report(ctx, Violation::kBadStatusLine);
      return kFailed;
    }
    Assign(s.version, line.substr(0, 8));
    s.status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    Assign(s.reason, line.size() > 13 ? line.substr(13) : std::string_view{});
  } else {
    // GET /path HTTP/1.1
    size_t sp1 = line.find(' ');
    size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    bool ok = sp1 != std::string_view::npos && sp1 > 0 && sp1 <= kMaxMethod &&
              sp2 != std::string_view::npos && sp2 > sp1 + 1;
    if (ok) {
      for (char c : line.substr(0, sp1)) ok &= IsMethodChar(c);
      for (char c : line.substr(sp1 + 1, sp2 - sp1 - 1)) ok &= IsUriChar(c);
      std::string_view v = line.substr(sp2 + 1);
      ok &= v.size() == 8 && v.substr(0, 7) == "HTTP/1." && IsDigit(v[7]);
    }
    if (!ok) {
      Report(ctx, Violation::kBadRequestLine);
      return kFailed;
    }
    Assign(s.method, line.substr(0, sp1));
    Assign(s.uri, line.substr(sp1 + 1, sp2 - sp1 - 1));
    Assign(s.version, line.substr(sp2 + 1));
  }

  bool have_length = false;
  while (NextLine(block, p, &line, &p) && !line.empty()) {
    if (line[0] == ' ' || line[0] == '\t') continue;  // obsolete line folding: ignored
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      Report(ctx, Anomaly::kBadHeader);
      continue;
    }
    std::string_view name = line.substr(0, colon);
    std::string_view value = TrimOws(line.substr(colon + 1));
    switch (Lower(name[0])) {
      case 'h':
        if (IEquals(name, "host")) AssignHost(s.host, value);
        break;
      case 'u':
        if (IEquals(name, "user-agent")) Assign(s.user_agent, value);
        break;
      case 'c':
        if (IEquals(name, "content-type")) {
          Assign(s.content_type, value);
        } else if (IEquals(name, "content-length")) {
          int64_t n;
          if (!ParseLength(value, &n) || (have_length && n != s.content_length)) {
            // Unparseable or conflicting lengths: framing is ambiguous (request smuggling).
            Report(ctx, Anomaly::kBadContentLength);
            Report(ctx, Violation::kBadContentLength);
            return kFailed;
          }
          s.content_length = n;
          have_length = true;
        }
        break;
      case 't':
        if (IEquals(name, "transfer-encoding")) s.chunked = FinalCodingIsChunked(value);
        break;
      case 'x':
        if (IEquals(name, "x-stratum")) {
          Assign(s.x_stratum, value);
        } else if (IEquals(name, "x-mining-extensions")) {
          Assign(s.x_mining_extensions, value);
        }
        break;
      default:
        break;
    }
  }
  if (!confirmed_) {
    confirmed_ = true;
    ctx.Confirm();
  }

  // Decide how the body is framed (RFC 9112 6.3).
  Expect expect = Expect::kNormal;
  if (is_response && expect_count_ > 0) {
    expect = expect_[expect_head_];
    // Interim 1xx responses (100 Continue) precede the final one to the same request.
    if (s.status >= 200 || s.status == 101) {
      expect_head_ = uint8_t((expect_head_ + 1) % expect_.size());
      --expect_count_;
    }
  }
  if (!is_response) {
    Expect e = IEquals(s.method, "head")      ? Expect::kNoBody
               : IEquals(s.method, "connect") ? Expect::kTunnel
                                              : Expect::kNormal;
    if (expect_count_ == expect_.size()) {
      Report(ctx, Anomaly::kTooManyPipelined);
      expect_head_ = uint8_t((expect_head_ + 1) % expect_.size());
      --expect_count_;
    }
    expect_[(expect_head_ + expect_count_) % expect_.size()] = e;
    ++expect_count_;
  }
  if (is_response && (s.status == 101 || (expect == Expect::kTunnel && s.status / 100 == 2))) {
    Finish(dir, ctx);
    sides_[0].state = State::kIgnore;  // both directions now carry the tunnelled protocol
    sides_[1].state = State::kIgnore;
    return end;
  }
  bool no_body = is_response && (s.status / 100 == 1 || s.status == 204 || s.status == 304 ||
                                 expect == Expect::kNoBody);
  if (no_body) {
    Finish(dir, ctx);
  } else if (s.chunked) {
    s.state = State::kChunkSize;
  } else if (s.content_length > 0) {
    s.remaining = uint64_t(s.content_length);
    s.state = State::kBodyLength;
  } else if (is_response && s.content_length < 0) {
    s.state = State::kBodyUntilClose;
  } else {
    Finish(dir, ctx);
  }
  return end;
}

size_t HttpParser::ParseChunkSize(Side& s, std::string_view in, ParseContext& ctx) {
  std::string_view line;
  size_t next;
  if (!NextLine(in, 0, &line, &next)) {
    if (in.size() > kMaxChunkLine) {
      Report(ctx, Anomaly::kBadChunk);
      Report(ctx, Violation::kChunkLineTooLong);
      return kFailed;
    }
    return kNeedMore;
  }
  line = TrimOws(line.substr(0, line.find(';')));
  uint64_t size = 0;
  bool ok = !line.empty() && line.size() <= 15;  // < 2^60: no overflow
  for (char c : line) {
    int v = IsDigit(c) ? c - '0' : (Lower(c) >= 'a' && Lower(c) <= 'f') ? Lower(c) - 'a' + 10 : -1;
    if (v < 0) ok = false;
    size = size * 16 + uint64_t(v < 0 ? 0 : v);
  }
  if (!ok) {
    Report(ctx, Anomaly::kBadChunk);
    Report(ctx, Violation::kBadChunkSize);
    return kFailed;
  }
  if (size == 0) {
    s.state = State::kTrailers;
  } else {
    s.remaining = size;
    s.state = State::kChunkData;
  }
  return next;
}

size_t HttpParser::ParseTrailers(Side& s, std::string_view in, ParseContext& ctx) {
  std::string_view line;
  size_t next;
  if (!NextLine(in, 0, &line, &next)) {
    if (in.size() > kMaxHeaderBlock) {
      Report(ctx, Anomaly::kOversizedHeaders);
      Report(ctx, Violation::kOversizedTrailers);
      return kFailed;
    }
    return kNeedMore;
  }
  if (line.empty()) {
    Direction dir = &s == &sides_[0] ? Direction::kToServer : Direction::kToClient;
    Finish(dir, ctx);
  }
  return next;
}

void HttpParser::AppendBody(Side& s, std::string_view bytes) {
  size_t room = kMaxBody - std::min(kMaxBody, s.body.size());
  if (bytes.size() > room) s.body_truncated = true;
  if (room > 0) {
    s.body.append(bytes.substr(0, room));
    heap_dirty_ = true;
  }
}

void HttpParser::Finish(Direction dir, ParseContext& ctx) {
  Side& s = sides_[int(dir)];
  EventBus& bus = ctx.events();
  Headers h{
      .host = s.host,
      .user_agent = s.user_agent,
      .content_type = s.content_type,
      .content_length = s.content_length,
      .chunked = s.chunked,
      .x_stratum = s.x_stratum,
      .x_mining_extensions = s.x_mining_extensions,
  };
  if (dir == Direction::kToServer) {
    if (bus.HasSubscribers<RequestEvent>())
      bus.Publish(RequestEvent{.flow = ctx.flow(),
                               .method = s.method,
                               .uri = s.uri,
                               .version = s.version,
                               .headers = h,
                               .body = AsBytes(s.body),
                               .body_truncated = s.body_truncated});
  } else if (bus.HasSubscribers<ResponseEvent>()) {
    bus.Publish(ResponseEvent{.flow = ctx.flow(),
                              .status = s.status,
                              .reason = s.reason,
                              .headers = h,
                              .body = AsBytes(s.body),
                              .body_truncated = s.body_truncated});
  }
  // clear() keeps capacity: the next message on this connection does not allocate.
  for (std::string* f : {&s.method, &s.uri, &s.version, &s.reason, &s.host, &s.user_agent,
                         &s.content_type, &s.x_stratum, &s.x_mining_extensions, &s.body})
    f->clear();
  s.status = 0;
  s.content_length = -1;
  s.chunked = false;
  s.body_truncated = false;
  s.remaining = 0;
  s.scanned = 0;
  s.state = State::kStartLine;
}

void HttpParser::OnGap(Direction dir, uint32_t len, ParseContext& ctx) {
  Side& s = sides_[int(dir)];
  switch (s.state) {
    case State::kBodyLength:
      if (len < s.remaining) {  // the hole is inside the body: framing survives
        s.remaining -= len;
        s.body_truncated = true;
        return;
      }
      break;
    case State::kBodyUntilClose:
      s.body_truncated = true;
      return;
    case State::kIgnore:
      return;
    default:
      break;
  }
  Report(ctx, Anomaly::kGap);
  s.state = State::kIgnore;  // message boundaries are lost in this direction
}

void HttpParser::OnEnd(ParseContext& ctx) {
  // A response framed by the connection's end is complete now.
  if (sides_[1].state == State::kBodyUntilClose) Finish(Direction::kToClient, ctx);
}

ProbeResult ProbeHttp(Direction dir, ByteView first_bytes) {
  (void)dir;
  std::string_view s = AsChars(first_bytes);
  constexpr std::string_view kVersion = "HTTP/1.";
  if (s.substr(0, std::min(s.size(), kVersion.size())) == kVersion.substr(0, s.size())) {
    if (s.size() < 12) return ProbeResult::kMaybe;  // "HTTP/1.1 200"
  }
  if (s.size() >= 12 && s.substr(0, 7) == kVersion) {
    return IsDigit(s[7]) && s[8] == ' ' && IsDigit(s[9]) && IsDigit(s[10]) && IsDigit(s[11])
               ? ProbeResult::kYes
               : ProbeResult::kNo;
  }
  size_t i = 0;
  while (i < s.size() && IsMethodChar(s[i])) ++i;
  if (i > kMaxMethod) return ProbeResult::kNo;
  if (i == s.size()) return ProbeResult::kMaybe;
  if (i == 0 || s[i] != ' ') return ProbeResult::kNo;
  size_t j = i + 1;
  while (j < s.size() && IsUriChar(s[j])) ++j;
  if (j == s.size())
    return s.size() < kProbeMaxRequestLine ? ProbeResult::kMaybe : ProbeResult::kNo;
  if (j == i + 1 || s[j] != ' ') return ProbeResult::kNo;
  std::string_view v = s.substr(j + 1);
  if (v.size() < kVersion.size())
    return v == kVersion.substr(0, v.size()) ? ProbeResult::kMaybe : ProbeResult::kNo;
  return v.substr(0, kVersion.size()) == kVersion ? ProbeResult::kYes : ProbeResult::kNo;
}

size_t HttpParser::heap_bytes() const {
  // Asked after every delivery; strings change only in a header block or a body.
  if (!heap_dirty_) return heap_;
  heap_dirty_ = false;
  // capacity() beyond the small-string buffer is what a string holds on the heap.
  // Not constexpr: libstdc++ 12's std::string() is not a constant expression under clang 14.
  const size_t kInline = std::string().capacity();
  size_t n = 0;
  for (const Side& s : sides_) {
    n += s.method.capacity() + s.uri.capacity() + s.version.capacity() + s.reason.capacity() +
         s.host.capacity() + s.user_agent.capacity() + s.content_type.capacity() +
         s.x_stratum.capacity() + s.x_mining_extensions.capacity() + s.body.capacity();
  }
  heap_ = n - 2 * 10 * kInline;
  return heap_;
}

std::unique_ptr<AppParser> CreateHttpParser() { return std::make_unique<HttpParser>(); }

}  // namespace mw::http
