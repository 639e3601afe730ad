// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// YARA over a stream of bytes (process memory, a file, a reassembled flow) read in chunks.
// Consecutive chunks overlap by overlap() bytes so a string crossing a boundary is whole in one
// of them; inside a chunk, runs of zero pages are not handed to libyara (they are most of a
// sparse heap or file) and each remaining segment first goes through the Hyperscan prefilter.
// Results equal libyara over the whole stream, except that a rule's matches are found once per
// segment and conditions on offsets or counts see one segment at a time.
//
// Thread-compatible: one ChunkScanner per thread.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "match/yara_rules.h"
#include "mw/core/byte_view.h"
#include "mw/core/result.h"

namespace mw::match {

inline constexpr size_t kPageBytes = 4096;
// True when the 4 KiB page is all zero.
bool IsZeroPage(const uint8_t* page);

struct ChunkScanOptions {
  size_t chunk_bytes = 16u << 20;  // rounded down to pages, at least 4 * overlap()
  bool skip_zero_pages = true;
  // A segment no rule can match skips libyara. Same results either way; off only for
  // comparisons.
  bool prefilter = true;
};

struct ChunkScanCounters {
  uint64_t bytes_yara = 0;         // bytes handed to libyara
  uint64_t bytes_prefiltered = 0;  // non-zero bytes the prefilter showed no rule can match
};

class ChunkScanner {
 public:
  ChunkScanner(std::shared_ptr<const YaraRules> rules, ChunkScanOptions options);

  // Bytes consecutive chunks must share; chunk_bytes() is the chunk size to read.
  size_t overlap() const { return overlap_; }
  size_t chunk_bytes() const { return options_.chunk_bytes; }
  // Scans one chunk whose first byte is at "base"; appends matches (absolute addresses).
  Status ScanChunk(ByteView chunk, uint64_t base, std::vector<RuleMatch>* out,
                   ChunkScanCounters* counters = nullptr);
  // Scans a whole buffer as overlapping chunks; the first error is returned, the rest scanned.
  Status ScanBuffer(ByteView data, uint64_t base, std::vector<RuleMatch>* out,
                    ChunkScanCounters* counters = nullptr);
  YaraScanner& yara() { return yara_; }

  // The same scan as ScanChunk for a caller that reads a chunk piece by piece into one small
  // reused buffer: Feed() after each piece, while it is still in cache, zero-tests its pages and
  // looks for the prefilter's triggers in it (YaraPrefilter::Accumulate); FinishChunk() then
  // has the caller read again only the segments that hold a trigger, runs the whole prefilter
  // over each and hands those it lets through to libyara, as ScanChunk would. A 16 MiB chunk
  // read in one go and scanned afterwards went to DRAM three times (copy, zero test,
  // Hyperscan). Segments, and so results, are those of ScanChunk.
  //
  // False when the rules or options do not allow it (no prefilter, unbounded regex atoms, overlap
  // over 4 pages): use ScanChunk.
  bool incremental() const { return incremental_; }
  // Starts a chunk whose first byte is at "base".
  void BeginChunk(uint64_t base);
  // "window" holds the chunk's bytes from offset "window_off" on: the new piece plus at least
  // overlap() bytes before it (all the bytes read so far when fewer). "last": the chunk ends
  // with it.
  void Feed(ByteView window, size_t window_off, bool last);
  // Reads chunk bytes [offset, offset + len) again for libyara (fewer when they cannot be read).
  using SegmentReader = std::function<ByteView(size_t offset, size_t len)>;
  Status FinishChunk(const SegmentReader& read, std::vector<RuleMatch>* out,
                     ChunkScanCounters* counters = nullptr);

 private:
  Status ScanSegment(ByteView seg, uint64_t at, std::vector<RuleMatch>* out,
                     ChunkScanCounters* counters);
  // Classifies whole pages of the window (and a last partial page when "final").
  void Classify(bool final);
  const uint8_t* At(size_t off) const { return window_.data() + (off - window_off_); }
  // Runs the prefilter over the open segment's bytes up to "end" (windows overlap by overlap_).
  void AccumulateTo(size_t end);
  void CloseSegment(size_t seg_end);

  ChunkScanOptions options_;
  size_t overlap_;
  YaraScanner yara_;
  bool incremental_ = false;
  std::unique_ptr<PrefilterScratch> acc_scratch_;
  struct Segment {
    size_t lo, hi;
    bool may_match;  // a trigger was seen (or a chunk under 4 pages): MayMatch decides
  };
  // State of the chunk being fed (offsets from its first byte).
  ByteView window_;
  size_t window_off_ = 0;
  uint64_t base_ = 0;
  size_t pos_ = 0;  // bytes classified
  bool in_seg_ = false;
  size_t seg_start_ = 0;
  size_t zero_run_ = 0;
  size_t acc_end_ = 0;  // the open segment is prefiltered up to here
  std::vector<Segment> segments_;
};

}  // namespace mw::match
