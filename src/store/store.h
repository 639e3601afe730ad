// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// The findings store seam: findings with their lifecycle (active → muted/resolved → reopened),
// incidents per host with a timeline, API tokens (hashed) and the audit log. SQLite (WAL) is the
// default backend (sqlite_store.h); a PostgreSQL backend implements the same interface.
//
// Thread-safety: every method of a Store is safe to call from any thread.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mw/core/result.h"
#include "mw/findings/finding.h"

namespace mw::store {

enum class FindingState : uint8_t { kActive = 0, kMuted = 1, kResolved = 2 };
std::string_view StateName(FindingState s);
std::optional<FindingState> ParseState(std::string_view s);
std::string_view StageText(Stage s);
std::optional<Stage> ParseStage(std::string_view s);

struct StoredFinding {
  Finding finding;  // count is the store's running total, across sensor restarts
  FindingState state = FindingState::kActive;
  std::string state_reason;
  std::string state_by;  // who changed the state ("system" for auto-resolve)
  TimestampUs state_at = 0;
  uint32_t reopen_count = 0;  // times it recurred after being resolved
  TimestampUs reopened_at = 0;
  int64_t incident_id = 0;
  nlohmann::json evidence_samples = nlohmann::json::array();  // distinct evidence, bounded
  TimestampUs updated_at = 0;
};

// A copy without the bounded evidence samples, for outputs that send the latest evidence only.
inline StoredFinding WithoutEvidenceSamples(const StoredFinding& f) {
  StoredFinding c;
  c.finding = f.finding;
  c.state = f.state;
  c.state_reason = f.state_reason;
  c.state_by = f.state_by;
  c.state_at = f.state_at;
  c.reopen_count = f.reopen_count;
  c.reopened_at = f.reopened_at;
  c.incident_id = f.incident_id;
  c.updated_at = f.updated_at;
  return c;
}

struct FindingQuery {
  std::string category;  // exact; empty = any
  std::optional<Stage> stage;
  std::optional<Severity> min_severity;
  std::optional<FindingState> state;
  std::string host;       // host_ip or hostname, exact
  TimestampUs since = 0;  // last_seen >= since (0 = unbounded)
  TimestampUs until = 0;  // last_seen <= until (0 = unbounded)
  std::string text;       // substring of indicator, category, detector, host or evidence strings
  uint32_t limit = 100;
  // Keyset cursor: findings strictly after (cursor_last_seen, cursor_id) in (last_seen desc, id).
  std::optional<std::pair<TimestampUs, std::string>> cursor;
};

struct FindingPage {
  std::vector<StoredFinding> findings;
  std::optional<std::pair<TimestampUs, std::string>> next_cursor;
};

// Counts filtered by host, time or text stop at this many findings (then exact is false).
inline constexpr uint64_t kCountCap = 10000;

struct FindingCounts {
  uint64_t total = 0;
  // False when the count stopped at kCountCap: total (and the facets) are then a lower bound,
  // taken over the first kCountCap matches. Counts filtered only by category, stage, severity
  // and state are always exact.
  bool exact = true;
  std::vector<std::pair<std::string, uint64_t>> by_category;
  std::vector<std::pair<std::string, uint64_t>> by_stage;
  std::vector<std::pair<std::string, uint64_t>> by_state;
  std::vector<std::pair<std::string, uint64_t>> by_severity;
};

// One changed field of a stored finding. "from"/"to" are set for the fields that decide how a
// finding is triaged (category, severity, stage); other fields are only named.
struct FieldChange {
  std::string field;  // the schema's name (docs/findings.md): "severity", "evidence", ...
  std::string from;
  std::string to;
};

// What one upsert did to one finding, for the audit log (ingest_audit.h).
struct FindingChange {
  std::string id;
  bool created = false;
  std::vector<FieldChange> fields;  // empty for a created finding, or a resend that changed nothing
};

struct UpsertOutcome {
  uint32_t created = 0;
  uint32_t updated = 0;
  uint32_t reopened = 0;
  uint32_t escalated = 0;  // stage precursor → mining
  // The findings as stored after this batch (state, running count), for notification.
  std::vector<StoredFinding> changed;
  std::vector<FindingChange> changes;  // one per finding of the batch, in batch order
};

struct TimelineEntry {
  TimestampUs ts = 0;
  std::string phase;  // "precursor", "mining", "remediation"
  std::string finding_id;
  std::string text;
};

struct Incident {
  int64_t id = 0;
  std::string host_ip;
  std::string hostname;
  bool open = true;
  TimestampUs first_seen = 0;
  TimestampUs last_seen = 0;
  Severity max_severity = Severity::kInfo;
  Stage max_stage = Stage::kPrecursor;
  uint64_t finding_count = 0;
  std::vector<TimelineEntry> timeline;  // filled by GetIncident only
};

struct AuditEntry {
  int64_t id = 0;
  TimestampUs ts = 0;
  std::string actor;   // token name, or "cli"/"system"
  std::string action;  // e.g. "finding.mute", "token.create"
  std::string target;
  std::string detail;  // JSON text
};

enum class Role : uint8_t { kViewer = 0, kResponder = 1, kAdmin = 2 };
std::string_view RoleName(Role r);
std::optional<Role> ParseRole(std::string_view s);

struct TokenRecord {
  std::string id;  // public part of the token
  std::string name;
  Role role = Role::kViewer;
  std::string secret_hash;  // hex SHA-256 of the secret part; the secret is never stored
  TimestampUs created_at = 0;
  std::string created_by;
};

struct RetentionPolicy {
  int64_t resolved_max_age_s = 90 * 86400;  // resolved findings older than this are deleted
  uint64_t max_findings = 1'000'000;        // oldest resolved (then oldest) go first beyond this
  uint64_t max_audit_rows = 1'000'000;
};

class Store {
 public:
  virtual ~Store() = default;

  // Inserts or updates "batch" in one durable transaction: when this returns OK every finding is
  // on disk. Muted findings stay muted; resolved findings that show new activity reopen.
  virtual Result<UpsertOutcome> Upsert(std::span<const Finding> batch, TimestampUs now) = 0;
  virtual Result<std::optional<StoredFinding>> Get(const std::string& id) = 0;
  virtual Result<FindingPage> List(const FindingQuery& q) = 0;
  virtual Result<FindingCounts> Counts(const FindingQuery& q) = 0;
  // Changes state; returns NotFound for an unknown id. Writes the timeline and audit log.
  virtual Status SetState(const std::string& id, FindingState state, const std::string& reason,
                          const std::string& actor, TimestampUs now) = 0;
  // Resolves up to "max_findings" active findings with no activity since "now - inactivity_s"
  // (oldest first) and returns them as stored after the change, without evidence samples, for
  // the observers. Bounded so one call never holds the writer long; call again while it is full.
  virtual Result<std::vector<StoredFinding>> AutoResolve(TimestampUs now, int64_t inactivity_s,
                                                         uint32_t max_findings) = 0;
  virtual Result<uint64_t> ApplyRetention(TimestampUs now, const RetentionPolicy& p) = 0;

  virtual Result<std::vector<Incident>> ListIncidents(std::optional<bool> open, uint32_t limit) = 0;
  virtual Result<std::optional<Incident>> GetIncident(int64_t id) = 0;
  // Adds a remediation (or other) step to the open incident of "host_ip".
  virtual Status AddTimeline(const std::string& host_ip, const TimelineEntry& e) = 0;

  virtual Status AppendAudit(const AuditEntry& e) = 0;
  // All of "entries" in one transaction (one commit, one fsync).
  virtual Status AppendAuditBatch(std::span<const AuditEntry> entries) = 0;
  virtual Result<std::vector<AuditEntry>> ListAudit(uint32_t limit) = 0;

  virtual Status PutToken(const TokenRecord& t) = 0;
  virtual Result<std::optional<TokenRecord>> GetToken(const std::string& id) = 0;
  virtual Result<std::vector<TokenRecord>> ListTokens() = 0;
  virtual Result<bool> DeleteToken(const std::string& id) = 0;

  virtual Result<int> SchemaVersion() = 0;
};

using StorePtr = std::unique_ptr<Store>;

}  // namespace mw::store
