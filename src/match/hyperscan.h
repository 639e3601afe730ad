// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Hyperscan block-mode databases: the one place that compiles and runs Hyperscan. Users (the
// YARA prefilter, and next the rule engine and file scans) hand it patterns with ids and get
// match callbacks with offsets into the buffer they passed, whatever its size.
//
// HsDatabase is immutable and shared between threads; HsScratch is per thread.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mw/core/byte_view.h"
#include "mw/core/result.h"

struct hs_database;
struct hs_scratch;

namespace mw::match {

// Pattern flags; the values are Hyperscan's HS_FLAG_* (checked in hyperscan.cc), named here so
// callers need not include hs.h.
enum HsFlag : unsigned {
  kHsCaseless = 1,
  kHsDotAll = 2,
  kHsMultiline = 4,
  kHsSingleMatch = 8,
  kHsAllowEmpty = 16,
  kHsPrefilter = 128,
  kHsSomLeftmost = 256,
};

struct HsPattern {
  std::string expr;  // PCRE syntax; literal bytes as \xNN
  unsigned flags = 0;
  unsigned id = 0;  // reported to the match callback
};

// Called per match with offsets into the scanned buffer; return non-zero to stop the scan.
using HsMatchFn = int (*)(unsigned id, uint64_t from, uint64_t to, void* ctx);

class HsScratch;

class HsDatabase {
 public:
  ~HsDatabase();
  HsDatabase(const HsDatabase&) = delete;
  HsDatabase& operator=(const HsDatabase&) = delete;

  // One database of all "patterns" (block mode). Fails with Hyperscan's message, naming the
  // pattern index when it gives one.
  static Result<std::unique_ptr<const HsDatabase>> Compile(const std::vector<HsPattern>& patterns);
  // Compile() through a cache folder: the database is serialised to "<dir>/hs-<key>.db" (key:
  // the patterns and Hyperscan's version) and loaded from there next time, since compiling a
  // rule set's ~150 literals costs more CPU than a one-shot `host scan` of a small process. A
  // missing, stale, damaged or foreign-CPU file is compiled again and rewritten; a folder that
  // cannot be written is no error. Empty "dir": Compile().
  static Result<std::unique_ptr<const HsDatabase>> CompileCached(
      const std::vector<HsPattern>& patterns, const std::string& dir);
  // A cache file's bytes (magic, checksum, Hyperscan's serialised database) back to a
  // database; fails on anything else. Fuzzed (hs_cache_fuzz).
  static Result<std::unique_ptr<const HsDatabase>> Deserialize(ByteView file);
  // The bytes CompileCached writes for this database.
  Result<std::string> Serialize() const;
  // True when "expr" compiles on its own (to find the one pattern that would sink a database).
  static bool CompilesAlone(const std::string& expr, unsigned flags);
  // The most bytes one match of "expr" can span; nullopt when unbounded or not compilable.
  static std::optional<size_t> MaxMatchWidth(const std::string& expr, unsigned flags);

  // Scans "data" of any size. Hyperscan takes 32-bit lengths, so a buffer over 1 GiB is scanned
  // in pieces overlapping by "overlap" bytes (a match longer than that may be missed at a piece
  // boundary; matches inside the overlap may be reported twice). Returns true when the callback
  // stopped the scan.
  Result<bool> Scan(ByteView data, HsScratch& scratch, HsMatchFn fn, void* ctx,
                    size_t overlap = 4096) const;

 private:
  HsDatabase() = default;
  hs_database* db_ = nullptr;
  friend class HsScratch;
};

class HsScratch {
 public:
  explicit HsScratch(const HsDatabase& db);
  ~HsScratch();
  HsScratch(const HsScratch&) = delete;
  HsScratch& operator=(const HsScratch&) = delete;
  // False when Hyperscan could not allocate it; Scan then fails.
  bool ok() const { return scratch_ != nullptr; }

 private:
  hs_scratch* scratch_ = nullptr;
  friend class HsDatabase;
};

}  // namespace mw::match
