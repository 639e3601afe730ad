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
bool IsLws(char c) { return c == ' ' || c == '\t'; }
// A header line starting with one of these continues the previous one (NUL: as libhtp and
// browsers read it).
bool IsFolding(char c) { return IsLws(c) || c == '\0'; }
// libhtp's htp_is_space (C isspace).
bool IsSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
// What libhtp skips around a chunk size: CR LF SP HT VT FF.
bool IsChunkCtl(char c) { return IsSpace(c); }
int HexValue(char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

// Case-insensitive; NUL bytes in "a" are skipped, as libhtp's header lookups let them be.
bool IEquals(std::string_view a, std::string_view lower) {
  size_t j = 0;
  for (char c : a) {
    if (c == '\0') continue;
    if (j == lower.size() || Lower(c) != lower[j]) return false;
    ++j;
  }
  return j == lower.size();
}

bool IEqualsBoth(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  for (;; ++i, ++j) {
    while (i < a.size() && a[i] == '\0') ++i;
    while (j < b.size() && b[j] == '\0') ++j;
    if (i == a.size() || j == b.size()) return i == a.size() && j == b.size();
    if (Lower(a[i]) != Lower(b[j])) return false;
  }
}

// Case-insensitive search that skips NUL bytes of "v" (libhtp's ..._nocasenorzero).
bool ContainsNoCaseNoZero(std::string_view v, std::string_view lower) {
  for (size_t i = 0; i < v.size(); ++i) {
    size_t k = 0, j = i;
    while (j < v.size() && k < lower.size()) {
      if (v[j] != '\0') {
        if (Lower(v[j]) != lower[k]) break;
        ++k;
      }
      ++j;
    }
    if (k == lower.size()) return true;
  }
  return false;
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::string_view TrimLws(std::string_view s) {
  while (!s.empty() && IsLws(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsLws(s.back())) s.remove_suffix(1);
  return s;
}

// libhtp's htp_chomp: every trailing CR and LF.
std::string_view Chomp(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

// "Example.COM.:8080" → "example.com"; "[::1]:80" → "[::1]".
void AssignHost(std::string& dst, std::string_view v) {
  if (!v.empty() && v.front() == '[') {
    size_t close = v.find(']');
    if (close != std::string_view::npos) v = v.substr(0, close + 1);
  } else {
    v = v.substr(0, v.find(':'));
  }
  while (!v.empty() && v.back() == '.') v.remove_suffix(1);
  dst.assign(v);
  for (char& c : dst) c = Lower(c);
}

// Strict non-negative decimal (requests); false on anything else or overflow past 2^62.
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

// libhtp's htp_parse_content_length: junk before the digits skipped, junk after ignored; -1 when
// there are no digits (or more than fit).
int64_t ParseLengthLenient(std::string_view v, bool* junk) {
  size_t i = 0;
  while (i < v.size() && !IsDigit(v[i])) ++i;
  size_t j = i;
  int64_t n = 0;
  while (j < v.size() && IsDigit(v[j]) && j - i < 18) n = n * 10 + (v[j++] - '0');
  if (j == i || (j < v.size() && IsDigit(v[j]))) return -1;
  *junk = i > 0 || j < v.size();
  return n;
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

// Sets "*end" past the line that starts at "from", by libhtp's header-line rules: LF (and a CR
// right after it), CRLF or a lone CR end a line; a CR before another CR belongs to the line; a
// lone CR with nothing before it joins the next line. False while the line is incomplete.
bool LineEnd(std::string_view in, size_t from, size_t* end) {
  for (size_t i = from; i < in.size(); ++i) {
    if (in[i] == '\n') {
      *end = i + 1 < in.size() && in[i + 1] == '\r' ? i + 2 : i + 1;
      return true;
    }
    if (in[i] != '\r') continue;
    if (i + 1 == in.size()) return false;
    if (in[i + 1] == '\n') {
      *end = i + 2;
      return true;
    }
    if (in[i + 1] == '\r' || i == from) continue;
    *end = i + 1;
    return true;
  }
  return false;
}

// The blank line that ends a header block (libhtp's htp_connp_is_line_terminator); a line of
// one space or tab ends it too unless an LF follows at once.
bool IsTerminator(std::string_view in, size_t from, size_t end) {
  std::string_view l = in.substr(from, end - from);
  if (l == "\n" || l == "\r" || l == "\r\n") return true;
  return l.size() == 2 && IsLws(l[0]) && l[1] == '\n' && end < in.size() && in[end] != '\n';
}

// "\n\r" "\r\n" "\r\n" is two line ends to libhtp, not three: after a header line ended by
// LF CR, a CRLF blank line swallows the CRLF after it.
size_t SkipLfCrEnding(std::string_view in, size_t from, size_t end) {
  if (from < 2 || in.substr(from - 2, 2) != "\n\r" || in.substr(from, end - from) != "\r\n")
    return end;
  if (end < in.size() && in[end] == '\r') ++end;
  if (end < in.size() && in[end] == '\n') ++end;
  return end;
}

// White space and NULs only: browsers skip such lines before a status line.
bool IsBlank(std::string_view line) {
  for (char c : line)
    if (!IsSpace(c) && c != '\0') return false;
  return true;
}

// libhtp's htp_treat_response_line_as_body, inverted: browsers take a line as a status line
// when it starts (after white space and NULs) with "HTTP", in any case.
bool LooksLikeStatusLine(std::string_view line) {
  size_t p = 0;
  while (p < line.size() && (IsSpace(line[p]) || line[p] == '\0')) ++p;
  return line.size() >= p + 4 && IEquals(line.substr(p, 4), "http");
}

// A status token of three digits 100..999, white space around allowed; 0 otherwise.
int ParseStatus(std::string_view v) {
  v = TrimLws(v);
  if (v.size() != 3 || !IsDigit(v[0]) || !IsDigit(v[1]) || !IsDigit(v[2])) return 0;
  int n = (v[0] - '0') * 100 + (v[1] - '0') * 10 + (v[2] - '0');
  return n >= 100 ? n : 0;
}

std::string_view TakeToken(std::string_view line, size_t* p) {
  while (*p < line.size() && (IsSpace(line[*p]) || line[*p] == '\0')) ++*p;
  size_t start = *p;
  while (*p < line.size() && !IsSpace(line[*p])) ++*p;
  return line.substr(start, *p - start);
}

// "http://user@Host:80/p" → "Host:80"; empty for a URI without an authority.
std::string_view UriAuthority(std::string_view uri) {
  size_t scheme = uri.find("://");
  if (scheme == std::string_view::npos || scheme == 0 || uri.find('/') < scheme) return {};
  std::string_view auth = uri.substr(scheme + 3);
  auth = auth.substr(0, auth.find_first_of("/?#"));
  size_t at = auth.rfind('@');
  return at == std::string_view::npos ? auth : auth.substr(at + 1);
}

// Appends "p" without its dot segments (RFC 3986 5.2.4).
void RemoveDotSegments(std::string_view in, std::string* out) {
  const size_t base = out->size();
  auto pop = [&] {
    size_t slash = out->rfind('/');
    out->resize(slash == std::string::npos || slash < base ? base : slash);
  };
  while (!in.empty()) {
    if (in.starts_with("../")) {
      in.remove_prefix(3);
    } else if (in.starts_with("./")) {
      in.remove_prefix(2);
    } else if (in.starts_with("/./")) {
      in.remove_prefix(2);
    } else if (in == "/.") {
      in = in.substr(0, 1);
    } else if (in.starts_with("/../")) {
      in.remove_prefix(3);
      pop();
    } else if (in == "/..") {
      in = in.substr(0, 1);
      pop();
    } else if (in == "." || in == "..") {
      in = {};
    } else {
      size_t next = in.find('/', 1);
      if (next == std::string_view::npos) next = in.size();
      out->append(in.substr(0, next));
      in.remove_prefix(next);
    }
  }
}

}  // namespace

void NormalizeUri(std::string_view uri, std::string* scratch, std::string* out) {
  out->clear();
  // Absolute form: Suricata's http.uri is the path and query only.
  size_t scheme = uri.find("://");
  if (scheme != std::string_view::npos && scheme > 0 && uri.find('/') > scheme) {
    size_t path = uri.find('/', scheme + 3);
    uri = path == std::string_view::npos ? std::string_view("/") : uri.substr(path);
  }
  size_t q = uri.find('?');
  std::string_view path = uri.substr(0, q);
  scratch->clear();
  for (size_t i = 0; i < path.size(); ++i) {
    int hi = 0, lo = 0;
    if (path[i] == '%' && i + 2 < path.size() && (hi = HexValue(path[i + 1])) >= 0 &&
        (lo = HexValue(path[i + 2])) >= 0) {
      scratch->push_back(char(hi * 16 + lo));
      i += 2;
    } else {
      scratch->push_back(path[i]);
    }
  }
  RemoveDotSegments(*scratch, out);
  if (q != std::string_view::npos) out->append(uri.substr(q));
}

// Where de-chunked body bytes go: the side's body string, up to its limit.
class HttpParser::Sink final : public BodySink {
 public:
  Sink(Side& s, size_t limit) : s_(s), limit_(limit) {}
  bool Take(ByteView bytes) override {
    size_t room = limit_ - std::min(limit_, s_.body.size());
    if (bytes.size() > room) s_.body_truncated = s_.body_full = true;
    s_.body.append(AsChars(bytes).substr(0, room));
    return !s_.body_full;
  }

 private:
  Side& s_;
  size_t limit_;
};

HttpParser::HttpParser(const HttpParserOptions& options) : options_(options) {}

ParseResult HttpParser::OnData(Direction dir, ByteView bytes, ParseContext& ctx) {
  std::string_view in = AsChars(bytes);
  Side& s = sides_[int(dir)];
  const bool is_response = dir == Direction::kToClient;
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
          } else if (is_response) {
            s.state = State::kFinalize;
          } else {
            Finish(dir, ctx);
          }
        }
        break;
      }
      case State::kChunkDataEnd:
        used = ParseChunkDataEnd(s, rest, ctx);
        if (used == kFailed) {
          Report(ctx, Anomaly::kBadChunk);
          Report(ctx, Violation::kBadChunkEnd);
        }
        break;
      case State::kChunkSize:
        used = is_response ? ParseResponseChunkSize(s, rest, ctx) : ParseChunkSize(s, rest, ctx);
        break;
      case State::kTrailers:
        used = ParseTrailers(s, rest, ctx);
        break;
      case State::kBodyUntilClose:
        AppendBody(s, rest);
        used = rest.size();
        break;
      case State::kFinalize:
        used = ParseFinalize(s, rest, ctx);
        break;
    }
    if (used == kFailed) return ParseResult::Invalid();
    if (used == kNeedMore) return ParseResult::NeedMore(uint32_t(pos));
    pos += used;
    if (s.state == State::kIgnore) return ParseResult::Ok(uint32_t(in.size()));
    // libhtp completes a response whose body ends with the delivered bytes at once.
    if (s.state == State::kFinalize && pos == in.size()) Finish(dir, ctx);
  }
  return ParseResult::Ok(uint32_t(pos));
}

size_t HttpParser::ParseHeaderBlock(Direction dir, std::string_view in, ParseContext& ctx) {
  Side& s = sides_[int(dir)];
  const bool is_response = dir == Direction::kToClient;
  heap_dirty_ = true;  // the header copies may grow
  // Blank lines between messages are skipped (RFC 9112 2.2; libhtp's ignorable lines).
  size_t skip = 0;
  while (skip < in.size() && (in[skip] == '\n' || (in[skip] == '\r' && skip + 1 < in.size() &&
                                                   (in[skip + 1] == '\n' || !is_response))))
    skip += in[skip] == '\r' && in[skip + 1] == '\n' ? 2 : 1;
  if (skip > 0) {
    s.scanned = 0;
    return skip;
  }
  size_t first_end = 0, end = std::string_view::npos, next = 0;
  bool have_first = LineEnd(in, 0, &first_end);
  if (is_response) {
    if (have_first && IsBlank(in.substr(0, first_end))) return first_end;  // before a status
    // Without a line end yet, four bytes are enough to tell a status line from a body.
    if (!have_first && !LooksLikeStatusLine(in) && !IsBlank(in) && in.size() >= 16)
      return ParseNoStatusLine(s, in, in.size(), ctx);
    if (have_first && !LooksLikeStatusLine(in.substr(0, first_end)))
      return ParseNoStatusLine(s, in, first_end, ctx);
  }
  // Find the blank line that ends the header block, resuming where the last delivery stopped.
  size_t from = std::max(s.scanned, first_end);
  while (have_first && LineEnd(in, from, &next)) {
    if (IsTerminator(in, from, next)) {
      end = SkipLfCrEnding(in, from, next);
      break;
    }
    from = next;
  }
  if (end == std::string_view::npos) {
    s.scanned = have_first ? from : 0;
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
  s.head.assign(in.substr(0, end));
  std::string_view head = s.head;
  if (!ParseStartLine(dir, Chomp(head.substr(0, first_end)), ctx)) return kFailed;
  s.buf.header_raw = head.substr(first_end);
  ParseFields(s, head.substr(first_end, from - first_end), ctx);
  BuildBuffers(s);
  if (!confirmed_) {
    confirmed_ = true;
    ctx.Confirm();
  }
  return DecideFraming(dir, end, ctx);
}

// A response whose first line is not a status line: browsers (and libhtp) read the bytes as an
// HTTP/0.9 body that lasts until the connection closes.
size_t HttpParser::ParseNoStatusLine(Side& s, std::string_view in, size_t line_end,
                                     ParseContext& ctx) {
  // libhtp drops such a line when a status line seems to follow it.
  if (line_end < in.size() && (in[line_end] == 'H' || line_end <= 2)) {
    Report(ctx, Anomaly::kJunkBeforeStatus);
    return line_end;
  }
  Report(ctx, Anomaly::kNoStatusLine);
  if (expect_count_ > 0) {
    expect_head_ = uint8_t((expect_head_ + 1) % expect_.size());
    --expect_count_;
  }
  s.head.clear();
  s.buf = {};
  s.status = 0;
  s.state = State::kBodyUntilClose;
  AppendBody(s, in.substr(0, line_end));
  return line_end;
}

bool HttpParser::ParseStartLine(Direction dir, std::string_view line, ParseContext& ctx) {
  Side& s = sides_[int(dir)];
  s.buf = {};
  s.buf.start_line = line;
  if (dir == Direction::kToClient) {
    // libhtp's generic response line: protocol, status, message, split at white space.
    size_t p = 0;
    s.buf.protocol = s.version = TakeToken(line, &p);
    s.buf.stat_code = TakeToken(line, &p);
    while (p < line.size() && IsSpace(line[p])) ++p;
    s.buf.stat_msg = s.reason = line.substr(p);
    s.status = ParseStatus(s.buf.stat_code);
    if (s.status == 0 || !s.version.starts_with("HTTP/1.") || s.version.size() != 8)
      Report(ctx, Anomaly::kBadStatusLine);
    return true;
  }
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
    return false;
  }
  s.buf.method = line.substr(0, sp1);
  s.buf.uri_raw = line.substr(sp1 + 1, sp2 - sp1 - 1);
  s.buf.protocol = s.version = line.substr(sp2 + 1);
  NormalizeUri(s.buf.uri_raw, &s.folded, &s.uri);
  return true;
}

// Splits the header lines into fields the way libhtp does: a line starting with white space
// continues the previous field (unless, in HTTP/1.1, both look like "name: value": browsers
// then read a new field), and a continuation with nothing before it is a field of its own.
void HttpParser::ParseFields(Side& s, std::string_view lines, ParseContext& ctx) {
  s.fields.clear();
  s.folded.clear();
  s.folded.reserve(lines.size());  // folded values are views into it: never reallocated below
  std::string_view pending;
  bool have = false;
  auto flush = [&] {
    if (have) AddField(s, pending, ctx);
    have = false;
  };
  size_t p = 0, next = 0;
  while (p < lines.size() && LineEnd(lines, p, &next)) {
    std::string_view line = Chomp(lines.substr(p, next - p));
    p = next;
    if (line.empty()) continue;
    if (!IsFolding(line[0])) {
      flush();
      pending = line;
      have = true;
      continue;
    }
    Report(ctx, Anomaly::kFolding);
    if (!have) {
      while (!line.empty() && IsFolding(line[0])) line.remove_prefix(1);
      pending = line;
      have = true;
    } else if (line.find(':') != std::string_view::npos &&
               pending.find(':') != std::string_view::npos && s.version == "HTTP/1.1") {
      flush();
      pending = line.substr(1);
      have = true;
    } else {
      const char* tail = s.folded.data() + s.folded.size();
      if (pending.data() + pending.size() != tail || pending.empty()) {
        size_t at = s.folded.size();
        s.folded.append(pending);
        pending = std::string_view(s.folded).substr(at);
      }
      s.folded.append(line);
      pending = std::string_view(pending.data(), pending.size() + line.size());
    }
  }
  flush();
}

void HttpParser::AddField(Side& s, std::string_view line, ParseContext& ctx) {
  if (s.fields.size() == kMaxHeaderFields) {
    Report(ctx, Anomaly::kTooManyHeaders);
    return;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    // libhtp keeps it as a field without a name: it matches no header keyword.
    Report(ctx, Anomaly::kBadHeader);
    s.fields.push_back({{}, TrimLws(colon == 0 ? line.substr(1) : line)});
    return;
  }
  std::string_view name = line.substr(0, colon);
  // White space and control bytes before the colon are dropped (libhtp; browsers agree).
  while (!name.empty() && uint8_t(name.back()) <= 0x20) name.remove_suffix(1);
  if (name.size() != colon) Report(ctx, Anomaly::kBadHeader);
  s.fields.push_back({name, TrimLws(line.substr(colon + 1))});
}

std::string_view HttpParser::Get(const Side& s, std::string_view lower_name) const {
  for (const Field& f : s.fields)
    if (IEquals(f.name, lower_name)) return f.value;
  return {};
}

// http.start, http.header, http.header_names and http.cookie from the fields: repeated names
// are one field, values joined with ", " (Content-Length keeps its first value), in the order
// names first appear.
void HttpParser::BuildBuffers(Side& s) {
  const bool is_response = &s == &sides_[1];
  const std::string_view cookie_name = is_response ? "set-cookie" : "cookie";
  s.start.assign(s.buf.start_line);
  s.start.append("\r\n");
  s.header.clear();
  s.names.assign("\r\n");
  s.cookie.clear();
  size_t ua_at = 0, ua_len = 0, ct_at = 0, ct_len = 0, ce_at = 0, ce_len = 0;
  for (size_t i = 0; i < s.fields.size(); ++i) {
    const Field& f = s.fields[i];
    bool seen = false;
    for (size_t j = 0; j < i && !seen; ++j) seen = IEqualsBoth(s.fields[j].name, f.name);
    if (seen) continue;
    const bool is_cookie = IEquals(f.name, cookie_name);
    const bool first_only = IEquals(f.name, "content-length");
    std::string& out = is_cookie ? s.cookie : s.header;
    if (!is_cookie) out.append(f.name).append(": ");
    const size_t at = out.size();
    out.append(f.value);
    for (size_t j = i + 1; j < s.fields.size() && !first_only; ++j)
      if (IEqualsBoth(s.fields[j].name, f.name)) out.append(", ").append(s.fields[j].value);
    if (IEquals(f.name, "user-agent")) ua_at = at, ua_len = out.size() - at;
    if (IEquals(f.name, "content-type")) ct_at = at, ct_len = out.size() - at;
    if (IEquals(f.name, "content-encoding")) ce_at = at, ce_len = out.size() - at;
    if (!is_cookie) out.append("\r\n");
    s.names.append(f.name).append("\r\n");
    if (is_cookie) {
      s.start.append(f.name).append(": ").append(s.cookie).append("\r\n");
    } else {
      s.start.append(std::string_view(s.header).substr(at - f.name.size() - 2));
    }
  }
  s.start.append("\r\n");
  s.names.append("\r\n");
  Buffers& b = s.buf;
  b.start = s.start;
  b.header = s.header;
  b.header_names = s.names;
  b.cookie = s.cookie;
  b.user_agent = s.user_agent = std::string_view(s.header).substr(ua_at, ua_len);
  b.content_type = s.content_type = std::string_view(s.header).substr(ct_at, ct_len);
  s.content_encoding = std::string_view(s.header).substr(ce_at, ce_len);
  b.content_len = Get(s, "content-length");
  b.host_raw = Get(s, "host");
  // libhtp takes the host of an absolute request URI over the Host header.
  std::string_view uri_host = UriAuthority(b.uri_raw);
  AssignHost(s.host, uri_host.empty() ? b.host_raw : uri_host);
  b.host = s.host;
  b.uri = s.uri;
  s.x_stratum = Get(s, "x-stratum");
  s.x_mining_extensions = Get(s, "x-mining-extensions");
}

size_t HttpParser::DecideFraming(Direction dir, size_t end, ParseContext& ctx) {
  Side& s = sides_[int(dir)];
  if (dir == Direction::kToClient) return DecideResponseFraming(s, end, ctx);
  // Requests: ambiguous framing is a smuggling sign and violates (RFC 9112 6.3).
  for (const Field& f : s.fields) {
    if (IEquals(f.name, "transfer-encoding")) s.chunked = FinalCodingIsChunked(f.value);
    if (!IEquals(f.name, "content-length")) continue;
    int64_t n;
    if (!ParseLength(f.value, &n) || (s.content_length >= 0 && n != s.content_length)) {
      Report(ctx, Anomaly::kBadContentLength);
      Report(ctx, Violation::kBadContentLength);
      return kFailed;
    }
    s.content_length = n;
  }
  Expect e = IEquals(s.buf.method, "head")      ? Expect::kNoBody
             : IEquals(s.buf.method, "connect") ? Expect::kTunnel
                                                : Expect::kNormal;
  if (expect_count_ == expect_.size()) {
    Report(ctx, Anomaly::kTooManyPipelined);
    expect_head_ = uint8_t((expect_head_ + 1) % expect_.size());
    --expect_count_;
  }
  expect_[(expect_head_ + expect_count_) % expect_.size()] = e;
  ++expect_count_;
  if (s.chunked) {
    s.state = State::kChunkSize;
  } else if (s.content_length > 0) {
    s.remaining = uint64_t(s.content_length);
    s.state = State::kBodyLength;
  } else {
    Finish(dir, ctx);
  }
  return end;
}

// The request a response answers: what its method expects of the response.
HttpParser::Expect HttpParser::TakeExpectation(int status) {
  if (expect_count_ == 0) return Expect::kNormal;
  Expect e = expect_[expect_head_];
  // Interim 1xx responses (100 Continue) precede the final one to the same request.
  if (status >= 200 || status == 101 || status == 0) {
    expect_head_ = uint8_t((expect_head_ + 1) % expect_.size());
    --expect_count_;
  }
  return e;
}

// libhtp's htp_connp_RES_BODY_DETERMINE.
size_t HttpParser::DecideResponseFraming(Side& s, size_t end, ParseContext& ctx) {
  const Expect expect = TakeExpectation(s.status);
  if (s.status == 101 || (expect == Expect::kTunnel && s.status / 100 == 2)) {
    Finish(Direction::kToClient, ctx);
    sides_[0].state = State::kIgnore;  // both directions now carry the tunnelled protocol
    sides_[1].state = State::kIgnore;
    return end;
  }
  const std::string_view cl = Get(s, "content-length");
  bool te = false, cl_repeated = false, have_cl = false;
  for (const Field& f : s.fields) {
    if (IEquals(f.name, "transfer-encoding"))
      te = true, s.chunked |= ContainsNoCaseNoZero(f.value, "chunked");
    if (IEquals(f.name, "content-length")) {
      cl_repeated |= have_cl && f.value != cl;
      have_cl = true;
    }
  }
  if (cl_repeated) Report(ctx, Anomaly::kBadContentLength);
  bool cl_junk = false;
  if (have_cl) s.content_length = ParseLengthLenient(cl, &cl_junk);
  // Repeated Content-Encoding fields are one list, as libhtp reads them. Set up even without a
  // body: bytes after the headers may still become one (kFinalize).
  if (s.decoder.Start(s.content_encoding, options_.decompress_layer_limit)) heap_dirty_ = true;
  if (s.decoder.outcome().layer_limit) Report(ctx, Anomaly::kTooManyEncodings);
  const bool no_body_status = s.status / 100 == 1 || s.status == 204 || s.status == 304;
  // Browsers read a body after a 1xx/204/304 when the headers frame one.
  if (expect == Expect::kNoBody || (no_body_status && !te && !have_cl)) {
    if (s.status / 100 == 1) {
      Finish(Direction::kToClient, ctx);
    } else {
      s.state = State::kFinalize;
    }
  } else if (s.chunked) {
    if (have_cl) Report(ctx, Anomaly::kChunkedWithLength);
    s.state = State::kChunkSize;
  } else if (have_cl) {
    if (cl_junk || s.content_length < 0) Report(ctx, Anomaly::kBadContentLength);
    if (s.content_length < 0) {
      Report(ctx, Violation::kBadContentLength);
      return kFailed;
    }
    s.remaining = uint64_t(s.content_length);
    s.state = s.content_length > 0 ? State::kBodyLength : State::kFinalize;
  } else {
    s.state = State::kBodyUntilClose;
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
    int v = HexValue(c);
    if (v < 0) ok = false;
    size = size * 16 + uint64_t(v < 0 ? 0 : v);
  }
  if (!ok) {
    Report(ctx, Anomaly::kBadChunk);
    Report(ctx, Violation::kBadChunkSize);
    return kFailed;
  }
  StartChunk(s, size);
  return next;
}

// A chunk size line was read: a zero size starts the trailers, any other the chunk's data.
void HttpParser::StartChunk(Side& s, uint64_t size) {
  if (size == 0) {
    s.state = State::kTrailers;
  } else {
    s.remaining = size;
    s.state = State::kChunkData;
  }
}

// libhtp's htp_connp_RES_BODY_CHUNKED_LENGTH: white space and control characters around the
// size are skipped, junk after its hex digits ignored, an empty line skipped; a line that is no
// chunk size at all makes the rest of the connection the body, as browsers read it.
size_t HttpParser::ParseResponseChunkSize(Side& s, std::string_view in, ParseContext& ctx) {
  size_t q = 0;
  while (q < in.size() && IsChunkCtl(in[q]) && in[q] != '\n') ++q;
  const void* nl = std::memchr(in.data(), '\n', in.size());
  const bool junk_first = q < in.size() && in[q] != '\n' && HexValue(in[q]) < 0;
  if (nl == nullptr) {
    if ((junk_first && in.size() >= 8) || in.size() > kMaxChunkLine) {
      Report(ctx, Anomaly::kBadChunk);
      s.state = State::kBodyUntilClose;
      return 0;
    }
    return kNeedMore;
  }
  const size_t next = size_t(static_cast<const char*>(nl) - in.data()) + 1;
  if (q + 1 == next) return next;  // an empty line: libhtp reads on
  size_t digits = q;
  uint64_t size = 0;
  while (digits < next && HexValue(in[digits]) >= 0 && digits - q < 15)
    size = size * 16 + uint64_t(HexValue(in[digits++]));
  if (digits == q || HexValue(in[digits]) >= 0) {
    Report(ctx, Anomaly::kBadChunk);
    s.state = State::kBodyUntilClose;
    return 0;
  }
  std::string_view after = Chomp(in.substr(digits, next - digits));
  if (!TrimLws(after).empty() && TrimLws(after)[0] != ';') Report(ctx, Anomaly::kBadChunk);
  StartChunk(s, size);
  return next;
}

// The line ending after chunk data. Requests: CRLF or LF, else violates. Responses (libhtp):
// everything up to the next LF is skipped.
size_t HttpParser::ParseChunkDataEnd(Side& s, std::string_view in, ParseContext& ctx) {
  const bool is_response = &s == &sides_[1];
  if (!is_response) {
    if (in[0] == '\n') {
      s.state = State::kChunkSize;
      return 1;
    }
    if (in[0] != '\r') return kFailed;
    if (in.size() < 2) return kNeedMore;
    if (in[1] != '\n') return kFailed;
    s.state = State::kChunkSize;
    return 2;
  }
  const void* nl = std::memchr(in.data(), '\n', in.size());
  size_t n = nl == nullptr ? in.size() : size_t(static_cast<const char*>(nl) - in.data()) + 1;
  for (size_t i = 0; i < n; ++i) {
    if (in[i] != '\r' && in[i] != '\n') {
      Report(ctx, Anomaly::kBadChunk);
      break;
    }
  }
  if (nl != nullptr) s.state = State::kChunkSize;
  return n;
}

size_t HttpParser::ParseTrailers(Side& s, std::string_view in, ParseContext& ctx) {
  const bool is_response = &s == &sides_[1];
  size_t next = 0;
  bool done = false;
  if (is_response) {
    if (!LineEnd(in, 0, &next)) next = 0;
    done = next > 0 && IsTerminator(in, 0, next);
  } else {
    std::string_view line;
    if (!NextLine(in, 0, &line, &next)) next = 0;
    done = next > 0 && line.empty();
  }
  if (next == 0) {
    if (in.size() > kMaxHeaderBlock) {
      Report(ctx, Anomaly::kOversizedHeaders);
      Report(ctx, Violation::kOversizedTrailers);
      return kFailed;
    }
    return kNeedMore;
  }
  if (done) {
    if (is_response) {
      s.state = State::kFinalize;
    } else {
      Finish(Direction::kToServer, ctx);
    }
  }
  return next;
}

// libhtp's htp_connp_RES_FINALIZE: after a response, a line that does not start a new response
// ("HTTP...") is more of its body.
size_t HttpParser::ParseFinalize(Side& s, std::string_view in, ParseContext& ctx) {
  const void* nl = std::memchr(in.data(), '\n', in.size());
  const size_t line =
      nl == nullptr ? in.size() : size_t(static_cast<const char*>(nl) - in.data()) + 1;
  if (!s.junk_line) {
    size_t p = 0;
    while (p < line && (IsSpace(in[p]) || in[p] == '\0')) ++p;
    if (nl == nullptr && line < p + 4 && in.size() < 64) return kNeedMore;
    if (LooksLikeStatusLine(in.substr(0, line))) {
      Finish(Direction::kToClient, ctx);
      return 0;
    }
    Report(ctx, Anomaly::kUnexpectedBody);
    s.junk_line = true;
  }
  AppendBody(s, in.substr(0, line));
  if (nl != nullptr) s.junk_line = false;
  return line;
}

void HttpParser::AppendBody(Side& s, std::string_view bytes) {
  const bool is_response = &s == &sides_[1];
  Sink sink(s, is_response ? options_.response_body_limit : options_.request_body_limit);
  if (s.body_full || bytes.empty()) return;  // the limit is reached: drop, do not decode
  heap_dirty_ = true;
  if (s.decoder.active()) {
    s.decoder.Feed(AsBytes(bytes), sink);
  } else {
    sink.Take(AsBytes(bytes));
  }
}

void HttpParser::Finish(Direction dir, ParseContext& ctx) {
  Side& s = sides_[int(dir)];
  if (s.decoder.active()) {
    Sink sink(s, options_.response_body_limit);
    s.decoder.Finish(sink);
    const ContentDecoder::Outcome& o = s.decoder.outcome();
    if (o.corrupt || o.passthrough) Report(ctx, Anomaly::kBadEncoding);
  }
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
                               .method = s.buf.method,
                               .uri = s.buf.uri_raw,
                               .version = s.version,
                               .headers = h,
                               .body = AsBytes(s.body),
                               .body_truncated = s.body_truncated,
                               .buffers = s.buf});
  } else if (bus.HasSubscribers<ResponseEvent>()) {
    bus.Publish(ResponseEvent{.flow = ctx.flow(),
                              .status = s.status,
                              .reason = s.reason,
                              .headers = h,
                              .body = AsBytes(s.body),
                              .body_truncated = s.body_truncated,
                              .buffers = s.buf});
  }
  // clear() keeps capacity: the next message on this connection does not allocate.
  for (std::string* f :
       {&s.head, &s.folded, &s.start, &s.header, &s.names, &s.host, &s.uri, &s.cookie, &s.body})
    f->clear();
  s.fields.clear();
  s.buf = {};
  s.version = s.reason = s.user_agent = s.content_type = s.content_encoding = s.x_stratum =
      s.x_mining_extensions = {};
  s.status = 0;
  s.content_length = -1;
  s.chunked = false;
  s.junk_line = false;
  s.body_truncated = s.body_full = false;
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
    case State::kFinalize:
    case State::kChunkSize:
    case State::kChunkData:
    case State::kChunkDataEnd:
    case State::kTrailers:
      // A response cut by the hole still shows the body before it, as Suricata inspects it.
      if (dir == Direction::kToClient) {
        sides_[1].body_truncated = true;
        Finish(dir, ctx);
      }
      break;
    default:
      break;
  }
  Report(ctx, Anomaly::kGap);
  s.state = State::kIgnore;  // message boundaries are lost in this direction
}

void HttpParser::OnEnd(ParseContext& ctx) {
  // A response framed by the connection's end is complete now; so is one cut short, whose
  // body so far is what a browser would have shown.
  switch (sides_[1].state) {
    case State::kBodyUntilClose:
    case State::kFinalize:
    case State::kBodyLength:
    case State::kChunkSize:
    case State::kChunkData:
    case State::kChunkDataEnd:
    case State::kTrailers:
      Finish(Direction::kToClient, ctx);
      break;
    default:
      break;
  }
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
    for (const std::string* f :
         {&s.head, &s.folded, &s.start, &s.header, &s.names, &s.host, &s.uri, &s.cookie, &s.body})
      n += f->capacity() - kInline;
    n += s.fields.capacity() * sizeof(Field) + s.decoder.heap_bytes();
  }
  heap_ = n;
  return heap_;
}

std::unique_ptr<AppParser> CreateHttpParser() { return std::make_unique<HttpParser>(); }

std::unique_ptr<AppParser> CreateHttpParser(const HttpParserOptions& options) {
  return std::make_unique<HttpParser>(options);
}

}  // namespace mw::http
