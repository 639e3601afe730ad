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
    : options_(options), overlap_(rules->chunk_overlap()), yara_(std::move(rules)) {
  options_.chunk_bytes = std::max(options_.chunk_bytes & ~(kPageBytes - 1), 4 * overlap_);
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
