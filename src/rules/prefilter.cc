// minerwatch — SPDX-License-Identifier: Apache-2.0
// The fast pattern of each rule (Suricata's choice, detect-engine-mpm.c) and one Hyperscan
// database per buffer. Identical patterns (same bytes, same case rule) are compiled once and map to
// every rule that chose them, as Suricata's MPM shares pattern ids: a ruleset repeated with new
// sids costs no more Hyperscan time than the original.
#include "rules/prefilter.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <string>
#include <utility>

#include "match/hyperscan.h"
#include "rules/rule_internal.h"

namespace mw::rules {
namespace {

// Suricata's buffer priorities (lower wins): the app-layer buffers before the packet payload,
// http.method after it (fast-pattern-explained.rst).
int BufferPriority(std::string_view buffer) {
  if (buffer == "pkt_data") return 3;
  if (buffer == "http.method") return 4;
  return 2;
}

// Suricata's PatternStrength: distinct bytes weigh more, letters least among them.
uint32_t PatternStrength(std::string_view p) {
  std::array<bool, 256> seen{};
  uint32_t s = 0;
  for (char ch : p) {
    auto c = uint8_t(ch);
    if (seen[c]) {
      ++s;
      continue;
    }
    seen[c] = true;
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    bool print = c >= 0x20 && c < 0x7f;
    s += alpha ? 3 : (print || c == 0x00 || c == 0x01 || c == 0xff) ? 4 : 6;
  }
  return s;
}

struct FastPattern {
  int buffer = -1;  // index into rule.buffers
  const Content* content = nullptr;
};

// The explicit fast_pattern wins; else the highest-priority buffer's longest positive content,
// ties to the stronger pattern, then to the earlier one. A negated content is never chosen: the
// prefilter could only say where it is, not where it is absent.
FastPattern ChooseFastPattern(const Rule& rule) {
  FastPattern best;
  int best_priority = 0;
  size_t best_length = 0;
  uint32_t best_strength = 0;
  for (size_t b = 0; b < rule.buffers.size(); ++b) {
    int priority = BufferPriority(rule.buffers[b].buffer);
    for (const Match& m : rule.buffers[b].matches) {
      if (m.kind != Match::Kind::kContent) continue;
      const Content& c = m.content;
      if (c.fast_pattern) return c.negated ? FastPattern{} : FastPattern{int(b), &c};
      if (c.negated) continue;
      size_t length = c.bytes.size();
      bool better = !best.content || priority < best_priority ||
                    (priority == best_priority &&
                     (length > best_length ||
                      (length == best_length && PatternStrength(c.bytes) > best_strength)));
      if (!better) continue;
      best = {int(b), &c};
      best_priority = priority;
      best_length = length;
      best_strength = PatternStrength(c.bytes);
    }
  }
  return best;
}

std::string HexLiteral(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 4);
  char hex[5];
  for (char c : bytes) {
    std::snprintf(hex, sizeof(hex), "\\x%02x", unsigned(uint8_t(c)));
    out += hex;
  }
  return out;
}

// One buffer's database, its patterns' rules, and what is built before compiling.
struct BufferDb {
  std::unique_ptr<const match::HsDatabase> db;
  std::vector<std::vector<uint32_t>> rules_of_pattern;  // by pattern id
};

}  // namespace

std::span<const std::string_view> BufferNames() { return internal::KnownBufferNames(); }

int BufferIdOf(std::string_view name) {
  auto names = BufferNames();
  auto it = std::find(names.begin(), names.end(), name);
  return it == names.end() ? -1 : int(it - names.begin());
}

struct PrefilterScratch::Impl {
  std::vector<std::unique_ptr<match::HsScratch>> by_buffer;  // null where there is no database
};

PrefilterScratch::PrefilterScratch() : impl_(std::make_unique<Impl>()) {}
PrefilterScratch::~PrefilterScratch() = default;
PrefilterScratch::PrefilterScratch(PrefilterScratch&&) noexcept = default;
PrefilterScratch& PrefilterScratch::operator=(PrefilterScratch&&) noexcept = default;

struct Prefilter::Impl {
  std::vector<BufferDb> buffers;  // by BufferId
  std::vector<uint32_t> always;
  std::vector<int16_t> fp_buffer;  // by rule: BufferId or -1
};

Prefilter::Prefilter() : impl_(std::make_unique<Impl>()) {}
Prefilter::~Prefilter() = default;
Prefilter::Prefilter(Prefilter&&) noexcept = default;
Prefilter& Prefilter::operator=(Prefilter&&) noexcept = default;

namespace {

struct PendingBuffer {
  std::vector<match::HsPattern> patterns;
  std::map<std::pair<std::string, unsigned>, unsigned> id_of;  // (expr, flags) -> pattern id
  std::vector<std::vector<uint32_t>> rules_of_pattern;
};

// The bytes the prefilter looks for. The databases scan the buffer as the engine has it, before
// any transform: under dotprefix the inspected buffer is "." + data, so a pattern's leading '.'
// may be that added byte and is left out (what remains occurs in the data whenever the whole
// pattern occurs in "." + data). Empty when nothing usable is left.
std::string_view PrefilterBytes(const Content& c, bool dotprefix) {
  std::string_view bytes = c.bytes;
  if (c.fast_pattern_chop)
    bytes = bytes.substr(c.fast_pattern_chop->first, c.fast_pattern_chop->second);
  bool at_start = !c.fast_pattern_chop || c.fast_pattern_chop->first == 0;
  if (dotprefix && at_start && bytes.starts_with('.')) bytes.remove_prefix(1);
  return bytes;
}

void AddPattern(PendingBuffer& p, std::string_view bytes, bool nocase, uint32_t rule) {
  unsigned flags = match::kHsSingleMatch | (nocase ? match::kHsCaseless : 0u);
  auto key = std::make_pair(HexLiteral(bytes), flags);
  auto [it, added] = p.id_of.try_emplace(key, unsigned(p.patterns.size()));
  if (added) {
    p.patterns.push_back({key.first, flags, it->second});
    p.rules_of_pattern.emplace_back();
  }
  p.rules_of_pattern[it->second].push_back(rule);
}

bool HasDotPrefix(const BufferMatches& b) {
  return std::any_of(b.matches.begin(), b.matches.end(),
                     [](const Match& m) { return m.kind == Match::Kind::kDotPrefix; });
}

// Drops the patterns Hyperscan refuses alone (their rules become always candidates) and compiles
// the rest; fails only when the remaining set still does not compile.
Result<BufferDb> CompileBuffer(PendingBuffer& p, std::vector<uint32_t>& always) {
  BufferDb out;
  auto db = match::HsDatabase::Compile(p.patterns);
  if (!db) {
    std::vector<match::HsPattern> kept;
    for (const auto& pattern : p.patterns) {
      if (match::HsDatabase::CompilesAlone(pattern.expr, pattern.flags)) {
        kept.push_back(pattern);
        kept.back().id = unsigned(out.rules_of_pattern.size());
        out.rules_of_pattern.push_back(std::move(p.rules_of_pattern[pattern.id]));
      } else {
        for (uint32_t r : p.rules_of_pattern[pattern.id]) always.push_back(r);
      }
    }
    if (kept.empty()) return out;
    db = match::HsDatabase::Compile(kept);
    if (!db) return Fail(db.error());
  } else {
    out.rules_of_pattern = std::move(p.rules_of_pattern);
  }
  out.db = std::move(*db);
  return out;
}

}  // namespace

Result<Prefilter> Prefilter::Build(const std::vector<Rule>& rules) {
  Prefilter out;
  Impl& impl = *out.impl_;
  const size_t buffer_count = BufferNames().size();
  std::vector<PendingBuffer> pending(buffer_count);
  impl.fp_buffer.assign(rules.size(), -1);
  for (uint32_t r = 0; r < rules.size(); ++r) {
    FastPattern fp = ChooseFastPattern(rules[r]);
    const BufferMatches* buffer = fp.content ? &rules[r].buffers[size_t(fp.buffer)] : nullptr;
    int id = buffer ? BufferIdOf(buffer->buffer) : -1;
    std::string_view bytes = buffer ? PrefilterBytes(*fp.content, HasDotPrefix(*buffer)) : "";
    if (id < 0 || bytes.empty()) {
      impl.always.push_back(r);
      continue;
    }
    impl.fp_buffer[r] = int16_t(id);
    AddPattern(pending[size_t(id)], bytes, fp.content->nocase, r);
  }
  impl.buffers.resize(buffer_count);
  for (size_t b = 0; b < buffer_count; ++b) {
    if (pending[b].patterns.empty()) continue;
    size_t always_before = impl.always.size();
    MW_ASSIGN(db, CompileBuffer(pending[b], impl.always));
    for (size_t i = always_before; i < impl.always.size(); ++i) impl.fp_buffer[impl.always[i]] = -1;
    impl.buffers[b] = std::move(db);
  }
  std::sort(impl.always.begin(), impl.always.end());
  return out;
}

Result<PrefilterScratch> Prefilter::MakeScratch() const {
  PrefilterScratch scratch;
  auto& by_buffer = scratch.impl().by_buffer;
  by_buffer.resize(impl_->buffers.size());
  for (size_t b = 0; b < impl_->buffers.size(); ++b) {
    if (!impl_->buffers[b].db) continue;
    by_buffer[b] = std::make_unique<match::HsScratch>(*impl_->buffers[b].db);
    if (!by_buffer[b]->ok()) return Fail(Error::Internal("Hyperscan could not allocate scratch"));
  }
  return scratch;
}

namespace {

struct ScanContext {
  const std::vector<std::vector<uint32_t>>* rules_of_pattern;
  std::vector<uint32_t>* out;
};

int OnMatch(unsigned id, uint64_t, uint64_t, void* ctx) {
  auto* c = static_cast<ScanContext*>(ctx);
  const auto& rules = (*c->rules_of_pattern)[id];
  c->out->insert(c->out->end(), rules.begin(), rules.end());
  return 0;
}

}  // namespace

void Prefilter::Scan(BufferId id, ByteView data, PrefilterScratch& scratch,
                     std::vector<uint32_t>& out) const {
  if (id >= impl_->buffers.size()) return;
  const BufferDb& b = impl_->buffers[id];
  auto& scratches = scratch.impl().by_buffer;
  if (!b.db || data.empty() || id >= scratches.size() || !scratches[id]) return;
  // Single-match patterns, and each rule belongs to one pattern: every rule is reported once.
  ScanContext ctx{&b.rules_of_pattern, &out};
  (void)b.db->Scan(data, *scratches[id], OnMatch, &ctx);
}

const std::vector<uint32_t>& Prefilter::always_candidates() const { return impl_->always; }

int Prefilter::fast_pattern_buffer(uint32_t rule) const {
  return rule < impl_->fp_buffer.size() ? impl_->fp_buffer[rule] : -1;
}

}  // namespace mw::rules
