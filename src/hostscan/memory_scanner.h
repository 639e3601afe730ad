// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Scans a process's readable mappings with YARA and hashes the 4 KiB pages of its executable
// mappings. Memory is scanned in big overlapping chunks (YARA segments), read in 512 KiB pieces
// (process_vm_readv, fallback /proc/PID/mem) through one small reused buffer, each piece hashed
// and prefiltered while still in cache; only segments the Hyperscan prefilter lets through are
// read again for libyara. Private anonymous pages never touched (per /proc/PID/pagemap) are
// zero-filled rather than read. Runs of zero pages are not handed to YARA; a region whose bytes
// hash the same as in the previous pass is not rescanned (its earlier matches are reused);
// read-only file mappings (shared libraries) are scanned once per file range for all processes.
// Bounded: per-process and per-pass byte budgets, an optional read-rate cap. Never scans the
// calling process. Device mappings (/dev/*, GPU memory) are never read.
//
// Thread-compatible: one MemoryScanner per thread.
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <stop_token>
#include <string>
#include <unordered_map>
#include <vector>

#include "hostscan/proc_parsers.h"
#include "match/chunk_scanner.h"
#include "match/yara_rules.h"

namespace mw::hostscan {

struct MemScanOptions {
  uint64_t max_bytes_per_process = 512ull << 20;
  uint64_t max_bytes_per_pass = 4ull << 30;
  uint64_t chunk_bytes = 16ull << 20;
  uint64_t read_rate_bytes_per_sec = 0;  // 0 = no cap
  bool skip_zero_pages = true;
  bool skip_unchanged = true;
  // One pass only (`host scan`): private regions are not hashed or remembered, since only a
  // later pass would compare against them (the hash cost ~15% of a one-shot scan's CPU).
  // Shared read-only file ranges are still scanned once for all processes.
  bool one_shot = false;
  bool hash_exec_pages = true;
  // Private anonymous pages never touched are zero-filled from /proc/PID/pagemap instead of
  // read. Same bytes either way; off only for comparisons.
  bool use_pagemap = true;
  bool yara = true;
  // Hyperscan prefilter in front of libyara: a segment no rule can match skips libyara. Same
  // results either way; off only for comparisons.
  bool prefilter = true;
};

struct YaraHit {
  const match::RuleInfo* rule = nullptr;  // valid while the scanner lives
  uint64_t region_start = 0;
  uint64_t region_end = 0;
  std::string perms;  // "r-xp"
  std::string path;   // mapping path ("" anonymous)
  uint64_t address = 0;
  std::string string_id;
};

struct MemScanStats {
  uint64_t regions = 0;
  uint64_t regions_scanned = 0;
  uint64_t regions_unchanged = 0;      // skipped: same bytes as last pass
  uint64_t regions_shared_cached = 0;  // skipped: same read-only file range already scanned
  uint64_t regions_unreadable = 0;
  uint64_t regions_denied = 0;     // of those: permission (no root or CAP_SYS_PTRACE, ptrace_scope)
  uint64_t regions_untouched = 0;  // skipped: anonymous memory never touched (reads as zeros)
  uint64_t regions_over_budget = 0;
  uint64_t bytes_read = 0;
  uint64_t bytes_yara = 0;         // bytes handed to YARA
  uint64_t bytes_prefiltered = 0;  // non-zero bytes the prefilter showed no rule can match
  uint64_t bytes_zero_skipped = 0;
  uint64_t bytes_not_present = 0;  // of bytes_read: never-touched anonymous pages, not copied
};

struct ProcessMemResult {
  std::vector<YaraHit> hits;               // at most one per (rule, region)
  std::vector<uint64_t> exec_page_hashes;  // XXH3-64 of each 4 KiB page of executable mappings
  MemScanStats stats;
  std::string read_method;  // "process_vm_readv", "/proc/PID/mem", "" when nothing was readable
  std::vector<std::string> errors;  // what could not be read or scanned (not fatal)
  bool budget_exhausted = false;
  // Nothing of this process's memory could be read for lack of permission (its maps, or every
  // region tried): the scan did not look, which is not the same as finding nothing.
  bool denied = false;
  bool interrupted = false;  // the pass's stop token fired mid-process
};

// XXH3-64 of one page, as the page database stores it.
uint64_t PageHash(const uint8_t* page);
// True when the 4 KiB page is all zero.
bool IsZeroPage(const uint8_t* page);

class MemoryScanner {
 public:
  // "rules" may be null when only page hashes are wanted.
  MemoryScanner(std::shared_ptr<const match::YaraRules> rules, MemScanOptions options);
  ~MemoryScanner();

  // Starts a pass: resets the pass budget and forgets regions not seen in the previous pass.
  // "stop" ends the pass early: ScanProcess returns (interrupted) within one chunk, and the
  // rate limiter's wait is cut short.
  void BeginPass(std::stop_token stop = {});
  // Scans process "pid" (its maps read from <root>/proc). "target" is the exe path used for the
  // filename/filepath YARA externals.
  ProcessMemResult ScanProcess(pid_t pid, const std::string& root, const std::string& target);
  // Scans one buffer as a region at "base" (benchmarks, tests): chunking and zero skipping as
  // for process memory, no caching.
  Status ScanBuffer(ByteView data, uint64_t base, std::vector<match::RuleMatch>* out);

  const MemScanOptions& options() const { return options_; }

 private:
  struct RegionState {
    uint64_t hash = 0;
    std::vector<YaraHit> hits;
    std::vector<uint64_t> page_hashes;
    uint64_t seen_pass = 0;
    uint64_t covered = 0;  // bytes from the region's start hashed and scanned (a budget's prefix)
  };
  // Waits until "bytes" more are within the read-rate cap; false when stopped meanwhile.
  bool RateLimit(uint64_t bytes);

  MemScanOptions options_;
  // Context kept between chunks and around skipped zero runs: at least the longest literal
  // string, so a string crossing a chunk boundary is whole in one of the two chunks.
  uint64_t overlap_ = 0;
  std::unique_ptr<match::ChunkScanner> yara_;  // null: hashes only
  std::vector<uint8_t> buf_;                   // a whole chunk, only when ScanChunk needs one
  std::vector<uint8_t> ring_;                  // one read piece plus overlap_ of the previous one
  std::vector<match::RuleMatch> matches_;
  uint64_t pass_ = 0;
  uint64_t pass_bytes_ = 0;
  std::stop_token stop_;
  // Rate limiter state.
  uint64_t rate_bytes_ = 0;
  int64_t rate_start_ns_ = 0;
  // Key: "pid:start:end:inode" for private regions, "dev:inode:offset:size" for shared file ranges.
  std::unordered_map<std::string, RegionState> cache_;
};

}  // namespace mw::hostscan
