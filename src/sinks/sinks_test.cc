// minerwatch — SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "sinks/jsonl/jsonl_sink.h"
#include "sinks/table/table_sink.h"

namespace mw {
namespace {

Finding MakeFinding() {
  Finding f;
  f.category = category::kPoolProtocol;
  f.resource.host_ip = "10.0.0.5";
  f.indicator = "pool.example.net:3333";
  f.id = Finding::MakeId(f.category, f.resource.host_ip, f.indicator);
  f.stage = Stage::kMining;
  f.severity = Severity::kHigh;
  f.evidence = {{"dialect", "cryptonote"}, {"agent", "XMRig/6.16.0"}, {"algos", {"rx/0"}}};
  f.first_seen = 1;
  f.last_seen = 2;
  f.count = 1;
  return f;
}

TEST(JsonlSink, WritesOneParsableLinePerFinding) {
  char path[] = "/tmp/mw_jsonl_XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  {
    auto sink = JsonlSink::Open(path, JsonlSink::Mode::kAppend);
    ASSERT_TRUE(sink) << sink.error().message();
    Finding f = MakeFinding();
    ASSERT_TRUE((*sink)->Write(std::span<const Finding>(&f, 1)));
    f.count = 2;
    ASSERT_TRUE((*sink)->Write(std::span<const Finding>(&f, 1)));
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

TEST(JsonlSink, UnwritablePathIsAClearError) {
  auto sink = JsonlSink::Open("/nonexistent-dir/x.jsonl");
  ASSERT_FALSE(sink);
  EXPECT_NE(sink.error().message().find("/nonexistent-dir/x.jsonl"), std::string::npos);
}

TEST(TableSink, SummarisesEvidence) {
  EXPECT_EQ(TableSink::EvidenceSummary(MakeFinding()), "cryptonote  agent=XMRig/6.16.0  algo=rx/0");
}

}  // namespace
}  // namespace mw
