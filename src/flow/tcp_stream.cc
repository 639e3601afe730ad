// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "flow/tcp_stream.h"

#include <algorithm>

namespace mw::flow {

void TcpStream::OnSyn(uint32_t seq) {
  if (initialized_) return;  // SYN retransmission, or data already seen
  initialized_ = true;
  base_seq_ = seq + 1;
  delivered_ = 0;
}

int64_t TcpStream::PositionOf(uint32_t seq) const {
  const uint32_t next = base_seq_ + uint32_t(delivered_);
  return int64_t(delivered_) + int64_t(int32_t(seq - next));
}

void TcpStream::OnFin(uint32_t seq) {
  if (fin_seen_) return;
  fin_seen_ = true;
  if (initialized_) {
    int64_t pos = PositionOf(seq);
    fin_pos_ = pos < int64_t(delivered_) ? delivered_ : uint64_t(pos);
  }
}

void TcpStream::Deliver(ByteView bytes, TcpStreamSink& sink, TcpCounters& counters) {
  if (bytes.empty()) return;
  counters.bytes_delivered += bytes.size();
  delivered_ += bytes.size();
  sink.OnStreamData(bytes);
}

void TcpStream::Gap(uint64_t len, TcpStreamSink& sink, TcpCounters& counters) {
  if (len == 0) return;
  ++counters.gaps;
  counters.gap_bytes += len;
  delivered_ += len;
  sink.OnStreamGap(len > UINT32_MAX ? UINT32_MAX : uint32_t(len));
}

void TcpStream::PopFront(ReassemblyBudget& budget) {
  const uint32_t n = uint32_t(ooo_.front().data.size()) + kSegmentOverhead;
  buffered_ -= n;
  budget.flow_buffered -= n;
  budget.total_buffered -= n;
  if (budget.memory) budget.memory->Release(n);
  ooo_.erase(ooo_.begin());
}

void TcpStream::DeliverInOrder(uint64_t pos, ByteView data, TcpStreamSink& sink,
                               ReassemblyBudget& budget, TcpCounters& counters) {
  const uint64_t end = pos + data.size();
  while (delivered_ < end) {
    if (!ooo_.empty() && ooo_.front().pos <= delivered_) {
      // Bytes buffered earlier cover the cursor: the first copy wins.
      ++counters.overlaps;
      Segment& s = ooo_.front();
      ByteView tail(s.data);
      Deliver(tail.subspan(delivered_ - s.pos), sink, counters);
      PopFront(budget);
      continue;
    }
    const uint64_t limit = ooo_.empty() ? end : std::min(end, ooo_.front().pos);
    Deliver(data.subspan(delivered_ - pos, limit - delivered_), sink, counters);
  }
  // Buffered segments that are now contiguous.
  while (!ooo_.empty() && ooo_.front().pos <= delivered_) {
    Segment& s = ooo_.front();
    if (s.end() > delivered_) Deliver(ByteView(s.data).subspan(delivered_ - s.pos), sink, counters);
    PopFront(budget);
  }
}

void TcpStream::OnSegment(uint32_t seq, ByteView data, uint32_t missing_tail, TcpStreamSink& sink,
                          ReassemblyBudget& budget, TcpCounters& counters) {
  if (!initialized_) {  // mid-stream pickup: start at the first segment seen
    initialized_ = true;
    base_seq_ = seq;
    delivered_ = 0;
  }
  int64_t spos = PositionOf(seq);
  int64_t send = spos + int64_t(data.size());
  if (send <= int64_t(delivered_)) {
    ++counters.retransmits;
    return;
  }
  if (spos < int64_t(delivered_)) {  // partly old: keep only the new tail
    ++counters.overlaps;
    data = data.subspan(size_t(int64_t(delivered_) - spos));
    spos = int64_t(delivered_);
  }
  uint64_t pos = uint64_t(spos);
  if (pos == delivered_) {
    DeliverInOrder(pos, data, sink, budget, counters);
    // Bytes the snaplen cut are lost for good, so report them now rather than wait for a cap.
    if (missing_tail && ooo_.empty()) Gap(missing_tail, sink, counters);
    return;
  }

  ++counters.out_of_order;
  // Pieces of [pos, end) not yet buffered (first copy wins).
  const uint64_t end = pos + data.size();
  uint64_t fresh = 0, pieces = 0;
  {
    uint64_t cursor = pos;
    for (const auto& s : ooo_) {
      if (s.end() <= cursor) continue;
      if (s.pos >= end) break;
      if (s.pos > cursor) fresh += s.pos - cursor, ++pieces;
      cursor = std::max(cursor, s.end());
    }
    if (cursor < end) fresh += end - cursor, ++pieces;
  }
  if (fresh < data.size()) ++counters.overlaps;
  if (fresh == 0) return;
  const uint64_t charge = fresh + pieces * kSegmentOverhead;
  if (budget.flow_buffered + charge > budget.flow_limit ||
      budget.total_buffered + charge > budget.total_limit ||
      (budget.memory && !budget.memory->Charge(charge))) {
    // Out of buffer: declare the hole lost, deliver what we hold, then this segment.
    ++counters.buffer_limit_hits;
    Flush(sink, budget, counters);
    if (end <= delivered_) return;
    if (pos < delivered_) {
      data = data.subspan(delivered_ - pos);
      pos = delivered_;
    }
    Gap(pos - delivered_, sink, counters);
    Deliver(data, sink, counters);
    return;
  }
  uint64_t cursor = pos;
  size_t i = 0;
  while (cursor < end) {
    while (i < ooo_.size() && ooo_[i].end() <= cursor) ++i;
    uint64_t piece_end = end;
    if (i < ooo_.size()) {
      if (ooo_[i].pos <= cursor) {  // already buffered here
        cursor = ooo_[i].end();
        continue;
      }
      piece_end = std::min(end, ooo_[i].pos);
    }
    ByteView piece = data.subspan(cursor - pos, piece_end - cursor);
    ooo_.insert(ooo_.begin() + ptrdiff_t(i), Segment{cursor, {piece.begin(), piece.end()}});
    ++i;
    cursor = piece_end;
  }
  buffered_ += uint32_t(charge);
  budget.flow_buffered += uint32_t(charge);
  budget.total_buffered += charge;
}

void TcpStream::Flush(TcpStreamSink& sink, ReassemblyBudget& budget, TcpCounters& counters) {
  while (!ooo_.empty()) {
    Segment& s = ooo_.front();
    if (s.pos > delivered_) Gap(s.pos - delivered_, sink, counters);
    if (s.end() > delivered_) Deliver(ByteView(s.data).subspan(delivered_ - s.pos), sink, counters);
    PopFront(budget);
  }
  // A FIN beyond a hole that was never filled: the missing bytes are a gap too.
  if (fin_seen_ && initialized_ && fin_pos_ > delivered_)
    Gap(fin_pos_ - delivered_, sink, counters);
}

void TcpStream::Discard(ReassemblyBudget& budget) {
  while (!ooo_.empty()) PopFront(budget);
}

}  // namespace mw::flow
