// minerwatch — SPDX-License-Identifier: Apache-2.0
// Fuzzes the matcher: the input's first line is a rule's options, the rest is the data. Whatever
// parses is compiled and matched on every buffer (and through the prefilter); nothing may crash,
// read outside the data or run without bound (the recursion and pcre limits).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rules/payload_match.h"
#include "rules/prefilter.h"
#include "rules/rule_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mw::rules;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t newline = input.find('\n');
  if (newline == std::string_view::npos) return 0;
  std::string text = "alert tcp any any -> any any (" + std::string(input.substr(0, newline)) + ")";
  mw::ByteView payload = mw::AsBytes(input.substr(newline + 1));
  auto rule = ParseRule(text, DefaultVars());
  if (!rule) return 0;
  PayloadScratch scratch;
  for (const BufferMatches& b : rule->buffers) {
    auto compiled = CompiledPayload::Compile(b);
    if (!compiled) continue;
    MatchSpan span;
    if (compiled->Matches(payload, scratch, &span) && span.offset + span.length > payload.size())
      __builtin_trap();
  }
  std::vector<Rule> rules{*rule};
  auto prefilter = Prefilter::Build(rules);
  if (!prefilter) return 0;
  auto ps = prefilter->MakeScratch();
  if (!ps) return 0;
  std::vector<uint32_t> hits;
  for (size_t id = 0; id < BufferNames().size(); ++id)
    prefilter->Scan(BufferId(id), payload, *ps, hits);
  if (hits.size() > 1) __builtin_trap();  // one rule, reported at most once
  return 0;
}
