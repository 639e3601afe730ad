// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// What `minerwatch up` checks before it starts, and all that `minerwatch config check` checks:
// one function, so the two cannot disagree. ParseConfig checked the keys and values; this checks
// every file the config names (secret files, YARA files, intel files and the intel dir, the
// store, the export targets): each must exist, be a regular readable file (or the directory the
// key asks for) and parse where that is cheap (YARA files are compiled, intel lists parsed).
// A named file is checked whether or not the feature using it is enabled: a config that would
// break the day someone turns hostscan on is broken today.
#include <string>
#include <vector>

#include "config/service_config.h"
#include "mw/core/result.h"

namespace mw::config {

struct CheckReport {
  // Not errors: `up` runs and says the same at start-up (intel entries skipped, see
  // docs/config.md "Intel at start-up").
  std::vector<std::string> warnings;
};

// Errors (all of them, one a line) read "file:line: key: what is wrong, what is expected".
Result<CheckReport> CheckReferencedFiles(const ServiceConfig& c);

}  // namespace mw::config
