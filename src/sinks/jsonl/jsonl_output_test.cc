// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "sinks/jsonl/jsonl_output.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "sinks/output_set.h"
#include "sinks/output_testing.h"

namespace mw {
namespace {

using testing::SampleMinerFinding;

TEST(JsonlOutput, WritesOneParsableLinePerFinding) {
  char path[] = "/tmp/mw_jsonl_XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  {
    auto sink = JsonlOutput::Open(path, JsonlOutput::Mode::kAppend);
    ASSERT_TRUE(sink) << sink.error().message();
    std::vector<store::StoredFinding> f(1);
    f[0].finding = SampleMinerFinding();
    ASSERT_TRUE((*sink)->Write({ChangeKind::kDetected, f}));
    f[0].finding.count = 2;
    ASSERT_TRUE((*sink)->Write({ChangeKind::kDetected, f}));
    ASSERT_TRUE((*sink)->Write({ChangeKind::kLifecycle, f})) << "state changes are not written";
    EXPECT_EQ((*sink)->stats().delivered, 2u);
  }
  std::ifstream in(path);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["category"], category::kPoolProtocol);
    EXPECT_EQ(j["count"], ++lines);
  }
  EXPECT_EQ(lines, 2);
  unlink(path);
}

TEST(JsonlOutput, UnwritablePathIsAClearError) {
  auto sink = JsonlOutput::Open("/nonexistent-dir/x.jsonl");
  ASSERT_FALSE(sink);
  EXPECT_NE(sink.error().message().find("/nonexistent-dir/x.jsonl"), std::string::npos);
}

TEST(JsonlOutput, CommandFlagsChooseIt) {
  OutputRegistry r;
  RegisterJsonlOutput(r);
  auto started = [&](CommandOutputFlags flags) {
    auto set = OutputSet::Start(r, {.host = OutputHost::kCommand, .flags = flags});
    EXPECT_TRUE(set);
    return set ? (*set)->names().size() : size_t(99);
  };
  EXPECT_EQ(started({.stdout_tty = false}), 1u) << "piped: JSON Lines on stdout";
  EXPECT_EQ(started({.stdout_tty = true}), 0u) << "a terminal gets the table";
  EXPECT_EQ(started({.table = true, .stdout_tty = false}), 0u);
  EXPECT_EQ(started({.json_path = "-", .stdout_tty = true}), 1u);
  auto set = OutputSet::Start(r, {.host = OutputHost::kService});
  ASSERT_TRUE(set);
  EXPECT_TRUE((*set)->names().empty()) << "`up` has no --json";
  auto bad = OutputSet::Start(r, {.flags = {.json_path = "/nonexistent-dir/x.jsonl"}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message().rfind("jsonl: /nonexistent-dir/x.jsonl", 0), 0u);
}

}  // namespace
}  // namespace mw
