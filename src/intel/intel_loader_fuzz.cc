// minerwatch — SPDX-License-Identifier: Apache-2.0
// Fuzzes every intel format plus auto-detection: the first byte picks the format, the rest is
// the list (bit 0x80: subdomains, 0x40: allow broad entries). Whatever parses must load into a
// store and be found again by lookup; nothing refused as broad is among the indicators, and every
// refusal is counted under exactly one reason.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "intel/indicator.h"
#include "intel/intel_parse.h"
#include "intel/intel_store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mw::intel;
  if (size == 0) return 0;
  constexpr Format kFormats[] = {Format::kAuto,    Format::kPlain, Format::kHosts,
                                 Format::kAdblock, Format::kCsv,   Format::kStix,
                                 Format::kMisp,    Format::kJson,  Format::kTsv};
  Format format = kFormats[data[0] % (sizeof(kFormats) / sizeof(kFormats[0]))];
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  bool allow_broad = (data[0] & 0x40) != 0;
  auto parsed = ParseIntel(
      text, ParseOptions{
                .format = format, .subdomains = (data[0] & 0x80) != 0, .allow_broad = allow_broad});
  if (!parsed) return 0;
  // Every refusal is counted under one reason, and no refused entry slipped in.
  uint64_t reasons = 0;
  for (uint64_t n : parsed->stats.rejected) reasons += n;
  if (reasons != parsed->stats.invalid + parsed->stats.broad) __builtin_trap();
  if (parsed->stats.rejected[0] != 0) __builtin_trap();  // kNone is never a reason
  IntelStore store;
  for (const Indicator& ind : parsed->indicators) {
    Token t{ind.kind, ind.pattern};
    if (!allow_broad && BroadReason(t) != RejectReason::kNone) __builtin_trap();
    if (ind.kind == TokenKind::kDomain || ind.kind == TokenKind::kDomainSuffix) {
      if (!store.AddDomain(ind.pattern, ind.list, Entry{})) __builtin_trap();
      std::string_view name = ind.pattern;
      if (name.starts_with("*.")) name.remove_prefix(2);
      if (!store.LookupDomain(name)) __builtin_trap();
    } else {
      if (!store.AddIpOrCidr(ind.pattern, ind.list, Entry{})) __builtin_trap();
    }
  }
  // Lookups of arbitrary text never crash.
  (void)store.LookupDomain(text.substr(0, 300));
  return 0;
}
