// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Loads rule files the way Suricata reads them: one rule a line, a trailing backslash continues
// it, '#' starts a comment, and a commented-out rule ("# alert ...") is counted as disabled. A rule
// that does not parse is skipped with one line "file:line: sid N: reason" and the others still
// load. Memory is bounded whatever the input: lines longer than max_rule_bytes are skipped without
// being kept, and only the first max_kept_skips skip records are stored (all are counted and
// passed to on_skip).
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mw/core/result.h"
#include "rules/rule.h"
#include "rules/rule_parser.h"

namespace mw::rules {

struct SkippedRule {
  std::string file;
  uint32_t line = 0;
  std::optional<uint32_t> sid;  // when the text declares one
  std::string reason;
  // "file:line: sid N: reason", or "file:line: reason" when no sid could be read.
  std::string Text() const;
};

struct LoadStats {
  uint64_t active = 0;  // rules that were not commented out
  uint64_t loaded = 0;
  uint64_t skipped = 0;
  uint64_t disabled = 0;  // "# alert ..." lines
  // "N of M rules loaded (K skipped, D disabled)".
  std::string Summary() const;
};

struct LoadOptions {
  Vars vars = DefaultVars();
  size_t max_rule_bytes = 64 * 1024;  // Suricata's own rules stay far below this
  size_t max_kept_skips = 1000;
  std::function<void(const SkippedRule&)> on_skip;  // every skip, as it happens
};

struct RuleSet {
  std::vector<Rule> rules;
  std::vector<SkippedRule> skipped;  // the first max_kept_skips
  LoadStats stats;
};

// Accumulates rules from several files into one set; a (gid, sid) seen twice keeps the higher rev,
// as Suricata does, and the other copy is a skip.
class RuleLoader {
 public:
  explicit RuleLoader(LoadOptions options) : options_(std::move(options)) {}

  // Fails only when the file cannot be read; bad rules are skips, not errors.
  [[nodiscard]] Status LoadFile(const std::string& path);
  // "name" is what messages call the text (a file name).
  void LoadText(std::string_view text, std::string_view name);

  const RuleSet& rule_set() const { return set_; }
  RuleSet Take() { return std::move(set_); }

 private:
  class LineAssembler;
  void HandleLogicalLine(std::string_view text, std::string_view file, uint32_t line);
  void HandleOversizedRule(std::string_view file, uint32_t line);
  void HandleRule(std::string_view text, std::string_view file, uint32_t line);
  void AddRule(Rule rule);
  void Skip(std::string_view file, uint32_t line, std::optional<uint32_t> sid, std::string reason);

  LoadOptions options_;
  RuleSet set_;
  std::map<std::pair<uint32_t, uint32_t>, size_t> by_gid_sid_;  // index into set_.rules
};

}  // namespace mw::rules
