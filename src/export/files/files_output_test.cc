// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "export/files/files_output.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "sinks/output_set.h"

namespace mw::siem {
namespace {

namespace fs = std::filesystem;

// As `up` runs it: the export section of a service config, through the output seam.
Result<std::unique_ptr<OutputSet>> StartExport(const config::ExportConfig& c, OutputLogFn log) {
  static config::ServiceConfig cfg;
  cfg.exports = c;
  OutputRegistry r;
  RegisterFilesOutput(r);
  return OutputSet::Start(r, {.host = OutputHost::kService, .config = &cfg, .log = std::move(log)});
}

std::vector<std::string> Lines(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

store::StoredFinding Finding1(uint64_t revision, uint64_t count) {
  store::StoredFinding sf;
  sf.finding.id = "f1";
  sf.finding.category = std::string(category::kBadDomain);
  sf.finding.severity = Severity::kMedium;
  sf.finding.resource = {"192.0.2.7", ""};
  sf.finding.indicator = "xmr.pool.example";
  sf.finding.detector = "pool_intel";
  sf.finding.first_seen = 1767225600000000;
  sf.finding.last_seen = 1767225600000000 + int64_t(count);
  sf.finding.count = count;
  sf.finding.revision = revision;
  sf.evidence_samples = nlohmann::json::array({{{"big", std::string(1000, 'x')}}});
  return sf;
}

TEST(FilesOutput, NothingConfiguredIsNull) {
  auto e = FilesOutput::Start(config::ExportConfig{});
  ASSERT_TRUE(e);
  EXPECT_EQ(*e, nullptr);
  auto set = StartExport(config::ExportConfig{}, [](const std::string&) {});
  ASSERT_TRUE(set);
  EXPECT_TRUE((*set)->names().empty());
}

TEST(FilesOutput, WritesJsonlAndOcsf) {
  fs::path dir = fs::temp_directory_path() / ("mw_exp_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  config::ExportConfig c;
  c.jsonl_path = (dir / "findings.jsonl").string();
  c.ocsf_path = (dir / "ocsf.jsonl").string();
  std::vector<std::string> logs;
  auto e = StartExport(c, [&](const std::string& m) { logs.push_back(m); });
  ASSERT_TRUE(e) << e.error().message();
  ASSERT_EQ((*e)->names(), (std::vector<std::string>{"export_files"}));
  std::vector<store::StoredFinding> changes = {Finding1(1, 1), Finding1(2, 5)};
  ASSERT_TRUE((*e)->Write({ChangeKind::kDetected, changes}));
  (*e)->Stop();
  auto value = [&](const std::string& name, const std::string& labels) {
    for (const auto& c : (*e)->Counters())
      if (c.name == name && c.labels == labels) return c.value;
    return -1.0;
  };
  EXPECT_EQ(value("minerwatch_export_findings_total", "output=\"export_files\""), 2);
  EXPECT_EQ(value("minerwatch_output_delivered_total", "output=\"export_files\""), 2);

  auto jl = Lines(dir / "findings.jsonl");
  ASSERT_EQ(jl.size(), 2u);
  auto j = nlohmann::json::parse(jl[1]);
  EXPECT_EQ(j["id"], "f1");
  EXPECT_EQ(j["count"], 5);
  EXPECT_EQ(j["state"], "active");
  EXPECT_FALSE(j.contains("evidence_samples"));
  auto ol = Lines(dir / "ocsf.jsonl");
  ASSERT_EQ(ol.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(ol[0])["activity_id"], 1);  // created
  EXPECT_EQ(nlohmann::json::parse(ol[1])["activity_id"], 2);  // updated
  EXPECT_EQ(nlohmann::json::parse(ol[1])["class_uid"], 2004);
  fs::remove_all(dir);
  EXPECT_TRUE(logs.empty());
}

TEST(FilesOutput, StateChangesAreExportedToo) {
  fs::path dir = fs::temp_directory_path() / ("mw_exp_lc_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  config::ExportConfig c;
  c.jsonl_path = (dir / "findings.jsonl").string();
  auto e = StartExport(c, [](const std::string&) {});
  ASSERT_TRUE(e) << e.error().message();
  std::vector<store::StoredFinding> resolved = {Finding1(2, 2)};
  resolved[0].state = store::FindingState::kResolved;
  ASSERT_TRUE((*e)->Write({ChangeKind::kLifecycle, resolved}));
  (*e)->Stop();
  auto jl = Lines(dir / "findings.jsonl");
  ASSERT_EQ(jl.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(jl[0])["state"], "resolved");
  fs::remove_all(dir);
}

TEST(FilesOutput, UnwritableFileIsLoggedOnceAndCounted) {
  config::ExportConfig c;
  c.jsonl_path = "/proc/mw-no-such-dir/f.jsonl";
  std::vector<std::string> logs;
  auto e = StartExport(c, [&](const std::string& m) { logs.push_back(m); });
  ASSERT_TRUE(e);
  std::vector<store::StoredFinding> changes = {Finding1(1, 1), Finding1(2, 2), Finding1(3, 3)};
  ASSERT_TRUE((*e)->Write({ChangeKind::kDetected, changes}));
  (*e)->Stop();
  double errors = -1;
  for (const auto& ctr : (*e)->Counters())
    if (ctr.name == "minerwatch_export_write_errors_total") errors = ctr.value;
  EXPECT_EQ(errors, 3);
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_NE(logs[0].find("/proc/mw-no-such-dir/f.jsonl"), std::string::npos);
}

}  // namespace
}  // namespace mw::siem
