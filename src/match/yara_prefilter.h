// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// A Hyperscan prefilter in front of libyara. libyara's Aho-Corasick pass runs at ~250 MB/s;
// Hyperscan finds the same strings (as literals, or as prefilter regexes for hex/regex
// strings) several times faster. A buffer goes to libyara only when, counting every atom hit
// as a string match, some rule's condition could still be true. Atom hits are a superset of
// string matches and the condition bound is monotone, so the prefiltered result equals the
// plain libyara result; rules whose conditions cannot be bounded (not, filesize, modules...)
// or whose strings have no atom (xor, base64, wide regex) make the whole set "always scan".
//
// YaraPrefilter is immutable and shared; PrefilterScratch is per thread.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "match/hyperscan.h"
#include "mw/core/byte_view.h"

struct YR_RULES;

namespace mw::match {

// Monotone upper bound of a YARA condition over "which of the rule's strings are present":
// false means the condition cannot be true with that set of strings present. Anything the
// analyzer does not understand counts as "may be true".
class ConditionBound {
 public:
  // "string_ids" are the rule's string identifiers in declaration order ("$a", "$", ...).
  // Never fails: unparsable input yields a bound that is always true.
  static ConditionBound Analyze(std::string_view condition,
                                const std::vector<std::string>& string_ids);
  // seen[i] != 0 when string i may be present.
  bool Eval(const uint8_t* seen) const;
  // True when the condition needs at least one string match (Eval with nothing seen is false).
  bool Gated() const;
  // Debug form, e.g. "and(atleast(1;0,1),true)".
  std::string ToString() const;
  // A cheap set of strings one of which every match needs: when the condition is true, some
  // string of Cover() is present. "cost[i]" weighs string i (an AND takes its cheapest operand,
  // "n of k" its k - n + 1 cheapest strings). Every string when there is no such set. The promise
  // holds for Gated() conditions only: one that is true with no string present has no cover.
  std::vector<uint32_t> Cover(const std::vector<double>& cost) const;

  struct Node {
    enum Kind : uint8_t { kTrue, kFalse, kAnd, kOr, kAtLeast } kind = kTrue;
    uint32_t n = 0;               // kAtLeast: how many of "items" must be seen
    std::vector<uint32_t> items;  // kAnd/kOr: node indices; kAtLeast: string indices
  };

 private:
  bool EvalNode(uint32_t i, const uint8_t* seen) const;
  // False when node "i" can be true with no string present.
  bool CoverNode(uint32_t i, const std::vector<double>& cost, std::vector<uint32_t>* out,
                 double* total) const;
  std::string NodeString(uint32_t i) const;
  std::vector<Node> nodes_;  // nodes_[root_] is the root
  uint32_t root_ = 0;
  size_t string_count_ = 0;
  friend class ConditionParser;
};

// A rule as written in source text (only what the prefilter needs).
struct RuleSourceString {
  std::string id;   // "$a", "$" for anonymous
  char kind = 't';  // 't' text, 'h' hex, 'r' regex
  std::string
      body;  // text without quotes (escapes kept), hex without braces, regex without slashes
};
struct RuleSource {
  std::string name;
  std::vector<RuleSourceString> strings;
  std::string condition;
};
// Lenient: the text already compiled with libyara. Never fails or loops; garbage yields fewer
// rules.
std::vector<RuleSource> ParseRuleSource(std::string_view text);

// Translates a YARA hex string body ("4D 5A ?? [2-4] (01|02)") to a Hyperscan regex; "" when
// it cannot (e.g. "~" negations).
std::string HexToRegex(std::string_view hex);

struct RuleSourceText {
  std::string ns;  // YARA namespace the text was compiled into
  std::string text;
};

class PrefilterScratch;

class YaraPrefilter {
 public:
  ~YaraPrefilter();
  YaraPrefilter(const YaraPrefilter&) = delete;
  YaraPrefilter& operator=(const YaraPrefilter&) = delete;

  // Never fails: a rule set it cannot prefilter comes back with always_scan() true and the
  // reasons (one line per rule) in always_scan_reasons(). "cache_dir": where the Hyperscan
  // databases are kept between runs (HsDatabase::CompileCached); "" compiles every time.
  static std::unique_ptr<const YaraPrefilter> Build(YR_RULES* rules,
                                                    const std::vector<RuleSourceText>& sources,
                                                    const std::string& cache_dir = "");

  bool always_scan() const { return always_scan_; }
  const std::vector<std::string>& always_scan_reasons() const { return reasons_; }
  size_t atom_count() const { return atom_string_.size(); }
  // Atoms Accumulate looks for (atom_count() when there is no smaller trigger set).
  size_t trigger_atom_count() const { return trigger_db_ ? trigger_atoms_ : atom_count(); }
  // Longest byte length any atom (a literal, or a bounded regex such as a hex string with short
  // jumps) can match; 0 when unknown. Chunked scanners overlap chunks by at least this much.
  size_t max_literal_length() const { return max_literal_length_; }

  // False only when no rule can match "data": libyara may be skipped.
  bool MayMatch(ByteView data, PrefilterScratch& scratch) const;

  // A first look at a buffer seen as windows (scanned while they are still in cache): true once
  // some window since ResetAccumulated holds a trigger, an atom of a string that every match
  // of its rule needs (ConditionBound::Cover; short literals such as "DAG" are left out where
  // the rule needs another string anyway). True whenever MayMatch over the whole buffer would
  // be, so false lets the buffer skip libyara; true means "ask MayMatch" (the caller reads the
  // buffer again). Most buffers (random data, a RandomX cache) hold no trigger, and the smaller
  // literal set runs faster over them. Windows that overlap by at least max_literal_length()
  // bytes and cover the buffer find every trigger in it. Only valid when windowed() is true.
  bool Accumulate(ByteView window, PrefilterScratch& scratch) const;
  void ResetAccumulated(PrefilterScratch& scratch) const;
  // True when every atom's matches are at most max_literal_length() bytes long: a regex with
  // no length bound ("a.*b") could be split by any window boundary.
  bool windowed() const { return !always_scan_ && !unbounded_atoms_ && max_literal_length_ > 0; }

 private:
  YaraPrefilter() = default;
  struct RuleBound {
    ConditionBound bound;
    uint32_t first_string = 0;  // global index of the rule's first logical string
  };
  void BuildTriggers(const std::vector<HsPattern>& patterns, const std::vector<double>& string_cost,
                     const std::string& cache_dir);
  bool always_scan_ = true;
  std::vector<std::string> reasons_;
  std::unique_ptr<const HsDatabase> db_;
  std::unique_ptr<const HsDatabase> trigger_db_;  // null: Accumulate uses db_
  size_t trigger_atoms_ = 0;
  std::vector<uint32_t> atom_string_;  // atom id → global logical string index
  std::vector<uint32_t> string_rule_;  // global logical string index → rule bound index
  std::vector<RuleBound> rules_;
  size_t max_literal_length_ = 0;
  bool unbounded_atoms_ = false;
  friend class PrefilterScratch;
  friend int OnAtom(unsigned, uint64_t, uint64_t, void*);
};

// Per-thread Hyperscan scratch and the "seen" set, allocated once.
class PrefilterScratch {
 public:
  explicit PrefilterScratch(const YaraPrefilter* prefilter);
  ~PrefilterScratch();
  PrefilterScratch(const PrefilterScratch&) = delete;
  PrefilterScratch& operator=(const PrefilterScratch&) = delete;
  bool ok() const { return scratch_ && scratch_->ok(); }

 private:
  const YaraPrefilter* prefilter_;
  std::unique_ptr<HsScratch> scratch_;
  std::unique_ptr<HsScratch> trigger_scratch_;
  std::vector<uint8_t> seen_;
  std::vector<uint32_t> touched_;
  bool possible_ = false;
  friend class YaraPrefilter;
  friend int OnAtom(unsigned, uint64_t, uint64_t, void*);
};

}  // namespace mw::match
