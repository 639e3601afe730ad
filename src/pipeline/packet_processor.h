// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// The packet path in one object: RawPacket → Decoder → FlowTable (TCP reassembly, protocol
// identification, parsers) → typed events on the EventBus. Sources and detectors live outside:
// the caller pulls packets from a capture::PacketSource and subscribes detectors to the bus.
//
//   PacketProcessor pp(config, registry, bus);
//   while (source->Next(raw).value_or(false)) pp.Process(raw);
//   pp.Finish();   // ends every flow: parsers' OnEnd, FlowEndEvent
//
// Thread-safety: not thread-safe; one processor per pipeline thread.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "capture/packet_source.h"
#include "decode/decoder.h"
#include "flow/flow_table.h"

namespace mw {

struct PacketProcessorConfig {
  decode::DecoderConfig decode = {};  // VLAN depth, IPv6 header chain, fragment reassembly limits
  flow::FlowConfig flow = {};  // max_flows, idle timeouts, reassembly caps, memcap, probe window
};

struct PacketStats {
  uint64_t packets = 0;
  uint64_t bytes = 0;             // wire bytes
  uint64_t captured_bytes = 0;    // captured bytes (caplen), what the source really delivered
  uint64_t flows_created = 0;     // also flow.created below
  decode::DecodeCounters decode;  // decoded, fragments, drops/skips/anomalies by reason
  flow::FlowCounters flow;        // flows, TCP reassembly, parser attaches/violations, anomalies
  flow::MemcapCounters memcap;    // flow.memcap: bytes in use, peak, what was shed to stay under

  uint64_t decode_errors() const { return decode.dropped_total(); }
  // Malformed input of any layer: dropped frames, detached parsers, parser anomalies.
  uint64_t MalformedTotal() const {
    return decode.dropped_total() + flow.parser_violations + flow.anomalies.total();
  }
  // Every counter as (name, value), for logs and /metrics.
  std::vector<std::pair<std::string, uint64_t>> Flatten() const;
};

class PacketProcessor {
 public:
  // "registry" and "bus" must outlive the processor.
  PacketProcessor(const PacketProcessorConfig& config, const ParserRegistry& registry,
                  EventBus& bus);

  void Process(const capture::RawPacket& raw);
  // Moves packet time on without a packet (idle live capture) so timeouts still fire.
  void Advance(TimestampUs now) { flows_.Advance(now); }
  // Ends every flow. The processor may be reused afterwards.
  void Finish() { flows_.Finish(); }

  const PacketStats& stats() const;
  size_t active_flows() const { return flows_.size(); }

 private:
  decode::Decoder decoder_;
  flow::FlowTable flows_;
  decode::DecodedPacket packet_;  // reused: decoding allocates nothing per packet
  uint64_t packets_ = 0;
  uint64_t bytes_ = 0;
  uint64_t captured_bytes_ = 0;
  mutable PacketStats stats_;
};

}  // namespace mw
