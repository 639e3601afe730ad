// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Counters of the flow layer: flow lifecycle, TCP reassembly and app-layer attachment.
#include <cstdint>
#include <cstring>
#include <string_view>
#include <utility>
#include <vector>

namespace mw::flow {

// Counts keyed by string-literal names (parser anomalies, violation reasons). Names are compared
// by pointer first, so the common case costs no string compare; the set of literals is finite.
class NamedCounters {
 public:
  void Add(const char* name, uint64_t n = 1) {
    for (auto& [k, v] : items_) {
      if (k.data() == name || k == name) {
        v += n;
        return;
      }
    }
    items_.emplace_back(std::string_view(name), n);
  }
  uint64_t Get(std::string_view name) const {
    for (const auto& [k, v] : items_)
      if (k == name) return v;
    return 0;
  }
  uint64_t total() const {
    uint64_t n = 0;
    for (const auto& kv : items_) n += kv.second;
    return n;
  }
  const std::vector<std::pair<std::string_view, uint64_t>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string_view, uint64_t>> items_;
};

struct TcpCounters {
  uint64_t segments = 0;          // TCP packets seen
  uint64_t payload_segments = 0;  // ...that carried payload into reassembly
  uint64_t bytes_delivered = 0;   // in-order bytes handed to the app layer
  uint64_t retransmits = 0;       // segments wholly already delivered (dropped)
  uint64_t overlaps = 0;          // segments partly overlapping known bytes (first copy kept)
  uint64_t out_of_order = 0;      // segments buffered ahead of a hole
  uint64_t gaps = 0;              // holes declared lost
  uint64_t gap_bytes = 0;
  uint64_t buffer_limit_hits = 0;  // holes forced by the per-flow or global buffer cap
};

struct FlowCounters {
  uint64_t created = 0;
  uint64_t active = 0;
  uint64_t closed_fin = 0;
  uint64_t closed_rst = 0;
  uint64_t timed_out = 0;
  uint64_t evicted = 0;  // ended early because the table was full
  uint64_t ended_at_shutdown = 0;
  uint64_t after_close = 0;  // stray packets of a flow already closed by FIN/RST
  TcpCounters tcp;
  uint64_t parser_attaches = 0;
  uint64_t parser_violations = 0;  // parsers detached (kInvalid, Violate, buffer overflow)
  uint64_t protocol_unknown = 0;   // flows whose probes all said no
  NamedCounters violations;        // by reason
  NamedCounters anomalies;         // ParseContext::Anomaly names
};

}  // namespace mw::flow
