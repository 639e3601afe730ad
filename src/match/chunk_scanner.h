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

 private:
  Status ScanSegment(ByteView seg, uint64_t at, std::vector<RuleMatch>* out,
                     ChunkScanCounters* counters);
  ChunkScanOptions options_;
  size_t overlap_;
  YaraScanner yara_;
};

}  // namespace mw::match
