// minerwatch — SPDX-License-Identifier: Apache-2.0
// Detection keywords: content and its modifiers, pcre, byte_test, byte_jump, isdataat, bsize,
// dotprefix, and the buffers they inspect (sticky buffers and the legacy http_uri-style
// modifiers). Suricata's rules for what may follow what are kept, because a rule Suricata refuses
// has no defined meaning to match with.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

#include "rules/rule_internal.h"

namespace mw::rules::internal {
namespace {

Error Invalid(std::string m) { return Error::InvalidArgument(std::move(m)); }

constexpr std::string_view kPayload = "pkt_data";

// A buffer and the app-layer protocol it belongs to ("" for the packet payload; file.data is
// carried by several protocols).
struct BufferInfo {
  std::string_view name;
  std::string_view app;
};

constexpr BufferInfo kStickyBuffers[] = {
    {"pkt_data", ""},
    {"dns.query", "dns"},
    {"tls.sni", "tls"},
    {"tls.cert_subject", "tls"},
    {"tls.cert_issuer", "tls"},
    {"tls.cert_serial", "tls"},
    {"tls.cert_fingerprint", "tls"},
    {"http.uri", "http"},
    {"http.uri.raw", "http"},
    {"http.method", "http"},
    {"http.host", "http"},
    {"http.host.raw", "http"},
    {"http.user_agent", "http"},
    {"http.header", "http"},
    {"http.header.raw", "http"},
    {"http.header_names", "http"},
    {"http.start", "http"},
    {"http.stat_code", "http"},
    {"http.stat_msg", "http"},
    {"http.request_line", "http"},
    {"http.response_line", "http"},
    {"http.cookie", "http"},
    {"http.content_type", "http"},
    {"http.content_len", "http"},
    {"http.accept", "http"},
    {"http.accept_enc", "http"},
    {"http.accept_lang", "http"},
    {"http.referer", "http"},
    {"http.connection", "http"},
    {"http.protocol", "http"},
    {"http.location", "http"},
    {"http.server", "http"},
    {"http.request_body", "http"},
    {"http.response_body", "http"},
    {"file.data", ""},
};

// Old spellings that are sticky buffers too (they switch the buffer for what follows).
constexpr std::pair<std::string_view, std::string_view> kLegacySticky[] = {
    {"dns_query", "dns.query"},
    {"tls_sni", "tls.sni"},
    {"tls_cert_subject", "tls.cert_subject"},
    {"tls_cert_issuer", "tls.cert_issuer"},
    {"tls_cert_serial", "tls.cert_serial"},
    {"tls_cert_fingerprint", "tls.cert_fingerprint"},
    {"file_data", "file.data"},
    {"http_header_names", "http.header_names"},
    {"http_request_line", "http.request_line"},
    {"http_response_line", "http.response_line"},
    {"http_accept", "http.accept"},
    {"http_accept_enc", "http.accept_enc"},
    {"http_accept_lang", "http.accept_lang"},
    {"http_referer", "http.referer"},
    {"http_connection", "http.connection"},
    {"http_content_type", "http.content_type"},
    {"http_content_len", "http.content_len"},
    {"http_protocol", "http.protocol"},
    {"http_start", "http.start"},
};

// Old content modifiers: they move the content just before them into the buffer.
constexpr std::pair<std::string_view, std::string_view> kContentModifiers[] = {
    {"http_uri", "http.uri"},
    {"http_raw_uri", "http.uri.raw"},
    {"http_method", "http.method"},
    {"http_header", "http.header"},
    {"http_raw_header", "http.header.raw"},
    {"http_cookie", "http.cookie"},
    {"http_user_agent", "http.user_agent"},
    {"http_host", "http.host"},
    {"http_raw_host", "http.host.raw"},
    {"http_client_body", "http.request_body"},
    {"http_server_body", "http.response_body"},
    {"http_stat_code", "http.stat_code"},
    {"http_stat_msg", "http.stat_msg"},
};

// pcre's buffer flags, the same buffers as the content modifiers.
constexpr std::pair<char, std::string_view> kPcreBufferFlags[] = {
    {'U', "http.uri"},      {'I', "http.uri.raw"},    {'P', "http.request_body"},
    {'Q', "file.data"},     {'H', "http.header"},     {'D', "http.header.raw"},
    {'M', "http.method"},   {'C', "http.cookie"},     {'S', "http.stat_code"},
    {'Y', "http.stat_msg"}, {'V', "http.user_agent"}, {'W', "http.host"},
    {'Z', "http.host.raw"}};

constexpr std::string_view kContentModifierKeywords[] = {"nocase",     "depth",    "offset",
                                                         "distance",   "within",   "fast_pattern",
                                                         "startswith", "endswith", "rawbytes"};

template <typename Table, typename Key>
std::optional<std::string_view> Lookup(const Table& table, Key key) {
  for (const auto& [from, to] : table)
    if (from == key) return to;
  return std::nullopt;
}

std::optional<std::string_view> StickyBufferName(std::string_view keyword) {
  for (const auto& b : kStickyBuffers)
    if (b.name == keyword) return b.name;
  return Lookup(kLegacySticky, keyword);
}

std::string_view AppOf(std::string_view buffer) {
  for (const auto& b : kStickyBuffers)
    if (b.name == buffer) return b.app;
  return "";
}

bool IsOneOf(std::string_view k, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), k) != names.end();
}

BufferMatches& BufferFor(Rule& rule, std::string_view name, int* index) {
  for (size_t i = 0; i < rule.buffers.size(); ++i) {
    if (rule.buffers[i].buffer == name) {
      *index = int(i);
      return rule.buffers[i];
    }
  }
  rule.buffers.push_back(BufferMatches{std::string(name), {}});
  *index = int(rule.buffers.size() - 1);
  return rule.buffers.back();
}

void AddMatch(Rule& rule, std::string_view buffer, Match match, DetectionState& state) {
  BufferMatches& b = BufferFor(rule, buffer, &state.last_buffer);
  b.matches.push_back(std::move(match));
  state.last_match = int(b.matches.size() - 1);
}

Match* LastMatch(Rule& rule, const DetectionState& state) {
  if (state.last_buffer < 0) return nullptr;
  return &rule.buffers[size_t(state.last_buffer)].matches[size_t(state.last_match)];
}

// Strips the optional '!' and the quotes; "what" names the keyword for messages.
Result<std::pair<std::string_view, bool>> Unquote(std::string_view value, std::string_view what) {
  bool negated = false;
  if (!value.empty() && value.front() == '!') {
    negated = true;
    value = Trim(value.substr(1));
  }
  if (value.size() < 2 || value.front() != '"')
    return Fail(Invalid(std::string(what) + " must be quoted"));
  if (value.back() != '"') {
    if (value.find("\",") != std::string_view::npos)
      return Fail(Error::Unsupported(std::string(what) +
                                     ": options after the closing quote are Snort 3 syntax "
                                     "(Suricata writes them as separate keywords)"));
    return Fail(Invalid(std::string(what) + ": text after the closing quote"));
  }
  return std::make_pair(value.substr(1, value.size() - 2), negated);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Content text: bytes between |...| are hex pairs (spaces allowed between them); elsewhere only
// \\ \" \; \: are escapes, and an unescaped '"' is an error, as in Suricata.
Result<std::string> DecodeContent(std::string_view text) {
  std::string out;
  bool hex = false;
  int high_nibble = -1;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '|') {
      if (hex && high_nibble >= 0) return Fail(Invalid("content: odd number of hex digits"));
      hex = !hex;
    } else if (hex) {
      if (c == ' ' || c == '\t') continue;
      int v = HexValue(c);
      if (v < 0) return Fail(Invalid(std::string("content: '") + c + "' is not a hex digit"));
      if (high_nibble < 0) {
        high_nibble = v;
      } else {
        out += char(high_nibble << 4 | v);
        high_nibble = -1;
      }
    } else if (c == '\\') {
      if (i + 1 >= text.size()) return Fail(Invalid("content ends in a lone '\\'"));
      char next = text[++i];
      if (next != '\\' && next != '"' && next != ';' && next != ':')
        return Fail(Invalid(std::string("content: invalid escape '\\") + next + "'"));
      out += next;
    } else if (c == '"') {
      return Fail(Invalid("content: unescaped '\"' (write \\\")"));
    } else {
      out += c;
    }
  }
  if (hex) return Fail(Invalid("content: '|' hex block not closed"));
  if (out.empty()) return Fail(Invalid("content is empty"));
  return out;
}

Status AddContent(const Option& o, DetectionState& state, Rule& rule) {
  MW_ASSIGN(quoted, Unquote(o.value, "content"));
  MW_ASSIGN(bytes, DecodeContent(quoted.first));
  Match m;
  m.kind = Match::Kind::kContent;
  m.content.bytes = std::move(bytes);
  m.content.negated = quoted.second;
  AddMatch(rule, state.sticky_buffer, std::move(m), state);
  return Ok();
}

bool HasFastPattern(const Rule& rule) {
  for (const auto& b : rule.buffers)
    for (const auto& m : b.matches)
      if (m.kind == Match::Kind::kContent && m.content.fast_pattern) return true;
  return false;
}

Status SetFastPattern(const Option& o, Content& c, const Rule& rule) {
  if (HasFastPattern(rule)) return Fail(Invalid("fast_pattern on more than one content"));
  c.fast_pattern = true;
  if (!o.has_value) return Ok();
  if (o.value == "only") {
    c.fast_pattern_only = true;
    return Ok();
  }
  // "offset,length" picks a slice of the pattern for the prefilter.
  auto parts = SplitTopLevel(o.value, ',');
  if (parts.size() != 2) return Fail(Invalid("fast_pattern takes 'only' or 'offset,length'"));
  MW_ASSIGN(offset, ParseInt(parts[0], 0, 65535));
  MW_ASSIGN(length, ParseInt(parts[1], 1, 65535));
  if (size_t(offset + length) > c.bytes.size())
    return Fail(Invalid("fast_pattern slice is longer than the content"));
  c.fast_pattern_chop = std::make_pair(uint16_t(offset), uint16_t(length));
  return Ok();
}

// depth/offset count from the buffer's start, distance/within from the previous match: Suricata
// refuses one content with both kinds, and startswith fixes the position itself.
Status CheckContentPositions(const Content& c) {
  bool absolute = c.depth || c.offset;
  bool relative = c.distance || c.within;
  if (absolute && relative) return Fail(Invalid("content mixes depth/offset with distance/within"));
  if (c.startswith && (absolute || relative))
    return Fail(Invalid("startswith cannot be combined with depth, offset, distance or within"));
  int64_t length = int64_t(c.bytes.size());
  if (c.depth && *c.depth < length) return Fail(Invalid("depth is smaller than the content"));
  if (c.within && *c.within < length) return Fail(Invalid("within is smaller than the content"));
  return Ok();
}

Status SetPosition(const Option& o, Content& c) {
  std::optional<int32_t>* slot = o.keyword == "depth"      ? &c.depth
                                 : o.keyword == "offset"   ? &c.offset
                                 : o.keyword == "distance" ? &c.distance
                                                           : &c.within;
  if (*slot) return Fail(Invalid(o.keyword + " given twice for one content"));
  bool may_be_negative = o.keyword == "distance";
  auto n = ParseInt(o.value, may_be_negative ? -65535 : 0, 65535);
  if (!n) return Fail(Invalid(o.keyword + ": " + n.error().message()));
  if (o.keyword == "depth" && *n == 0) return Fail(Invalid("depth must be at least 1"));
  *slot = int32_t(*n);
  return CheckContentPositions(c);
}

Status ApplyContentModifier(const Option& o, DetectionState& state, Rule& rule) {
  Match* last = LastMatch(rule, state);
  if (!last || last->kind != Match::Kind::kContent)
    return Fail(Invalid(o.keyword + " needs a content before it"));
  Content& c = last->content;
  const std::string& k = o.keyword;
  bool takes_value = IsOneOf(k, {"depth", "offset", "distance", "within"});
  if (takes_value != o.has_value && k != "fast_pattern")
    return Fail(Invalid(k + (takes_value ? " needs a value" : " takes no value")));
  if (takes_value) return SetPosition(o, c);
  if (k == "nocase") {
    if (c.nocase) return Fail(Invalid("nocase given twice for one content"));
    c.nocase = true;
  } else if (k == "fast_pattern") {
    return SetFastPattern(o, c, rule);
  } else if (k == "startswith") {
    c.startswith = true;
    return CheckContentPositions(c);
  } else if (k == "endswith") {
    c.endswith = true;
  }
  // rawbytes: accepted and ignored, as Suricata does (it exists for Snort compatibility).
  return Ok();
}

// http_uri and friends move the content before them out of the payload into their buffer.
Status ApplyLegacyModifier(const Option& o, std::string_view buffer, DetectionState& state,
                           Rule& rule) {
  Match* last = LastMatch(rule, state);
  if (!last || last->kind != Match::Kind::kContent)
    return Fail(Invalid(o.keyword + " needs a content before it"));
  BufferMatches& from = rule.buffers[size_t(state.last_buffer)];
  if (from.buffer != kPayload)
    return Fail(Invalid(o.keyword + " after a content in sticky buffer " + from.buffer));
  Match moved = std::move(*last);
  from.matches.erase(from.matches.begin() + state.last_match);
  if (from.matches.empty()) rule.buffers.erase(rule.buffers.begin() + state.last_buffer);
  AddMatch(rule, buffer, std::move(moved), state);
  return Ok();
}

Result<uint64_t> ParseUnsigned(std::string_view s) {
  s = Trim(s);
  int base = 10;
  if (s.starts_with("0x") || s.starts_with("0X")) {
    base = 16;
    s.remove_prefix(2);
  }
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size())
    return Fail(Invalid("'" + std::string(s) + "' is not a number"));
  return v;
}

struct PcreParts {
  std::string_view pattern;
  std::string_view flags;
};

// "/re/flags" or "m<delim>re<delim>flags"; the pattern runs to the last delimiter.
Result<PcreParts> SplitPcre(std::string_view text) {
  char delimiter = '/';
  if (!text.empty() && text.front() == 'm' && text.size() > 1) {
    delimiter = text[1];
    text.remove_prefix(1);
  }
  if (text.empty() || text.front() != delimiter)
    return Fail(Invalid("pcre must look like \"/pattern/flags\""));
  size_t close = text.rfind(delimiter);
  if (close == 0) return Fail(Invalid("pcre has no closing delimiter"));
  return PcreParts{text.substr(1, close - 1), text.substr(close + 1)};
}

Status ApplyPcreFlag(char flag, Pcre& p, std::string_view* buffer) {
  switch (flag) {
    case 'i':
      p.pcre2_options |= PCRE2_CASELESS;
      return Ok();
    case 's':
      p.pcre2_options |= PCRE2_DOTALL;
      return Ok();
    case 'm':
      p.pcre2_options |= PCRE2_MULTILINE;
      return Ok();
    case 'x':
      p.pcre2_options |= PCRE2_EXTENDED;
      return Ok();
    case 'A':
      p.pcre2_options |= PCRE2_ANCHORED;
      return Ok();
    case 'E':
      p.pcre2_options |= PCRE2_DOLLAR_ENDONLY;
      return Ok();
    case 'G':
      p.pcre2_options |= PCRE2_UNGREEDY;
      return Ok();
    case 'R':
      p.relative = true;
      return Ok();
    case 'O':  // override the match limits: our matcher sets its own
    case 'B':  // Snort's "raw bytes": Suricata ignores it
      return Ok();
    default:
      break;
  }
  if (auto b = Lookup(kPcreBufferFlags, flag)) {
    *buffer = *b;
    return Ok();
  }
  return Fail(Invalid(std::string("pcre: unknown flag '") + flag + "'"));
}

Status CompileCheck(const Pcre& p) {
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(p.pattern.data()), p.pattern.size(),
                                   p.pcre2_options, &error_code, &error_offset, nullptr);
  if (code) {
    pcre2_code_free(code);
    return Ok();
  }
  PCRE2_UCHAR message[256];
  pcre2_get_error_message(error_code, message, sizeof(message));
  return Fail(Invalid("pcre does not compile: " + std::string(reinterpret_cast<char*>(message)) +
                      " at offset " + std::to_string(error_offset)));
}

Status AddPcre(const Option& o, DetectionState& state, Rule& rule) {
  MW_ASSIGN(quoted, Unquote(o.value, "pcre"));
  MW_ASSIGN(parts, SplitPcre(quoted.first));
  Match m;
  m.kind = Match::Kind::kPcre;
  m.pcre.pattern = std::string(parts.pattern);
  m.pcre.flags = std::string(parts.flags);
  m.pcre.negated = quoted.second;
  std::string_view flag_buffer;
  for (char f : parts.flags) MW_TRY(ApplyPcreFlag(f, m.pcre, &flag_buffer));
  if (!flag_buffer.empty() && state.sticky_buffer != kPayload)
    return Fail(Invalid("pcre buffer flag inside sticky buffer " + state.sticky_buffer));
  MW_TRY(CompileCheck(m.pcre));
  AddMatch(rule, flag_buffer.empty() ? std::string_view(state.sticky_buffer) : flag_buffer,
           std::move(m), state);
  return Ok();
}

// The number options byte_test and byte_jump share after their positional fields.
struct ByteOptions {
  bool relative = false, big_endian = true, string = false;
  int base = 10;
  std::optional<uint32_t> bitmask;
};

// Returns false when "part" is not one of the shared options.
Result<bool> ApplyByteOption(std::string_view part, ByteOptions& b) {
  if (part == "relative") {
    b.relative = true;
  } else if (part == "big") {
    b.big_endian = true;
  } else if (part == "little") {
    b.big_endian = false;
  } else if (part == "string") {
    b.string = true;
  } else if (part == "hex" || part == "dec" || part == "oct") {
    b.base = part == "hex" ? 16 : part == "dec" ? 10 : 8;
  } else if (part == "dce") {
    return Fail(Error::Unsupported("dce byte order is not supported"));
  } else if (part.starts_with("bitmask")) {
    MW_ASSIGN(mask, ParseUnsigned(part.substr(7)));
    if (mask == 0 || mask > UINT32_MAX) return Fail(Invalid("bitmask must be 1..0xffffffff"));
    b.bitmask = uint32_t(mask);
  } else {
    return false;
  }
  return true;
}

// byte_jump may read 0 bytes: Suricata then moves by post_offset alone.
Result<uint8_t> ParseByteCount(std::string_view s, std::string_view keyword) {
  auto n = ParseInt(s, keyword == "byte_jump" ? 0 : 1, 23);
  if (!n) return Fail(Invalid(std::string(keyword) + ": byte count " + n.error().message()));
  return uint8_t(*n);
}

Status CheckByteCount(uint8_t bytes, const ByteOptions& b, std::string_view keyword) {
  if (!b.string && bytes > 8)
    return Fail(Invalid(std::string(keyword) + ": more than 8 bytes needs 'string'"));
  return Ok();
}

Status AddByteTest(const Option& o, DetectionState& state, Rule& rule) {
  auto parts = SplitTopLevel(o.value, ',');
  if (parts.size() < 4) return Fail(Invalid("byte_test needs bytes, operator, value, offset"));
  ByteTest t;
  MW_ASSIGN(bytes, ParseByteCount(parts[0], "byte_test"));
  t.bytes = bytes;
  std::string_view op = parts[1];
  if (op.starts_with('!') && op != "!=") {
    t.negated = true;
    op.remove_prefix(1);
  }
  if (!IsOneOf(op, {"<", ">", "=", "<=", ">=", "&", "^", "!="}))
    return Fail(Invalid("byte_test: unknown operator '" + std::string(parts[1]) + "'"));
  t.op = std::string(op);
  MW_ASSIGN(value, ParseUnsigned(parts[2]));
  t.value = value;
  MW_ASSIGN(offset, ParseInt(parts[3], -65535, 65535));
  t.offset = int32_t(offset);
  ByteOptions b;
  for (size_t i = 4; i < parts.size(); ++i) {
    MW_ASSIGN(known, ApplyByteOption(parts[i], b));
    if (!known) return Fail(Invalid("byte_test: unknown option '" + std::string(parts[i]) + "'"));
  }
  MW_TRY(CheckByteCount(t.bytes, b, "byte_test"));
  t.relative = b.relative, t.big_endian = b.big_endian, t.string = b.string, t.base = b.base;
  t.bitmask = b.bitmask;
  Match m;
  m.kind = Match::Kind::kByteTest;
  m.byte_test = t;
  AddMatch(rule, state.sticky_buffer, std::move(m), state);
  return Ok();
}

Result<bool> ApplyJumpOption(std::string_view part, ByteJump& j) {
  if (part == "align") {
    j.align = true;
  } else if (part == "from_beginning") {
    j.from_beginning = true;
  } else if (part == "from_end") {
    j.from_end = true;
  } else if (part.starts_with("multiplier")) {
    MW_ASSIGN(n, ParseInt(part.substr(10), 1, 65535));
    j.multiplier = uint32_t(n);
  } else if (part.starts_with("post_offset")) {
    MW_ASSIGN(n, ParseInt(part.substr(11), -65535, 65535));
    j.post_offset = int32_t(n);
  } else {
    return false;
  }
  return true;
}

Status AddByteJump(const Option& o, DetectionState& state, Rule& rule) {
  auto parts = SplitTopLevel(o.value, ',');
  if (parts.size() < 2) return Fail(Invalid("byte_jump needs bytes, offset"));
  ByteJump j;
  MW_ASSIGN(bytes, ParseByteCount(parts[0], "byte_jump"));
  j.bytes = bytes;
  MW_ASSIGN(offset, ParseInt(parts[1], -65535, 65535));
  j.offset = int32_t(offset);
  ByteOptions b;
  for (size_t i = 2; i < parts.size(); ++i) {
    MW_ASSIGN(shared, ApplyByteOption(parts[i], b));
    if (shared) continue;
    MW_ASSIGN(own, ApplyJumpOption(parts[i], j));
    if (!own) return Fail(Invalid("byte_jump: unknown option '" + std::string(parts[i]) + "'"));
  }
  MW_TRY(CheckByteCount(j.bytes, b, "byte_jump"));
  if (j.from_beginning && j.from_end)
    return Fail(Invalid("byte_jump: from_beginning and from_end together"));
  j.relative = b.relative, j.big_endian = b.big_endian, j.string = b.string, j.base = b.base;
  j.bitmask = b.bitmask;
  Match m;
  m.kind = Match::Kind::kByteJump;
  m.byte_jump = j;
  AddMatch(rule, state.sticky_buffer, std::move(m), state);
  return Ok();
}

Status AddIsDataAt(const Option& o, DetectionState& state, Rule& rule) {
  auto parts = SplitTopLevel(o.value, ',');
  IsDataAt d;
  std::string_view first = parts[0];
  if (first.starts_with('!')) {
    d.negated = true;
    first.remove_prefix(1);
  }
  auto offset = ParseInt(first, 0, 65535);
  if (!offset) return Fail(Invalid("isdataat: " + offset.error().message()));
  d.offset = int32_t(*offset);
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i] == "relative") {
      d.relative = true;
    } else if (parts[i] != "rawbytes") {
      return Fail(Invalid("isdataat: unknown option '" + std::string(parts[i]) + "'"));
    }
  }
  Match m;
  m.kind = Match::Kind::kIsDataAt;
  m.isdataat = d;
  AddMatch(rule, state.sticky_buffer, std::move(m), state);
  return Ok();
}

Status AddBsize(const Option& o, DetectionState& state, Rule& rule) {
  if (state.sticky_buffer == kPayload) return Fail(Invalid("bsize needs a sticky buffer"));
  auto check = ParseNumberCheck(o.value, UINT32_MAX);
  if (!check) return Fail(Invalid("bsize: " + check.error().message()));
  Match m;
  m.kind = Match::Kind::kBsize;
  m.bsize = *check;
  AddMatch(rule, state.sticky_buffer, std::move(m), state);
  return Ok();
}

// dotprefix is a transform of the sticky buffer: it must come before anything matches in it.
Status AddDotPrefix(DetectionState& state, Rule& rule) {
  if (state.sticky_buffer == kPayload) return Fail(Invalid("dotprefix needs a sticky buffer"));
  for (const auto& b : rule.buffers)
    if (b.buffer == state.sticky_buffer && !b.matches.empty())
      return Fail(Invalid("dotprefix must come right after its sticky buffer"));
  Match m;
  m.kind = Match::Kind::kDotPrefix;
  AddMatch(rule, state.sticky_buffer, std::move(m), state);
  return Ok();
}

bool TakesNoValue(std::string_view k) {
  return StickyBufferName(k) || Lookup(kContentModifiers, k) || k == "dotprefix";
}

}  // namespace

std::span<const std::string_view> KnownBufferNames() {
  static const auto kNames = [] {
    std::array<std::string_view, std::size(kStickyBuffers)> names{};
    for (size_t i = 0; i < names.size(); ++i) names[i] = kStickyBuffers[i].name;
    return names;
  }();
  return kNames;
}

bool IsDetectionKeyword(std::string_view k) {
  return IsOneOf(k,
                 {"content", "pcre", "byte_test", "byte_jump", "isdataat", "bsize", "dotprefix"}) ||
         std::find(std::begin(kContentModifierKeywords), std::end(kContentModifierKeywords), k) !=
             std::end(kContentModifierKeywords) ||
         StickyBufferName(k) || Lookup(kContentModifiers, k);
}

Status ApplyDetectionKeyword(const Option& o, DetectionState& state, Rule& rule) {
  const std::string& k = o.keyword;
  if (TakesNoValue(k) && o.has_value) return Fail(Invalid(k + " takes no value"));
  if (auto sticky = StickyBufferName(k)) {
    state.sticky_buffer = std::string(*sticky);
    return Ok();
  }
  if (auto buffer = Lookup(kContentModifiers, k)) {
    if (state.snort3) {
      state.sticky_buffer = std::string(*buffer);
      return Ok();
    }
    if (state.sticky_buffer != kPayload)
      return Fail(Invalid(k + " used inside sticky buffer " + state.sticky_buffer));
    return ApplyLegacyModifier(o, *buffer, state, rule);
  }
  if (k == "dotprefix") return AddDotPrefix(state, rule);
  if (!o.has_value &&
      IsOneOf(k, {"content", "pcre", "byte_test", "byte_jump", "isdataat", "bsize"}))
    return Fail(Invalid(k + " needs a value"));
  if (k == "content") return AddContent(o, state, rule);
  if (k == "pcre") return AddPcre(o, state, rule);
  if (k == "byte_test") return AddByteTest(o, state, rule);
  if (k == "byte_jump") return AddByteJump(o, state, rule);
  if (k == "isdataat") return AddIsDataAt(o, state, rule);
  if (k == "bsize") return AddBsize(o, state, rule);
  return ApplyContentModifier(o, state, rule);
}

Status CheckBuffersFitProtocol(const Rule& rule) {
  std::string_view app;
  switch (rule.protocol) {
    case Protocol::kDns:
      app = "dns";
      break;
    case Protocol::kTls:
      app = "tls";
      break;
    case Protocol::kHttp:
    case Protocol::kHttp1:
      app = "http";
      break;
    default:
      break;
  }
  for (const auto& b : rule.buffers) {
    std::string_view need = AppOf(b.buffer);
    if (need.empty()) continue;
    if (!app.empty() && app != need)
      return Fail(
          Invalid("buffer " + b.buffer + " cannot be used in a rule for " + std::string(app)));
    app = need;
  }
  return Ok();
}

}  // namespace mw::rules::internal
