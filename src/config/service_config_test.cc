// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "config/service_config.h"

#include <gtest/gtest.h>

#include <fstream>

namespace mw::config {
namespace {

TEST(ServiceConfig, EmptyFileGivesDocumentedDefaults) {
  auto c = ParseConfig("", "t.yaml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->server.listen, "127.0.0.1:8080");
  EXPECT_EQ(c->store.auto_resolve_after_s, 7 * 86400);
  EXPECT_TRUE(c->sensor.enabled);
  EXPECT_EQ(c->remediation_policy, "manual");
}

TEST(ServiceConfig, ParsesEveryKeyOfTheExample) {
  std::ifstream in(std::string(MW_SOURCE_DIR) + "/docs/minerwatch.example.yaml");
  ASSERT_TRUE(in) << "docs/minerwatch.example.yaml missing";
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto c = ParseConfig(text, "minerwatch.example.yaml");
  ASSERT_TRUE(c) << c.error().message();
  ASSERT_FALSE(c->notify.contacts.empty());
  EXPECT_EQ(c->notify.contacts[0].name, "secops");
}

TEST(ServiceConfig, ErrorsCarryLineAndColumn) {
  auto c =
      ParseConfig("server:\n  listen: 127.0.0.1:8080\n  thredas: 4\nstore:\n  synchronous: maybe\n",
                  "bad.yaml");
  ASSERT_FALSE(c);
  const std::string& m = c.error().message();
  EXPECT_NE(m.find("bad.yaml:3:3: unknown key 'server.thredas'"), std::string::npos) << m;
  EXPECT_NE(m.find("bad.yaml:5:16: store.synchronous must be one of full, normal"),
            std::string::npos)
      << m;
}

TEST(ServiceConfig, RejectsBadValues) {
  for (const char* text :
       {"store:\n  auto_resolve_after: soon\n", "server:\n  listen: nope\n", "server: [1, 2]\n",
        "notify:\n  contacts:\n    - name: x\n",
        "notify:\n  contacts:\n    - {name: x, email: y, min_severity: huge}\n",
        "export:\n  syslog_address: 127.0.0.1:514\n", "a: [unclosed\n",
        "notify:\n  personal_address_pattern: '('\n", "server:\n  threads: 1e9\n"}) {
    auto c = ParseConfig(text, "x.yaml");
    EXPECT_FALSE(c) << text;
    if (!c) {
      EXPECT_EQ(c.error().message().rfind("x.yaml:", 0), 0u) << c.error().message();
    }
  }
}

TEST(ServiceConfig, HostScanSection) {
  auto d = ParseConfig("", "t.yaml");
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->hostscan.enabled);
  EXPECT_EQ(d->hostscan.interval_s, 900);
  EXPECT_TRUE(d->hostscan.builtin_rules);
  EXPECT_EQ(d->hostscan.read_rate_mb, 64u);
  auto c = ParseConfig(
      "hostscan:\n  enabled: false\n  interval: 2m\n  state_dir: /tmp/x\n"
      "  builtin_rules: no\n  yara_files: [/etc/a.yar]\n  read_rate_mb: 8\n"
      "  max_process_mb: 100\n",
      "h.yaml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_FALSE(c->hostscan.enabled);
  EXPECT_EQ(c->hostscan.interval_s, 120);
  EXPECT_EQ(c->hostscan.state_dir, "/tmp/x");
  EXPECT_FALSE(c->hostscan.builtin_rules);
  EXPECT_EQ(c->hostscan.yara_files, std::vector<std::string>{"/etc/a.yar"});
  EXPECT_EQ(c->hostscan.read_rate_mb, 8u);
  EXPECT_EQ(c->hostscan.max_process_mb, 100u);
  auto bad = ParseConfig("hostscan:\n  interval: 1s\n", "h.yaml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("h.yaml:2:13: hostscan.interval"), std::string::npos)
      << bad.error().message();
}

TEST(ServiceConfig, Durations) {
  EXPECT_EQ(ParseDuration("30s"), 30);
  EXPECT_EQ(ParseDuration("15m"), 900);
  EXPECT_EQ(ParseDuration("7d"), 604800);
  EXPECT_EQ(ParseDuration("12"), 12);
  EXPECT_FALSE(ParseDuration("-1s"));
  EXPECT_FALSE(ParseDuration("d"));
  EXPECT_FALSE(ParseDuration("99999999999999999d"));
}

}  // namespace
}  // namespace mw::config
