// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Newline-delimited JSON-RPC over TCP for every mining dialect, both directions of one flow.
//
// Framing: complete lines are classified and published as stratum::MessageEvent; a trailing
// partial line is left unconsumed (NeedMore) for the flow layer to re-deliver. A line longer
// than kMaxLine raises "stratum.oversized_line" and is skipped up to its newline, so the flow
// layer never holds more than kMaxLine bytes for this parser.
//
// Batches: a line holding a JSON-RPC 2.0 batch (a JSON array) is handled element by element,
// each exactly as if it had been its own line; elements past kMaxBatch are skipped and raise
// "stratum.batch_too_large". Deeply nested arrays fail simdjson's depth limit (malformed JSON).
//
// Gaps: the bytes up to and including the next newline are dropped, then lines parse again.
//
// Verdict: the first message naming a mining method (with its dialect's parameter shape)
// confirms the flow. Before that, bytes that are not JSON-RPC, or a request for a non-mining
// method, violate; after it, malformed lines are anomalies and parsing goes on. Every anomaly and
// violation is declared in stratum_anomalies.h.
//
// Thread-safety: one instance per flow, used by the flow's pipeline thread only.
#include <cstdint>
#include <memory>

#include "mw/parse/app_parser.h"
#include "protocols/stratum/stratum_classifier.h"

namespace mw::stratum {

class StratumParser final : public AppParser {
 public:
  ParseResult OnData(Direction dir, ByteView bytes, ParseContext& ctx) override;
  void OnGap(Direction dir, uint32_t len, ParseContext& ctx) override;

  Dialect dialect() const { return flow_dialect_; }
  bool confirmed() const { return confirmed_; }

 private:
  class LineVisitor;

  // Return false when the flow is not a mining protocol (Violate was called).
  bool HandleLine(Direction dir, std::string_view line, ParseContext& ctx);
  bool HandleMessage(Direction dir, ClassifyStatus status, Classified& m, ParseContext& ctx);

  PendingRequests pending_;
  Dialect flow_dialect_ = Dialect::kUnknown;
  std::string_view flow_coin_;  // static string from InferCoin
  bool confirmed_ = false;
  bool discarding_[2] = {false, false};  // inside an oversized line or after a gap, per direction
  uint8_t unproven_messages_ = 0;        // JSON-RPC seen before confirmation that proves nothing
};

// Probe: the first bytes of a direction hold a JSON-RPC message of a mining dialect.
ProbeResult ProbeStratum(Direction dir, ByteView first_bytes);

std::unique_ptr<AppParser> CreateStratumParser();

}  // namespace mw::stratum
