// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "decode/ip_fragments.h"

#include <algorithm>
#include <cstring>

namespace mw::decode {

FragmentReassembler::FragmentReassembler(const FragmentConfig& config, DecodeCounters& counters)
    : config_(config), counters_(counters) {
  if (config_.max_datagrams == 0) config_.max_datagrams = 1;
  slots_.resize(config_.max_datagrams);
}

FragmentReassembler::Slot* FragmentReassembler::Find(const FragmentKey& key) {
  if (used_ == 0) return nullptr;
  for (auto& s : slots_)
    if (s.in_use && s.key == key) return &s;
  return nullptr;
}

FragmentReassembler::Slot* FragmentReassembler::Allocate(const FragmentKey& key, TimestampUs now) {
  Slot* victim = nullptr;
  for (auto& s : slots_) {
    if (!s.in_use) {
      victim = &s;
      break;
    }
    if (!victim || s.first_ts < victim->first_ts) victim = &s;
  }
  if (victim->in_use) {  // table full: the oldest datagram makes room
    ++counters_.dropped[size_t(DropReason::kFragEvicted)];
    Release(*victim);
  }
  victim->in_use = true;
  victim->key = key;
  victim->first_ts = now;
  victim->total = 0;
  victim->have_last = false;
  victim->n_ranges = 0;
  victim->buffer.clear();
  ++used_;
  next_expiry_ = std::min(next_expiry_, now + config_.timeout_us);
  return victim;
}

void FragmentReassembler::Release(Slot& s) {
  s.in_use = false;
  --used_;
}

bool FragmentReassembler::Insert(Slot& s, uint32_t offset, ByteView data) {
  const uint32_t begin = offset, end = offset + uint32_t(data.size());
  if (s.buffer.size() < end) s.buffer.resize(end);
  // Fill only the holes: the first copy of every byte wins.
  uint32_t cursor = begin;
  bool overlapped = false;
  for (uint8_t i = 0; i < s.n_ranges && cursor < end; ++i) {
    const Range& r = s.ranges[i];
    if (r.end <= cursor) continue;
    if (r.begin >= end) break;
    if (r.begin > cursor) std::memcpy(&s.buffer[cursor], &data[cursor - begin], r.begin - cursor);
    overlapped = true;
    cursor = std::max(cursor, r.end);
  }
  if (cursor < end) std::memcpy(&s.buffer[cursor], &data[cursor - begin], end - cursor);
  if (overlapped) ++counters_.anomalies[size_t(DecodeAnomaly::kFragOverlap)];

  // Merge [begin, end) into the sorted, coalesced range list.
  std::array<Range, kMaxRanges + 1> merged;
  size_t n = 0;
  Range add{begin, end};
  bool placed = false;
  for (uint8_t i = 0; i < s.n_ranges; ++i) {
    const Range& r = s.ranges[i];
    if (r.end < add.begin) {
      merged[n++] = r;
    } else if (r.begin > add.end) {
      if (!placed) merged[n++] = add, placed = true;
      merged[n++] = r;
    } else {
      add.begin = std::min(add.begin, r.begin);
      add.end = std::max(add.end, r.end);
    }
  }
  if (!placed) merged[n++] = add;
  if (n > kMaxRanges) return false;
  std::sort(merged.begin(), merged.begin() + n,
            [](const Range& a, const Range& b) { return a.begin < b.begin; });
  std::copy(merged.begin(), merged.begin() + n, s.ranges.begin());
  s.n_ranges = uint8_t(n);
  return true;
}

FragmentReassembler::Outcome FragmentReassembler::Add(const FragmentKey& key, uint32_t offset,
                                                      bool more, ByteView data, TimestampUs now,
                                                      ByteView* out) {
  Expire(now);
  const uint64_t end = uint64_t(offset) + data.size();
  if (end > config_.max_datagram_bytes) {
    ++counters_.dropped[size_t(DropReason::kFragBadOffset)];
    return Outcome::kDropped;
  }
  if (more && (data.size() % 8 != 0 || data.empty())) {
    ++counters_.dropped[size_t(DropReason::kFragBadLength)];
    return Outcome::kDropped;
  }
  Slot* s = Find(key);
  if (!s) s = Allocate(key, now);

  bool consistent = true;
  if (!more) {
    if (s->have_last && s->total != end) consistent = false;
    if (s->n_ranges > 0 && s->ranges[s->n_ranges - 1].end > end) consistent = false;
    s->have_last = true;
    s->total = uint32_t(end);
  } else if (s->have_last && end > s->total) {
    consistent = false;
  }
  if (!consistent) {
    ++counters_.dropped[size_t(DropReason::kFragInconsistent)];
    Release(*s);
    return Outcome::kDropped;
  }
  if (!Insert(*s, offset, data)) {
    ++counters_.dropped[size_t(DropReason::kFragTooManyPieces)];
    Release(*s);
    return Outcome::kDropped;
  }
  if (s->have_last && s->n_ranges == 1 && s->ranges[0].begin == 0 && s->ranges[0].end == s->total) {
    // Swap rather than copy: the slot keeps the old output buffer's capacity for reuse.
    output_.swap(s->buffer);
    output_.resize(s->total);
    Release(*s);
    ++counters_.reassembled;
    *out = ByteView(output_.data(), output_.size());
    return Outcome::kComplete;
  }
  return Outcome::kHeld;
}

void FragmentReassembler::ExpireDue(TimestampUs now) {
  next_expiry_ = INT64_MAX;
  for (auto& s : slots_) {
    if (!s.in_use) continue;
    if (s.first_ts + config_.timeout_us <= now) {
      ++counters_.dropped[size_t(DropReason::kFragTimeout)];
      Release(s);
    } else {
      next_expiry_ = std::min(next_expiry_, s.first_ts + config_.timeout_us);
    }
  }
}

}  // namespace mw::decode
