// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "export/files/rotating_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace mw::siem {
namespace {

namespace fs = std::filesystem;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class RotatingFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mw_rot_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(RotatingFileTest, RotatesBySizeAndKeepsCount) {
  std::string path = (dir_ / "sub" / "f.jsonl").string();
  RotatingFile f(path, 100, 2);
  std::string line(29, 'x');  // 30 bytes with the newline: three lines fit in 100
  for (int i = 0; i < 10; ++i) {
    line[0] = char('0' + i);
    ASSERT_TRUE(f.Append(line));
  }
  // 10 lines, 3 per file: f.jsonl has line 9, f.jsonl.1 lines 6-8, f.jsonl.2 lines 3-5; 0-2 gone.
  EXPECT_EQ(f.rotations(), 3u);
  EXPECT_EQ(Slurp(path).substr(0, 1), "9");
  EXPECT_EQ(Slurp(path + ".1").size(), 90u);
  EXPECT_EQ(Slurp(path + ".1").substr(0, 1), "6");
  EXPECT_EQ(Slurp(path + ".2").substr(0, 1), "3");
  EXPECT_FALSE(fs::exists(path + ".3"));
  for (const auto& e : fs::directory_iterator(dir_ / "sub"))
    EXPECT_LE(fs::file_size(e.path()), 100u);
}

TEST_F(RotatingFileTest, FilesAndFolderAreOwnerOnly) {
  mode_t old_umask = ::umask(0);  // the modes come from the exporter, not the caller's umask
  std::string path = (dir_ / "f.jsonl").string();
  RotatingFile f(path, 40, 2);
  bool ok = f.Append(std::string(30, 'a')) && f.Append(std::string(30, 'b'));
  ::umask(old_umask);
  ASSERT_TRUE(ok);
  ASSERT_EQ(f.rotations(), 1u);
  EXPECT_EQ(fs::status(dir_).permissions(), fs::perms::owner_all);
  EXPECT_EQ(fs::status(path).permissions(), fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(fs::status(path + ".1").permissions(), fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(RotatingFileTest, ContinuesAnExistingFileAndWritesOversizedLinesWhole) {
  std::string path = (dir_ / "f.jsonl").string();
  {
    RotatingFile f(path, 64, 1);
    ASSERT_TRUE(f.Append("first"));
  }
  RotatingFile f(path, 64, 1);
  ASSERT_TRUE(f.Append("second"));
  EXPECT_EQ(Slurp(path), "first\nsecond\n");
  std::string big(200, 'b');
  ASSERT_TRUE(f.Append(big));
  EXPECT_EQ(Slurp(path), big + "\n");
  EXPECT_EQ(Slurp(path + ".1"), "first\nsecond\n");
}

TEST_F(RotatingFileTest, UnwritablePathIsAnError) {
  RotatingFile f("/proc/mw-no-such-dir/x.jsonl", 100, 1);
  auto s = f.Append("x");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("/proc/mw-no-such-dir/x.jsonl"), std::string::npos);
}

}  // namespace
}  // namespace mw::siem
