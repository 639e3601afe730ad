// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// The ingest schema (docs/findings.md, "Ingest"): what POST /api/v1/findings accepts. Stricter
// than Finding::Parse, which reads what our own sensors write: ids the API's id routes can
// address, known categories, bounded strings and arrays, plausible times, no unknown fields.
// A pure function of the parsed body (the caller passes the clock), so it is fuzzed on its own.
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "mw/core/result.h"
#include "mw/findings/finding.h"

namespace mw::store {

struct IngestLimits {
  size_t max_findings = 1000;         // per request
  size_t max_text = 1024;             // indicator, source (bytes)
  size_t max_attack = 32;             // ATT&CK ids per finding
  size_t max_evidence_bytes = 16384;  // evidence as compact JSON (the store's own cap)
  size_t max_evidence_depth = 8;      // nested objects/arrays inside evidence
  TimestampUs max_clock_skew_us = 86400LL * 1000000;  // last_seen may be this far ahead of now
};

// The oldest time a finding may carry: 1990-01-01T00:00:00Z, before any of this existed.
inline constexpr TimestampUs kEarliestFindingTime = 631152000LL * 1000000;

// True for what the API's id routes match: [A-Za-z0-9_.:-]{1,128}.
bool IsAddressableId(std::string_view id);

// Validates a whole body {"findings": [finding, ...]} and returns the findings in order. The
// first violation is the error (InvalidArgument), naming its place in the body:
// "findings[3].severity: must be one of info, low, medium, high, critical".
Result<std::vector<Finding>> ValidateIngest(const nlohmann::json& body, TimestampUs now,
                                            const IngestLimits& limits = {});

}  // namespace mw::store
