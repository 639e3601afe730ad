// minerwatch — SPDX-License-Identifier: Apache-2.0
// The engine: settings checked against what detectors declare, switches that really switch off,
// and the clock windowed detectors run on.
#include <gtest/gtest.h>

#include "engine/burst_test_detector.h"
#include "engine/detection_engine.h"
#include "engine/detector_settings.h"
#include "flow/flow_events.h"
#include "intel/intel_store.h"

namespace mw::engine {
namespace {

using testing::BurstDetector;
using testing::BurstRegistry;
using testing::kBurst;

config::ServiceConfig Parse(const std::string& yaml) {
  auto c = config::ParseConfig(yaml, "t.yaml");
  EXPECT_TRUE(c) << c.error().message();
  return c ? *c : config::ServiceConfig{};
}

void Flow(DetectionEngine& e, const char* client, TimestampUs ts) {
  FlowInfo f;
  f.client = *IpAddress::Parse(client);
  f.server = *IpAddress::Parse("192.0.2.1");
  f.first_seen = f.last_seen = ts;
  e.AdvanceTo(ts);
  e.bus().Publish(flow::FlowStartEvent{f});
}

constexpr TimestampUs kT0 = 1'700'000'000'000'000;

TEST(DetectorSettingsTest, DefaultsFillEveryDeclaredKey) {
  DetectorRegistry r = BurstRegistry();
  auto dc = ResolveDetectorConfig(r, Parse("detectors:\n  burst: {min_flows: 5}\n"));
  ASSERT_TRUE(dc) << dc.error().message();
  DetectorSettings s = dc->For(*r.Find("burst"));
  EXPECT_TRUE(s.enabled());
  EXPECT_EQ(s.Int("min_flows"), 5);
  EXPECT_EQ(s.Int("window"), 2);
}

TEST(DetectorSettingsTest, ErrorsNameFileLineAndKey) {
  DetectorRegistry r = BurstRegistry();
  auto dc = ResolveDetectorConfig(
      r, Parse("detectors:\n  burst:\n    window: 2x\n    enabled: maybe\n    windw: 3s\n"
               "  nosuch: {enabled: false}\n"));
  ASSERT_FALSE(dc);
  const std::string m = dc.error().message();
  EXPECT_NE(m.find("t.yaml:3:13: detectors.burst.window must be a duration"), std::string::npos)
      << m;
  EXPECT_NE(m.find("t.yaml:4:14: detectors.burst.enabled must be true or false"), std::string::npos)
      << m;
  EXPECT_NE(m.find("unknown key 'detectors.burst.windw' (known here: enabled, window, min_flows)"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("t.yaml:6:3: unknown detector 'nosuch' (known: burst)"), std::string::npos) << m;
}

TEST(DetectorSettingsTest, RangesAreChecked) {
  DetectorRegistry r = BurstRegistry();
  auto dc = ResolveDetectorConfig(r, Parse("detectors:\n  burst: {min_flows: 0}\n"));
  ASSERT_FALSE(dc);
  EXPECT_NE(dc.error().message().find("min_flows must be an integer from 1 to 1000, not '0'"),
            std::string::npos)
      << dc.error().message();
}

TEST(DetectorSettingsTest, SectionThatIsNotAMappingIsRefusedWhenParsed) {
  auto c = config::ParseConfig("detectors:\n  pool_intel: false\n", "t.yaml");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message().find("t.yaml:2:3: detectors.pool_intel must be a mapping"),
            std::string::npos)
      << c.error().message();
}

TEST(DetectorSettingsTest, EveryBuiltinDetectorDeclaresWhatItEmits) {
  DetectorRegistry r;
  RegisterBuiltinDetectors(r);
  ASSERT_FALSE(r.specs().empty());
  for (const auto& spec : r.specs()) {
    EXPECT_FALSE(spec.categories.empty()) << spec.name;
    EXPECT_FALSE(spec.description.empty()) << spec.name;
    for (const auto& c : spec.categories) {
      EXPECT_TRUE(IsKnownCategory(c.category)) << spec.name << ": " << c.category;
      // A rule match's techniques are the rule's own (its mitre_technique_id metadata).
      if (c.category != category::kIdsRule) {
        EXPECT_FALSE(c.attack.empty()) << spec.name << ": " << c.category;
      }
    }
  }
}

TEST(DetectionEngineTest, DisabledDetectorIsNeverBuilt) {
  DetectorRegistry r = BurstRegistry();
  intel::IntelStore intel;
  EngineOptions o;
  o.registry = &r;
  auto dc = ResolveDetectorConfig(r, Parse("detectors:\n  burst: {enabled: false}\n"));
  ASSERT_TRUE(dc);
  o.detectors = *dc;
  DetectionEngine e(intel, o);
  EXPECT_FALSE(e.IsEnabled("burst"));
  for (int i = 0; i < 10; ++i) Flow(e, "10.0.0.1", kT0 + i);
  e.Finish();
  EXPECT_EQ(e.findings().size(), 0u);
}

TEST(DetectionEngineTest, WindowsCloseOnInputTimeNotWallTime) {
  DetectorRegistry r = BurstRegistry();
  intel::IntelStore intel;
  EngineOptions o;
  o.registry = &r;
  DetectionEngine e(intel, o);
  ASSERT_TRUE(e.IsEnabled("burst"));
  // Client A: 4 flows in 1 s (a burst); client B: 2 flows (not one).
  for (int i = 0; i < 4; ++i) Flow(e, "10.0.0.1", kT0 + i * 250'000);
  Flow(e, "10.0.0.2", kT0 + 100'000);
  Flow(e, "10.0.0.2", kT0 + 200'000);
  EXPECT_EQ(e.findings().size(), 0u);  // the window is still open
  e.AdvanceTo(kT0 + 2'500'000);        // input time passes the window: it closes
  ASSERT_EQ(e.findings().size(), 1u);
  const Finding& f = e.findings().all()[0];
  EXPECT_EQ(f.resource.host_ip, "10.0.0.1");
  EXPECT_EQ(f.evidence["flows"], 4);
  // Declared in the spec, not by the detector.
  EXPECT_EQ(f.detector, "burst");
  EXPECT_EQ(f.severity, Severity::kLow);
  EXPECT_EQ(f.attack, std::vector<std::string>{"T1046"});
  // A window still open at the end of input closes then.
  for (int i = 0; i < 3; ++i) Flow(e, "10.0.0.3", kT0 + 3'000'000 + i);
  e.Finish();
  EXPECT_EQ(e.findings().size(), 2u);
}

TEST(DetectionEngineTest, TicksAtMostOncePerSecondOfInput) {
  DetectorRegistry r = BurstRegistry();
  intel::IntelStore intel;
  EngineOptions o;
  o.registry = &r;
  DetectionEngine e(intel, o);
  BurstDetector::ticks = 0;
  for (int i = 0; i < 10'000; ++i) e.AdvanceTo(kT0 + i * 1000);  // 10 s of input
  EXPECT_GE(BurstDetector::ticks, 10);
  EXPECT_LE(BurstDetector::ticks, 11);
  e.AdvanceTo(kT0 - 5'000'000);  // the clock never goes back
  EXPECT_EQ(e.now(), kT0 + 9'999'000);
}

TEST(DetectionEngineTest, MarkdownListsEverySettingOnce) {
  DetectorRegistry r = BurstRegistry();
  std::string md = DetectorsMarkdown(r);
  EXPECT_NE(md.find("| detectors.burst.enabled | `true` |"), std::string::npos) << md;
  EXPECT_NE(md.find("| detectors.burst.window | `2s` | window length |"), std::string::npos);
  EXPECT_NE(md.find("`Test: Flow Burst` (stage 0, low)"), std::string::npos);
}

}  // namespace
}  // namespace mw::engine
