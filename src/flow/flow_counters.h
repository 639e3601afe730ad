// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Counters of the flow layer: flow lifecycle, TCP reassembly and app-layer attachment.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace mw::flow {

// Counts keyed by string literal: the anomaly and violation names parsers hand to ParseContext
// (declared per protocol in src/protocols/<proto>/<proto>_anomalies.h). Fixed capacity and no
// allocation, so the counters copy as one block: a name is found by pointer first (one literal
// per declared name), by content only when that misses; names past kCapacity are summed under
// overflow().
class LiteralCounters {
 public:
  static constexpr size_t kCapacity = 64;  // the built-in protocols declare about 50 in all
  struct Entry {
    const char* name;
    uint64_t count;
  };

  void Add(const char* name, uint64_t n = 1) {
    for (size_t i = 0; i < size_; ++i) {
      if (items_[i].name == name) {
        items_[i].count += n;
        return;
      }
    }
    for (size_t i = 0; i < size_; ++i) {
      if (std::strcmp(items_[i].name, name) == 0) {
        items_[i].count += n;
        return;
      }
    }
    if (size_ == kCapacity) {
      overflow_ += n;
      return;
    }
    items_[size_++] = {name, n};
  }
  uint64_t Get(std::string_view name) const {
    for (const Entry& e : items())
      if (e.name == name) return e.count;
    return 0;
  }
  uint64_t total() const {
    uint64_t n = overflow_;
    for (const Entry& e : items()) n += e.count;
    return n;
  }
  uint64_t overflow() const { return overflow_; }
  // The names counted so far, in the order they first came.
  std::span<const Entry> items() const { return {items_.data(), size_}; }

 private:
  std::array<Entry, kCapacity> items_{};
  size_t size_ = 0;
  uint64_t overflow_ = 0;
};

// Why the flow layer detached a parser on its own (a parser's Violate() names are counted apart).
// X(enum, name, help)
#define MW_APP_DETACH_REASONS(X)                                                              \
  X(kInvalid, "invalid", "parser answered kInvalid without naming a violation")               \
  X(kMaxBuffer, "max_buffer", "parser left more bytes unconsumed than its spec's max_buffer") \
  X(kCreateFailed, "create_failed", "parser factory returned no parser")

#define MW_FLOW_ENUM(e, n, h) e,
enum class DetachReason : uint8_t { MW_APP_DETACH_REASONS(MW_FLOW_ENUM) kCount };
#undef MW_FLOW_ENUM

constexpr std::string_view Name(DetachReason r) {
#define MW_FLOW_NAME(e, n, h) n,
  constexpr std::string_view kNames[] = {MW_APP_DETACH_REASONS(MW_FLOW_NAME)};
#undef MW_FLOW_NAME
  return kNames[size_t(r)];
}

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
  uint64_t parser_violations = 0;  // parsers detached: a violation or a DetachReason
  uint64_t protocol_unknown = 0;   // flows whose probes all said no
  std::array<uint64_t, size_t(DetachReason::kCount)> detached{};  // the flow layer's reasons
  LiteralCounters violations;                                     // ParseContext::Violate names
  LiteralCounters anomalies;                                      // ParseContext::Anomaly names
};

}  // namespace mw::flow
