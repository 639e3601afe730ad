// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "pipeline/packet_processor.h"

#include <string>

namespace mw {

PacketProcessor::PacketProcessor(const PacketProcessorConfig& config,
                                 const ParserRegistry& registry, EventBus& bus)
    : decoder_(config.decode), flows_(config.flow, registry, bus) {}

void PacketProcessor::Process(const capture::RawPacket& raw) {
  ++packets_;
  bytes_ += raw.wire_len;
  captured_bytes_ += raw.data.size();
  if (decoder_.Decode(raw, packet_) == decode::DecodeResult::kPacket)
    flows_.Process(packet_);
  else
    flows_.Advance(raw.ts);
}

const PacketStats& PacketProcessor::stats() const {
  stats_.packets = packets_;
  stats_.bytes = bytes_;
  stats_.captured_bytes = captured_bytes_;
  stats_.decode = decoder_.counters();
  stats_.flow = flows_.counters();
  stats_.memcap = flows_.memcap();
  stats_.flows_created = stats_.flow.created;
  return stats_;
}

std::vector<std::pair<std::string, uint64_t>> PacketStats::Flatten() const {
  std::vector<std::pair<std::string, uint64_t>> out;
  auto add = [&](std::string name, uint64_t v) { out.emplace_back(std::move(name), v); };
  add("packets", packets);
  add("bytes", bytes);
  add("captured_bytes", captured_bytes);
  add("decode.decoded", decode.decoded);
  add("decode.fragments", decode.fragments);
  add("decode.reassembled", decode.reassembled);
  for (size_t i = 0; i < decode.dropped.size(); ++i)
    add("decode.dropped." + std::string(decode::Name(decode::DropReason(i))), decode.dropped[i]);
  for (size_t i = 0; i < decode.skipped.size(); ++i)
    add("decode.skipped." + std::string(decode::Name(decode::SkipReason(i))), decode.skipped[i]);
  for (size_t i = 0; i < decode.anomalies.size(); ++i)
    add("decode.anomaly." + std::string(decode::Name(decode::DecodeAnomaly(i))),
        decode.anomalies[i]);
  add("flows.created", flow.created);
  add("flows.active", flow.active);
  add("flows.closed_fin", flow.closed_fin);
  add("flows.closed_rst", flow.closed_rst);
  add("flows.timed_out", flow.timed_out);
  add("flows.evicted", flow.evicted);
  add("flows.ended_at_shutdown", flow.ended_at_shutdown);
  add("flows.after_close", flow.after_close);
  add("tcp.segments", flow.tcp.segments);
  add("tcp.payload_segments", flow.tcp.payload_segments);
  add("tcp.bytes_delivered", flow.tcp.bytes_delivered);
  add("tcp.retransmits", flow.tcp.retransmits);
  add("tcp.overlaps", flow.tcp.overlaps);
  add("tcp.out_of_order", flow.tcp.out_of_order);
  add("tcp.gaps", flow.tcp.gaps);
  add("tcp.gap_bytes", flow.tcp.gap_bytes);
  add("tcp.buffer_limit_hits", flow.tcp.buffer_limit_hits);
  add("memcap.limit_bytes", memcap.limit);
  add("memcap.in_use_bytes", memcap.in_use);
  add("memcap.peak_bytes", memcap.peak);
  add("memcap.shed_flows", memcap.shed_flows);
  add("memcap.shed_bytes", memcap.shed_bytes);
  add("memcap.evicted_flows", memcap.evicted_flows);
  add("memcap.refused", memcap.refused);
  add("app.parser_attaches", flow.parser_attaches);
  add("app.parser_violations", flow.parser_violations);
  add("app.protocol_unknown", flow.protocol_unknown);
  // Parser-declared names (src/protocols/<proto>/<proto>_anomalies.h) appear once counted.
  for (size_t i = 0; i < flow.detached.size(); ++i)
    add("app.violation." + std::string(flow::Name(flow::DetachReason(i))), flow.detached[i]);
  for (const auto& e : flow.violations.items())
    add("app.violation." + std::string(e.name), e.count);
  if (flow.violations.overflow() != 0) add("app.violation.other", flow.violations.overflow());
  for (const auto& e : flow.anomalies.items()) add("app.anomaly." + std::string(e.name), e.count);
  if (flow.anomalies.overflow() != 0) add("app.anomaly.other", flow.anomalies.overflow());
  return out;
}

}  // namespace mw
