// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "config/config_check.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace mw::config {
namespace {

class ConfigCheck : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir() + "/config_check_test_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ + "/intel");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  void Write(const std::string& name, const std::string& text) const {
    std::ofstream(Path(name), std::ios::binary) << text;
  }
  // A config with an empty intel dir and the store under the scratch dir, plus "extra".
  ServiceConfig Parse(const std::string& extra) const {
    std::string text = "store:\n  path: " + Path("state/mw.db") +
                       "\nsensor:\n  intel_dir: " + Path("intel") + "\n" + extra;
    auto c = ParseConfig(text, "c.yaml");
    EXPECT_TRUE(c) << c.error().message();
    return c ? *c : ServiceConfig{};
  }
  std::string ErrorOf(const ServiceConfig& c) const {
    auto r = CheckReferencedFiles(c);
    return r ? std::string() : r.error().message();
  }
  std::string dir_;
};

TEST_F(ConfigCheck, AGoodConfigPasses) {
  Write("secret", "k\n");
  Write("rules.yar", "rule r { strings: $a = \"xmrig\" condition: $a }\n");
  auto good = Parse(
      "notify:\n  contacts:\n    - name: hook\n      webhook_url: http://127.0.0.1:1/\n"
      "      webhook_secret_file: " +
      Path("secret") + "\nhostscan:\n  yara_files: [" + Path("rules.yar") + "]\n");
  auto r = CheckReferencedFiles(good);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(r->warnings.empty());
}

TEST_F(ConfigCheck, MissingWebhookSecretNamesKeyAndLine) {
  auto c = Parse(
      "notify:\n  contacts:\n    - name: hook\n      webhook_url: http://127.0.0.1:1/\n"
      "      webhook_secret_file: " +
      Path("missing") + "\n");
  std::string e = ErrorOf(c);
  EXPECT_NE(e.find("c.yaml:9: notify.contacts[0].webhook_secret_file: secret file " +
                   Path("missing") + ": No such file"),
            std::string::npos)
      << e;
}

TEST_F(ConfigCheck, SecretThatIsADirectoryOrEmpty) {
  Write("empty", "");
  auto c = Parse("notify:\n  smtp:\n    url: smtp://127.0.0.1:25\n    password_file: " + dir_ +
                 "\n  contacts:\n    - name: hook\n      webhook_url: http://127.0.0.1:1/\n"
                 "      webhook_secret_file: " +
                 Path("empty") + "\n");
  std::string e = ErrorOf(c);
  EXPECT_NE(e.find("notify.smtp.password_file: secret file " + dir_ + ": is a directory"),
            std::string::npos)
      << e;
  EXPECT_NE(
      e.find("notify.contacts[0].webhook_secret_file: secret file " + Path("empty") + " is empty"),
      std::string::npos)
      << e;
}

TEST_F(ConfigCheck, MissingAndBrokenYaraFiles) {
  Write("broken.yar", "rule r { strings: $a = \"x\" condition: $b }\n");
  auto c = Parse("hostscan:\n  enabled: false\n  yara_files:\n    - " + Path("nope.yar") +
                 "\n    - " + Path("broken.yar") + "\n");
  std::string e = ErrorOf(c);
  EXPECT_NE(e.find("c.yaml:8: hostscan.yara_files[0]: " + Path("nope.yar") + ": No such file"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("c.yaml:9: hostscan.yara_files[1]: does not compile: "), std::string::npos) << e;
  EXPECT_NE(e.find("broken.yar"), std::string::npos) << e;
}

TEST_F(ConfigCheck, IntelFilesAreLoadedAsAtStartUp) {
  Write("feed.txt", "pool.example.com\n0.0.0.0/0\n::/0\ncom\n*.co.uk\n");
  auto c = Parse("  intel_files: [" + Path("feed.txt") + ", " + Path("absent.txt") + "]\n");
  auto r = CheckReferencedFiles(c);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("sensor.intel_files[1]: cannot read " + Path("absent.txt")),
            std::string::npos)
      << r.error().message();
  auto ok = Parse("  intel_files: [" + Path("feed.txt") + "]\n");
  auto w = CheckReferencedFiles(ok);
  ASSERT_TRUE(w) << w.error().message();
  ASSERT_EQ(w->warnings.size(), 1u);
  const std::string& m = w->warnings[0];
  EXPECT_NE(m.find("c.yaml:5: sensor.intel_files[0]: " + Path("feed.txt") + ": skipped 4 entries"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("line 2 '0.0.0.0/0'"), std::string::npos) << m;
  EXPECT_NE(m.find("line 5 '*.co.uk'"), std::string::npos) << m;
}

TEST_F(ConfigCheck, IntelDirThatIsAFile) {
  Write("notadir", "x");
  auto c = ParseConfig("sensor:\n  intel_dir: " + Path("notadir") + "\n", "c.yaml");
  ASSERT_TRUE(c);
  std::string e = ErrorOf(*c);
  EXPECT_NE(
      e.find("c.yaml:2: sensor.intel_dir: intel dir " + Path("notadir") + " is not a directory"),
      std::string::npos)
      << e;
}

TEST_F(ConfigCheck, StoreAndExportPaths) {
  std::filesystem::create_directories(Path("db_is_dir"));
  auto c = ParseConfig("store:\n  path: " + Path("db_is_dir") +
                           "\nsensor:\n  intel_dir: " + Path("intel") +
                           "\nexport:\n  jsonl_path: " + Path("secret/x.jsonl") + "\n",
                       "c.yaml");
  ASSERT_TRUE(c);
  Write("secret", "k");
  std::string e = ErrorOf(*c);
  EXPECT_NE(e.find("c.yaml:2: store.path: " + Path("db_is_dir") + ": exists and is not a regular"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("export.jsonl_path: " + Path("secret") + ": is not a directory"),
            std::string::npos)
      << e;
}

}  // namespace
}  // namespace mw::config
