// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// The finding sink seam (control plane: may fail, returns Status). A sink receives new and
// updated findings in batches. Adding a sink: one directory under src/sinks/<name>/ and one line
// in the sink factory (src/sinks/builtin.cc).
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
