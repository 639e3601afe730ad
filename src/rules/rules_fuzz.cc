// minerwatch — SPDX-License-Identifier: Apache-2.0
// Fuzzes the rule loader and parser: any text loads without crashing, every active rule is either
// loaded or skipped with a reason, and a loaded rule has a sid and only known buffers in order.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rules/rule_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mw::rules;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  LoadOptions options;
  options.max_rule_bytes = 4096;  // small, so the oversized-line path is reached too
  options.vars["LOOP"] = "[$LOOP,1.2.3.4]";
  uint64_t skips_seen = 0;
  options.on_skip = [&skips_seen](const SkippedRule& s) {
    if (s.reason.empty()) __builtin_trap();
    ++skips_seen;
  };
  RuleLoader loader(options);
  loader.LoadText(text, "fuzz.rules");
  const RuleSet& set = loader.rule_set();
  if (set.stats.loaded + set.stats.skipped != set.stats.active) __builtin_trap();
  if (skips_seen != set.stats.skipped) __builtin_trap();
  if (set.rules.size() != set.stats.loaded) __builtin_trap();
  for (const Rule& rule : set.rules) {
    if (rule.sid == 0) __builtin_trap();
    for (const BufferMatches& b : rule.buffers)
      if (b.buffer.empty() || b.matches.empty()) __builtin_trap();
  }
  // The whole input as one rule too, continuation and comments aside.
  (void)ParseRule(text, options.vars);
  return 0;
}
