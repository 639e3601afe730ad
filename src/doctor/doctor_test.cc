// minerwatch — SPDX-License-Identifier: Apache-2.0
// Doctor against a real running service on 127.0.0.1 (port chosen by the kernel).
#include "doctor/doctor.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

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
  auto bad =
      config::ParseConfig("detectors:\n  hash_match: false\nsensor:\n  enabled: false\n", "t");
  ASSERT_TRUE(bad);
  bad->store.path = (dir / "mw.db").string();
  bad->server.listen = "127.0.0.1:0";
  // Nothing listening yet: the service check fails.
  DoctorOptions o;
  o.url = "http://127.0.0.1:1";
  auto cs = RunDoctor(*bad, o);
  EXPECT_EQ(Find(cs, "service reachable")->verdict, Verdict::kFail);
  EXPECT_EQ(Find(cs, "detector hash_match")->verdict, Verdict::kFail);
  EXPECT_EQ(Find(cs, "host agent")->verdict, Verdict::kFail);  // enabled, but nothing answers
  EXPECT_EQ(Find(cs, "security contact")->verdict, Verdict::kFail);
  EXPECT_EQ(Find(cs, "export or notification route")->verdict, Verdict::kFail);
  EXPECT_EQ(ExitCode(cs), 2);
  EXPECT_NE(RenderTable(cs).find("fix: set detectors.hash_match: true"), std::string::npos);

  auto good = config::ParseConfig(
      "notify:\n  smtp: {url: 'smtp://127.0.0.1:25'}\n  contacts:\n"
      "    - {name: soc, email: soc@example.com}\n    - {name: me, email: john.smith@example.com}\n"
      "sensor:\n  enabled: false\n"
      // The host agent runs for real, without the memory and persistence passes (slow here).
      "hostscan:\n  interval: 10s\ndetectors:\n  host_memory: false\n  hash_match: false\n"
      "  persistence: false\n",
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
  ASSERT_NE(Find(cs, "host agent sees every process"), nullptr);
  (*svc)->Stop();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mw::doctor
