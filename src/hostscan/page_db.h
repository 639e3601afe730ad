// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Code-page hashes of known miner builds. A binary's executable PT_LOAD segments are hashed
// 4 KiB page by page exactly as the loader maps them (page-aligned per p_offset/p_vaddr, the
// file's bytes to the page end, zeros past EOF), so pages read from a running process match
// even when the file on disk was renamed, deleted, copied or had bytes appended.
// All-zero and single-byte-filler pages are left out: they would match everything.
//
// File format (text, one record a line): "minerwatch-pagedb 1", then
// "b <index> <family> <sha256> <pages> <name>" and "p <index> <xxh3-64 hex>".
// Thread-safety: const methods are safe from many threads.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mw/core/byte_view.h"
#include "mw/core/result.h"

namespace mw::hostscan {

struct PageDbBinary {
  std::string family;
  std::string sha256;
  std::string name;
  uint32_t pages = 0;  // distinct hashed pages
};

struct PageDbHit {
  const PageDbBinary* binary = nullptr;
  uint32_t matched = 0;
  double percent = 0;
};

// Hashes of the executable pages of an ELF image (pure: fuzzed). Distinct, sorted.
Result<std::vector<uint64_t>> HashElfExecPages(ByteView elf);

class PageDb {
 public:
  // A missing file is an empty database; a malformed one is an error naming the line.
  static Result<PageDb> Load(const std::string& path);
  static Result<PageDb> Parse(std::string_view text);
  Status Save(const std::string& path) const;  // write-then-rename

  // Adds (or replaces, same sha256) the binary at "path".
  Status AddBinary(const std::string& path, const std::string& family);
  void AddHashes(PageDbBinary binary, std::span<const uint64_t> distinct_hashes);

  // "page_hashes" need not be sorted or distinct. Hits at or above the thresholds, best first.
  std::vector<PageDbHit> Match(std::span<const uint64_t> page_hashes, double min_percent,
                               uint32_t min_pages) const;

  size_t binary_count() const { return binaries_.size(); }
  const std::vector<PageDbBinary>& binaries() const { return binaries_; }

 private:
  void Reindex();
  std::vector<PageDbBinary> binaries_;
  std::vector<std::pair<uint64_t, uint32_t>> pages_;  // (hash, binary index), sorted
};

// `minerwatch intel add-binary FILE --family NAME`: adds FILE to the database at "db_path".
Status AddBinaryToPageDb(const std::string& path, const std::string& family,
                         const std::string& db_path);

// Default database location: $MINERWATCH_STATE_DIR/pagedb.txt (else /var/lib/minerwatch/...).
std::string DefaultStateDir();
std::string DefaultPageDbPath();

}  // namespace mw::hostscan
