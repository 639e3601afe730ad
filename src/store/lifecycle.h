// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// The lifecycle rules of a stored finding, apart from any database: what one upsert of an
// incoming Finding does to the finding as stored. A backend (sqlite_store.cc; a PostgreSQL store
// later) reads the stored row into a StoredState, calls PlanUpsert, writes the plan and calls
// RecordOutcome; it decides nothing itself. The rules:
// - A new finding is created active, as its first evidence sample, and joins its host's open
//   incident (one is opened if there is none).
// - Counts are running totals across source restarts: a source's count and revision are
//   cumulative within one run; a smaller count or revision than last written means the source
//   restarted and its whole count is added. The total saturates at kMaxFindingCount.
// - first_seen is the earliest (an incoming 0 means unknown), last_seen the latest.
// - A resolved finding reopens (active, reopen_count + 1, "recurred after resolution" by
//   "system") when the incoming activity is later than its resolution; it rejoins the host's
//   open incident. Older activity updates it and leaves it resolved. A muted finding stays muted.
// - Stage never goes down; precursor → mining is an escalation. Category, severity, hostname,
//   detector, source, attack and evidence are the incoming finding's (severity may go down).
// - Evidence is bounded: larger than max_evidence_bytes, it is stored as a stub
//   {"truncated": true, "bytes": N}. New distinct evidence is added to the samples; at
//   evidence_samples samples, the oldest but the first (how it started) makes room.
// - Every update bumps the revision and updated_at, even a resend that changes nothing; the
//   changed-field list (the ingest audit, UpsertOutcome::changes) is then empty.
//
// Thread-safety: pure functions.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mw/findings/finding.h"
#include "store/store.h"

namespace mw::store {

struct LifecycleOptions {
  uint32_t evidence_samples = 16;       // distinct evidence snapshots kept per finding
  uint32_t max_evidence_bytes = 16384;  // larger evidence objects are replaced by a stub
};

// What a backend reads of a stored finding before updating it: its columns, as stored.
struct StoredState {
  std::string category;
  Stage stage = Stage::kPrecursor;
  Severity severity = Severity::kInfo;
  std::string hostname;
  std::string detector;
  std::string source;
  std::string attack;            // JSON array text, as written (AttackText)
  std::string evidence;          // JSON text, as written (BoundEvidence)
  std::string evidence_samples;  // JSON array text, as written
  TimestampUs first_seen = 0;
  TimestampUs last_seen = 0;
  int64_t count = 0;          // running total as stored (rows from before counts were bounded
                              // may hold anything; read into range here)
  uint64_t src_count = 0;     // the source's own count when last written
  uint64_t src_revision = 0;  // the source's own revision when last written
  uint64_t revision = 0;
  FindingState state = FindingState::kActive;
  TimestampUs state_at = 0;
  uint32_t reopen_count = 0;
};

// What happened to the evidence samples.
enum class SampleAction : uint8_t {
  kFirst,      // created: the evidence is the only sample
  kUnchanged,  // same evidence as stored, or already one of the samples: samples left as stored
  kAppended,   // new distinct evidence added (below the bound)
  kReplaced,   // new distinct evidence added in place of the oldest sample but the first
  kNotKept,    // new distinct evidence, but evidence_samples is 0: the stored list is rewritten
               // as it was (a non-array becomes [])
};

// What to write for one incoming finding. Columns not named here (category, severity, hostname,
// detector, source, and on create host_ip and indicator) are the incoming Finding's.
struct UpsertPlan {
  bool create = false;  // no stored row: insert one; else update it

  // Merged values.
  Stage stage = Stage::kPrecursor;
  TimestampUs first_seen = 0;
  TimestampUs last_seen = 0;
  uint64_t count = 0;         // running total
  uint64_t revision = 0;      // the store's revision: 1 when created, stored + 1 on update
  uint64_t src_count = 0;     // to store as the source's count (at least 1)
  uint64_t src_revision = 0;  // to store as the source's revision

  // Serialised fields.
  std::string attack;                           // JSON array text
  std::string evidence;                         // bounded JSON text
  bool evidence_truncated = false;              // evidence is the stub (nothing to index)
  std::optional<std::string> evidence_samples;  // nullopt: keep the stored samples
  SampleAction sample_action = SampleAction::kUnchanged;

  // State. state_change is set when created or reopened: write its reason, by and at with the
  // state; otherwise the stored ones stay. reopened_at is set (to now) only on a reopen.
  FindingState state = FindingState::kActive;
  struct StateChange {
    std::string reason;
    std::string by;
    TimestampUs at = 0;
  };
  std::optional<StateChange> state_change;
  uint32_t reopen_count = 0;
  std::optional<TimestampUs> reopened_at;
  TimestampUs updated_at = 0;

  // Incident: when join_incident, the finding goes to its host's open incident (opened at
  // incident_at if there is none) and counts as a new member of it; otherwise it stays in the
  // incident it is in. Either way the incident's times, severity and stage take the finding in.
  bool join_incident = false;
  TimestampUs incident_at = 0;
  std::vector<TimelineEntry> timeline;  // entries to add to the finding's incident

  // UpsertOutcome counters to bump (exactly one of created/updated).
  bool created = false;
  bool updated = false;
  bool reopened = false;
  bool escalated = false;  // stage precursor → mining
  FindingChange change;    // the changed fields, for UpsertOutcome::changes
};

// Evidence as it is stored: compact JSON (invalid UTF-8 replaced), or the stub
// {"truncated":true,"bytes":N} when longer than max_bytes (then *truncated is true).
std::string BoundEvidence(const nlohmann::json& evidence, uint32_t max_bytes, bool* truncated);
// The attack list as it is stored: a JSON array of strings.
std::string AttackText(const std::vector<std::string>& attack);

// The plan for upserting "f" at "now" onto "stored" (nullopt: no row with f.id yet).
UpsertPlan PlanUpsert(const std::optional<StoredState>& stored, const Finding& f, TimestampUs now,
                      const LifecycleOptions& options);

// Adds what the written plan did to "out": its counters, its change and the finding as stored
// (for the observers), given the store's incident id. Moves the change out of "plan".
void RecordOutcome(const Finding& f, UpsertPlan& plan, int64_t incident_id, UpsertOutcome& out);

}  // namespace mw::store
