// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// What the Stratum parser reports (src/protocols/protocol_counters.h). Until the flow shows a
// mining message a malformed line is a violation (the flow is not Stratum); after it, the same
// line is an anomaly and parsing goes on.
#include "protocols/protocol_counters.h"

// X(enum, name, help)
#define MW_STRATUM_ANOMALIES(X)                                                           \
  X(kOversizedLine, "stratum.oversized_line", "line over 16 KB (kMaxLine): skipped")      \
  X(kBatchTooLarge, "stratum.batch_too_large",                                            \
    "batch of more than 32 messages (kMaxBatch): the rest skipped")                       \
  X(kMalformedJson, "stratum.malformed_json", "line (or batch element) that is not JSON") \
  X(kNotJsonRpc, "stratum.not_jsonrpc", "JSON (or batch element) that is not JSON-RPC")

#define MW_STRATUM_VIOLATIONS(X)                                                               \
  X(kNotJsonObject, "stratum.not_json_object", "first line does not start an object or batch") \
  X(kNotJson, "stratum.not_json", "first line is not JSON")                                    \
  X(kNotJsonRpc, "stratum.not_jsonrpc", "first message is JSON but not JSON-RPC")              \
  X(kNotMining, "stratum.not_mining", "first JSON-RPC request names no mining method")         \
  X(kNoMiningMethod, "stratum.no_mining_method",                                               \
    "more than 8 JSON-RPC answers before any mining method")

namespace mw::stratum {
MW_PROTOCOL_COUNTERS(MW_STRATUM_ANOMALIES, MW_STRATUM_VIOLATIONS);
}  // namespace mw::stratum
