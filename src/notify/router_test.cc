// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "notify/router.h"

#include <gtest/gtest.h>

namespace mw::notify {
namespace {

constexpr TimestampUs kSec = 1000000;
constexpr TimestampUs kT0 = 1767225600 * kSec;

config::ContactConfig Contact(std::string name, Severity min, std::vector<std::string> cats = {}) {
  config::ContactConfig c;
  c.name = std::move(name);
  c.email = c.name + "@example.com";
  c.min_severity = min;
  c.categories = std::move(cats);
  return c;
}

store::StoredFinding F(std::string id, uint64_t revision, uint64_t count,
                       Severity sev = Severity::kHigh, Stage stage = Stage::kMining,
                       std::string cat = std::string(category::kPoolProtocol)) {
  store::StoredFinding sf;
  sf.finding.id = std::move(id);
  sf.finding.category = std::move(cat);
  sf.finding.severity = sev;
  sf.finding.stage = stage;
  sf.finding.count = count;
  sf.finding.revision = revision;
  return sf;
}

RouterOptions Opts(uint32_t max_per_window = 3) {
  return RouterOptions{.window_us = 60 * kSec, .max_per_window = max_per_window};
}

TEST(Router, OneFindingOneImmediateNotice) {
  NotificationRouter r({Contact("soc", Severity::kHigh)}, Opts());
  std::vector<Notice> out;
  r.Observe(F("a", 1, 1), kT0, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].digest);
  EXPECT_EQ(out[0].items[0].reason, Reason::kNew);
  out.clear();
  r.Tick(kT0 + 61 * kSec, out);
  EXPECT_TRUE(out.empty()) << "no digest when nothing was held back";
  EXPECT_EQ(r.NextDeadline(), 0);
}

TEST(Router, RoutesBySeverityAndCategory) {
  NotificationRouter r(
      {Contact("all-high", Severity::kHigh),
       Contact("dns-medium", Severity::kMedium, {std::string(category::kBadDomain)})},
      Opts());
  std::vector<Notice> out;
  r.Observe(F("low", 1, 1, Severity::kLow), kT0, out);
  EXPECT_TRUE(out.empty());
  r.Observe(F("dns", 1, 1, Severity::kMedium, Stage::kPrecursor, std::string(category::kBadDomain)),
            kT0, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].contact, 1u);
  out.clear();
  r.Observe(F("pool", 1, 1, Severity::kCritical), kT0, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].contact, 0u);
  out.clear();
  r.Observe(F("dns-crit", 1, 1, Severity::kCritical, Stage::kPrecursor,
              std::string(category::kBadDomain)),
            kT0, out);
  EXPECT_EQ(out.size(), 2u);
  EXPECT_EQ(r.stats().not_routed, 1u);
}

TEST(Router, MutingWithdrawsAFindingFromThePendingDigest) {
  NotificationRouter r({Contact("soc", Severity::kInfo)}, Opts(/*max_per_window=*/1));
  std::vector<Notice> out;
  r.Observe(F("first", 1, 1), kT0, out);  // immediate, uses the window's budget
  r.Observe(F("noisy", 1, 1), kT0, out);  // digested
  r.Observe(F("kept", 1, 1), kT0, out);   // digested
  ASSERT_EQ(out.size(), 1u);
  out.clear();
  auto muted = F("noisy", 2, 1);
  muted.state = store::FindingState::kMuted;
  r.Observe(muted, kT0 + kSec, out);
  EXPECT_TRUE(out.empty());
  r.Tick(kT0 + 61 * kSec, out);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_TRUE(out[0].digest);
  ASSERT_EQ(out[0].items.size(), 1u);
  EXPECT_EQ(out[0].items[0].finding.finding.id, "kept");
}

TEST(Router, ADigestWhoseFindingsWereAllResolvedIsNotSent) {
  NotificationRouter r({Contact("soc", Severity::kInfo)}, Opts(/*max_per_window=*/1));
  std::vector<Notice> out;
  r.Observe(F("first", 1, 1), kT0, out);  // immediate
  r.Observe(F("a", 1, 1), kT0, out);      // digested
  ASSERT_EQ(out.size(), 1u);
  out.clear();
  auto resolved = F("a", 2, 1);
  resolved.state = store::FindingState::kResolved;
  r.Observe(resolved, kT0 + kSec, out);
  r.Tick(kT0 + 61 * kSec, out);
  EXPECT_TRUE(out.empty());
}

TEST(Router, MutedAndResolvedAreNeverNotified) {
  NotificationRouter r({Contact("soc", Severity::kInfo)}, Opts());
  std::vector<Notice> out;
  auto m = F("m", 1, 1);
  m.state = store::FindingState::kMuted;
  EXPECT_FALSE(r.MayRoute(m));
  r.Observe(m, kT0, out);
  auto z = F("z", 1, 1);
  z.state = store::FindingState::kResolved;
  r.Observe(z, kT0, out);
  r.FlushAll(kT0 + kSec, out);
  EXPECT_TRUE(out.empty());
}

TEST(Router, BurstOfTenThousandEventsIsAHandfulOfMessages) {
  NotificationRouter r({Contact("soc", Severity::kHigh)}, Opts(3));
  std::vector<Notice> out;
  // 200 findings, each updated 50 times: 10,000 events over 30 s, all inside one window.
  uint64_t events = 0;
  for (int round = 1; round <= 50; ++round) {
    for (int i = 0; i < 200; ++i) {
      r.Observe(F("f" + std::to_string(i), uint64_t(round), uint64_t(round)),
                kT0 + round * kSec / 2, out);
      ++events;
    }
  }
  EXPECT_EQ(events, 10000u);
  EXPECT_EQ(out.size(), 3u) << "first three new findings at once";
  r.Tick(kT0 + 59 * kSec, out);
  EXPECT_EQ(out.size(), 3u) << "window still open";
  r.Tick(kT0 + 61 * kSec, out);  // the window opened with the first event, at 0.5 s
  ASSERT_EQ(out.size(), 4u);
  const Notice& d = out[3];
  EXPECT_TRUE(d.digest);
  EXPECT_EQ(d.items.size(), 50u);                        // detail limit
  EXPECT_EQ(d.items.size() + d.omitted_findings, 200u);  // every finding, counted once
  // Events: 3 were notified at once (1 event each); every other event is in the digest.
  EXPECT_EQ(d.total_events, 10000u - 3u);
  uint64_t sum = d.omitted_events;
  for (const auto& it : d.items) sum += it.new_events;
  EXPECT_EQ(sum, d.total_events);
  EXPECT_EQ(d.window_start, kT0 + kSec / 2);
  // Nothing more is pending.
  out.clear();
  r.Tick(kT0 + 600 * kSec, out);
  EXPECT_TRUE(out.empty());
}

TEST(Router, UpdatesOfOneFindingFoldIntoOneDigestItem) {
  NotificationRouter r({Contact("soc", Severity::kHigh)}, Opts());
  std::vector<Notice> out;
  r.Observe(F("a", 1, 10), kT0, out);
  for (uint64_t rev = 2; rev <= 100; ++rev) r.Observe(F("a", rev, 10 * rev), kT0 + kSec, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].items[0].new_events, 10u);
  r.Tick(kT0 + 60 * kSec, out);
  ASSERT_EQ(out.size(), 2u);
  ASSERT_EQ(out[1].items.size(), 1u);
  EXPECT_EQ(out[1].items[0].reason, Reason::kUpdated);
  EXPECT_EQ(out[1].items[0].new_events, 990u);  // count went 10 -> 1000
  EXPECT_EQ(out[1].items[0].finding.finding.count, 1000u);
}

TEST(Router, EscalationAndReopenAreFirstEvents) {
  NotificationRouter r({Contact("soc", Severity::kMedium)}, Opts(10));
  std::vector<Notice> out;
  r.Observe(F("a", 1, 1, Severity::kMedium, Stage::kPrecursor), kT0, out);
  r.Observe(F("a", 2, 2, Severity::kHigh, Stage::kMining), kT0 + kSec, out);
  auto reopened = F("a", 3, 3);
  reopened.reopen_count = 1;
  r.Observe(reopened, kT0 + 2 * kSec, out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[1].items[0].reason, Reason::kEscalated);
  EXPECT_EQ(out[2].items[0].reason, Reason::kReopened);
}

TEST(Router, AfterRestartKnownFindingsAreUpdatesNotNews) {
  NotificationRouter r({Contact("soc", Severity::kHigh)}, Opts());
  std::vector<Notice> out;
  r.Observe(F("old", 7, 70), kT0, out);  // revision 7: the store has had it for a while
  EXPECT_TRUE(out.empty());
  r.Tick(kT0 + 60 * kSec, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].digest);
}

TEST(Router, BudgetResetsWithTheNextWindow) {
  NotificationRouter r({Contact("soc", Severity::kHigh)}, Opts(1));
  std::vector<Notice> out;
  r.Observe(F("a", 1, 1), kT0, out);
  r.Observe(F("b", 1, 1), kT0 + kSec, out);  // over budget: digested
  EXPECT_EQ(out.size(), 1u);
  r.Observe(F("c", 1, 1), kT0 + 61 * kSec, out);  // closes the window (digest), opens a new one
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(out[1].digest);
  EXPECT_EQ(out[1].items[0].finding.finding.id, "b");
  EXPECT_EQ(out[1].items[0].reason, Reason::kNew);
  EXPECT_FALSE(out[2].digest);
  EXPECT_EQ(out[2].items[0].finding.finding.id, "c");
}

TEST(Router, TrackedFindingsAreBounded) {
  RouterOptions o = Opts(1);
  o.max_tracked = 100;
  NotificationRouter r({Contact("soc", Severity::kHigh)}, o);
  std::vector<Notice> out;
  for (int i = 0; i < 10000; ++i) r.Observe(F("f" + std::to_string(i), 1, 1), kT0, out);
  EXPECT_EQ(out.size(), 1u);
  r.FlushAll(kT0, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].items.size(), 50u);
  EXPECT_EQ(out[1].omitted_findings, 10000u - 1u - 50u);
}

}  // namespace
}  // namespace mw::notify
