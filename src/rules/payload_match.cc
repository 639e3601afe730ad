// minerwatch — SPDX-License-Identifier: Apache-2.0
// Suricata 7's DetectEngineContentInspection for one buffer, rewritten: the steps are walked
// recursively, each positive content or pcre that a relative step depends on is retried at its
// next occurrence when the rest fails, and the walk gives up after kRecursionLimit steps
// (Suricata's default inspection-recursion-limit) so that no rule can make one buffer cost more
// than that. Return values follow Suricata: 1 match, 0 no match (the caller may retry), -1 no match
// and stop.
#define PCRE2_CODE_UNIT_WIDTH 8
#include "rules/payload_match.h"

#include <pcre2.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

namespace mw::rules {
namespace {

// Suricata's detect.inspection-recursion-limit default.
constexpr uint32_t kRecursionLimit = 3000;
// Suricata's pcre.match-limit and pcre.match-limit-recursion defaults.
constexpr uint32_t kPcreMatchLimit = 3500;
constexpr uint32_t kPcreDepthLimit = 1500;

constexpr std::array<uint8_t, 256> kLower = [] {
  std::array<uint8_t, 256> t{};
  for (int i = 0; i < 256; ++i) t[size_t(i)] = uint8_t(i >= 'A' && i <= 'Z' ? i + 32 : i);
  return t;
}();

struct PcreCodeDeleter {
  void operator()(pcre2_code* c) const { pcre2_code_free(c); }
};

// One step, decoded at compile time so matching reads plain fields.
struct Step {
  Match::Kind kind = Match::Kind::kContent;
  // The step after this one is relative to it: a failure there retries this step's next match
  // (Suricata's DETECT_CONTENT_RELATIVE_NEXT / DETECT_PCRE_RELATIVE_NEXT).
  bool relative_next = false;
  // content
  std::string bytes;  // lower-cased when nocase
  uint32_t rare = 0;  // index of the byte Find looks for first
  bool nocase = false, negated = false, endswith = false, skip = false;
  bool relative = false, has_distance = false, has_within = false;
  bool has_depth = false, has_offset = false;
  int32_t distance = 0, within = 0;
  uint32_t offset = 0, depth = 0;  // depth: absolute end (offset + depth), 0 = none
  // pcre
  std::unique_ptr<pcre2_code, PcreCodeDeleter> code;
  // byte_test / byte_jump / isdataat / bsize: the parsed forms, read as they are.
  ByteTest byte_test;
  ByteJump byte_jump;
  IsDataAt isdataat;
  NumberCheck bsize;
};

bool IsRelative(const Match& m) {
  switch (m.kind) {
    case Match::Kind::kContent:
      return m.content.distance || m.content.within;
    case Match::Kind::kPcre:
      return m.pcre.relative;
    case Match::Kind::kByteTest:
      return m.byte_test.relative;
    case Match::Kind::kByteJump:
      return m.byte_jump.relative;
    case Match::Kind::kIsDataAt:
      return m.isdataat.relative;
    default:
      return false;
  }
}

// How often a byte occurs in the traffic rules inspect (text protocols, JSON, binary headers):
// the lower, the better a guard for Find.
int ByteCommonness(uint8_t c) {
  if (c == 0x00 || c == ' ') return 10;
  if (std::strchr("etaoinsrhl", c) && c) return 9;
  if (std::strchr("\"':,./=-_\r\n{}[]", c) && c) return 8;
  if (c >= 'a' && c <= 'z') return 7;
  if (c >= '0' && c <= '9') return 7;
  if (c >= 'A' && c <= 'Z') return 5;
  if (c == 0xff || c == 0x01) return 5;
  if (c >= 0x20 && c < 0x7f) return 4;
  return 3;
}

uint32_t RarestByte(std::string_view pattern) {
  uint32_t best = 0;
  for (uint32_t i = 1; i < pattern.size(); ++i)
    if (ByteCommonness(uint8_t(pattern[i])) <= ByteCommonness(uint8_t(pattern[best]))) best = i;
  return best;
}

// A positive content with distance and no within: a later anchor only moves its window's start
// later, so it sees a subset of the occurrences that already failed, and retrying the step before
// it cannot succeed (Suricata 8 skips these retries too, DETECT_CONTENT_WITHIN_NEXT).
bool OnlyShrinksLater(const Match& m) {
  return m.kind == Match::Kind::kContent && !m.content.negated && !m.content.within &&
         !m.content.endswith;
}

Step ContentStep(const Content& c) {
  Step s;
  s.kind = Match::Kind::kContent;
  s.bytes = c.bytes;
  s.nocase = c.nocase;
  if (s.nocase)
    for (char& ch : s.bytes) ch = char(kLower[uint8_t(ch)]);
  s.rare = RarestByte(s.bytes);
  s.negated = c.negated;
  s.endswith = c.endswith;
  // fast_pattern:only is proven by the prefilter hit that selected the rule (Suricata does not
  // inspect it again); it can carry no position, so nothing after it is anchored on it.
  s.skip = c.fast_pattern_only && !c.negated && !c.depth && !c.offset && !c.distance && !c.within &&
           !c.startswith && !c.endswith;
  s.has_distance = c.distance.has_value();
  s.has_within = c.within.has_value();
  s.relative = s.has_distance || s.has_within;
  s.distance = c.distance.value_or(0);
  s.within = c.within.value_or(0);
  if (c.startswith) {
    s.has_depth = true;
    s.depth = uint32_t(c.bytes.size());
  }
  if (c.offset) {
    s.has_offset = true;
    s.offset = uint32_t(*c.offset);
  }
  // depth counts from offset: Suricata keeps the absolute end.
  if (c.depth) {
    s.has_depth = true;
    s.depth = s.offset + uint32_t(*c.depth);
  }
  return s;
}

Result<Step> PcreStep(const Pcre& p) {
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(p.pattern.data()), p.pattern.size(),
                                   p.pcre2_options, &error_code, &error_offset, nullptr);
  if (!code) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error_code, message, sizeof(message));
    return Fail(Error::InvalidArgument("pcre does not compile: " +
                                       std::string(reinterpret_cast<char*>(message))));
  }
  // JIT where the platform has it; the interpreter is the fallback, with the same results.
  (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  Step s;
  s.kind = Match::Kind::kPcre;
  s.code.reset(code);
  s.negated = p.negated;
  s.relative = p.relative;
  return s;
}

bool CheckNumber(const NumberCheck& c, uint64_t v) {
  switch (c.op) {
    case NumberCheck::Op::kEqual:
      return v == c.value;
    case NumberCheck::Op::kNotEqual:
      return v != c.value;
    case NumberCheck::Op::kLess:
      return v < c.value;
    case NumberCheck::Op::kLessEqual:
      return v <= c.value;
    case NumberCheck::Op::kGreater:
      return v > c.value;
    case NumberCheck::Op::kGreaterEqual:
      return v >= c.value;
    case NumberCheck::Op::kRange:
      return v > c.value && v < c.upper;
  }
  return false;
}

// Finds the step's pattern in data[from, to); returns its start or -1. "data" is the lower-cased
// buffer for a nocase step (the pattern is lower-cased at compile time). memchr for the pattern's
// rarest byte, then memcmp: on text protocols this skips most positions at memchr's speed, where
// memmem's general algorithm was most of the matcher's time.
int64_t Find(const Step& s, const uint8_t* data, uint32_t from, uint32_t to) {
  const size_t n = s.bytes.size();
  if (to < from || to - from < n) return -1;
  const auto* pattern = reinterpret_cast<const uint8_t*>(s.bytes.data());
  const uint8_t rare = pattern[s.rare];
  const uint8_t* p = data + from + s.rare;
  const uint8_t* last = data + to - n + s.rare;  // the rare byte's last possible place
  while (p <= last) {
    p = static_cast<const uint8_t*>(std::memchr(p, rare, size_t(last - p) + 1));
    if (!p) return -1;
    const uint8_t* start = p - s.rare;
    if (std::memcmp(start, pattern, n) == 0) return start - data;
    ++p;
  }
  return -1;
}

// ASCII lower-casing written so the compiler vectorises it.
void LowerCase(const uint8_t* in, size_t n, uint8_t* out) {
  for (size_t i = 0; i < n; ++i) {
    uint8_t c = in[i];
    out[i] = uint8_t(c | (uint8_t(c - 'A') < 26 ? 0x20 : 0));
  }
}

// Big- or little-endian number of 1..8 bytes.
uint64_t LoadNumber(const uint8_t* p, uint8_t n, bool big_endian) {
  uint64_t v = 0;
  for (uint8_t i = 0; i < n; ++i) {
    uint8_t b = big_endian ? p[i] : p[n - 1 - i];
    v = v << 8 | b;
  }
  return v;
}

// Suricata's ByteExtractStringUint64: strtoull over at most "n" characters. Returns the characters
// consumed, 0 when there is no number, -1 on overflow.
int LoadString(const uint8_t* p, uint8_t n, int base, uint64_t* out) {
  char text[24];
  size_t len = std::min<size_t>(n, sizeof(text) - 1);
  std::memcpy(text, p, len);
  text[len] = '\0';
  char* end = nullptr;
  errno = 0;
  *out = std::strtoull(text, &end, base);
  if (errno == ERANGE) return -1;
  return int(end - text);
}

uint64_t ApplyBitmask(uint64_t v, const std::optional<uint32_t>& mask) {
  if (!mask) return v;
  v &= *mask;
  if (v) v >>= __builtin_ctz(*mask);
  return v;
}

// Where byte_test / byte_jump read: the start of the bytes, or -1 when they are not in the buffer.
int64_t ReadPosition(uint32_t size, uint32_t anchor, bool relative, int32_t offset, uint8_t n) {
  int64_t at = (relative ? int64_t(anchor) : 0) + offset;
  int64_t left = int64_t(size) - at;
  if (relative && left <= 0) return -1;  // Suricata: no relative base left
  if (at < 0 || int64_t(n) > left) return -1;
  return at;
}

bool ByteTestHolds(const ByteTest& t, const uint8_t* data, uint32_t size, uint32_t anchor) {
  if (size == 0) return false;
  int64_t at = ReadPosition(size, anchor, t.relative, t.offset, t.bytes);
  if (at < 0) return false;
  uint64_t v = 0;
  if (t.string) {
    if (LoadString(data + at, t.bytes, t.base, &v) <= 0) return false;
  } else {
    v = LoadNumber(data + at, t.bytes, t.big_endian);
  }
  v = ApplyBitmask(v, t.bitmask);
  bool holds = false;
  const std::string& op = t.op;
  if (op == "=")
    holds = v == t.value;
  else if (op == "!=")
    holds = v != t.value;
  else if (op == "<")
    holds = v < t.value;
  else if (op == ">")
    holds = v > t.value;
  else if (op == "<=")
    holds = v <= t.value;
  else if (op == ">=")
    holds = v >= t.value;
  else if (op == "&")
    holds = (v & t.value) != 0;
  else if (op == "^")
    holds = (v ^ t.value) != 0;
  return holds != t.negated;
}

// Returns the new anchor, or -1 when the jump fails.
int64_t ByteJumpTarget(const ByteJump& j, const uint8_t* data, uint32_t size, uint32_t anchor) {
  if (size == 0) return -1;
  int64_t at = ReadPosition(size, anchor, j.relative, j.offset, j.bytes);
  if (at < 0) return -1;
  uint64_t v = 0;
  int consumed = j.bytes;
  if (j.string) {
    consumed = LoadString(data + at, j.bytes, j.base, &v);
    if (consumed <= 0) return -1;
  } else {
    v = LoadNumber(data + at, j.bytes, j.big_endian);
  }
  v = ApplyBitmask(v, j.bitmask);
  // Suricata computes in uint64 and reads the result as signed, so a negative post_offset
  // moves backwards.
  v *= j.multiplier;
  if (j.align && v % 4) v += 4 - v % 4;
  v += uint64_t(int64_t(j.post_offset));
  __int128 target = j.from_beginning ? 0 : j.from_end ? __int128(size) : __int128(at) + consumed;
  target += int64_t(v);
  if (target < 0) target = 0;  // before the buffer: Suricata moves to its start
  if (target >= size) return -1;
  return int64_t(target);
}

}  // namespace

struct PayloadScratch::Impl {
  pcre2_match_data* match_data = nullptr;
  pcre2_match_context* match_context = nullptr;
  std::vector<uint8_t> transformed;  // dotprefix output, reused
  std::vector<uint8_t> lowered;      // the buffer lower-cased for nocase contents, reused
  Impl() {
    // One pair is enough: only the whole match's bounds are read (pcre2_match returns 0 when the
    // ovector is too small for the groups, and still fills pair 0).
    match_data = pcre2_match_data_create(1, nullptr);
    match_context = pcre2_match_context_create(nullptr);
    pcre2_set_match_limit(match_context, kPcreMatchLimit);
    pcre2_set_depth_limit(match_context, kPcreDepthLimit);
  }
  ~Impl() {
    pcre2_match_data_free(match_data);
    pcre2_match_context_free(match_context);
  }
};

PayloadScratch::PayloadScratch() : impl_(std::make_unique<Impl>()) {}
PayloadScratch::~PayloadScratch() = default;
PayloadScratch::PayloadScratch(PayloadScratch&&) noexcept = default;
PayloadScratch& PayloadScratch::operator=(PayloadScratch&&) noexcept = default;

struct CompiledPayload::Impl {
  std::vector<Step> steps;
  bool dotprefix = false;
  int span_step = -1;  // the first positive content or pcre, for MatchSpan

  // Per-call state of the recursive walk.
  struct Walk {
    const uint8_t* data;
    uint32_t size;
    uint32_t calls;
    PayloadScratch::Impl* scratch;
    const uint8_t* lowered;  // null until a nocase content needs it
    MatchSpan span;
  };

  int Inspect(size_t i, uint32_t anchor, Walk& w) const;
  int Next(size_t i, uint32_t anchor, Walk& w) const {
    return i + 1 == steps.size() ? 1 : Inspect(i + 1, anchor, w);
  }
  int InspectContent(size_t i, uint32_t anchor, Walk& w) const;
  int InspectPcre(size_t i, uint32_t anchor, Walk& w) const;
  int InspectIsDataAt(const IsDataAt& d, size_t i, uint32_t anchor, Walk& w) const;
  // Lower-cases the buffer once per call, on the first nocase content.
  static const uint8_t* Lowered(Walk& w) {
    if (!w.lowered) {
      auto& out = w.scratch->lowered;
      if (out.size() < w.size) out.resize(w.size);  // grows to the largest buffer, then stays
      LowerCase(w.data, w.size, out.data());
      w.lowered = w.size ? out.data() : w.data;
    }
    return w.lowered;
  }
  void NoteSpan(size_t i, uint32_t from, uint32_t to, Walk& w) const {
    if (int(i) == span_step) w.span = {from, to - from};
  }
};

int CompiledPayload::Impl::Inspect(size_t i, uint32_t anchor, Walk& w) const {
  if (++w.calls >= kRecursionLimit) return -1;
  const Step& s = steps[i];
  switch (s.kind) {
    case Match::Kind::kContent:
      return InspectContent(i, anchor, w);
    case Match::Kind::kPcre:
      return InspectPcre(i, anchor, w);
    case Match::Kind::kByteTest:
      return ByteTestHolds(s.byte_test, w.data, w.size, anchor) ? Next(i, anchor, w) : 0;
    case Match::Kind::kByteJump: {
      int64_t to = ByteJumpTarget(s.byte_jump, w.data, w.size, anchor);
      return to < 0 ? 0 : Next(i, uint32_t(to), w);
    }
    case Match::Kind::kIsDataAt:
      return InspectIsDataAt(s.isdataat, i, anchor, w);
    case Match::Kind::kBsize:
      // The buffers handed here are complete, so a size that does not fit never will.
      return CheckNumber(s.bsize, w.size) ? Next(i, anchor, w) : -1;
    case Match::Kind::kDotPrefix:
      return Next(i, anchor, w);  // applied to the buffer before the walk
  }
  return 0;
}

int CompiledPayload::Impl::InspectIsDataAt(const IsDataAt& d, size_t i, uint32_t anchor,
                                           Walk& w) const {
  uint64_t want = d.relative ? uint64_t(anchor) + uint64_t(d.offset) : uint64_t(d.offset);
  // Relative: data up to anchor+n (inclusive end); absolute: a byte at offset n.
  bool present = d.relative ? want <= w.size : want < w.size;
  if (present != d.negated) return Next(i, anchor, w);
  // Negated and relative: a later anchor may leave less data, so let the caller retry.
  return d.negated && d.relative ? 0 : -1;
}

int CompiledPayload::Impl::InspectContent(size_t i, uint32_t anchor, Walk& w) const {
  const Step& s = steps[i];
  if (s.skip) return Next(i, anchor, w);
  uint32_t retry_from = 0;  // Suricata's prev_offset: 0 until a first occurrence failed
  for (;;) {
    int64_t start = 0, end = w.size;
    if (s.relative) {
      start = s.has_distance ? std::max<int64_t>(0, int64_t(anchor) + s.distance) : anchor;
      if (s.has_within) end = std::min<int64_t>(end, int64_t(anchor) + s.distance + s.within);
    } else {
      if (s.has_depth) end = std::min<int64_t>(end, s.depth);
      start = s.offset;
    }
    if (retry_from != 0) start = retry_from;
    if (end <= 0 || start > end) return s.negated ? Next(i, anchor, w) : 0;
    int64_t found = -1;
    if (!(s.endswith && end < w.size))
      found = Find(s, s.nocase ? Lowered(w) : w.data, uint32_t(start), uint32_t(end));
    if (found < 0) {
      if (s.negated) return Next(i, anchor, w);
      return s.relative ? 0 : -1;  // an absolute content that is absent stays absent
    }
    uint32_t match_end = uint32_t(found) + uint32_t(s.bytes.size());
    if (s.negated) {
      // endswith negated: only an occurrence at the end of the buffer counts.
      if (s.endswith && match_end != w.size) {
        retry_from = uint32_t(found) + 1;
        continue;
      }
      bool single = !s.relative && !s.relative_next && !s.has_depth && !s.has_offset;
      return single ? -1 : 0;
    }
    if (!s.endswith || match_end == w.size) {
      NoteSpan(i, uint32_t(found), match_end, w);
      int r = Next(i, match_end, w);
      if (r != 0) return r;
      // Nothing after this step depends on where it matched: another occurrence cannot help.
      if (!s.relative_next) return -1;
    }
    retry_from = uint32_t(found) + 1;
  }
}

int CompiledPayload::Impl::InspectPcre(size_t i, uint32_t anchor, Walk& w) const {
  const Step& s = steps[i];
  const uint32_t base = s.relative ? std::min(anchor, w.size) : 0;
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(w.data + base);
  const size_t length = w.size - base;
  size_t from = 0;  // relative to "subject"
  for (;;) {
    if (from > length) return 0;
    int rc = pcre2_match(s.code.get(), subject, length, from, 0, w.scratch->match_data,
                         w.scratch->match_context);
    bool matched = rc >= 0;
    if (s.negated) {
      // A negated pcre leaves the anchor where it was and has no next occurrence to try.
      return matched ? 0 : Next(i, anchor, w);
    }
    if (!matched) return 0;  // no match, or a match limit: Suricata counts both as no match
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(w.scratch->match_data);
    uint32_t match_start = base + uint32_t(ov[0]);
    uint32_t match_end = base + uint32_t(ov[1]);
    NoteSpan(i, match_start, match_end, w);
    int r = Next(i, match_end, w);
    if (r != 0 || !s.relative_next) return r;
    from = ov[0] + 1;
  }
}

CompiledPayload::CompiledPayload() : impl_(std::make_unique<Impl>()) {}
CompiledPayload::~CompiledPayload() = default;
CompiledPayload::CompiledPayload(CompiledPayload&&) noexcept = default;
CompiledPayload& CompiledPayload::operator=(CompiledPayload&&) noexcept = default;

Result<CompiledPayload> CompiledPayload::Compile(const BufferMatches& matches) {
  CompiledPayload out;
  Impl& impl = *out.impl_;
  for (const Match& m : matches.matches) {
    Step s;
    switch (m.kind) {
      case Match::Kind::kContent:
        s = ContentStep(m.content);
        break;
      case Match::Kind::kPcre: {
        MW_ASSIGN(step, PcreStep(m.pcre));
        s = std::move(step);
        break;
      }
      case Match::Kind::kDotPrefix:
        impl.dotprefix = true;
        continue;
      default:
        s.kind = m.kind;
        s.byte_test = m.byte_test;
        s.byte_jump = m.byte_jump;
        s.isdataat = m.isdataat;
        s.bsize = m.bsize;
        break;
    }
    if (!impl.steps.empty() && IsRelative(m) && !OnlyShrinksLater(m))
      impl.steps.back().relative_next = true;
    bool positive = (s.kind == Match::Kind::kContent && !s.skip) || s.kind == Match::Kind::kPcre;
    if (impl.span_step < 0 && positive && !s.negated) impl.span_step = int(impl.steps.size());
    impl.steps.push_back(std::move(s));
  }
  return out;
}

bool CompiledPayload::Matches(ByteView data, PayloadScratch& scratch, MatchSpan* span) const {
  const Impl& impl = *impl_;
  PayloadScratch::Impl& sc = scratch.impl();
  ByteView buffer = data;
  if (impl.dotprefix) {
    sc.transformed.resize(data.size() + 1);  // grows to the largest buffer seen, then stays
    sc.transformed[0] = '.';
    if (!data.empty()) std::memcpy(sc.transformed.data() + 1, data.data(), data.size());
    buffer = ByteView(sc.transformed.data(), data.size() + 1);
  }
  if (buffer.size() > UINT32_MAX) return false;
  static constexpr uint8_t kEmpty = 0;
  Impl::Walk walk{
      buffer.empty() ? &kEmpty : buffer.data(), uint32_t(buffer.size()), 0, &sc, nullptr, {}};
  bool matched = impl.steps.empty() || impl.Inspect(0, 0, walk) == 1;
  if (matched && span) {
    *span = walk.span;
    if (impl.dotprefix && span->length) {
      // Back to the caller's bytes: the added '.' is not in "data".
      uint32_t from = span->offset == 0 ? 0 : span->offset - 1;
      uint32_t to = std::min<uint32_t>(span->offset + span->length - 1, uint32_t(data.size()));
      *span = {from, to > from ? to - from : 0};
    }
  }
  return matched;
}

}  // namespace mw::rules
