// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Reassembly of one TCP direction into in-order bytes.
//
// Sequence numbers are mapped to 64-bit stream positions (wrap-around safe). In-order bytes go
// straight to the sink without copying; segments ahead of a hole are copied into a bounded
// buffer. Rules: retransmissions are dropped, overlaps keep the first copy, a stream seen without
// its SYN starts at the first segment (mid-stream pickup). A hole becomes a gap (OnStreamGap)
// when a buffer cap is hit or when the stream is flushed at FIN/RST/timeout.
#include <cstdint>
#include <vector>

#include "flow/flow_counters.h"
#include "flow/flow_memory.h"
#include "mw/core/byte_view.h"

namespace mw::flow {

class TcpStreamSink {
 public:
  virtual ~TcpStreamSink() = default;
  virtual void OnStreamData(ByteView bytes) = 0;
  virtual void OnStreamGap(uint32_t len) = 0;
};

// Buffer accounting shared by the streams of a flow and by all flows. Buffered bytes are also
// charged to "memory" (flow.memcap) when it is set; a refused charge is a cap hit like the others.
struct ReassemblyBudget {
  uint32_t& flow_buffered;
  uint32_t flow_limit;
  uint64_t& total_buffered;
  uint64_t total_limit;
  MemoryAccount* memory = nullptr;
};

class TcpStream {
 public:
  // The SYN's sequence number: the first data byte is "seq" + 1.
  void OnSyn(uint32_t seq);
  // A segment carrying "data" at "seq"; "missing_tail" bytes of it were cut by the snaplen.
  void OnSegment(uint32_t seq, ByteView data, uint32_t missing_tail, TcpStreamSink& sink,
                 ReassemblyBudget& budget, TcpCounters& counters);
  // A FIN at "seq" (the sequence number after the segment's payload).
  void OnFin(uint32_t seq);
  // Delivers everything buffered, reporting each hole before it as a gap; then the stream
  // holds nothing.
  void Flush(TcpStreamSink& sink, ReassemblyBudget& budget, TcpCounters& counters);
  // Drops buffered bytes without delivering them.
  void Discard(ReassemblyBudget& budget);

  // FIN seen and every byte before it delivered (or the direction never sent data).
  bool finished() const { return fin_seen_ && (!initialized_ || delivered_ >= fin_pos_); }
  bool initialized() const { return initialized_; }
  uint64_t delivered() const { return delivered_; }
  uint32_t buffered_bytes() const { return buffered_; }  // including per-segment overhead
  size_t buffered_segments() const { return ooo_.size(); }

 private:
  // Buffer accounting charges each buffered segment its bookkeeping too, so that floods of
  // 1-byte segments cannot exceed the caps.
  static constexpr uint32_t kSegmentOverhead = 64;
  struct Segment {
    uint64_t pos;
    std::vector<uint8_t> data;
    uint64_t end() const { return pos + data.size(); }
  };
  // Stream position of "seq", relative to what has been delivered. Negative = before the start.
  int64_t PositionOf(uint32_t seq) const;
  void Deliver(ByteView bytes, TcpStreamSink& sink, TcpCounters& counters);
  // Delivers new bytes at delivered_, letting buffered bytes win where both exist.
  void DeliverInOrder(uint64_t pos, ByteView data, TcpStreamSink& sink, ReassemblyBudget& budget,
                      TcpCounters& counters);
  void PopFront(ReassemblyBudget& budget);
  void Gap(uint64_t len, TcpStreamSink& sink, TcpCounters& counters);

  bool initialized_ = false;
  bool fin_seen_ = false;
  uint32_t base_seq_ = 0;   // sequence number of stream position 0
  uint64_t delivered_ = 0;  // stream position of the next byte to deliver
  uint64_t fin_pos_ = 0;
  uint32_t buffered_ = 0;
  std::vector<Segment> ooo_;  // sorted by pos, non-overlapping, all beyond delivered_
};

}  // namespace mw::flow
