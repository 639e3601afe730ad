// minerwatch — SPDX-License-Identifier: Apache-2.0
// Doctor against a real running service on 127.0.0.1 (port chosen by the kernel).
#include "doctor/doctor.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <thread>

#include "server/auth.h"
#include "server/service.h"

namespace mw::doctor {
namespace {

const Check* Find(const std::vector<Check>& cs, std::string_view name) {
  for (const auto& c : cs) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

TEST(Doctor, FlagsAMinimalDeploymentAndPassesAGoodOne) {
  auto dir = std::filesystem::temp_directory_path() / ("mw_doctor_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  auto bad = config::ParseConfig(
      "detectors:\n  pool_intel: {enabled: false}\nsensor:\n  enabled: false\n", "t");
  ASSERT_TRUE(bad);
  bad->store.path = (dir / "mw.db").string();
  bad->server.listen = "127.0.0.1:0";
  // Nothing listening yet: the service check fails, and what needs its answer says it was not
  // checked and why (a token was given: the token audit is not checked for want of an answer).
  DoctorOptions o;
  o.url = "http://127.0.0.1:1";
  o.token = "mw_not_used";
  auto cs = RunDoctor(*bad, o);
  EXPECT_EQ(Find(cs, "config")->detail, "t is valid");
  EXPECT_EQ(Find(cs, "store")->verdict, Verdict::kWarn);
  EXPECT_NE(Find(cs, "store")->detail.find("does not exist"), std::string::npos);
  EXPECT_EQ(Find(cs, "service reachable")->verdict, Verdict::kFail);
  EXPECT_NE(Find(cs, "service reachable")->detail.find("could not reach http://127.0.0.1:1 ("),
            std::string::npos)
      << Find(cs, "service reachable")->detail;
  ASSERT_NE(Find(cs, "detector pool_intel"), nullptr);
  EXPECT_EQ(Find(cs, "detector pool_intel")->verdict, Verdict::kFail);
  EXPECT_EQ(Find(cs, "host agent")->verdict, Verdict::kWarn);
  EXPECT_EQ(Find(cs, "host agent")->detail, "not checked: no answer from http://127.0.0.1:1");
  EXPECT_EQ(Find(cs, "API tokens least privilege")->detail,
            "not checked: no answer from http://127.0.0.1:1");
  EXPECT_EQ(Find(cs, "host agent sees every process"), nullptr);
  EXPECT_EQ(Find(cs, "security contact")->verdict, Verdict::kFail);
  EXPECT_EQ(Find(cs, "export or notification route")->verdict, Verdict::kFail);
  EXPECT_EQ(ExitCode(cs), 2);
  // One line per check (verdict, name, detail, fix), then the totals.
  std::istringstream table(RenderTable(cs));
  size_t lines = 0;
  for (std::string line; std::getline(table, line); ++lines) {
    if (lines == cs.size()) {
      EXPECT_NE(line.find(" pass, "), std::string::npos) << line;
      continue;
    }
    ASSERT_LT(lines, cs.size()) << line;
    const Check& c = cs[lines];
    EXPECT_EQ(line.substr(0, 4), c.verdict == Verdict::kPass   ? "PASS"
                                 : c.verdict == Verdict::kWarn ? "WARN"
                                                               : "FAIL");
    EXPECT_NE(line.find(c.name), std::string::npos) << line;
    if (!c.fix.empty()) {
      EXPECT_NE(line.find("; fix: " + c.fix), std::string::npos) << line;
    }
  }
  EXPECT_EQ(lines, cs.size() + 1);
  EXPECT_NE(RenderTable(cs).find("disabled; fix: set detectors.pool_intel.enabled: true\n"),
            std::string::npos);

  auto good = config::ParseConfig(
      "notify:\n  smtp: {url: 'smtp://127.0.0.1:25'}\n  contacts:\n"
      "    - {name: soc, email: soc@example.com}\n    - {name: me, email: john.smith@example.com}\n"
      "sensor:\n  enabled: false\n"
      // The host agent runs for real, without the memory and persistence passes (slow here).
      "hostscan:\n  interval: 10s\ndetectors:\n  memory_rules: {enabled: false}\n"
      "  hash_match: {enabled: false}\n  combined_detection: {enabled: false}\n"
      "  persistence: {enabled: false}\n",
      "t");
  ASSERT_TRUE(good) << good.error().message();
  good->hostscan.state_dir = dir.string();
  good->store.path = (dir / "mw.db").string();
  good->server.listen = "127.0.0.1:0";
  auto svc = server::Service::Start(*good);
  ASSERT_TRUE(svc) << svc.error().message();
  auto admin = server::CreateToken((*svc)->store(), "admin", store::Role::kAdmin, "t", 1);
  ASSERT_TRUE(admin);
  o.url = "http://127.0.0.1:" + std::to_string((*svc)->api_port());
  o.token = admin->plaintext;
  cs = RunDoctor(*good, o);
  EXPECT_EQ(Find(cs, "service reachable")->verdict, Verdict::kPass);
  EXPECT_EQ(Find(cs, "store")->verdict, Verdict::kPass);
  EXPECT_EQ(Find(cs, "API tokens least privilege")->verdict, Verdict::kPass);
  EXPECT_EQ(Find(cs, "contact soc is a group")->verdict, Verdict::kPass);
  EXPECT_EQ(Find(cs, "contact me is a group")->verdict, Verdict::kWarn);
  EXPECT_EQ(Find(cs, "security contact")->verdict, Verdict::kPass);
  // The host agent's first pass: wait for it (bounded), then it passes.
  for (int i = 0; i < 300 && Find(cs, "host agent")->verdict == Verdict::kWarn; ++i) {
    usleep(100000);
    cs = RunDoctor(*good, o);
  }
  EXPECT_EQ(Find(cs, "host agent")->verdict, Verdict::kPass) << Find(cs, "host agent")->detail;
  // The real service's health carries coverage.complete, so this is judged, never "not checked".
  ASSERT_NE(Find(cs, "host agent sees every process"), nullptr);
  EXPECT_EQ(Find(cs, "host agent sees every process")->detail.find("not checked"),
            std::string::npos)
      << Find(cs, "host agent sees every process")->detail;
  (*svc)->Stop();
  std::filesystem::remove_all(dir);
}

// Without a config file doctor checks what `minerwatch up` runs without -c: the embedded defaults
// (the CLI then asks http://127.0.0.1:8080), and gives no advice about keys that do nothing.
TEST(Doctor, EmbeddedDefaultsAreTheDeploymentOfUpWithoutConfig) {
  config::ServiceConfig defaults;
  EXPECT_EQ(defaults.server.listen, "127.0.0.1:8080");
  DoctorOptions o;
  o.url = "http://127.0.0.1:1";
  auto cs = RunDoctor(defaults, o);
  ASSERT_FALSE(cs.empty());
  EXPECT_EQ(cs[0].name, "config");
  EXPECT_EQ(cs[0].detail, "embedded defaults (no -c: what `minerwatch up` runs without -c)");
  EXPECT_NE(Find(cs, "store")->detail.find("/var/lib/minerwatch/minerwatch.db"), std::string::npos);
  EXPECT_NE(Find(cs, "service reachable")->fix.find("`minerwatch up`"), std::string::npos);
  EXPECT_EQ(Find(cs, "threat-engine mode"), nullptr);
  EXPECT_EQ(Find(cs, "remediation policy"), nullptr);
  for (const auto& c : cs) {
    EXPECT_EQ(c.fix.find("threat_engine"), std::string::npos) << c.name;
    EXPECT_EQ(c.fix.find("remediation.policy"), std::string::npos) << c.name;
  }
}

// A stand-in service whose /api/v1/health is "body": doctor judges the host agent's coverage by
// coverage.complete (docs/api.md), not by words in its notes.
class FakeHealth {
 public:
  explicit FakeHealth(std::string body) : body_(std::move(body)) {
    srv_.Get("/api/v1/health", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(body_, "application/json");
    });
    port_ = srv_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { srv_.listen_after_bind(); });
    while (!srv_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeHealth() {
    srv_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  std::string body_;
  httplib::Server srv_;
  int port_ = 0;
  std::thread thread_;
};

std::string HealthWithCoverage(const std::string& coverage, const std::string& notes) {
  nlohmann::json hs = {{"status", "running"},
                       {"passes", 3},
                       {"interval_s", 900},
                       {"last_pass_at", FormatTimestamp(TimestampUs(1'700'000'000) * 1000000)},
                       {"processes", 42},
                       {"notes", nlohmann::json::parse(notes)}};
  if (!coverage.empty()) hs["coverage"] = nlohmann::json::parse(coverage);
  return nlohmann::json{{"status", "ok"},
                        {"components", {{"sensor", {{"status", "disabled"}}}, {"hostscan", hs}}}}
      .dump();
}

TEST(Doctor, HostCoverageIsReadFromCoverageComplete) {
  auto cfg = config::ParseConfig("sensor:\n  enabled: false\n", "t");
  ASSERT_TRUE(cfg);
  DoctorOptions o;
  o.now_s = 1'700'000'060;  // a minute after the last pass
  const char* kCheck = "host agent sees every process";
  {
    // Incomplete, and the notes do not mention CAP_SYS_PTRACE: still a warning, with the reasons.
    FakeHealth h(HealthWithCoverage(
        R"({"complete": false, "incomplete_reasons": ["autostart not checked: /etc/cron.d"]})",
        R"(["a note"])"));
    o.url = h.url();
    auto cs = RunDoctor(*cfg, o);
    EXPECT_EQ(Find(cs, "host agent")->verdict, Verdict::kPass) << Find(cs, "host agent")->detail;
    ASSERT_NE(Find(cs, kCheck), nullptr);
    EXPECT_EQ(Find(cs, kCheck)->verdict, Verdict::kWarn);
    EXPECT_EQ(Find(cs, kCheck)->detail, "last pass incomplete: autostart not checked: /etc/cron.d");
  }
  {
    // Complete, though a note names CAP_SYS_PTRACE: a pass.
    FakeHealth h(HealthWithCoverage(R"({"complete": true, "incomplete_reasons": []})",
                                    R"(["hint: CAP_SYS_PTRACE"])"));
    o.url = h.url();
    auto cs = RunDoctor(*cfg, o);
    ASSERT_NE(Find(cs, kCheck), nullptr);
    EXPECT_EQ(Find(cs, kCheck)->verdict, Verdict::kPass) << Find(cs, kCheck)->detail;
  }
  {
    // No coverage at all (an older service): not judged, and it says so.
    FakeHealth h(HealthWithCoverage("", R"(["needs CAP_SYS_PTRACE"])"));
    o.url = h.url();
    auto cs = RunDoctor(*cfg, o);
    ASSERT_NE(Find(cs, kCheck), nullptr);
    EXPECT_EQ(Find(cs, kCheck)->verdict, Verdict::kWarn);
    EXPECT_NE(Find(cs, kCheck)->detail.find("not checked"), std::string::npos);
  }
  {
    // An answer that is not health JSON: the checks that need it say so.
    FakeHealth h("<html>proxy error</html>");
    o.url = h.url();
    auto cs = RunDoctor(*cfg, o);
    EXPECT_EQ(Find(cs, "service reachable")->verdict, Verdict::kFail);
    EXPECT_EQ(Find(cs, "host agent")->detail,
              "not checked: " + h.url() + "/api/v1/health gave no health JSON");
  }
}

}  // namespace
}  // namespace mw::doctor
