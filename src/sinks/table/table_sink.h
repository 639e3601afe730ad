// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// A readable table of findings for a terminal: one row per finding with the evidence a responder
// looks at first (agent, dialect, pool, process). Updated findings print again.
#include <cstdio>

#include "mw/sink/finding_sink.h"

namespace mw {

class TableSink : public FindingSink {
 public:
  explicit TableSink(FILE* out) : out_(out) {}
  Status Write(std::span<const Finding> findings) override;
  Status Flush() override;

  // The one-line summary of a finding's evidence used in the table ("XMRig/6.16.0 rx/0 ...").
  static std::string EvidenceSummary(const Finding& finding);

 private:
  FILE* out_;
  bool header_written_ = false;
};

}  // namespace mw
