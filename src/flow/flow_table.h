// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Bidirectional 5-tuple flows with client/server roles, idle timeouts, a hard size bound, TCP
// reassembly and the app layer (see app_session.h).
//
// Roles: the SYN's sender is the client; a SYN-ACK seen first makes its sender the server;
// otherwise the first packet's sender is the client unless only its port looks like a service
// (mid-stream pickup of a server reply).
//
// Memory: at most max_flows flows; a new flow in a full table evicts the least recently seen one
// (counted), so floods of random sources never grow memory. A flow without payload is ~130
// bytes; reassembly and parser state (FlowExt) are allocated only when payload arrives and freed
// as soon as no parser can use the bytes. That state is charged to one budget (FlowConfig::
// memcap, flow_memory.h). Flows holding state sit on a CLOCK ring: a packet with payload sets
// the flow's "referenced" bit, and to make room the hand sheds (stops buffering) flows that are
// not promising (no parser confirmed its protocol) and were not referenced since the hand last
// passed; if that is not enough it ends idle promising flows (FlowEndEvent kEvicted). A flow
// whose own charge cannot be met stops buffering. Each pass is bounded (kReclaimSteps), so the
// cost stays O(1) amortised per allocation; nothing is done per packet but setting the bit.
//
// Time is packet time. Idle flows are found through one LRU list per timeout class, checked at
// most once per packet-second, so expiry costs O(expired flows), never a table scan.
//
// Events: flow::FlowStartEvent when a flow is created, flow::FlowEndEvent (after the parser's
// OnEnd) when it closes by FIN/RST, times out, is evicted or at Finish(); while subscribed,
// flow::PacketEvent after each packet and flow::StreamDataEvent per reassembled delivery
// (inspection_events.h).
//
// Thread-safety: not thread-safe; one table per pipeline thread.
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "decode/decoded_packet.h"
#include "flow/flow_config.h"
#include "flow/flow_counters.h"
#include "flow/flow_events.h"
#include "flow/flow_memory.h"
#include "flow/inspection_events.h"
#include "mw/parse/app_parser.h"
#include "mw/parse/event_bus.h"

namespace mw::flow {

class FlowTable final : private Reclaimer {
 public:
  // "registry" and "bus" must outlive the table.
  FlowTable(const FlowConfig& config, const ParserRegistry& registry, EventBus& bus);
  ~FlowTable() override;
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  void Process(const decode::DecodedPacket& packet);
  // Moves packet time forward without a packet (idle live capture): runs due timeouts.
  void Advance(TimestampUs now);
  // Ends every flow (FlowEndEvent reason kShutdown), oldest first; the table is empty after.
  void Finish();

  const FlowCounters& counters() const { return counters_; }
  size_t size() const { return counters_.active; }
  uint64_t buffered_bytes() const { return total_buffered_; }
  const MemcapCounters& memcap() const { return pool_.counters(); }

 private:
  struct Flow;
  struct FlowExt;
  enum TimeoutClass : uint8_t { kTcpOpen, kTcpClosed, kUdp, kIcmp, kClassCount };
  static constexpr uint32_t kNil = UINT32_MAX;

  uint64_t Hash(const decode::DecodedPacket& p) const;
  uint32_t Lookup(const decode::DecodedPacket& p, uint64_t hash, Direction* dir) const;
  uint32_t Create(const decode::DecodedPacket& p, uint64_t hash, Direction* dir);
  void Remove(uint32_t index);
  // Ends the flow: flushes reassembly, parser OnEnd, FlowEndEvent. Does not remove it.
  void End(Flow& f, EndReason reason);
  void Expire(TimestampUs now);
  void EvictOne();
  // Doubles the hash index (up to max_buckets_) and relinks every flow.
  void GrowIndex();

  void HandleTcp(Flow& f, uint32_t index, Direction dir, const decode::DecodedPacket& p);
  void HandleUdp(Flow& f, uint32_t index, Direction dir, const decode::DecodedPacket& p);
  // FlowConfig::inspect_streams: a flow with a handshake stays reassembled without a parser.
  bool KeepsStream(const Flow& f) const;
  // Handshake seen from the client's SYN to its ACK: the stream is inspected as Suricata does.
  static bool StreamInspectable(const Flow& f);
  void PublishPacket(const Flow& f, Direction dir, const decode::DecodedPacket& p);
  FlowExt* EnsureExt(Flow& f, uint32_t index);
  void ReleaseExt(Flow& f);

  // flow.memcap (Reclaimer): sheds other flows' state until "need" more bytes fit.
  void MakeRoom(uint64_t need, const MemoryAccount& requester) override;
  // One bounded turn of the CLOCK hand; "promising" selects which flows it may take. Returns
  // whether it met any such flow (taken or spared for being recently active).
  bool ReclaimPass(uint64_t need, uint32_t requester, bool promising);
  // Stops buffering for a flow: its state is freed, it stays tracked without an app layer.
  void ShedFlow(Flow& f);
  // Ends a flow to free its state: parser OnEnd, FlowEndEvent kEvicted; out-of-order bytes are
  // dropped rather than delivered (delivering them could need memory).
  void EvictForMemory(Flow& f);
  void ClockInsert(uint32_t index);
  void ClockUnlink(uint32_t index);

  void LruUnlink(uint32_t index);
  void LruAppend(uint32_t index, TimeoutClass c);
  // Makes the flow the most recently seen of class "c" (moving it between classes if needed).
  void Touch(uint32_t index, TimeoutClass c);
  TimestampUs TimeoutOf(TimeoutClass c) const;

  FlowConfig config_;
  const ParserRegistry& registry_;
  EventBus& bus_;
  uint64_t tcp_candidates_;
  uint64_t udp_candidates_;

  std::vector<Flow> flows_;  // slab: capacity reserved up front, never reallocated
  // Beside each Flow slot (same index): its hash-chain link and the low 32 bits of its hash,
  // kept apart so that a lookup walks 8-byte entries and touches only the Flow it finds.
  struct Link {
    uint32_t next = kNil;  // hash chain, or the free list for a free slot
    uint32_t hash = 0;     // low bits of the flow hash: the bucket at any index size
  };
  std::vector<Link> links_;
  uint32_t free_head_ = kNil;  // free slots chained through Link::next
  // Hash index, chains through Link::next. It grows with the live flow count (load factor <= 1)
  // instead of being sized for max_flows, so for typical traffic it stays in cache.
  std::vector<uint32_t> buckets_;
  uint64_t bucket_mask_ = 0;
  uint64_t max_buckets_ = 0;  // power of two >= max_flows
  std::array<uint32_t, kClassCount> lru_head_{};
  std::array<uint32_t, kClassCount> lru_tail_{};

  // Storage of released FlowExts, reused before asking malloc (one per flow with payload);
  // at most kExtPoolMax blocks are kept.
  static constexpr size_t kExtPoolMax = 1024;
  std::vector<void*> ext_pool_;

  MemoryPool pool_;
  uint32_t clock_hand_ = kNil;  // ring of the flows holding a FlowExt
  bool reclaiming_ = false;     // MakeRoom is running: nested charges are refused, not reclaimed
  static constexpr int kReclaimSteps = 64;

  TimestampUs now_ = 0;
  TimestampUs next_sweep_ = 0;
  uint64_t next_flow_id_ = 0;
  uint64_t total_buffered_ = 0;
  bool payload_in_stream_ = false;  // the packet being handled added bytes to its stream
  FlowCounters counters_;
};

}  // namespace mw::flow
