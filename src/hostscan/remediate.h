// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Opt-in remediation of one host finding, dry-run unless "apply": stop the process tree
// (after checking the pid still is the process the finding named: same start time), quarantine
// its executable (moved with metadata, restorable), disable the persistence line (file backed
// up first). Touches nothing the finding does not name; refuses PID 1, kernel threads and its
// own process. Every action, planned or done, is appended to <state>/audit.jsonl.
#include <string>
#include <vector>

#include "mw/core/result.h"
#include "mw/findings/finding.h"

namespace mw::hostscan {

struct RemediateOptions {
  std::string state_dir;  // quarantine/, backup/, audit.jsonl live here
  std::string root = "/";
  bool apply = false;
};

struct RemediationAction {
  std::string action;  // "stop-process", "quarantine", "disable-persistence", "refuse"
  std::string target;
  std::string result;  // "planned", "done", "refused: ...", "failed: ..."
};

// Findings written by `host scan` (JSON Lines, Finding::ToJson form).
Result<std::vector<nlohmann::json>> LoadStateFindings(const std::string& path);
Status AppendStateFindings(const std::string& path, const std::vector<Finding>& findings);

Result<std::vector<RemediationAction>> Remediate(const nlohmann::json& finding,
                                                 const RemediateOptions& options);
// Moves a quarantined file back (metadata.json names where it came from).
Status RestoreQuarantined(const std::string& quarantine_entry_dir);

}  // namespace mw::hostscan
