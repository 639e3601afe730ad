// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "match/hyperscan.h"

#include <hs/hs.h>

#include <algorithm>

namespace mw::match {

static_assert(kHsCaseless == HS_FLAG_CASELESS && kHsDotAll == HS_FLAG_DOTALL &&
              kHsMultiline == HS_FLAG_MULTILINE && kHsSingleMatch == HS_FLAG_SINGLEMATCH &&
              kHsAllowEmpty == HS_FLAG_ALLOWEMPTY && kHsPrefilter == HS_FLAG_PREFILTER &&
              kHsSomLeftmost == HS_FLAG_SOM_LEFTMOST);

namespace {

// Hyperscan reports offsets into the piece it was given; the caller wants buffer offsets.
struct Trampoline {
  HsMatchFn fn;
  void* ctx;
  uint64_t base;
};

int OnMatch(unsigned int id, unsigned long long from, unsigned long long to, unsigned int /*flags*/,
            void* ctx) {
  auto* t = static_cast<Trampoline*>(ctx);
  return t->fn(id, t->base + from, t->base + to, t->ctx);
}

}  // namespace

HsDatabase::~HsDatabase() {
  if (db_) hs_free_database(db_);
}

Result<std::unique_ptr<const HsDatabase>> HsDatabase::Compile(
    const std::vector<HsPattern>& patterns) {
  if (patterns.empty()) return Fail(Error::InvalidArgument("hyperscan: no patterns"));
  std::vector<const char*> exprs;
  std::vector<unsigned> flags;
  std::vector<unsigned> ids;
  for (const HsPattern& p : patterns) {
    exprs.push_back(p.expr.c_str());
    flags.push_back(p.flags);
    ids.push_back(p.id);
  }
  std::unique_ptr<HsDatabase> out(new HsDatabase());
  hs_compile_error_t* err = nullptr;
  if (hs_compile_multi(exprs.data(), flags.data(), ids.data(), unsigned(exprs.size()),
                       HS_MODE_BLOCK, nullptr, &out->db_, &err) != HS_SUCCESS) {
    std::string msg =
        std::string("hyperscan: ") + (err && err->message ? err->message : "compile failed");
    if (err && err->expression >= 0) msg += " (pattern " + std::to_string(err->expression) + ")";
    hs_free_compile_error(err);
    out->db_ = nullptr;
    return Fail(Error::InvalidArgument(msg));
  }
  return std::unique_ptr<const HsDatabase>(std::move(out));
}

bool HsDatabase::CompilesAlone(const std::string& expr, unsigned flags) {
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_compile(expr.c_str(), flags, HS_MODE_BLOCK, nullptr, &db, &err) != HS_SUCCESS) {
    hs_free_compile_error(err);
    return false;
  }
  hs_free_database(db);
  return true;
}

Result<bool> HsDatabase::Scan(ByteView data, HsScratch& scratch, HsMatchFn fn, void* ctx,
                              size_t overlap) const {
  if (!scratch.scratch_) return Fail(Error::Internal("hyperscan: no scratch"));
  constexpr size_t kPiece = size_t(1) << 30;
  Trampoline t{fn, ctx, 0};
  for (size_t off = 0;;) {
    size_t len = std::min(kPiece, data.size() - off);
    t.base = off;
    hs_error_t rc = hs_scan(db_, reinterpret_cast<const char*>(data.data() + off), unsigned(len), 0,
                            scratch.scratch_, OnMatch, &t);
    if (rc == HS_SCAN_TERMINATED) return true;
    if (rc != HS_SUCCESS)
      return Fail(Error::Internal("hyperscan: scan error " + std::to_string(rc)));
    if (off + len >= data.size()) return false;
    off += len - std::min(len, overlap);
  }
}

HsScratch::HsScratch(const HsDatabase& db) {
  if (!db.db_ || hs_alloc_scratch(db.db_, &scratch_) != HS_SUCCESS) scratch_ = nullptr;
}

HsScratch::~HsScratch() {
  if (scratch_) hs_free_scratch(scratch_);
}

}  // namespace mw::match
