// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "store/sqlite_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "mw/core/utf8.h"
#include "store/lifecycle.h"
#include "store/migrations.h"
#include "store/sqlite_db.h"

namespace mw::store {

// ---- sqlite_db.h -------------------------------------------------------------------------

Result<bool> Stmt::Step() {
  int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Fail(Error::IoError(std::string("sqlite: ") + sqlite3_errmsg(db_)));
}

Status Stmt::Run() {
  for (;;) {
    MW_ASSIGN(more, Step());
    if (!more) return Ok();
  }
}

Status Db::Open(const std::string& path, bool read_only) {
  int flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  flags |= SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    return Fail(Error::IoError("cannot open database " + path + ": " + msg));
  }
  sqlite3_busy_timeout(db_, 10000);
  return Ok();
}

Status Db::Exec(std::string_view sql) {
  char* err = nullptr;
  std::string text(sql);
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    return Fail(Error::IoError("sqlite: " + msg));
  }
  return Ok();
}

Result<Stmt> Db::Prepare(std::string_view sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v3(db_, sql.data(), int(sql.size()), SQLITE_PREPARE_PERSISTENT, &s,
                         nullptr) != SQLITE_OK) {
    return Fail(Error::Internal(std::string("sqlite prepare: ") + sqlite3_errmsg(db_)));
  }
  return Stmt(db_, s);
}

namespace {

constexpr std::string_view kFindingColumns =
    "id, category, stage, severity, host_ip, hostname, indicator, detector, source, attack, "
    "evidence, evidence_samples, first_seen, last_seen, count, revision, state, state_reason, "
    "state_by, state_at, reopen_count, reopened_at, incident_id, updated_at";

constexpr std::string_view kListColumns =
    "id, category, stage, severity, host_ip, hostname, indicator, detector, source, attack, "
    "evidence, '[]', first_seen, last_seen, count, revision, state, state_reason, "
    "state_by, state_at, reopen_count, reopened_at, incident_id, updated_at";

nlohmann::json ParseJsonOr(const std::string& text, nlohmann::json fallback) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? fallback : j;
}

StoredFinding ReadFinding(const Stmt& s) {
  StoredFinding out;
  Finding& f = out.finding;
  f.id = s.Text(0);
  f.category = s.Text(1);
  f.stage = s.Int(2) ? Stage::kMining : Stage::kPrecursor;
  f.severity = Severity(std::clamp<int64_t>(s.Int(3), 0, 4));
  f.resource.host_ip = s.Text(4);
  f.resource.hostname = s.Text(5);
  f.indicator = s.Text(6);
  f.detector = s.Text(7);
  f.source = s.Text(8);
  auto attack = ParseJsonOr(s.Text(9), nlohmann::json::array());
  if (attack.is_array()) {
    for (auto& a : attack) {
      if (a.is_string()) f.attack.push_back(a.get<std::string>());
    }
  }
  f.evidence = ParseJsonOr(s.Text(10), nlohmann::json::object());
  out.evidence_samples = ParseJsonOr(s.Text(11), nlohmann::json::array());
  f.first_seen = s.Int(12);
  f.last_seen = s.Int(13);
  f.count = uint64_t(s.Int(14));
  f.revision = uint64_t(s.Int(15));
  out.state = FindingState(std::clamp<int64_t>(s.Int(16), 0, 2));
  out.state_reason = s.Text(17);
  out.state_by = s.Text(18);
  out.state_at = s.Int(19);
  out.reopen_count = uint32_t(s.Int(20));
  out.reopened_at = s.Int(21);
  out.incident_id = s.Int(22);
  out.updated_at = s.Int(23);
  return out;
}

std::string EscapeLike(std::string_view in) {
  std::string out;
  out.reserve(in.size() + 2);
  out.push_back('%');
  for (char c : in) {
    if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('%');
  return out;
}

// The searchable text of an evidence object: its string values, depth first, one per line,
// capped. Numbers (counters, byte totals, timestamps) change on every update and are left out,
// so an update that only counts does not rewrite the text index. Migration 3 computes the same
// for old rows with json_tree.
constexpr size_t kMaxSearchText = 4096;

void CollectStrings(const nlohmann::json& j, std::string& out) {
  if (out.size() >= kMaxSearchText) return;
  if (j.is_string()) {
    if (!out.empty()) out.push_back('\n');
    out += j.get_ref<const std::string&>();
  } else if (j.is_structured()) {
    for (const auto& v : j) CollectStrings(v, out);
  }
}

std::string SearchText(const nlohmann::json& evidence) {
  std::string out;
  CollectStrings(evidence, out);
  if (out.size() > kMaxSearchText) {
    size_t n = kMaxSearchText;
    while (n > 0 && (static_cast<unsigned char>(out[n]) & 0xC0) == 0x80)
      --n;  // whole UTF-8 characters
    out.resize(n);
  }
  return out;
}

// Well-formed UTF-8 without NUL. Only such text goes to the trigram index: SQLite's LIKE and
// the FTS5 tokenizer decode malformed bytes differently, so the index could miss a LIKE match.
bool IndexableText(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = s[i] == '\0' ? 0 : Utf8SeqLen(s.substr(i));
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string TrigramQuery(std::string_view text) {
  std::vector<size_t> starts;  // byte offset of each UTF-8 character
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) starts.push_back(i);
  }
  starts.push_back(text.size());
  constexpr size_t kMaxTrigrams = 16;  // more only narrows what LIKE verifies anyway
  std::vector<std::string_view> grams;
  for (size_t i = 0; i + 3 < starts.size() && grams.size() < kMaxTrigrams; ++i) {
    auto g = text.substr(starts[i], starts[i + 3] - starts[i]);
    if (std::find(grams.begin(), grams.end(), g) == grams.end()) grams.push_back(g);
  }
  std::string out;
  for (auto g : grams) {
    if (!out.empty()) out += " AND ";
    out.push_back('"');
    for (char c : g) {
      if (c == '"') out.push_back('"');
      out.push_back(c);
    }
    out.push_back('"');
  }
  return out;
}

// How a text filter is answered. Every plan tests each row with the same LIKE; they differ in
// which rows they test.
enum class TextPlan {
  kScan,           // the rows the other filters select (no text, or under three characters)
  kWalkThenIndex,  // last_seen order with a step budget, then kIndex if the budget runs out
  kIndex,          // the trigram index's candidates
};

// A WHERE clause with its bound values, built from a FindingQuery.
struct Where {
  std::string sql;
  std::vector<std::string> text_args;          // bound in order, interleaved with ints via kinds
  std::vector<std::pair<bool, size_t>> order;  // (is_text, index)
  std::vector<int64_t> int_args;

  void AddText(const std::string& clause, std::string v) {
    Append(clause);
    order.push_back({true, text_args.size()});
    text_args.push_back(std::move(v));
  }
  void AddInt(const std::string& clause, int64_t v) {
    Append(clause);
    order.push_back({false, int_args.size()});
    int_args.push_back(v);
  }
  void Append(const std::string& clause) {
    sql += sql.empty() ? " WHERE " + clause : " AND " + clause;
  }
  int BindAll(Stmt& s) const {
    int i = 1;
    for (auto [is_text, idx] : order) {
      if (is_text) {
        s.Bind(i++, text_args[idx]);
      } else {
        s.Bind(i++, int_args[idx]);
      }
    }
    return i;
  }
};

// True when the query filters only on the four facets that finding_counts keeps.
bool FacetsOnly(const FindingQuery& q) {
  return q.host.empty() && !q.since && !q.until && q.text.empty();
}

Where BuildWhere(const FindingQuery& q, bool with_cursor, TextPlan plan) {
  Where w;
  if (!q.category.empty()) w.AddText("category = ?", q.category);
  if (q.stage) w.AddInt("stage = ?", int64_t(*q.stage));
  if (q.min_severity) w.AddInt("severity >= ?", int64_t(*q.min_severity));
  if (q.state) w.AddInt("state = ?", int64_t(*q.state));
  if (!q.host.empty()) {
    // One indexed column, not an OR of two (which SQLite answers with a full scan).
    bool is_ip = q.host.find_first_not_of("0123456789abcdefABCDEF.:") == std::string::npos;
    w.AddText(is_ip ? "host_ip = ?" : "hostname = ?", q.host);
  }
  if (q.since) w.AddInt("last_seen >= ?", q.since);
  if (q.until) w.AddInt("last_seen <= ?", q.until);
  if (!q.text.empty()) {
    std::string fts = plan == TextPlan::kIndex ? TrigramQuery(q.text) : std::string();
    if (!fts.empty()) {
      w.AddText("rowid IN (SELECT rowid FROM findings_fts WHERE findings_fts MATCH ?)",
                std::move(fts));
    }
    // ASCII case-insensitive substring, the same whichever plan found the candidates.
    std::string like = EscapeLike(q.text);
    w.AddText("(indicator LIKE ? ESCAPE '\\'", like);
    for (const char* col : {"category", "detector", "host_ip", "hostname", "search_text"}) {
      w.sql += std::string(" OR ") + col + " LIKE ? ESCAPE '\\'";
      w.order.push_back({true, w.text_args.size()});
      w.text_args.push_back(like);
    }
    w.sql += ")";
  }
  if (with_cursor && q.cursor) {
    w.AddInt("(last_seen < ?", q.cursor->first);
    w.sql += " OR (last_seen = ? AND id < ?))";
    w.order.push_back({false, w.int_args.size()});
    w.int_args.push_back(q.cursor->first);
    w.order.push_back({true, w.text_args.size()});
    w.text_args.push_back(q.cursor->second);
  }
  return w;
}

// Stops a statement on the reader connection after a budget of VM steps, so a plan that turns
// out to be slow can give way to the other one. Installed only around the statement it limits.
class StepBudget {
 public:
  // SQLite calls the handler every kStepsPerTick virtual-machine instructions.
  static constexpr int kStepsPerTick = 1000;

  StepBudget(sqlite3* db, uint64_t ticks) : db_(db), left_(ticks) {
    sqlite3_progress_handler(db_, kStepsPerTick, &StepBudget::Tick, this);
  }
  ~StepBudget() { sqlite3_progress_handler(db_, 0, nullptr, nullptr); }
  StepBudget(const StepBudget&) = delete;
  StepBudget& operator=(const StepBudget&) = delete;

  bool exhausted() const { return exhausted_; }

 private:
  static int Tick(void* self) {
    auto* b = static_cast<StepBudget*>(self);
    if (b->left_ == 0) {
      b->exhausted_ = true;
      return 1;  // SQLITE_INTERRUPT for the running statement
    }
    --b->left_;
    return 0;
  }

  sqlite3* db_;
  uint64_t left_;
  bool exhausted_ = false;
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(SqliteOptions o) : opts_(std::move(o)) {}

  Status Init() {
    MW_TRY(w_.Open(opts_.path, false));
    MW_TRY(w_.Exec("PRAGMA journal_mode=WAL"));
    MW_TRY(
        w_.Exec(opts_.synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"));
    MW_TRY(w_.Exec("PRAGMA foreign_keys=OFF"));
    MW_TRY(Migrate(w_));
    MW_TRY(r_.Open(opts_.path, true));
    return Ok();
  }

  Result<UpsertOutcome> Upsert(std::span<const Finding> batch, TimestampUs now) override {
    std::lock_guard lock(wmu_);
    UpsertOutcome out;
    Txn txn(w_);
    MW_TRY(txn.Begin());
    for (const Finding& f : batch) {
      if (f.id.empty()) return Fail(Error::InvalidArgument("finding without id"));
      MW_TRY(UpsertOne(f, now, out));
    }
    MW_TRY(Commit(txn));
    return out;
  }

  Result<std::optional<StoredFinding>> Get(const std::string& id) override {
    std::lock_guard lock(rmu_);
    MW_ASSIGN(s,
              r_.Prepare("SELECT " + std::string(kFindingColumns) + " FROM findings WHERE id = ?"));
    s.Bind(1, id);
    MW_ASSIGN(row, s.Step());
    if (!row) return std::optional<StoredFinding>();
    return std::optional<StoredFinding>(ReadFinding(s));
  }

  Result<FindingPage> List(const FindingQuery& q) override {
    uint32_t limit = std::clamp<uint32_t>(q.limit, 1, 1000);
    std::lock_guard lock(rmu_);
    MW_ASSIGN(plan, ChooseTextPlan(q.text));
    if (plan == TextPlan::kWalkThenIndex) {
      // A common term: the newest rows match early, so walking last_seen order fills a page
      // at once. Should it not (a rare combination of common trigrams, or other filters that
      // leave few rows), the index plan takes over after a bounded amount of work.
      bool exhausted = false;
      auto page = RunList(q, limit, plan, ScanBudgetTicks(), &exhausted);
      if (!exhausted) return page;
      plan = TextPlan::kIndex;
    }
    return RunList(q, limit, plan, 0, nullptr);
  }

  Result<FindingCounts> Counts(const FindingQuery& q) override {
    FindingCounts c;
    std::map<std::string, uint64_t> cat, stage, state, sev;
    auto fold = [&](const Stmt& s) {
      uint64_t n = uint64_t(s.Int(4));
      cat[s.Text(0)] += n;
      stage[std::string(StageText(Stage(s.Int(1) ? 1 : 0)))] += n;
      state[std::string(StateName(FindingState(std::clamp<int64_t>(s.Int(2), 0, 2))))] += n;
      sev[std::string(SeverityName(Severity(std::clamp<int64_t>(s.Int(3), 0, 4))))] += n;
      c.total += n;
    };
    {
      std::lock_guard lock(rmu_);
      if (FacetsOnly(q)) {
        // Exact, from the counters the writing transactions keep (a few rows, not the table).
        Where w = BuildWhere(q, false, TextPlan::kScan);
        MW_ASSIGN(s, r_.Prepare("SELECT category, stage, state, severity, n FROM finding_counts" +
                                w.sql + (w.sql.empty() ? " WHERE" : " AND") + " n > 0"));
        w.BindAll(s);
        for (;;) {
          MW_ASSIGN(row, s.Step());
          if (!row) break;
          fold(s);
        }
      } else {
        // Host, time and text filters: count at most kCountCap matching rows, so the answer
        // costs milliseconds; past the cap the total is a lower bound and exact is false.
        MW_ASSIGN(plan, ChooseTextPlan(q.text));
        bool exhausted = false;
        uint64_t budget = plan == TextPlan::kWalkThenIndex ? ScanBudgetTicks() : 0;
        MW_TRY(RunCapped(q, plan, budget, &exhausted, fold));
        if (exhausted) {
          cat.clear(), stage.clear(), state.clear(), sev.clear();
          c.total = 0;
          MW_TRY(RunCapped(q, TextPlan::kIndex, 0, nullptr, fold));
        }
        c.exact = c.total < kCountCap;
      }
    }
    auto sorted = [](std::map<std::string, uint64_t>& m,
                     std::vector<std::pair<std::string, uint64_t>>& out) {
      out.assign(m.begin(), m.end());
      std::stable_sort(out.begin(), out.end(),
                       [](const auto& a, const auto& b) { return a.second > b.second; });
    };
    sorted(cat, c.by_category);
    sorted(stage, c.by_stage);
    sorted(state, c.by_state);
    sorted(sev, c.by_severity);
    return c;
  }

  Status SetState(const std::string& id, FindingState state, const std::string& reason,
                  const std::string& actor, TimestampUs now) override {
    std::lock_guard lock(wmu_);
    Txn txn(w_);
    MW_TRY(txn.Begin());
    MW_ASSIGN(
        sel,
        w_.Prepare(
            "SELECT state, host_ip, incident_id, category, indicator FROM findings WHERE id = ?"));
    sel.Bind(1, id);
    MW_ASSIGN(row, sel.Step());
    if (!row) return Fail(Error::NotFound("no finding with id " + id));
    auto old_state = FindingState(sel.Int(0));
    std::string host = sel.Text(1);
    int64_t incident = sel.Int(2);
    std::string what = sel.Text(3) + " " + sel.Text(4);
    MW_ASSIGN(upd, w_.Prepare("UPDATE findings SET state = ?, state_reason = ?, state_by = ?, "
                              "state_at = ?, updated_at = ? WHERE id = ?"));
    upd.Bind(1, int64_t(state))
        .Bind(2, reason)
        .Bind(3, actor)
        .Bind(4, now)
        .Bind(5, now)
        .Bind(6, id);
    MW_TRY(upd.Run());
    if (state == FindingState::kActive && old_state == FindingState::kResolved) {
      MW_ASSIGN(inc, OpenIncidentFor(host, "", now));
      incident = inc;
      MW_ASSIGN(u2, w_.Prepare("UPDATE findings SET incident_id = ? WHERE id = ?"));
      u2.Bind(1, incident).Bind(2, id);
      MW_TRY(u2.Run());
    }
    std::string text = std::string(StateName(state)) + " by " + actor +
                       (reason.empty() ? "" : " (" + reason + ")") + ": " + what;
    MW_TRY(AddTimelineRow(incident, {now, "remediation", id, text}));
    MW_TRY(
        InsertAudit({0, now, actor, "finding." + std::string(StateName(state)), id,
                     nlohmann::json{{"reason", reason}, {"from", StateName(old_state)}}.dump()}));
    MW_TRY(CloseQuietIncidents());
    return Commit(txn);
  }

  Result<std::vector<StoredFinding>> AutoResolve(TimestampUs now, int64_t inactivity_s,
                                                 uint32_t max_findings) override {
    std::vector<StoredFinding> out;
    if (inactivity_s <= 0 || max_findings == 0) return out;
    std::lock_guard lock(wmu_);
    TimestampUs cutoff = now - inactivity_s * 1000000;
    Txn txn(w_);
    MW_TRY(txn.Begin());
    MW_ASSIGN(
        sel,
        w_.Prepare("SELECT " + std::string(kFindingColumns) +
                   " FROM findings WHERE state = 0 AND last_seen < ? ORDER BY last_seen LIMIT ?"));
    sel.Bind(1, cutoff).Bind(2, int64_t(max_findings));
    for (;;) {
      MW_ASSIGN(row, sel.Step());
      if (!row) break;
      out.push_back(ReadFinding(sel));
    }
    std::string reason = "no activity for " + std::to_string(inactivity_s / 86400) + "d" +
                         (inactivity_s % 86400 ? std::to_string(inactivity_s % 86400) + "s" : "");
    MW_ASSIGN(upd,
              w_.Prepare("UPDATE findings SET state = 2, state_reason = ?, state_by = 'system', "
                         "state_at = ?, updated_at = ? WHERE id = ?"));
    for (auto& sf : out) {
      upd.Reset();
      upd.Bind(1, reason).Bind(2, now).Bind(3, now).Bind(4, sf.finding.id);
      MW_TRY(upd.Run());
      MW_TRY(AddTimelineRow(sf.incident_id,
                            {now, "remediation", sf.finding.id, "auto-resolved: " + reason}));
      sf.state = FindingState::kResolved;
      sf.state_reason = reason;
      sf.state_by = "system";
      sf.state_at = now;
      sf.updated_at = now;
      sf.evidence_samples = nlohmann::json::array();
    }
    if (!out.empty()) {
      MW_TRY(InsertAudit({0, now, "system", "finding.auto_resolve",
                          std::to_string(out.size()) + " findings",
                          nlohmann::json{{"reason", reason}}.dump()}));
    }
    MW_TRY(CloseQuietIncidents());
    MW_TRY(Commit(txn));
    return out;
  }

  Result<uint64_t> ApplyRetention(TimestampUs now, const RetentionPolicy& p) override {
    std::lock_guard lock(wmu_);
    Txn txn(w_);
    MW_TRY(txn.Begin());
    uint64_t removed = 0;
    MW_ASSIGN(old, w_.Prepare("DELETE FROM findings WHERE state = 2 AND state_at < ?"));
    old.Bind(1, now - p.resolved_max_age_s * 1000000);
    MW_TRY(old.Run());
    removed += uint64_t(w_.Changes());
    MW_ASSIGN(cnt, w_.Prepare("SELECT COUNT(*) FROM findings"));
    MW_ASSIGN(row, cnt.Step());
    uint64_t total = row ? uint64_t(cnt.Int(0)) : 0;
    if (total > p.max_findings) {
      // Resolved first, then oldest activity: an active miner is the last thing to forget.
      MW_ASSIGN(del, w_.Prepare("DELETE FROM findings WHERE id IN (SELECT id FROM findings "
                                "ORDER BY state = 2 DESC, last_seen ASC LIMIT ?)"));
      del.Bind(1, int64_t(total - p.max_findings));
      MW_TRY(del.Run());
      removed += uint64_t(w_.Changes());
    }
    MW_TRY(
        w_.Exec("DELETE FROM incidents WHERE open = 0 AND id NOT IN "
                "(SELECT DISTINCT incident_id FROM findings)"));
    MW_TRY(w_.Exec("DELETE FROM timeline WHERE incident_id NOT IN (SELECT id FROM incidents)"));
    MW_ASSIGN(aud, w_.Prepare("DELETE FROM audit WHERE id <= (SELECT MAX(id) FROM audit) - ?"));
    aud.Bind(1, int64_t(p.max_audit_rows));
    MW_TRY(aud.Run());
    MW_TRY(Commit(txn));
    return removed;
  }

  Result<std::vector<Incident>> ListIncidents(std::optional<bool> open, uint32_t limit) override {
    std::string sql =
        "SELECT id, host_ip, hostname, open, first_seen, last_seen, max_severity, max_stage, "
        "finding_count FROM incidents";
    if (open) sql += *open ? " WHERE open = 1" : " WHERE open = 0";
    sql += " ORDER BY last_seen DESC, id DESC LIMIT " +
           std::to_string(std::clamp<uint32_t>(limit, 1, 1000));
    std::lock_guard lock(rmu_);
    MW_ASSIGN(s, r_.Prepare(sql));
    std::vector<Incident> out;
    for (;;) {
      MW_ASSIGN(row, s.Step());
      if (!row) break;
      out.push_back(ReadIncident(s));
    }
    return out;
  }

  Result<std::optional<Incident>> GetIncident(int64_t id) override {
    std::lock_guard lock(rmu_);
    MW_ASSIGN(s,
              r_.Prepare("SELECT id, host_ip, hostname, open, first_seen, last_seen, max_severity, "
                         "max_stage, finding_count FROM incidents WHERE id = ?"));
    s.Bind(1, id);
    MW_ASSIGN(row, s.Step());
    if (!row) return std::optional<Incident>();
    Incident inc = ReadIncident(s);
    MW_ASSIGN(t,
              r_.Prepare("SELECT ts, phase, finding_id, text FROM timeline WHERE incident_id = ? "
                         "ORDER BY ts, id LIMIT 10000"));
    t.Bind(1, id);
    for (;;) {
      MW_ASSIGN(trow, t.Step());
      if (!trow) break;
      inc.timeline.push_back({t.Int(0), t.Text(1), t.Text(2), t.Text(3)});
    }
    return std::optional<Incident>(std::move(inc));
  }

  Status AddTimeline(const std::string& host_ip, const TimelineEntry& e) override {
    std::lock_guard lock(wmu_);
    Txn txn(w_);
    MW_TRY(txn.Begin());
    MW_ASSIGN(inc, OpenIncidentFor(host_ip, "", e.ts));
    MW_TRY(AddTimelineRow(inc, e));
    return Commit(txn);
  }

  Status AppendAudit(const AuditEntry& e) override {
    std::lock_guard lock(wmu_);
    return InsertAudit(e);
  }

  Status AppendAuditBatch(std::span<const AuditEntry> entries) override {
    std::lock_guard lock(wmu_);
    Txn txn(w_);
    MW_TRY(txn.Begin());
    for (const auto& e : entries) MW_TRY(InsertAudit(e));
    return Commit(txn);
  }

  Result<std::vector<AuditEntry>> ListAudit(uint32_t limit) override {
    std::lock_guard lock(rmu_);
    MW_ASSIGN(
        s, r_.Prepare(
               "SELECT id, ts, actor, action, target, detail FROM audit ORDER BY id DESC LIMIT ?"));
    s.Bind(1, int64_t(std::clamp<uint32_t>(limit, 1, 10000)));
    std::vector<AuditEntry> out;
    for (;;) {
      MW_ASSIGN(row, s.Step());
      if (!row) break;
      out.push_back({s.Int(0), s.Int(1), s.Text(2), s.Text(3), s.Text(4), s.Text(5)});
    }
    return out;
  }

  Status PutToken(const TokenRecord& t) override {
    std::lock_guard lock(wmu_);
    MW_ASSIGN(s,
              w_.Prepare("INSERT INTO tokens(id, name, role, secret_hash, created_at, created_by) "
                         "VALUES (?, ?, ?, ?, ?, ?)"));
    s.Bind(1, t.id)
        .Bind(2, t.name)
        .Bind(3, RoleName(t.role))
        .Bind(4, t.secret_hash)
        .Bind(5, t.created_at)
        .Bind(6, t.created_by);
    auto st = s.Run();
    if (!st)
      return Fail(
          Error::InvalidArgument("cannot store token '" + t.name + "': " + st.error().message()));
    return Ok();
  }

  Result<std::optional<TokenRecord>> GetToken(const std::string& id) override {
    std::lock_guard lock(rmu_);
    MW_ASSIGN(
        s,
        r_.Prepare(
            "SELECT id, name, role, secret_hash, created_at, created_by FROM tokens WHERE id = ?"));
    s.Bind(1, id);
    MW_ASSIGN(row, s.Step());
    if (!row) return std::optional<TokenRecord>();
    return std::optional<TokenRecord>(ReadToken(s));
  }

  Result<std::vector<TokenRecord>> ListTokens() override {
    std::lock_guard lock(rmu_);
    MW_ASSIGN(s, r_.Prepare("SELECT id, name, role, secret_hash, created_at, created_by FROM "
                            "tokens ORDER BY name"));
    std::vector<TokenRecord> out;
    for (;;) {
      MW_ASSIGN(row, s.Step());
      if (!row) break;
      out.push_back(ReadToken(s));
    }
    return out;
  }

  Result<bool> DeleteToken(const std::string& id) override {
    std::lock_guard lock(wmu_);
    MW_ASSIGN(s, w_.Prepare("DELETE FROM tokens WHERE id = ? OR name = ?"));
    s.Bind(1, id).Bind(2, id);
    MW_TRY(s.Run());
    return w_.Changes() > 0;
  }

  Result<int> SchemaVersion() override {
    std::lock_guard lock(rmu_);
    return CurrentVersion(r_);
  }

 private:
  static TokenRecord ReadToken(const Stmt& s) {
    TokenRecord t;
    t.id = s.Text(0);
    t.name = s.Text(1);
    t.role = ParseRole(s.Text(2)).value_or(Role::kViewer);
    t.secret_hash = s.Text(3);
    t.created_at = s.Int(4);
    t.created_by = s.Text(5);
    return t;
  }

  static Incident ReadIncident(const Stmt& s) {
    Incident inc;
    inc.id = s.Int(0);
    inc.host_ip = s.Text(1);
    inc.hostname = s.Text(2);
    inc.open = s.Int(3) != 0;
    inc.first_seen = s.Int(4);
    inc.last_seen = s.Int(5);
    inc.max_severity = Severity(std::clamp<int64_t>(s.Int(6), 0, 4));
    inc.max_stage = s.Int(7) ? Stage::kMining : Stage::kPrecursor;
    inc.finding_count = uint64_t(s.Int(8));
    return inc;
  }

  // Picks the plan for a text filter; caller holds rmu_.
  Result<TextPlan> ChooseTextPlan(const std::string& text) {
    std::string fts = IndexableText(text) ? TrigramQuery(text) : std::string();
    if (fts.empty()) return TextPlan::kScan;  // no text, too short for trigrams, or malformed
    // Counting candidates stops at the cap, so a common term costs no more than a rare one.
    MW_ASSIGN(s,
              r_.Prepare("SELECT COUNT(*) FROM (SELECT rowid FROM findings_fts WHERE findings_fts "
                         "MATCH ? LIMIT ?)"));
    s.Bind(1, fts).Bind(2, int64_t(opts_.text_index_candidates) + 1);
    MW_ASSIGN(row, s.Step());
    return row && s.Int(0) <= int64_t(opts_.text_index_candidates) ? TextPlan::kIndex
                                                                   : TextPlan::kWalkThenIndex;
  }

  uint64_t ScanBudgetTicks() const {
    return std::max<uint64_t>(1, opts_.text_scan_budget_steps / StepBudget::kStepsPerTick);
  }

  // One list page with "plan"; with a budget, stops early and sets *exhausted when it runs out.
  Result<FindingPage> RunList(const FindingQuery& q, uint32_t limit, TextPlan plan,
                              uint64_t budget_ticks, bool* exhausted) {
    Where w = BuildWhere(q, true, plan);
    // Lists never return evidence samples: read an empty array instead of parsing up to N
    // snapshots.
    std::string sql = "SELECT " + std::string(kListColumns) + " FROM findings" + w.sql +
                      " ORDER BY last_seen DESC, id DESC LIMIT " + std::to_string(limit + 1);
    MW_ASSIGN(s, r_.Prepare(sql));
    w.BindAll(s);
    std::optional<StepBudget> budget;
    if (budget_ticks) budget.emplace(r_.raw(), budget_ticks);
    FindingPage page;
    for (;;) {
      auto row = s.Step();
      if (!row) {
        if (budget && budget->exhausted() && exhausted) {
          *exhausted = true;
          return FindingPage{};
        }
        return Fail(row.error());
      }
      if (!*row) break;
      if (page.findings.size() == limit) {
        const Finding& last = page.findings.back().finding;
        page.next_cursor = std::make_pair(last.last_seen, last.id);
        break;
      }
      page.findings.push_back(ReadFinding(s));
    }
    return page;
  }

  // Feeds "fold" (category, stage, state, severity, n) rows over at most kCountCap matches.
  template <typename Fold>
  Status RunCapped(const FindingQuery& q, TextPlan plan, uint64_t budget_ticks, bool* exhausted,
                   Fold&& fold) {
    Where w = BuildWhere(q, false, plan);
    MW_ASSIGN(s,
              r_.Prepare(
                  "SELECT category, stage, state, severity, COUNT(*) FROM (SELECT category, stage, "
                  "state, severity FROM findings" +
                  w.sql + " LIMIT " + std::to_string(kCountCap) + ") GROUP BY 1, 2, 3, 4"));
    w.BindAll(s);
    std::optional<StepBudget> budget;
    if (budget_ticks) budget.emplace(r_.raw(), budget_ticks);
    for (;;) {
      auto row = s.Step();
      if (!row) {
        if (budget && budget->exhausted() && exhausted) {
          *exhausted = true;
          return Ok();
        }
        return Fail(row.error());
      }
      if (!*row) break;
      fold(s);
    }
    return Ok();
  }

  // A cached SELECT left mid-result keeps a read transaction open on the writer connection,
  // which stops checkpoints from recycling the WAL (it grew to gigabytes over 1M findings).
  // Every cached statement is reset before the commit.
  Status Commit(Txn& txn) {
    for (auto& [sql, st] : cache_) st.Reset();
    return txn.Commit();
  }

  // Statements on the writer connection, prepared once: ingest runs them per finding.
  Result<Stmt*> Cached(const char* sql) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) {
      MW_ASSIGN(s, w_.Prepare(sql));
      it = cache_.emplace(sql, std::move(s)).first;
    }
    it->second.Reset();
    return &it->second;
  }

  Status InsertAudit(const AuditEntry& e) {
    MW_ASSIGN(
        s, Cached("INSERT INTO audit(ts, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)"));
    s->Bind(1, e.ts).Bind(2, e.actor).Bind(3, e.action).Bind(4, e.target).Bind(5, e.detail);
    return s->Run();
  }

  Status AddTimelineRow(int64_t incident, const TimelineEntry& e) {
    if (incident == 0) return Ok();
    MW_ASSIGN(s, Cached("INSERT INTO timeline(incident_id, ts, phase, finding_id, text) VALUES (?, "
                        "?, ?, ?, ?)"));
    s->Bind(1, incident).Bind(2, e.ts).Bind(3, e.phase).Bind(4, e.finding_id).Bind(5, e.text);
    return s->Run();
  }

  // The open incident of "host", created if there is none.
  Result<int64_t> OpenIncidentFor(const std::string& host, const std::string& hostname,
                                  TimestampUs ts) {
    MW_ASSIGN(
        sel,
        Cached("SELECT id FROM incidents WHERE host_ip = ? AND open = 1 ORDER BY id DESC LIMIT 1"));
    sel->Bind(1, host);
    MW_ASSIGN(row, sel->Step());
    if (row) return sel->Int(0);
    MW_ASSIGN(ins,
              Cached("INSERT INTO incidents(host_ip, hostname, open, first_seen, last_seen, "
                     "max_severity, max_stage, finding_count) VALUES (?, ?, 1, ?, ?, 0, 0, 0)"));
    ins->Bind(1, host).Bind(2, hostname).Bind(3, ts).Bind(4, ts);
    MW_TRY(ins->Run());
    return w_.LastInsertId();
  }

  // An incident closes when none of its findings is active any more.
  Status CloseQuietIncidents() {
    return w_.Exec(
        "UPDATE incidents SET open = 0 WHERE open = 1 AND NOT EXISTS (SELECT 1 FROM "
        "findings WHERE findings.incident_id = incidents.id AND findings.state = 0)");
  }

  LifecycleOptions Lifecycle() const { return {opts_.evidence_samples, opts_.max_evidence_bytes}; }

  // Reads the stored row, lets lifecycle.h decide, writes what it decided.
  Status UpsertOne(const Finding& f, TimestampUs now, UpsertOutcome& out) {
    MW_ASSIGN(sel, Cached("SELECT category, stage, severity, hostname, detector, source, attack, "
                          "evidence, evidence_samples, first_seen, last_seen, count, src_count, "
                          "src_revision, revision, state, state_at, reopen_count, incident_id "
                          "FROM findings WHERE id = ?"));
    sel->Bind(1, f.id);
    MW_ASSIGN(row, sel->Step());
    std::optional<StoredState> stored;
    int64_t incident = 0;
    if (row) {
      StoredState& s = stored.emplace();
      s.category = sel->Text(0);
      s.stage = sel->Int(1) ? Stage::kMining : Stage::kPrecursor;
      s.severity = Severity(std::clamp<int64_t>(sel->Int(2), 0, 4));
      s.hostname = sel->Text(3);
      s.detector = sel->Text(4);
      s.source = sel->Text(5);
      s.attack = sel->Text(6);
      s.evidence = sel->Text(7);
      s.evidence_samples = sel->Text(8);
      s.first_seen = sel->Int(9);
      s.last_seen = sel->Int(10);
      s.count = sel->Int(11);
      s.src_count = uint64_t(sel->Int(12));
      s.src_revision = uint64_t(sel->Int(13));
      s.revision = uint64_t(sel->Int(14));
      s.state = FindingState(sel->Int(15));
      s.state_at = sel->Int(16);
      s.reopen_count = uint32_t(sel->Int(17));
      incident = sel->Int(18);
    }
    UpsertPlan p = PlanUpsert(stored, f, now, Lifecycle());
    if (p.join_incident) {
      MW_ASSIGN(inc, OpenIncidentFor(f.resource.host_ip, f.resource.hostname, p.incident_at));
      incident = inc;
    }
    // What is searchable is what is stored: the stub of oversized evidence has no text.
    std::string search_text = p.evidence_truncated ? std::string() : SearchText(f.evidence);
    const std::string& samples =
        p.evidence_samples ? *p.evidence_samples : stored->evidence_samples;
    const bool state_changed = p.state_change.has_value();
    const UpsertPlan::StateChange no_change;
    const UpsertPlan::StateChange& sc = state_changed ? *p.state_change : no_change;
    if (p.create) {
      MW_ASSIGN(ins,
                Cached("INSERT INTO findings(id, category, stage, severity, host_ip, hostname, "
                       "indicator, detector, source, attack, evidence, evidence_samples, "
                       "first_seen, last_seen, count, revision, src_count, src_revision, state, "
                       "state_reason, state_by, state_at, reopen_count, reopened_at, incident_id, "
                       "created_at, updated_at, search_text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
                       "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
      ins->Bind(1, f.id)
          .Bind(2, f.category)
          .Bind(3, int64_t(p.stage))
          .Bind(4, int64_t(f.severity))
          .Bind(5, f.resource.host_ip)
          .Bind(6, f.resource.hostname)
          .Bind(7, f.indicator)
          .Bind(8, f.detector)
          .Bind(9, f.source)
          .Bind(10, p.attack)
          .Bind(11, p.evidence)
          .Bind(12, samples)
          .Bind(13, p.first_seen)
          .Bind(14, p.last_seen)
          .Bind(15, int64_t(p.count))
          .Bind(16, int64_t(p.revision))
          .Bind(17, int64_t(p.src_count))
          .Bind(18, int64_t(p.src_revision))
          .Bind(19, int64_t(p.state))
          .Bind(20, sc.reason)
          .Bind(21, sc.by)
          .Bind(22, sc.at)
          .Bind(23, int64_t(p.reopen_count))
          .Bind(24, p.reopened_at.value_or(0))
          .Bind(25, incident)
          .Bind(26, now)
          .Bind(27, p.updated_at)
          .Bind(28, search_text);
      MW_TRY(ins->Run());
    } else {
      MW_ASSIGN(upd,
                Cached("UPDATE findings SET category = ?, stage = ?, severity = ?, hostname = ?, "
                       "detector = ?, source = ?, attack = ?, evidence = ?, search_text = ?, "
                       "evidence_samples = ?, first_seen = ?, last_seen = ?, count = ?, "
                       "revision = ?, src_count = ?, src_revision = ?, state = ?, "
                       "state_reason = CASE WHEN ? THEN ? ELSE state_reason END, "
                       "state_by = CASE WHEN ? THEN ? ELSE state_by END, "
                       "state_at = CASE WHEN ? THEN ? ELSE state_at END, reopen_count = ?, "
                       "reopened_at = CASE WHEN ? THEN ? ELSE reopened_at END, incident_id = ?, "
                       "updated_at = ? WHERE id = ?"));
      upd->Bind(1, f.category)
          .Bind(2, int64_t(p.stage))
          .Bind(3, int64_t(f.severity))
          .Bind(4, f.resource.hostname)
          .Bind(5, f.detector)
          .Bind(6, f.source)
          .Bind(7, p.attack)
          .Bind(8, p.evidence)
          .Bind(9, search_text)
          .Bind(10, samples)
          .Bind(11, p.first_seen)
          .Bind(12, p.last_seen)
          .Bind(13, int64_t(p.count))
          .Bind(14, int64_t(p.revision))
          .Bind(15, int64_t(p.src_count))
          .Bind(16, int64_t(p.src_revision))
          .Bind(17, int64_t(p.state))
          .Bind(18, int64_t(state_changed))
          .Bind(19, sc.reason)
          .Bind(20, int64_t(state_changed))
          .Bind(21, sc.by)
          .Bind(22, int64_t(state_changed))
          .Bind(23, sc.at)
          .Bind(24, int64_t(p.reopen_count))
          .Bind(25, int64_t(p.reopened_at.has_value()))
          .Bind(26, p.reopened_at.value_or(0))
          .Bind(27, incident)
          .Bind(28, p.updated_at)
          .Bind(29, f.id);
      MW_TRY(upd->Run());
    }
    MW_TRY(TouchIncident(incident, f, p.join_incident));
    for (const TimelineEntry& e : p.timeline) MW_TRY(AddTimelineRow(incident, e));
    RecordOutcome(f, p, incident, out);
    return Ok();
  }

  Status TouchIncident(int64_t incident, const Finding& f, bool new_member) {
    MW_ASSIGN(
        s,
        Cached(
            "UPDATE incidents SET last_seen = MAX(last_seen, ?), first_seen = MIN(first_seen, ?), "
            "max_severity = MAX(max_severity, ?), max_stage = MAX(max_stage, ?), "
            "finding_count = finding_count + ?, hostname = CASE WHEN hostname = '' THEN ? "
            "ELSE hostname END WHERE id = ?"));
    s->Bind(1, f.last_seen)
        .Bind(2, f.first_seen ? f.first_seen : f.last_seen)
        .Bind(3, int64_t(f.severity))
        .Bind(4, int64_t(f.stage))
        .Bind(5, int64_t(new_member ? 1 : 0))
        .Bind(6, f.resource.hostname)
        .Bind(7, incident);
    return s->Run();
  }

  SqliteOptions opts_;
  std::mutex wmu_;
  Db w_;                                         // guarded by wmu_
  std::unordered_map<const char*, Stmt> cache_;  // guarded by wmu_
  std::mutex rmu_;
  Db r_;  // guarded by rmu_
};

}  // namespace

int LatestSchemaVersion() { return int(Migrations().size()); }

namespace {

namespace fs = std::filesystem;
using Warn = std::function<void(const std::string&)>;

std::string Octal(mode_t m) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%04o", unsigned(m & 07777));
  return buf;
}

// Missing directories are made 0700, outermost first.
Status MakeDirectories(const fs::path& dir) {
  std::vector<fs::path> missing;
  std::error_code ec;
  for (fs::path p = dir; !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0700) != 0 && errno != EEXIST) {
      return Fail(
          Error::IoError("cannot create directory " + it->string() + ": " + std::strerror(errno)));
    }
  }
  return Ok();
}

// True when "dir" holds nothing but the files of the database "name": then it is the store's
// own folder (made by `up`, a packager or a test) and safe to close to others.
bool OnlyStoreFiles(const fs::path& dir, const std::string& name) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    auto n = e.path().filename().string();
    if (n != name && n != name + "-wal" && n != name + "-shm" && n != name + "-journal") {
      return false;
    }
  }
  return !ec;
}

void CheckDirectory(const fs::path& dir, const std::string& name, const Warn& warn) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || (st.st_mode & 077) == 0) return;
  if (st.st_uid == ::geteuid() && OnlyStoreFiles(dir, name) && ::chmod(dir.c_str(), 0700) == 0) {
    warn("store directory " + dir.string() + " was " + Octal(st.st_mode) + "; set to 0700");
    return;
  }
  warn("store directory " + dir.string() + " is " + Octal(st.st_mode) +
       " (other users can list it); the store's files are kept 0600");
}

// The database and its WAL files: created 0600 (SQLite gives -wal and -shm the database's
// mode), an existing one open to others is set to 0600.
Status CheckFile(const std::string& path, bool create, const Warn& warn) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (!create || errno != ENOENT) return Ok();  // SQLite reports what is wrong with it
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 && errno != EEXIST) {
      return Fail(Error::IoError("cannot create " + path + ": " + std::strerror(errno)));
    }
    if (fd >= 0) ::close(fd);
    return Ok();
  }
  if ((st.st_mode & 077) == 0 || !S_ISREG(st.st_mode)) return Ok();
  if (::chmod(path.c_str(), 0600) != 0) {
    warn(path + " is " + Octal(st.st_mode) + " and cannot be set to 0600: " + std::strerror(errno));
  } else {
    warn(path + " was " + Octal(st.st_mode) + "; set to 0600");
  }
  return Ok();
}

Status PrepareOwnerOnly(const SqliteOptions& o) {
  Warn warn = o.warn ? o.warn : [](const std::string& m) {
    std::fprintf(stderr, "minerwatch: warning: %s\n", m.c_str());
  };
  fs::path path(o.path);
  fs::path dir = path.parent_path();
  if (!dir.empty()) {
    MW_TRY(MakeDirectories(dir));
    CheckDirectory(dir, path.filename().string(), warn);
  }
  MW_TRY(CheckFile(o.path, true, warn));
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    MW_TRY(CheckFile(o.path + suffix, false, warn));
  }
  return Ok();
}

}  // namespace

Result<StorePtr> OpenSqliteStore(const SqliteOptions& options) {
  if (options.path.empty()) return Fail(Error::InvalidArgument("store path is empty"));
  MW_TRY(PrepareOwnerOnly(options));
  auto store = std::make_unique<SqliteStore>(options);
  MW_TRY(store->Init());
  return StorePtr(std::move(store));
}

}  // namespace mw::store
