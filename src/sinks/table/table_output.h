// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Output "table": a readable table of findings for a terminal, one row per finding with the
// evidence a responder looks at first (agent, dialect, pool, process). Text from the network is
// sanitised first, so a miner's user agent cannot send escape sequences to the terminal.
// In a command (`--table`, or stdout is a terminal) updated findings print again; under `up`
// each finding prints once as it appears and again when it reopens (the console has the rest).
#include <cstdio>
#include <string>
#include <unordered_map>

#include "sinks/output.h"

namespace mw {

class TableOutput : public Output {
 public:
  enum class Repeat { kEveryUpdate, kOncePerOpening };
  explicit TableOutput(FILE* out, Repeat repeat = Repeat::kEveryUpdate)
      : out_(out), repeat_(repeat) {}
  Status Write(const ChangeBatch& batch) override;
  Status Flush() override;

  // The one-line summary of a finding's evidence used in the table ("XMRig/6.16.0 rx/0 ...").
  static std::string EvidenceSummary(const Finding& finding);

 private:
  FILE* out_;
  Repeat repeat_;
  bool header_written_ = false;
  std::unordered_map<std::string, uint32_t> shown_;  // kOncePerOpening: id -> reopen count shown
};

void RegisterTableOutput(OutputRegistry& registry);

}  // namespace mw
