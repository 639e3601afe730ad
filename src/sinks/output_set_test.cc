// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "sinks/output_set.h"

#include <gtest/gtest.h>

#include <mutex>

namespace mw {
namespace {

// Records what it was given; blocks its first Write until released (to fill a queue).
struct Recorder {
  std::mutex mu;
  std::vector<std::pair<ChangeKind, std::string>> seen;
  bool stopped = false;
  bool evidence_samples = false;
};

class FakeOutput : public Output {
 public:
  explicit FakeOutput(Recorder* r) : r_(r) {}
  Status Write(const ChangeBatch& batch) override {
    std::lock_guard l(r_->mu);
    for (const auto& f : batch.findings) {
      r_->seen.emplace_back(batch.kind, f.finding.id);
      r_->evidence_samples |= !f.evidence_samples.empty();
      ++stats_.delivered;
    }
    return Ok();
  }
  void Stop() override { r_->stopped = true; }
  void Counters(std::vector<OutputCounter>& out) const override {
    out.push_back({"minerwatch_fake_total", "counter", "fake", 7});
  }

 private:
  Recorder* r_;
};

std::vector<store::StoredFinding> Changes(std::initializer_list<const char*> ids) {
  std::vector<store::StoredFinding> v;
  for (const char* id : ids) {
    v.emplace_back();
    v.back().finding.id = id;
    v.back().evidence_samples = nlohmann::json::array({{{"x", 1}}});
  }
  return v;
}

TEST(OutputSet, FansOutBothKindsToSyncAndQueuedOutputs) {
  Recorder sync, queued;
  OutputRegistry r;
  r.Add({.name = "sync", .start = [&](const OutputContext&) -> Result<OutputPtr> {
           return OutputPtr(std::make_unique<FakeOutput>(&sync));
         }});
  r.Add({.name = "queued", .queue = 10, .start = [&](const OutputContext&) -> Result<OutputPtr> {
           return OutputPtr(std::make_unique<FakeOutput>(&queued));
         }});
  r.Add({.name = "off",
         .start = [](const OutputContext&) -> Result<OutputPtr> { return OutputPtr(); }});
  auto set = OutputSet::Start(r, {});
  ASSERT_TRUE(set) << set.error().message();
  EXPECT_EQ((*set)->names(), (std::vector<std::string>{"sync", "queued"}));
  auto a = Changes({"a", "b"});
  auto m = Changes({"a"});
  ASSERT_TRUE((*set)->Write({ChangeKind::kDetected, a}));
  ASSERT_TRUE((*set)->Write({ChangeKind::kLifecycle, m}));
  (*set)->Stop();
  std::vector<std::pair<ChangeKind, std::string>> want = {
      {ChangeKind::kDetected, "a"}, {ChangeKind::kDetected, "b"}, {ChangeKind::kLifecycle, "a"}};
  EXPECT_EQ(sync.seen, want);
  EXPECT_EQ(queued.seen, want);
  EXPECT_TRUE(sync.evidence_samples);
  EXPECT_FALSE(queued.evidence_samples) << "queued copies go without the samples";
  EXPECT_TRUE(sync.stopped && queued.stopped);
}

TEST(OutputSet, CountersAreGroupedByName) {
  Recorder x, y;
  OutputRegistry r;
  for (auto* rec : {&x, &y}) {
    r.Add(
        {.name = rec == &x ? "x" : "y", .start = [rec](const OutputContext&) -> Result<OutputPtr> {
           return OutputPtr(std::make_unique<FakeOutput>(rec));
         }});
  }
  auto set = OutputSet::Start(r, {});
  ASSERT_TRUE(set);
  auto one = Changes({"a"});
  ASSERT_TRUE((*set)->Write({ChangeKind::kDetected, one}));
  auto c = (*set)->Counters();
  ASSERT_EQ(c.size(), 8u);
  EXPECT_EQ(c[0].name, "minerwatch_output_delivered_total");
  EXPECT_EQ(c[0].labels, "output=\"x\"");
  EXPECT_EQ(c[0].value, 1);
  EXPECT_EQ(c[1].labels, "output=\"y\"");
  EXPECT_EQ(c[2].name, "minerwatch_output_failed_total");
  EXPECT_EQ(c[6].name, "minerwatch_fake_total");
  EXPECT_EQ(c[7].name, "minerwatch_fake_total") << "one block per metric, whatever the output";
}

TEST(OutputSet, FindingsOfACommandAreDetectedChanges) {
  Recorder rec;
  OutputRegistry r;
  r.Add({.name = "f", .start = [&](const OutputContext&) -> Result<OutputPtr> {
           return OutputPtr(std::make_unique<FakeOutput>(&rec));
         }});
  auto set = OutputSet::Start(r, {});
  ASSERT_TRUE(set);
  Finding f;
  f.id = "cli";
  ASSERT_TRUE((*set)->WriteFindings(std::span<const Finding>(&f, 1)));
  ASSERT_EQ(rec.seen.size(), 1u);
  EXPECT_EQ(rec.seen[0], (std::pair<ChangeKind, std::string>{ChangeKind::kDetected, "cli"}));
}

TEST(OutputSet, AStartErrorNamesTheOutput) {
  OutputRegistry r;
  r.Add({.name = "broken", .start = [](const OutputContext&) -> Result<OutputPtr> {
           return Fail(Error::InvalidArgument("no such host"));
         }});
  auto set = OutputSet::Start(r, {});
  ASSERT_FALSE(set);
  EXPECT_EQ(set.error().message(), "broken: no such host");
}

TEST(OutputSet, BuiltinsAreRegisteredOnce) {
  OutputRegistry r;
  RegisterBuiltinOutputs(r);
  std::vector<std::string> names;
  for (const auto& s : r.specs()) names.emplace_back(s.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"jsonl", "table", "export_files", "syslog", "notify"}));
}

}  // namespace
}  // namespace mw
