// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Where a producer hands its findings (the host monitor into `up`'s writer queue): new and
// updated findings in batches. Control plane: may fail, returns Status. Not an output: the
// places findings leave minerwatch (JSON Lines, table, SIEM, notify) are mw::Output, one folder
// each plus one line in src/sinks/builtin.cc (src/sinks/output.h).
#include <span>

#include "mw/core/result.h"
#include "mw/findings/finding.h"

namespace mw {

class FindingSink {
 public:
  virtual ~FindingSink() = default;
  // "findings" are new or changed since the last Write (same id = newer revision).
  [[nodiscard]] virtual Status Write(std::span<const Finding> findings) = 0;
  [[nodiscard]] virtual Status Flush() = 0;
};

}  // namespace mw
