// minerwatch — SPDX-License-Identifier: Apache-2.0
// The lifecycle rules alone, without a database: one test per rule of lifecycle.h.
#include "store/lifecycle.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mw::store {
namespace {

constexpr TimestampUs kSec = 1000000;
constexpr TimestampUs kT0 = 1700000000 * kSec;

Finding Incoming(uint64_t count, uint64_t revision, TimestampUs last_seen,
                 Stage stage = Stage::kMining) {
  Finding f;
  f.category = std::string(category::kPoolProtocol);
  f.resource.host_ip = "10.0.0.5";
  f.indicator = "pool.example:3333";
  f.id = Finding::MakeId(f.category, f.resource.host_ip, f.indicator);
  f.stage = stage;
  f.severity = Severity::kHigh;
  f.attack = {"T1496"};
  f.detector = "stratum_session";
  f.source = "protocol";
  f.evidence = {{"pool", f.indicator}, {"n", count}};
  f.first_seen = kT0;
  f.last_seen = last_seen;
  f.count = count;
  f.revision = revision;
  return f;
}

// The row as a backend would hold it after writing plan "p" for "f" onto "s".
StoredState Written(StoredState s, const Finding& f, const UpsertPlan& p) {
  s.category = f.category;
  s.stage = p.stage;
  s.severity = f.severity;
  s.hostname = f.resource.hostname;
  s.detector = f.detector;
  s.source = f.source;
  s.attack = p.attack;
  s.evidence = p.evidence;
  if (p.evidence_samples) s.evidence_samples = *p.evidence_samples;
  s.first_seen = p.first_seen;
  s.last_seen = p.last_seen;
  s.count = int64_t(p.count);
  s.src_count = p.src_count;
  s.src_revision = p.src_revision;
  s.revision = p.revision;
  s.state = p.state;
  if (p.state_change) s.state_at = p.state_change->at;
  s.reopen_count = p.reopen_count;
  return s;
}

// The row after "f" was created.
StoredState StoredFrom(const Finding& f, const LifecycleOptions& o = {}) {
  return Written({}, f, PlanUpsert(std::nullopt, f, kT0, o));
}

std::vector<std::string> FieldNames(const FindingChange& c) {
  std::vector<std::string> out;
  for (const auto& f : c.fields) out.push_back(f.field);
  return out;
}

TEST(LifecycleTest, NewFindingIsCreatedActiveAndJoinsItsHostsIncident) {
  Finding f = Incoming(0, 3, kT0 + kSec, Stage::kPrecursor);
  UpsertPlan p = PlanUpsert(std::nullopt, f, kT0 + 2 * kSec, {});
  EXPECT_TRUE(p.create);
  EXPECT_TRUE(p.created);
  EXPECT_FALSE(p.updated || p.reopened || p.escalated);
  EXPECT_EQ(p.count, 1u);  // a source count of 0 is stored as 1
  EXPECT_EQ(p.src_count, 1u);
  EXPECT_EQ(p.src_revision, 3u);
  EXPECT_EQ(p.revision, 1u);
  EXPECT_EQ(p.state, FindingState::kActive);
  ASSERT_TRUE(p.state_change);
  EXPECT_EQ(p.state_change->reason, "");
  EXPECT_EQ(p.state_change->by, "");
  EXPECT_EQ(p.state_change->at, kT0 + 2 * kSec);
  EXPECT_FALSE(p.reopened_at);
  EXPECT_EQ(p.sample_action, SampleAction::kFirst);
  EXPECT_EQ(p.evidence_samples, "[" + p.evidence + "]");
  EXPECT_TRUE(p.join_incident);
  EXPECT_EQ(p.incident_at, kT0);  // first_seen
  ASSERT_EQ(p.timeline.size(), 1u);
  EXPECT_EQ(p.timeline[0].phase, "precursor");
  EXPECT_EQ(p.timeline[0].text, "first seen: " + f.category + " " + f.indicator);
  EXPECT_TRUE(p.change.created);
  EXPECT_TRUE(p.change.fields.empty());

  UpsertOutcome out;
  RecordOutcome(f, p, 7, out);
  EXPECT_EQ(out.created, 1u);
  EXPECT_EQ(out.updated, 0u);
  ASSERT_EQ(out.changed.size(), 1u);
  EXPECT_EQ(out.changed[0].incident_id, 7);
  EXPECT_EQ(out.changed[0].finding.count, 1u);
  EXPECT_EQ(out.changed[0].finding.revision, 1u);
  ASSERT_EQ(out.changes.size(), 1u);
  EXPECT_TRUE(out.changes[0].created);
}

TEST(LifecycleTest, CountsAreRunningTotalsAcrossSourceRestarts) {
  StoredState s = StoredFrom(Incoming(10, 5, kT0));
  // Same run: cumulative, only the difference is added.
  UpsertPlan p = PlanUpsert(s, Incoming(12, 6, kT0 + kSec), kT0 + kSec, {});
  EXPECT_EQ(p.count, 12u);
  EXPECT_EQ(p.src_count, 12u);
  EXPECT_EQ(p.src_revision, 6u);
  // A smaller revision: the source restarted, its whole count is added.
  p = PlanUpsert(s, Incoming(3, 1, kT0 + kSec), kT0 + kSec, {});
  EXPECT_EQ(p.count, 13u);
  // A smaller count at a larger revision is a restart too.
  p = PlanUpsert(s, Incoming(2, 9, kT0 + kSec), kT0 + kSec, {});
  EXPECT_EQ(p.count, 12u);
  // Saturates at kMaxFindingCount, and a stored value out of range is read into range.
  s.count = int64_t(kMaxFindingCount) + 5;
  p = PlanUpsert(s, Incoming(3, 1, kT0 + kSec), kT0 + kSec, {});
  EXPECT_EQ(p.count, kMaxFindingCount);
  s.count = -4;
  p = PlanUpsert(s, Incoming(3, 1, kT0 + kSec), kT0 + kSec, {});
  EXPECT_EQ(p.count, 3u);
}

TEST(LifecycleTest, FirstSeenIsTheEarliestLastSeenTheLatest) {
  StoredState s = StoredFrom(Incoming(1, 1, kT0 + 10 * kSec));
  Finding f = Incoming(2, 2, kT0 + 5 * kSec);  // late delivery of older activity
  f.first_seen = kT0 - kSec;
  UpsertPlan p = PlanUpsert(s, f, kT0 + 20 * kSec, {});
  EXPECT_EQ(p.first_seen, kT0 - kSec);
  EXPECT_EQ(p.last_seen, kT0 + 10 * kSec);
  f.first_seen = 0;  // unknown: the stored one stays
  p = PlanUpsert(s, f, kT0 + 20 * kSec, {});
  EXPECT_EQ(p.first_seen, kT0);
  EXPECT_EQ(FieldNames(p.change), (std::vector<std::string>{"evidence", "count"}));
}

TEST(LifecycleTest, ResolvedReopensOnLaterActivityOnly) {
  StoredState s = StoredFrom(Incoming(1, 1, kT0));
  s.state = FindingState::kResolved;
  s.state_at = kT0 + 3 * kSec;
  s.reopen_count = 2;
  // Activity up to the resolution does not reopen it, but still updates it.
  UpsertPlan p = PlanUpsert(s, Incoming(2, 2, kT0 + 3 * kSec), kT0 + 4 * kSec, {});
  EXPECT_EQ(p.state, FindingState::kResolved);
  EXPECT_FALSE(p.reopened);
  EXPECT_TRUE(p.updated);
  EXPECT_FALSE(p.state_change);
  EXPECT_FALSE(p.reopened_at);
  EXPECT_FALSE(p.join_incident);
  EXPECT_EQ(p.reopen_count, 2u);
  EXPECT_TRUE(p.timeline.empty());

  p = PlanUpsert(s, Incoming(3, 3, kT0 + 10 * kSec), kT0 + 11 * kSec, {});
  EXPECT_EQ(p.state, FindingState::kActive);
  EXPECT_TRUE(p.reopened);
  EXPECT_TRUE(p.updated);
  EXPECT_FALSE(p.created);
  EXPECT_EQ(p.reopen_count, 3u);
  ASSERT_TRUE(p.state_change);
  EXPECT_EQ(p.state_change->reason, "recurred after resolution");
  EXPECT_EQ(p.state_change->by, "system");
  EXPECT_EQ(p.state_change->at, kT0 + 11 * kSec);
  EXPECT_EQ(p.reopened_at, kT0 + 11 * kSec);
  EXPECT_TRUE(p.join_incident);
  EXPECT_EQ(p.incident_at, kT0 + 10 * kSec);  // the new activity
  ASSERT_EQ(p.timeline.size(), 1u);
  EXPECT_EQ(p.timeline[0].ts, kT0 + 10 * kSec);
  EXPECT_EQ(p.timeline[0].phase, "mining");
  EXPECT_EQ(p.timeline[0].text,
            "reopened: recurred after resolution: " + s.category + " pool.example:3333");
  // The state is not a field of the change list.
  EXPECT_EQ(FieldNames(p.change), (std::vector<std::string>{"evidence", "last_seen", "count"}));

  UpsertOutcome out;
  RecordOutcome(Incoming(3, 3, kT0 + 10 * kSec), p, 9, out);
  EXPECT_EQ(out.reopened, 1u);
  EXPECT_EQ(out.updated, 1u);
  EXPECT_EQ(out.created, 0u);
  EXPECT_EQ(out.changed[0].state, FindingState::kActive);
  EXPECT_EQ(out.changed[0].reopen_count, 3u);
  EXPECT_EQ(out.changed[0].incident_id, 9);
}

TEST(LifecycleTest, MutedStaysMutedWhateverTheActivity) {
  StoredState s = StoredFrom(Incoming(1, 1, kT0));
  s.state = FindingState::kMuted;
  s.state_at = kT0 + kSec;
  UpsertPlan p = PlanUpsert(s, Incoming(5, 2, kT0 + 100 * kSec), kT0 + 100 * kSec, {});
  EXPECT_EQ(p.state, FindingState::kMuted);
  EXPECT_FALSE(p.reopened);
  EXPECT_FALSE(p.state_change);
  EXPECT_FALSE(p.join_incident);
  EXPECT_TRUE(p.updated);
  EXPECT_EQ(p.count, 5u);
  EXPECT_EQ(p.last_seen, kT0 + 100 * kSec);
}

TEST(LifecycleTest, StageEscalatesAndNeverGoesDown) {
  StoredState s = StoredFrom(Incoming(1, 1, kT0, Stage::kPrecursor));
  Finding f = Incoming(2, 2, kT0 + kSec, Stage::kMining);
  UpsertPlan p = PlanUpsert(s, f, kT0 + kSec, {});
  EXPECT_EQ(p.stage, Stage::kMining);
  EXPECT_TRUE(p.escalated);
  EXPECT_TRUE(p.updated);
  ASSERT_EQ(p.timeline.size(), 1u);
  EXPECT_EQ(p.timeline[0].phase, "mining");
  EXPECT_EQ(p.timeline[0].ts, kT0 + kSec);
  EXPECT_EQ(p.timeline[0].text, "escalated to mining: " + f.category + " " + f.indicator);
  ASSERT_FALSE(p.change.fields.empty());
  EXPECT_EQ(p.change.fields[0].field, "stage");
  EXPECT_EQ(p.change.fields[0].from, "precursor");
  EXPECT_EQ(p.change.fields[0].to, "mining");
  UpsertOutcome out;
  RecordOutcome(f, p, 1, out);
  EXPECT_EQ(out.escalated, 1u);
  EXPECT_EQ(out.changed[0].finding.stage, Stage::kMining);

  // Mining stays mining when a precursor of the same finding arrives; no escalation.
  s.stage = Stage::kMining;
  p = PlanUpsert(s, Incoming(3, 3, kT0 + 2 * kSec, Stage::kPrecursor), kT0 + 2 * kSec, {});
  EXPECT_EQ(p.stage, Stage::kMining);
  EXPECT_FALSE(p.escalated);
  EXPECT_TRUE(p.timeline.empty());
}

TEST(LifecycleTest, ReopenAndEscalationTogetherGiveTwoTimelineEntries) {
  StoredState s = StoredFrom(Incoming(1, 1, kT0, Stage::kPrecursor));
  s.state = FindingState::kResolved;
  s.state_at = kT0 + kSec;
  UpsertPlan p = PlanUpsert(s, Incoming(2, 2, kT0 + 5 * kSec), kT0 + 5 * kSec, {});
  EXPECT_TRUE(p.reopened);
  EXPECT_TRUE(p.escalated);
  ASSERT_EQ(p.timeline.size(), 2u);
  EXPECT_EQ(p.timeline[0].text.rfind("reopened: ", 0), 0u);
  EXPECT_EQ(p.timeline[0].phase, "mining");  // the merged stage
  EXPECT_EQ(p.timeline[1].text.rfind("escalated to mining: ", 0), 0u);
}

TEST(LifecycleTest, SeverityAndOtherFieldsAreTheIncomingOnesAndNamedWhenChanged) {
  StoredState s = StoredFrom(Incoming(1, 1, kT0));
  Finding f = Incoming(1, 2, kT0);
  f.evidence = {{"pool", f.indicator}, {"n", 1}};  // same evidence as stored
  f.severity = Severity::kLow;                     // severity may go down
  f.category = std::string(category::kBadIp);
  f.attack = {"T1496", "T1071"};
  f.resource.hostname = "box";
  f.detector = "pool_intel";
  f.source = "feed";
  UpsertPlan p = PlanUpsert(s, f, kT0 + kSec, {});
  EXPECT_EQ(FieldNames(p.change),
            (std::vector<std::string>{"category", "severity", "attack", "resource.hostname",
                                      "detector", "source"}));
  EXPECT_EQ(p.change.fields[1].from, "high");
  EXPECT_EQ(p.change.fields[1].to, "low");
  EXPECT_EQ(p.change.fields[0].from, std::string(category::kPoolProtocol));
  EXPECT_EQ(p.change.fields[0].to, std::string(category::kBadIp));
  EXPECT_TRUE(p.change.fields[2].from.empty());  // only named
  EXPECT_EQ(p.attack, R"(["T1496","T1071"])");
  EXPECT_FALSE(p.escalated);
}

TEST(LifecycleTest, ResendThatChangesNothingHasNoChangedFields) {
  Finding f = Incoming(4, 2, kT0 + kSec);
  StoredState s = StoredFrom(f);
  UpsertPlan p = PlanUpsert(s, f, kT0 + 5 * kSec, {});
  EXPECT_TRUE(p.change.fields.empty());
  EXPECT_FALSE(p.change.created);
  EXPECT_FALSE(p.reopened || p.escalated || p.created);
  EXPECT_EQ(p.sample_action, SampleAction::kUnchanged);
  EXPECT_FALSE(p.evidence_samples);  // the stored samples stay as they are
  EXPECT_FALSE(p.state_change);
  EXPECT_TRUE(p.timeline.empty());
  EXPECT_EQ(p.count, 4u);
  // Still an update: the revision and updated_at move (today's behaviour).
  EXPECT_TRUE(p.updated);
  EXPECT_EQ(p.revision, s.revision + 1);
  EXPECT_EQ(p.updated_at, kT0 + 5 * kSec);
  UpsertOutcome out;
  RecordOutcome(f, p, 1, out);
  EXPECT_EQ(out.updated, 1u);
  ASSERT_EQ(out.changes.size(), 1u);
  EXPECT_TRUE(out.changes[0].fields.empty());
}

TEST(LifecycleTest, EvidenceSamplesKeepTheFirstAndTheLatestWithinTheBound) {
  LifecycleOptions o;
  o.evidence_samples = 3;
  Finding f = Incoming(1, 1, kT0);
  StoredState s = StoredFrom(f, o);
  std::vector<SampleAction> actions;
  for (int i = 2; i <= 5; ++i) {
    f = Incoming(uint64_t(i), uint64_t(i), kT0 + i);
    UpsertPlan p = PlanUpsert(s, f, kT0 + i, o);
    actions.push_back(p.sample_action);
    ASSERT_TRUE(p.evidence_samples);
    s = Written(s, f, p);
  }
  EXPECT_EQ(actions, (std::vector<SampleAction>{SampleAction::kAppended, SampleAction::kAppended,
                                                SampleAction::kReplaced, SampleAction::kReplaced}));
  auto samples = nlohmann::json::parse(s.evidence_samples);
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[0]["n"], 1);  // how it started
  EXPECT_EQ(samples[1]["n"], 4);
  EXPECT_EQ(samples[2]["n"], 5);  // the latest

  // Evidence already among the samples (a flip back) is not added again.
  f = Incoming(5, 6, kT0 + 6);
  f.evidence["n"] = 4;
  UpsertPlan p = PlanUpsert(s, f, kT0 + 6, o);
  EXPECT_EQ(p.sample_action, SampleAction::kUnchanged);
  EXPECT_FALSE(p.evidence_samples);
  EXPECT_EQ(FieldNames(p.change), (std::vector<std::string>{"evidence", "last_seen"}));
}

TEST(LifecycleTest, EvidenceSamplesBoundOfOneAndZero) {
  LifecycleOptions one;
  one.evidence_samples = 1;
  StoredState s = StoredFrom(Incoming(1, 1, kT0), one);
  UpsertPlan p = PlanUpsert(s, Incoming(2, 2, kT0 + 1), kT0 + 1, one);
  EXPECT_EQ(p.sample_action, SampleAction::kReplaced);  // the only sample is the latest
  auto samples = nlohmann::json::parse(*p.evidence_samples);
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0]["n"], 2);

  LifecycleOptions none;
  none.evidence_samples = 0;
  s = StoredFrom(Incoming(1, 1, kT0), none);
  EXPECT_EQ(nlohmann::json::parse(s.evidence_samples).size(), 1u);  // created with one sample
  p = PlanUpsert(s, Incoming(2, 2, kT0 + 1), kT0 + 1, none);
  EXPECT_EQ(p.sample_action, SampleAction::kNotKept);
  EXPECT_EQ(nlohmann::json::parse(*p.evidence_samples).size(), 1u);
  // A stored value that is not an array starts over as [].
  s.evidence_samples = "{\"x\":1}";
  p = PlanUpsert(s, Incoming(3, 3, kT0 + 2), kT0 + 2, none);
  EXPECT_EQ(p.evidence_samples, "[]");
  s.evidence_samples = "not json";
  p = PlanUpsert(s, Incoming(3, 3, kT0 + 2), kT0 + 2, one);
  EXPECT_EQ(nlohmann::json::parse(*p.evidence_samples).size(), 1u);
}

TEST(LifecycleTest, OversizedEvidenceIsAStubAndItsSample) {
  LifecycleOptions o;
  o.max_evidence_bytes = 64;
  StoredState s = StoredFrom(Incoming(1, 1, kT0), o);
  Finding f = Incoming(2, 2, kT0 + 1);
  f.evidence["blob"] = std::string(100, 'x');
  UpsertPlan p = PlanUpsert(s, f, kT0 + 1, o);
  EXPECT_TRUE(p.evidence_truncated);
  auto ev = nlohmann::json::parse(p.evidence);
  EXPECT_EQ(ev["truncated"], true);
  EXPECT_EQ(ev["bytes"], f.evidence.dump().size());
  EXPECT_EQ(nlohmann::json::parse(*p.evidence_samples).back(), ev);
  bool truncated = true;
  EXPECT_EQ(BoundEvidence({{"a", 1}}, 64, &truncated), R"({"a":1})");
  EXPECT_FALSE(truncated);
}

}  // namespace
}  // namespace mw::store
