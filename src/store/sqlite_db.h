// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Thin RAII over the sqlite3 C API: a connection and prepared statements. Errors become
// mw::Error; nothing here throws.
//
// Thread-safety: a Db and its statements are used by one thread at a time (callers lock).
#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "mw/core/result.h"

namespace mw::store {

class Stmt {
 public:
  Stmt() = default;
  Stmt(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
  Stmt(Stmt&& o) noexcept : db_(o.db_), s_(o.s_) { o.s_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept {
    if (this != &o) {
      sqlite3_finalize(s_);
      db_ = o.db_;
      s_ = o.s_;
      o.s_ = nullptr;
    }
    return *this;
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() { sqlite3_finalize(s_); }

  // Binds are 1-based, as in SQLite.
  Stmt& Bind(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Stmt& Bind(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), int(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& BindNull(int i) {
    sqlite3_bind_null(s_, i);
    return *this;
  }
  // Returns true while a row is available, false when done; an Error on failure.
  Result<bool> Step();
  // Runs to completion (for statements that return no rows).
  Status Run();
  void Reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }

  int64_t Int(int col) const { return sqlite3_column_int64(s_, col); }
  std::string Text(int col) const {
    const unsigned char* t = sqlite3_column_text(s_, col);
    return t ? std::string(reinterpret_cast<const char*>(t), size_t(sqlite3_column_bytes(s_, col)))
             : std::string();
  }
  bool IsNull(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* s_ = nullptr;
};

class Db {
 public:
  Db() = default;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db() { sqlite3_close_v2(db_); }

  Status Open(const std::string& path, bool read_only);
  Status Exec(std::string_view sql);
  Result<Stmt> Prepare(std::string_view sql);
  int64_t LastInsertId() const { return sqlite3_last_insert_rowid(db_); }
  int64_t Changes() const { return sqlite3_changes64(db_); }
  sqlite3* raw() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

// Commits on Commit(); rolls back if destroyed first (an error path returned early).
class Txn {
 public:
  explicit Txn(Db& db) : db_(db) {}
  Status Begin() {
    auto s = db_.Exec("BEGIN IMMEDIATE");
    if (s) active_ = true;
    return s;
  }
  Status Commit() {
    active_ = false;
    return db_.Exec("COMMIT");
  }
  ~Txn() {
    if (active_) (void)db_.Exec("ROLLBACK");
  }

 private:
  Db& db_;
  bool active_ = false;
};

}  // namespace mw::store
