// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// The /metrics names the SIEM export had before it was split into outputs (docs/api.md), kept so
// dashboards keep working; each SIEM output reports them labelled with its name.
#include <string>
#include <vector>

#include "sinks/output.h"

namespace mw::siem {

inline void AppendExportCounters(std::string_view output, uint64_t exported, uint64_t dropped,
                                 std::vector<OutputCounter>& out) {
  std::string label = "output=\"" + std::string(output) + "\"";
  out.push_back({"minerwatch_export_findings_total", "counter", "finding changes exported",
                 double(exported), label});
  out.push_back({"minerwatch_export_dropped_total", "counter",
                 "changes dropped because the export queue was full", double(dropped), label});
}

}  // namespace mw::siem
