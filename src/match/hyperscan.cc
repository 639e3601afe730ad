// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "match/hyperscan.h"

#include <fcntl.h>
#include <hs/hs.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

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

// Cache file: magic, XXH3-64 of the rest, Hyperscan's serialised database.
constexpr char kCacheMagic[8] = {'M', 'W', 'H', 'S', 'D', 'B', '1', '\n'};
constexpr size_t kCacheHeader = sizeof kCacheMagic + sizeof(uint64_t);
constexpr size_t kMaxCacheFile = 256u << 20;

std::string CacheKey(const std::vector<HsPattern>& patterns) {
  XXH3_state_t* st = XXH3_createState();
  XXH3_64bits_reset(st);
  const char* version = hs_version();
  XXH3_64bits_update(st, version, std::strlen(version) + 1);
  for (const HsPattern& p : patterns) {
    XXH3_64bits_update(st, p.expr.data(), p.expr.size() + 1);  // with its NUL: a separator
    const unsigned fi[2] = {p.flags, p.id};
    XXH3_64bits_update(st, fi, sizeof fi);
  }
  char key[17];
  std::snprintf(key, sizeof key, "%016llx",
                static_cast<unsigned long long>(XXH3_64bits_digest(st)));
  XXH3_freeState(st);
  return key;
}

std::string ReadCacheFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream text;
  text << in.rdbuf();
  std::string s = std::move(text).str();
  return s.size() <= kMaxCacheFile ? s : std::string();
}

// Best effort: a folder that cannot be made or written only costs the next run a compile.
// Written to a temporary name and renamed, so a reader never sees half a file.
void WriteCacheFile(const std::string& dir, const std::string& path, const std::string& bytes) {
  std::error_code ec;
  if (std::filesystem::create_directories(dir, ec)) chmod(dir.c_str(), 0700);
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;
  bool ok = write(fd, bytes.data(), bytes.size()) == ssize_t(bytes.size());
  ok = close(fd) == 0 && ok;
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) unlink(tmp.c_str());
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

Result<std::unique_ptr<const HsDatabase>> HsDatabase::CompileCached(
    const std::vector<HsPattern>& patterns, const std::string& dir) {
  if (dir.empty()) return Compile(patterns);
  const std::string path = dir + "/hs-" + CacheKey(patterns) + ".db";
  const std::string cached = ReadCacheFile(path);
  if (auto db =
          Deserialize(ByteView(reinterpret_cast<const uint8_t*>(cached.data()), cached.size())))
    return db;
  auto db = Compile(patterns);
  if (!db) return db;
  if (auto bytes = (*db)->Serialize()) WriteCacheFile(dir, path, *bytes);
  return db;
}

Result<std::string> HsDatabase::Serialize() const {
  char* raw = nullptr;
  size_t len = 0;
  if (hs_serialize_database(db_, &raw, &len) != HS_SUCCESS)
    return Fail(Error::Internal("hyperscan: cannot serialise the database"));
  std::string out(kCacheHeader + len, '\0');
  std::memcpy(out.data(), kCacheMagic, sizeof kCacheMagic);
  const uint64_t sum = XXH3_64bits(raw, len);
  std::memcpy(out.data() + sizeof kCacheMagic, &sum, sizeof sum);
  std::memcpy(out.data() + kCacheHeader, raw, len);
  std::free(raw);  // hs_serialize_database allocates with the default allocator (malloc)
  return out;
}

Result<std::unique_ptr<const HsDatabase>> HsDatabase::Deserialize(ByteView file) {
  if (file.size() <= kCacheHeader || std::memcmp(file.data(), kCacheMagic, sizeof kCacheMagic) != 0)
    return Fail(Error::InvalidArgument("hyperscan cache: not a cache file"));
  uint64_t sum = 0;
  std::memcpy(&sum, file.data() + sizeof kCacheMagic, sizeof sum);
  const auto* body = reinterpret_cast<const char*>(file.data() + kCacheHeader);
  const size_t len = file.size() - kCacheHeader;
  // Hyperscan checks versions and the CPU, not the bytes: a damaged file must not reach it.
  if (XXH3_64bits(body, len) != sum)
    return Fail(Error::InvalidArgument("hyperscan cache: checksum mismatch"));
  std::unique_ptr<HsDatabase> out(new HsDatabase());
  if (hs_deserialize_database(body, len, &out->db_) != HS_SUCCESS) {
    out->db_ = nullptr;
    return Fail(Error::InvalidArgument("hyperscan cache: not loadable here"));
  }
  return std::unique_ptr<const HsDatabase>(std::move(out));
}

std::optional<size_t> HsDatabase::MaxMatchWidth(const std::string& expr, unsigned flags) {
  hs_expr_info_t* info = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_expression_info(expr.c_str(), flags, &info, &err) != HS_SUCCESS) {
    hs_free_compile_error(err);
    return std::nullopt;
  }
  const unsigned width = info->max_width;
  std::free(info);  // allocated with the default misc allocator (malloc)
  if (width == UINT_MAX) return std::nullopt;
  return size_t(width);
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
