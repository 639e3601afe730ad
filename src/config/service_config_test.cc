// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "config/service_config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace mw::config {
namespace {

TEST(ServiceConfig, EmptyFileGivesDocumentedDefaults) {
  auto c = ParseConfig("", "t.yaml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->server.listen, "127.0.0.1:8080");
  EXPECT_EQ(c->store.auto_resolve_after_s, 7 * 86400);
  EXPECT_TRUE(c->sensor.enabled);
}

// Blocking and automatic remediation do not exist yet: a config naming the default loads, any
// other value is refused with the key, its line and what works today.
TEST(ServiceConfig, UnimplementedEngineModeAndPolicyAreRefused) {
  auto ok =
      ParseConfig("threat_engine:\n  mode: detect\nremediation:\n  policy: manual\n", "t.yaml");
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_FALSE(ToJson(*ok).contains("threat_engine"));  // no effect, so not in the effective config

  auto block = ParseConfig("threat_engine:\n  mode: block\n", "t.yaml");
  ASSERT_FALSE(block);
  EXPECT_NE(block.error().message().find(
                "t.yaml:2:9: threat_engine.mode 'block' is not implemented: only 'detect' works "
                "today"),
            std::string::npos)
      << block.error().message();
  for (const char* policy : {"kill", "quarantine", "bogus"}) {
    auto p = ParseConfig(std::string("remediation:\n  policy: ") + policy + "\n", "t.yaml");
    ASSERT_FALSE(p) << policy;
    EXPECT_NE(p.error().message().find("t.yaml:2:11: remediation.policy '" + std::string(policy) +
                                       "' is not implemented: only 'manual' works today"),
              std::string::npos)
        << p.error().message();
  }
  auto list = ParseConfig("threat_engine:\n  mode: [detect]\n", "t.yaml");
  ASSERT_FALSE(list);
  EXPECT_NE(list.error().message().find("threat_engine.mode must be a string"), std::string::npos);
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

std::string Scratch(const std::string& name) {
  // Per process: the same test may run in several build trees at once.
  std::string dir = testing::TempDir() + "/service_config_test." + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  return dir + "/" + name;
}

void Write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

TEST(LoadConfig, RefusesADirectory) {
  std::string dir = Scratch("a_dir");
  std::filesystem::create_directories(dir);
  auto c = LoadConfig(dir);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message().find(dir + ": is a directory, expected a regular file"),
            std::string::npos)
      << c.error().message();
}

TEST(LoadConfig, RefusesADeviceWithoutReadingIt) {
  auto start = std::chrono::steady_clock::now();
  auto c = LoadConfig("/dev/zero");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message().find("/dev/zero: is not a regular file"), std::string::npos)
      << c.error().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST(LoadConfig, RefusesAFifoWithoutBlocking) {
  std::string fifo = Scratch("fifo");
  ::unlink(fifo.c_str());
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto c = LoadConfig(fifo);  // no writer: a blocking open would never return
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message().find("is not a regular file"), std::string::npos);
}

TEST(LoadConfig, RefusesAnOversizedFileBeforeParsing) {
  std::string big = Scratch("big.yaml");
  Write(big, "# " + std::string(kMaxConfigBytes, 'x') + "\n");
  auto c = LoadConfig(big);
  std::filesystem::remove(big);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message().find("larger than " + std::to_string(kMaxConfigBytes)),
            std::string::npos)
      << c.error().message();
  std::string ok = Scratch("ok.yaml");
  Write(ok, "server:\n  threads: 2\n");
  auto good = LoadConfig(ok);
  ASSERT_TRUE(good) << good.error().message();
  EXPECT_EQ(good->server.threads, 2);
  EXPECT_EQ(KeyLocation(*good, "server.threads"), ok + ":2: server.threads");
}

TEST(LoadConfig, MissingFileNamesIt) {
  auto c = LoadConfig("/nonexistent/mw.yaml");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message().find("config file /nonexistent/mw.yaml: No such file"),
            std::string::npos)
      << c.error().message();
}

TEST(ServiceConfig, DuplicateKeysAreErrors) {
  auto c =
      ParseConfig("server:\n  threads: 2\n  threads: 8\nstore:\n  path: /a\nstore:\n", "d.yaml");
  ASSERT_FALSE(c);
  const std::string& m = c.error().message();
  EXPECT_NE(m.find("d.yaml:3:3: duplicate key 'server.threads'"), std::string::npos) << m;
  EXPECT_NE(m.find("d.yaml:6:1: duplicate key 'store'"), std::string::npos) << m;
  // Inside a list entry too.
  auto k = ParseConfig(
      "notify:\n  smtp: {url: 'smtp://x'}\n  contacts:\n    - name: a\n      email: soc@x\n"
      "      name: b\n",
      "d.yaml");
  ASSERT_FALSE(k);
  EXPECT_NE(k.error().message().find("d.yaml:6:7: duplicate key 'notify.contacts[0].name'"),
            std::string::npos)
      << k.error().message();
}

TEST(ServiceConfig, ASecondDocumentIsAnError) {
  auto c = ParseConfig("server:\n  threads: 2\n---\nserver:\n  threads: 8\n", "m.yaml");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message().find("m.yaml:3:1: a second YAML document"), std::string::npos)
      << c.error().message();
  EXPECT_TRUE(ParseConfig("---\nserver:\n  threads: 2\n", "m.yaml"));  // one, explicitly started
}

TEST(ServiceConfig, AliasBombIsRefusedQuickly) {
  std::string text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char n = 'b'; n <= 'k'; ++n) {
    std::string prev(1, char(n - 1));
    text += std::string(1, n) + ": &" + n + " [*" + prev + ", *" + prev + ", *" + prev + ", *" +
            prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n";
  }
  auto start = std::chrono::steady_clock::now();
  auto c = ParseConfig(text, "bomb.yaml");
  EXPECT_FALSE(c);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(ServiceConfig, SelfReferencingAliasIsRefused) {
  // Found by the fuzzer: "&b [*b, *b]" is a cycle; the key walk must stop, not grow paths.
  auto c = ParseConfig("b: &b [*b, *b]\n", "cycle.yaml");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message().find("nested deeper than 32 levels"), std::string::npos)
      << c.error().message();
}

TEST(ServiceConfig, PatternsAreLinearTimeRe2) {
  // The catastrophic-backtracking classic: RE2 accepts it and matches in linear time.
  auto c = ParseConfig("notify:\n  group_address_pattern: '^(a+)+$'\n", "p.yaml");
  ASSERT_TRUE(c) << c.error().message();
  std::string hostile(100000, 'a');
  hostile += "!";
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(ClassifyContactAddress(c->notify, hostile), AddressKind::kUnrecognized);
  EXPECT_EQ(ClassifyContactAddress(c->notify, "aaaa"), AddressKind::kGroup);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  // What RE2 cannot do is a config error naming the key.
  auto bad = ParseConfig("notify:\n  personal_address_pattern: '(?=x)y'\n", "p.yaml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find(
                "p.yaml:2:29: notify.personal_address_pattern is not a valid RE2 pattern"),
            std::string::npos)
      << bad.error().message();
  auto backref = ParseConfig("notify:\n  group_address_pattern: '(a)\\1'\n", "p.yaml");
  EXPECT_FALSE(backref);
}

TEST(ServiceConfig, DefaultPatternsClassifyAsDocumented) {
  ServiceConfig d;
  EXPECT_EQ(ClassifyContactAddress(d.notify, "SecOps@example.com"), AddressKind::kGroup);
  EXPECT_EQ(ClassifyContactAddress(d.notify, "soc-emea@example.com"), AddressKind::kGroup);
  EXPECT_EQ(ClassifyContactAddress(d.notify, "jane.doe@example.com"), AddressKind::kPersonal);
  EXPECT_EQ(ClassifyContactAddress(d.notify, "x@example.com"), AddressKind::kUnrecognized);
}

TEST(ServiceConfig, EmailContactsNeedAnSmtpUrl) {
  auto c = ParseConfig("notify:\n  contacts:\n    - {name: soc, email: soc@x}\n", "n.yaml");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message().find("notify.smtp.url is not set"), std::string::npos);
}

TEST(ReadSecretFile, RefusesWhatIsNotASmallRegularFile) {
  std::string p = Scratch("secret");
  Write(p, "k3y\n");
  auto s = ReadSecretFile(p, "webhook_secret_file");
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(*s, "k3y");
  Write(p, std::string(5000, 'k'));
  EXPECT_FALSE(ReadSecretFile(p, "w"));
  Write(p, "\n");
  EXPECT_FALSE(ReadSecretFile(p, "w"));
  EXPECT_FALSE(ReadSecretFile("/dev/zero", "w"));
  EXPECT_FALSE(ReadSecretFile(testing::TempDir(), "w"));
}

TEST(ServiceConfig, FlowMemcapIsBytesFromOneMiB) {
  auto d = ParseConfig("", "t.yaml");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->flow.memcap, 256ull << 20);
  auto c = ParseConfig("flow:\n  memcap: 67108864\n", "t.yaml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->flow.memcap, 64ull << 20);
  for (const char* bad : {"flow:\n  memcap: 1000\n", "flow:\n  memcap: 0\n",
                          "flow:\n  memcap: 64MB\n", "flow:\n  memcpa: 67108864\n"}) {
    auto r = ParseConfig(bad, "t.yaml");
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message().find("t.yaml:2:"), std::string::npos) << r.error().message();
  }
}

}  // namespace
}  // namespace mw::config
