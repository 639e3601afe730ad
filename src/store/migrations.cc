// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "store/migrations.h"

#include <ctime>
#include <string>

#include "store/sqlite_db.h"

namespace mw::store {

const std::vector<std::string_view>& Migrations() {
  static const std::vector<std::string_view> kMigrations = {
      // 1: findings with lifecycle, incidents with timeline, audit log, API tokens.
      R"sql(
CREATE TABLE findings(
  id TEXT PRIMARY KEY,
  category TEXT NOT NULL, stage INTEGER NOT NULL, severity INTEGER NOT NULL,
  host_ip TEXT NOT NULL, hostname TEXT NOT NULL DEFAULT '', indicator TEXT NOT NULL,
  detector TEXT NOT NULL DEFAULT '', source TEXT NOT NULL DEFAULT '', attack TEXT NOT NULL DEFAULT '[]',
  evidence TEXT NOT NULL DEFAULT '{}', evidence_samples TEXT NOT NULL DEFAULT '[]',
  first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, count INTEGER NOT NULL,
  revision INTEGER NOT NULL, src_count INTEGER NOT NULL, src_revision INTEGER NOT NULL,
  state INTEGER NOT NULL DEFAULT 0, state_reason TEXT NOT NULL DEFAULT '',
  state_by TEXT NOT NULL DEFAULT '', state_at INTEGER NOT NULL DEFAULT 0,
  reopen_count INTEGER NOT NULL DEFAULT 0, reopened_at INTEGER NOT NULL DEFAULT 0,
  incident_id INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE INDEX findings_by_last_seen ON findings(last_seen DESC, id DESC);
CREATE INDEX findings_by_state ON findings(state, last_seen);
CREATE INDEX findings_by_host ON findings(host_ip, last_seen);
CREATE INDEX findings_by_hostname ON findings(hostname, last_seen);
CREATE INDEX findings_by_category ON findings(category, last_seen);
CREATE INDEX findings_by_incident ON findings(incident_id, state);
CREATE TABLE incidents(
  id INTEGER PRIMARY KEY, host_ip TEXT NOT NULL, hostname TEXT NOT NULL DEFAULT '',
  open INTEGER NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
  max_severity INTEGER NOT NULL, max_stage INTEGER NOT NULL, finding_count INTEGER NOT NULL);
CREATE INDEX incidents_by_host ON incidents(host_ip, open);
CREATE TABLE timeline(
  id INTEGER PRIMARY KEY, incident_id INTEGER NOT NULL, ts INTEGER NOT NULL,
  phase TEXT NOT NULL, finding_id TEXT NOT NULL, text TEXT NOT NULL);
CREATE INDEX timeline_by_incident ON timeline(incident_id, ts);
CREATE TABLE audit(
  id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
  target TEXT NOT NULL, detail TEXT NOT NULL);
CREATE TABLE tokens(
  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL, secret_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL, created_by TEXT NOT NULL);
)sql",
      // 2: speed over 1M findings. Counts read one covering index instead of the table; text
      // search uses an FTS5 trigram index (substring semantics, like LIKE '%q%') kept in step by
      // triggers; the severity and stage filters get (column, last_seen) indexes.
      R"sql(
CREATE INDEX findings_by_facets ON findings(category, stage, state, severity);
CREATE INDEX findings_by_severity ON findings(severity, last_seen);
CREATE INDEX findings_by_stage ON findings(stage, last_seen);
CREATE VIRTUAL TABLE findings_fts USING fts5(
  indicator, category, detector, host_ip, hostname, evidence,
  content='findings', content_rowid='rowid', tokenize='trigram');
INSERT INTO findings_fts(findings_fts) VALUES('rebuild');
CREATE TRIGGER findings_fts_insert AFTER INSERT ON findings BEGIN
  INSERT INTO findings_fts(rowid, indicator, category, detector, host_ip, hostname, evidence)
  VALUES (new.rowid, new.indicator, new.category, new.detector, new.host_ip, new.hostname, new.evidence);
END;
CREATE TRIGGER findings_fts_delete AFTER DELETE ON findings BEGIN
  INSERT INTO findings_fts(findings_fts, rowid, indicator, category, detector, host_ip, hostname, evidence)
  VALUES ('delete', old.rowid, old.indicator, old.category, old.detector, old.host_ip, old.hostname, old.evidence);
END;
-- Only when a searched column really changed: most updates change counts and timestamps alone.
CREATE TRIGGER findings_fts_update AFTER UPDATE OF indicator, category, detector, host_ip, hostname, evidence
ON findings WHEN old.indicator IS NOT new.indicator OR old.category IS NOT new.category
  OR old.detector IS NOT new.detector OR old.host_ip IS NOT new.host_ip
  OR old.hostname IS NOT new.hostname OR old.evidence IS NOT new.evidence BEGIN
  INSERT INTO findings_fts(findings_fts, rowid, indicator, category, detector, host_ip, hostname, evidence)
  VALUES ('delete', old.rowid, old.indicator, old.category, old.detector, old.host_ip, old.hostname, old.evidence);
  INSERT INTO findings_fts(rowid, indicator, category, detector, host_ip, hostname, evidence)
  VALUES (new.rowid, new.indicator, new.category, new.detector, new.host_ip, new.hostname, new.evidence);
END;
)sql",
      // 3: list pages and counts that stay fast over 1M findings, and cheaper ingest.
      // - The text index covers search_text (the string values of the evidence, which the store
      //   fills on every write) instead of the evidence JSON: counters and timestamps in the
      //   evidence change on every update, its strings rarely, so most updates leave the index
      //   alone. detail=none drops positions (about half the index): a query is the AND of its
      //   trigrams and every candidate is verified with LIKE, so the result is exact.
      // - finding_counts holds the exact number of findings per (category, stage, state,
      //   severity), kept by triggers in the writing transaction, so unfiltered and
      //   facet-filtered counts read a few rows instead of the table.
      //   The covering facets index of migration 2 is then unused and goes.
      R"sql(
DROP INDEX findings_by_facets;
DROP TRIGGER findings_fts_insert;
DROP TRIGGER findings_fts_delete;
DROP TRIGGER findings_fts_update;
DROP TABLE findings_fts;
ALTER TABLE findings ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
UPDATE findings SET search_text = COALESCE(substr((SELECT group_concat(value, char(10)) FROM
  json_tree(CASE WHEN json_valid(findings.evidence) THEN findings.evidence ELSE '{}' END)
  WHERE type = 'text'), 1, 4096), '');
CREATE VIRTUAL TABLE findings_fts USING fts5(
  indicator, category, detector, host_ip, hostname, search_text,
  content='findings', content_rowid='rowid', tokenize='trigram', detail=none);
INSERT INTO findings_fts(findings_fts) VALUES('rebuild');
CREATE TRIGGER findings_fts_insert AFTER INSERT ON findings BEGIN
  INSERT INTO findings_fts(rowid, indicator, category, detector, host_ip, hostname, search_text)
  VALUES (new.rowid, new.indicator, new.category, new.detector, new.host_ip, new.hostname, new.search_text);
END;
CREATE TRIGGER findings_fts_delete AFTER DELETE ON findings BEGIN
  INSERT INTO findings_fts(findings_fts, rowid, indicator, category, detector, host_ip, hostname, search_text)
  VALUES ('delete', old.rowid, old.indicator, old.category, old.detector, old.host_ip, old.hostname, old.search_text);
END;
CREATE TRIGGER findings_fts_update AFTER UPDATE OF indicator, category, detector, host_ip, hostname, search_text
ON findings WHEN old.indicator IS NOT new.indicator OR old.category IS NOT new.category
  OR old.detector IS NOT new.detector OR old.host_ip IS NOT new.host_ip
  OR old.hostname IS NOT new.hostname OR old.search_text IS NOT new.search_text BEGIN
  INSERT INTO findings_fts(findings_fts, rowid, indicator, category, detector, host_ip, hostname, search_text)
  VALUES ('delete', old.rowid, old.indicator, old.category, old.detector, old.host_ip, old.hostname, old.search_text);
  INSERT INTO findings_fts(rowid, indicator, category, detector, host_ip, hostname, search_text)
  VALUES (new.rowid, new.indicator, new.category, new.detector, new.host_ip, new.hostname, new.search_text);
END;
CREATE TABLE finding_counts(
  category TEXT NOT NULL, stage INTEGER NOT NULL, state INTEGER NOT NULL, severity INTEGER NOT NULL,
  n INTEGER NOT NULL, PRIMARY KEY(category, stage, state, severity)) WITHOUT ROWID;
INSERT INTO finding_counts(category, stage, state, severity, n)
  SELECT category, stage, state, severity, COUNT(*) FROM findings GROUP BY 1, 2, 3, 4;
CREATE TRIGGER finding_counts_insert AFTER INSERT ON findings BEGIN
  INSERT INTO finding_counts(category, stage, state, severity, n)
  VALUES (new.category, new.stage, new.state, new.severity, 1)
  ON CONFLICT DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER finding_counts_delete AFTER DELETE ON findings BEGIN
  UPDATE finding_counts SET n = n - 1 WHERE category = old.category AND stage = old.stage
    AND state = old.state AND severity = old.severity;
END;
CREATE TRIGGER finding_counts_update AFTER UPDATE OF category, stage, state, severity ON findings
WHEN old.category IS NOT new.category OR old.stage IS NOT new.stage OR old.state IS NOT new.state
  OR old.severity IS NOT new.severity BEGIN
  UPDATE finding_counts SET n = n - 1 WHERE category = old.category AND stage = old.stage
    AND state = old.state AND severity = old.severity;
  INSERT INTO finding_counts(category, stage, state, severity, n)
  VALUES (new.category, new.stage, new.state, new.severity, 1)
  ON CONFLICT DO UPDATE SET n = n + 1;
END;
)sql",
  };
  return kMigrations;
}

Result<int> CurrentVersion(Db& db) {
  auto st = db.Exec(
      "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER PRIMARY KEY, applied_at INTEGER "
      "NOT NULL)");
  (void)st;  // a read-only connection cannot create it; the writer always has by then
  auto s = db.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version");
  if (!s) return Fail(s.error());
  auto row = s->Step();
  if (!row) return Fail(row.error());
  return *row ? int(s->Int(0)) : 0;
}

Status Migrate(Db& db) {
  auto cur = CurrentVersion(db);
  if (!cur) return Fail(cur.error());
  const auto& all = Migrations();
  if (*cur > int(all.size())) {
    return Fail(Error::Unsupported("database schema version " + std::to_string(*cur) +
                                   " is newer than this build supports (" +
                                   std::to_string(all.size()) + ")"));
  }
  for (int v = *cur + 1; v <= int(all.size()); ++v) {
    Txn txn(db);
    if (auto s = txn.Begin(); !s) return s;
    if (auto s = db.Exec(all[size_t(v - 1)]); !s) {
      return Fail(
          Error::Corruption("migration " + std::to_string(v) + " failed: " + s.error().message()));
    }
    auto ins = db.Prepare("INSERT INTO schema_version(version, applied_at) VALUES (?, ?)");
    if (!ins) return Fail(ins.error());
    ins->Bind(1, int64_t(v)).Bind(2, int64_t(std::time(nullptr)));
    if (auto s = ins->Run(); !s) return s;
    if (auto s = txn.Commit(); !s) return s;
  }
  return Ok();
}

}  // namespace mw::store
