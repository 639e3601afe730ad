// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// A protocol's anomalies and violations as typed, self-describing counters (Snort 3's
// self-describing PegInfo / RuleMap, Zeek's weirds without the free-form strings).
//
// Each protocol declares what it reports in src/protocols/<proto>/<proto>_anomalies.h, one
// X-macro list per kind, X(enum, name, help), the name spelled in full ("<proto>.<what>", so a
// grep for a counter finds its declaration):
//
//   #define MW_STRATUM_ANOMALIES(X)
//     X(kOversizedLine, "stratum.oversized_line", "line over 16 KB (kMaxLine): skipped")
//   MW_PROTOCOL_COUNTERS(MW_STRATUM_ANOMALIES, MW_STRATUM_VIOLATIONS)
//
// In the protocol's namespace that gives enum class Anomaly and Violation, their tables
// (kAnomalies / kViolations: name and help, for rules, metrics and docs), Info(...) and
// Report(ctx, Anomaly::kOversizedLine) / Report(ctx, Violation::kNotJson). Report hands the
// table's literal to ParseContext::Anomaly / Violate; the flow layer counts it by identity in a
// fixed table (flow::LiteralCounters, no allocation) and PacketStats::Flatten exports it as
// app.anomaly.<name> / app.violation.<name>. A violation detaches the parser; an anomaly does
// not.
#include <array>
#include <cstddef>
#include <cstdint>

#include "mw/parse/app_parser.h"

namespace mw::protocols {

struct CounterInfo {
  const char* name;  // "<proto>.<what>": what ParseContext gets, and the counter's name
  const char* help;  // one line: what happened and what the parser did about it
};

}  // namespace mw::protocols

#define MW_PROTOCOL_COUNTER_ENUM_(e, n, h) e,
#define MW_PROTOCOL_COUNTER_INFO_(e, n, h) ::mw::protocols::CounterInfo{n, h},

// Expands, in the protocol's namespace, the two X-macro lists into the typed counters above.
#define MW_PROTOCOL_COUNTERS(ANOMALIES, VIOLATIONS)                                               \
  enum class Anomaly : uint8_t { ANOMALIES(MW_PROTOCOL_COUNTER_ENUM_) kCount };                   \
  enum class Violation : uint8_t { VIOLATIONS(MW_PROTOCOL_COUNTER_ENUM_) kCount };                \
  inline constexpr std::array<::mw::protocols::CounterInfo, size_t(Anomaly::kCount)> kAnomalies = \
      {{ANOMALIES(MW_PROTOCOL_COUNTER_INFO_)}};                                                   \
  inline constexpr std::array<::mw::protocols::CounterInfo, size_t(Violation::kCount)>            \
      kViolations = {{VIOLATIONS(MW_PROTOCOL_COUNTER_INFO_)}};                                    \
  constexpr const ::mw::protocols::CounterInfo& Info(Anomaly a) {                                 \
    return kAnomalies[static_cast<size_t>(a)];                                                    \
  }                                                                                               \
  constexpr const ::mw::protocols::CounterInfo& Info(Violation v) {                               \
    return kViolations[static_cast<size_t>(v)];                                                   \
  }                                                                                               \
  /* Counts "a"; parsing goes on. */                                                              \
  inline void Report(::mw::ParseContext& ctx, Anomaly a) { ctx.Anomaly(Info(a).name); }           \
  /* The bytes are not this protocol: the flow layer detaches the parser. */                      \
  inline void Report(::mw::ParseContext& ctx, Violation v) { ctx.Violate(Info(v).name); }         \
  static_assert(size_t(Anomaly::kCount) + size_t(Violation::kCount) > 0, "nothing declared")
