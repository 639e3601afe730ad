// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "match/chunk_scanner.h"

#include <algorithm>
#include <cstring>

namespace mw::match {

bool IsZeroPage(const uint8_t* page) {
  // One cache line at a time with an early exit: most non-zero pages (code, heap, the random
  // RandomX cache) differ in their first line, so they cost one line instead of the whole page.
  for (size_t i = 0; i < kPageBytes; i += 64) {
    uint64_t w[8];
    std::memcpy(w, page + i, 64);
    if ((w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7]) != 0) return false;
  }
  return true;
}

ChunkScanner::ChunkScanner(std::shared_ptr<const YaraRules> rules, ChunkScanOptions options)
    : options_(options), overlap_(rules->chunk_overlap()), yara_(rules) {
  options_.chunk_bytes = std::max(options_.chunk_bytes & ~(kPageBytes - 1), 4 * overlap_);
  // A segment's context (overlap_ on each side) must lie inside the zero runs around it (at
  // least 4 pages), and each window must hold every atom that crosses its start.
  const YaraPrefilter* pf = rules->prefilter();
  if (options_.prefilter && options_.skip_zero_pages && pf && pf->windowed() &&
      overlap_ <= 4 * kPageBytes && overlap_ >= pf->max_literal_length()) {
    acc_scratch_ = std::make_unique<PrefilterScratch>(pf);
    incremental_ = acc_scratch_->ok();
  }
}

void ChunkScanner::BeginChunk(uint64_t base) {
  window_ = {};
  window_off_ = 0;
  base_ = base;
  pos_ = 0;
  in_seg_ = false;
  seg_start_ = zero_run_ = acc_end_ = 0;
  segments_.clear();
  if (acc_scratch_) yara_.rules()->prefilter()->ResetAccumulated(*acc_scratch_);
}

void ChunkScanner::AccumulateTo(size_t end) {
  if (!in_seg_ || end <= acc_end_) return;
  const size_t lo = seg_start_ >= overlap_ ? seg_start_ - overlap_ : 0;
  // Back by overlap_ (>= the longest atom) so an atom crossing the last window's end is whole;
  // the caller keeps that much of the previous piece in front of the new one.
  const size_t from = std::max({lo, acc_end_ >= overlap_ ? acc_end_ - overlap_ : 0, window_off_});
  yara_.rules()->prefilter()->Accumulate(ByteView(At(from), end - from), *acc_scratch_);
  acc_end_ = end;
}

void ChunkScanner::CloseSegment(size_t seg_end) {
  const size_t lo = seg_start_ >= overlap_ ? seg_start_ - overlap_ : 0;
  const size_t hi = std::min(pos_, seg_end + overlap_);
  AccumulateTo(hi);
  // The prefilter saw at least [lo, hi): a superset of the bytes can only say "may match" more
  // often, never miss (libyara still scans exactly [lo, hi)).
  segments_.push_back({lo, hi, yara_.rules()->prefilter()->Accumulate({}, *acc_scratch_)});
  yara_.rules()->prefilter()->ResetAccumulated(*acc_scratch_);
  in_seg_ = false;
}

// The page walk of ScanChunk, one page at a time as bytes arrive.
void ChunkScanner::Classify(bool final) {
  constexpr size_t kPage = kPageBytes;
  const size_t end = window_off_ + window_.size();
  while (pos_ < end && (pos_ + kPage <= end || final)) {
    const size_t len = std::min(kPage, end - pos_);
    const bool zero = len == kPage && IsZeroPage(At(pos_));
    if (!in_seg_) {
      if (zero) {
        pos_ += len;
        continue;
      }
      in_seg_ = true;
      seg_start_ = pos_;
      zero_run_ = 0;
      acc_end_ = seg_start_ >= overlap_ ? seg_start_ - overlap_ : 0;
    }
    zero_run_ = zero ? zero_run_ + len : 0;
    pos_ += len;
    if (zero_run_ >= 4 * kPage) CloseSegment(pos_ - zero_run_);
  }
  AccumulateTo(pos_);
}

void ChunkScanner::Feed(ByteView window, size_t window_off, bool last) {
  window_ = window;
  window_off_ = window_off;
  const size_t size = window_off + window.size();
  // ScanChunk hands a chunk under 4 pages to the prefilter whole (FinishChunk does).
  if (last && size < 4 * kPageBytes) {
    segments_.clear();
    in_seg_ = false;
    pos_ = size;
    segments_.push_back({0, size, true});
    return;
  }
  Classify(last);
  if (last && in_seg_) CloseSegment(size - zero_run_);
}

Status ChunkScanner::FinishChunk(const SegmentReader& read, std::vector<RuleMatch>* out,
                                 ChunkScanCounters* counters) {
  Status status = Ok();
  for (const Segment& sg : segments_) {
    if (!sg.may_match) {
      if (counters) counters->bytes_prefiltered += sg.hi - sg.lo;
      continue;
    }
    ByteView seg = read(sg.lo, sg.hi - sg.lo);
    if (seg.empty()) continue;  // gone meanwhile (the process unmapped it)
    // A trigger only says "may match": MayMatch over the whole segment decides, as ScanChunk.
    auto s = ScanSegment(seg, base_ + sg.lo, out, counters);
    if (!s && status) status = s;
  }
  segments_.clear();
  window_ = {};
  return status;
}

Status ChunkScanner::ScanSegment(ByteView seg, uint64_t at, std::vector<RuleMatch>* out,
                                 ChunkScanCounters* counters) {
  if (options_.prefilter && !yara_.MayMatch(seg)) {
    if (counters) counters->bytes_prefiltered += seg.size();
    return Ok();
  }
  if (counters) counters->bytes_yara += seg.size();
  return yara_.Scan(seg, at, out);
}

Status ChunkScanner::ScanChunk(ByteView data, uint64_t base, std::vector<RuleMatch>* out,
                               ChunkScanCounters* counters) {
  constexpr size_t kPage = kPageBytes;
  if (!options_.skip_zero_pages || data.size() < 4 * kPage)
    return ScanSegment(data, base, out, counters);
  // Hand libyara only the runs of non-zero pages (plus overlap_ of context on each side); zero
  // runs shorter than 4 pages are not worth a separate call.
  const size_t n = data.size();
  size_t i = 0;
  Status status = Ok();
  while (i < n) {
    while (i + kPage <= n && IsZeroPage(data.data() + i)) i += kPage;
    if (i >= n) break;
    size_t seg_start = i;
    size_t zero_run = 0;
    size_t j = i;
    while (j < n) {
      size_t len = std::min<size_t>(kPage, n - j);
      bool zero = len == kPage && IsZeroPage(data.data() + j);
      zero_run = zero ? zero_run + len : 0;
      j += len;
      if (zero_run >= 4 * kPage) break;
    }
    size_t seg_end = j - zero_run;
    size_t lo = seg_start >= overlap_ ? seg_start - overlap_ : 0;
    size_t hi = std::min<size_t>(n, seg_end + overlap_);
    if (auto s = ScanSegment(data.subspan(lo, hi - lo), base + lo, out, counters); !s && status)
      status = s;
    i = j;
  }
  return status;
}

Status ChunkScanner::ScanBuffer(ByteView data, uint64_t base, std::vector<RuleMatch>* out,
                                ChunkScanCounters* counters) {
  Status status = Ok();
  for (size_t off = 0; off < data.size();) {
    size_t len = std::min(options_.chunk_bytes, data.size() - off);
    if (auto s = ScanChunk(data.subspan(off, len), base + off, out, counters); !s && status)
      status = s;
    if (off + len >= data.size()) break;
    off += len - overlap_;
  }
  return status;
}

}  // namespace mw::match
