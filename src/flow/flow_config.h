// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Limits and timeouts of the flow layer. Plain values with documented defaults; all times are
// packet time (microseconds); a silent live interface moves it by wall time (the sensor).
#include <cstdint>

#include "mw/net/flow_info.h"

namespace mw::flow {

inline constexpr TimestampUs kSecond = 1'000'000;

struct FlowConfig {
  // Hard bound on tracked flows; when full the least recently seen flow is evicted. At about
  // 130 bytes per payload-less flow plus the hash index, 1M flows stay well under 512 MB RSS.
  uint32_t max_flows = 1'000'000;

  // Idle timeouts per protocol.
  TimestampUs tcp_timeout_us = 300 * kSecond;
  TimestampUs tcp_closed_timeout_us = 10 * kSecond;  // after a FIN or RST
  TimestampUs udp_timeout_us = 60 * kSecond;
  TimestampUs icmp_timeout_us = 30 * kSecond;

  // Out-of-order TCP bytes buffered per flow (both directions) and in total. When a cap is hit
  // the hole is declared lost: the parser gets OnGap() and the buffered bytes are delivered.
  uint32_t max_ooo_bytes_per_flow = 256 * 1024;
  uint64_t max_ooo_bytes_total = 64ull << 20;

  // flow.memcap: bytes of per-flow state (FlowExt, parser objects and buffers, probe, pending and
  // out-of-order bytes) one table may hold; 0 = unlimited. Under pressure the table sheds the
  // state of flows that are neither promising (a parser confirmed its protocol) nor recently
  // active, then ends idle promising flows; see flow_memory.h and docs/architecture.md.
  uint64_t memcap = kDefaultMemcap;
  static constexpr uint64_t kDefaultMemcap = 256ull << 20;

  // Protocol identification: bytes of each TCP direction offered to the probes, and UDP
  // datagrams per flow, before giving up.
  uint32_t probe_bytes = 2048;
  uint32_t udp_probe_datagrams = 8;
  // Reassemble every TCP flow that started with a handshake, even when no parser wants its
  // bytes, and publish them as StreamDataEvents (the rule engine inspects streams).
  bool inspect_streams = false;
};

}  // namespace mw::flow
