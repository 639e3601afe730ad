// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "store/lifecycle.h"

#include <algorithm>
#include <string_view>
#include <utility>

namespace mw::store {

namespace {

constexpr std::string_view kReopenReason = "recurred after resolution";

// Which fields an update changes, against the stored row. Triage fields (category, severity,
// stage) carry from/to; the others are only named. Count compares the stored value as it is.
FindingChange Diff(const StoredState& old, const Finding& f, const UpsertPlan& p,
                   bool same_evidence) {
  FindingChange c{f.id, false, {}};
  auto triage = [&c](const char* field, std::string_view from, std::string_view to) {
    if (from != to) c.fields.push_back({field, std::string(from), std::string(to)});
  };
  auto named = [&c](const char* field, bool changed) {
    if (changed) c.fields.push_back({field, "", ""});
  };
  triage("category", old.category, f.category);
  triage("severity", SeverityName(old.severity), SeverityName(f.severity));
  triage("stage", StageText(old.stage), StageText(p.stage));
  named("attack", old.attack != p.attack);
  named("resource.hostname", old.hostname != f.resource.hostname);
  named("detector", old.detector != f.detector);
  named("source", old.source != f.source);
  named("evidence", !same_evidence);
  named("first_seen", old.first_seen != p.first_seen);
  named("last_seen", old.last_seen != p.last_seen);
  named("count", uint64_t(old.count) != p.count);
  return c;
}

// New distinct evidence goes into the samples: keep the first snapshot (how it started) and
// the most recent ones. Sets p.evidence_samples only when the stored text is to be rewritten.
void SampleEvidence(const std::string& stored, const LifecycleOptions& o, UpsertPlan& p) {
  auto samples = nlohmann::json::parse(stored, nullptr, /*allow_exceptions=*/false);
  if (samples.is_discarded() || !samples.is_array()) samples = nlohmann::json::array();
  auto ev = nlohmann::json::parse(p.evidence, nullptr, /*allow_exceptions=*/false);
  if (std::find(samples.begin(), samples.end(), ev) != samples.end()) {
    p.sample_action = SampleAction::kUnchanged;
    return;
  }
  if (o.evidence_samples == 0) {
    p.sample_action = SampleAction::kNotKept;
  } else if (samples.size() >= o.evidence_samples) {
    samples.erase(samples.begin() + (samples.size() > 1 ? 1 : 0));
    samples.push_back(std::move(ev));
    p.sample_action = SampleAction::kReplaced;
  } else {
    samples.push_back(std::move(ev));
    p.sample_action = SampleAction::kAppended;
  }
  p.evidence_samples = samples.dump();
}

}  // namespace

std::string BoundEvidence(const nlohmann::json& evidence, uint32_t max_bytes, bool* truncated) {
  std::string text = evidence.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  *truncated = text.size() > max_bytes;
  if (*truncated) text = nlohmann::json{{"truncated", true}, {"bytes", text.size()}}.dump();
  return text;
}

std::string AttackText(const std::vector<std::string>& attack) {
  return nlohmann::json(attack).dump();
}

UpsertPlan PlanUpsert(const std::optional<StoredState>& stored, const Finding& f, TimestampUs now,
                      const LifecycleOptions& o) {
  UpsertPlan p;
  p.evidence = BoundEvidence(f.evidence, o.max_evidence_bytes, &p.evidence_truncated);
  p.attack = AttackText(f.attack);
  p.src_count = std::max<uint64_t>(f.count, 1);
  p.src_revision = f.revision;
  p.updated_at = now;

  if (!stored) {
    p.create = p.created = true;
    p.stage = f.stage;
    p.first_seen = f.first_seen;
    p.last_seen = f.last_seen;
    p.count = p.src_count;
    p.revision = 1;
    p.evidence_samples = "[" + p.evidence + "]";
    p.sample_action = SampleAction::kFirst;
    p.state = FindingState::kActive;
    p.state_change = UpsertPlan::StateChange{"", "", now};
    p.join_incident = true;
    p.incident_at = f.first_seen;
    p.timeline.push_back({f.first_seen, std::string(StageText(f.stage)), f.id,
                          "first seen: " + f.category + " " + f.indicator});
    p.change = {f.id, true, {}};
    return p;
  }

  const StoredState& s = *stored;
  p.updated = true;
  p.revision = s.revision + 1;
  p.first_seen = std::min(s.first_seen, f.first_seen ? f.first_seen : s.first_seen);
  p.last_seen = std::max(s.last_seen, f.last_seen);

  // Same source run: the emitter's count is cumulative. A smaller count or revision means the
  // source restarted, and its count starts over.
  uint64_t count = std::min(uint64_t(std::max<int64_t>(s.count, 0)), kMaxFindingCount);
  bool same_run = f.revision >= s.src_revision && p.src_count >= s.src_count;
  uint64_t delta = same_run ? p.src_count - s.src_count : p.src_count;
  // Saturates: ingest bounds each count, but a running total grows with every source restart.
  p.count = std::min(count + std::min(delta, kMaxFindingCount), kMaxFindingCount);

  p.state = s.state;
  p.reopen_count = s.reopen_count;
  if (s.state == FindingState::kResolved && f.last_seen > s.state_at) {
    p.state = FindingState::kActive;
    ++p.reopen_count;
    p.reopened = true;
    p.state_change = UpsertPlan::StateChange{std::string(kReopenReason), "system", now};
    p.reopened_at = now;
    p.join_incident = true;
    p.incident_at = f.last_seen;
  }
  p.stage = std::max(s.stage, f.stage);
  p.escalated = p.stage == Stage::kMining && s.stage == Stage::kPrecursor;

  bool same_evidence = s.evidence == p.evidence;
  p.change = Diff(s, f, p, same_evidence);
  if (same_evidence) {
    p.sample_action = SampleAction::kUnchanged;
  } else {
    SampleEvidence(s.evidence_samples, o, p);
  }

  if (p.reopened) {
    p.timeline.push_back(
        {f.last_seen, std::string(StageText(p.stage)), f.id,
         "reopened: " + std::string(kReopenReason) + ": " + f.category + " " + f.indicator});
  }
  if (p.escalated) {
    p.timeline.push_back(
        {f.last_seen, "mining", f.id, "escalated to mining: " + f.category + " " + f.indicator});
  }
  return p;
}

void RecordOutcome(const Finding& f, UpsertPlan& p, int64_t incident_id, UpsertOutcome& out) {
  out.created += p.created ? 1 : 0;
  out.updated += p.updated ? 1 : 0;
  out.reopened += p.reopened ? 1 : 0;
  out.escalated += p.escalated ? 1 : 0;
  out.changes.push_back(std::move(p.change));
  StoredFinding sf;
  sf.finding = f;
  sf.finding.stage = p.stage;
  sf.finding.first_seen = p.first_seen;
  sf.finding.last_seen = p.last_seen;
  sf.finding.count = p.count;
  sf.finding.revision = p.revision;
  sf.state = p.state;
  sf.reopen_count = p.reopen_count;
  sf.incident_id = incident_id;
  sf.updated_at = p.updated_at;
  out.changed.push_back(std::move(sf));
}

}  // namespace mw::store
