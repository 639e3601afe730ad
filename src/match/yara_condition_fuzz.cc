// minerwatch — SPDX-License-Identifier: Apache-2.0
// The prefilter's readers of untrusted rule text: the rule-source reader, the condition
// analyzer (bound evaluation over every string subset of small rules) and the hex translator.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "match/yara_prefilter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const auto& rule : mw::match::ParseRuleSource(text)) {
    std::vector<std::string> ids;
    for (const auto& s : rule.strings) {
      ids.push_back(s.id);
      if (s.kind == 'h') (void)mw::match::HexToRegex(s.body);
    }
    auto bound = mw::match::ConditionBound::Analyze(rule.condition, ids);
    std::vector<uint8_t> seen(ids.size() + 1, 1);
    (void)bound.Eval(seen.data());
    (void)bound.Gated();
  }
  // The raw input as a condition over a fixed string set.
  static const std::vector<std::string> kIds = {"$a", "$b", "$c1", "$c2", "$"};
  auto bound = mw::match::ConditionBound::Analyze(text, kIds);
  // Cover's promise (the prefilter's triggers rely on it): a true gated condition has a cover
  // string present. An ungated one (true with no string, e.g. the empty condition) has no cover;
  // the prefilter turns itself off for such rules (YaraPrefilter::Build), so none is promised.
  const std::vector<uint32_t> cover = bound.Cover({3, 1, 2, 2, 5});
  const bool gated = bound.Gated();
  for (unsigned mask = 0; mask < 32; ++mask) {
    uint8_t seen[5];
    for (int i = 0; i < 5; ++i) seen[i] = (mask >> i) & 1;
    bool covered = false;
    for (uint32_t i : cover) covered |= i < 5 && seen[i];
    const bool true_here = bound.Eval(seen);
    if (gated && true_here && !covered) __builtin_trap();
  }
  (void)bound.ToString();
  (void)mw::match::HexToRegex(text);
  return 0;
}
