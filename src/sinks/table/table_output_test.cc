// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "sinks/table/table_output.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "sinks/output_testing.h"

namespace mw {
namespace {

using testing::SampleMinerFinding;

// Everything the output printed, header included.
std::string Printed(TableOutput::Repeat repeat, const std::vector<ChangeBatch>& batches) {
  char* buf = nullptr;
  size_t len = 0;
  FILE* mem = open_memstream(&buf, &len);
  {
    TableOutput t(mem, repeat);
    for (const auto& b : batches) EXPECT_TRUE(t.Write(b));
  }
  std::fclose(mem);
  std::string out(buf, len);
  std::free(buf);
  return out;
}

size_t Rows(const std::string& printed) {
  size_t n = 0;
  for (char c : printed) n += c == '\n';
  return n > 0 ? n - 1 : 0;  // minus the header
}

TEST(TableOutput, SummarisesEvidence) {
  EXPECT_EQ(TableOutput::EvidenceSummary(SampleMinerFinding()),
            "cryptonote  agent=XMRig/6.16.0  algo=rx/0");
}

TEST(TableOutput, CommandsPrintEveryUpdateUpPrintsOncePerOpening) {
  std::vector<store::StoredFinding> f(1);
  f[0].finding = SampleMinerFinding();
  std::vector<store::StoredFinding> reopened = f;
  reopened[0].reopen_count = 1;
  std::vector<ChangeBatch> batches = {{ChangeKind::kDetected, f},
                                      {ChangeKind::kDetected, f},
                                      {ChangeKind::kLifecycle, f},
                                      {ChangeKind::kDetected, reopened}};
  EXPECT_EQ(Rows(Printed(TableOutput::Repeat::kEveryUpdate, batches)), 3u);
  EXPECT_EQ(Rows(Printed(TableOutput::Repeat::kOncePerOpening, batches)), 2u);
}

TEST(TableOutput, NetworkTextCannotReachTheTerminalRaw) {
  std::vector<store::StoredFinding> f(1);
  f[0].finding = SampleMinerFinding();
  f[0].finding.indicator = "pool\x1b]0;owned\x07\xff";
  f[0].finding.evidence["agent"] = "XMRig\x1b[2J";
  std::string out = Printed(TableOutput::Repeat::kEveryUpdate, {{ChangeKind::kDetected, f}});
  EXPECT_EQ(out.find('\x1b'), std::string::npos) << out;
  EXPECT_EQ(out.find('\x07'), std::string::npos) << out;
  EXPECT_NE(out.find("\xEF\xBF\xBD"), std::string::npos) << "invalid UTF-8 shows as U+FFFD";
}

}  // namespace
}  // namespace mw
