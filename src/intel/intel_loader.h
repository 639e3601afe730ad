// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Builds the store the sensor uses: the curated defaults, everything "intel import" stored in the
// intel dir, and any extra files named on the command line. Also owns the intel dir layout:
// one normalized TSV per source, "<source>.tsv" (blocklist) and "<source>.allow.tsv".
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "intel/intel_parse.h"
#include "intel/intel_store.h"
#include "mw/core/result.h"

namespace mw::intel {

struct IntelOptions {
  bool load_defaults = true;
  // Empty: DefaultIntelDir(). A directory that does not exist holds nothing (not an error).
  std::string intel_dir{};
  std::vector<std::string> extra_files{};        // blocklists, format detected
  std::vector<std::string> extra_allow_files{};  // allowlists, format detected
  // Match-everything entries (ParseOptions::allow_broad) are skipped, not fatal: one bad feed
  // line must not stop the sensor. Each file that had some is reported here, one line naming
  // the file, the counts and the first examples. Intel dir files written by
  // `intel import --allow-broad` keep theirs (their header says allow-broad).
  std::function<void(const std::string&)> warn{};
};

// "path: 2 entries refused (line 3: '0.0.0.0/0': prefix shorter ...; ...)", or "" when the
// stats refused nothing of "reasons" (all reasons when empty).
std::string DescribeRejections(const ImportStats& stats, std::vector<RejectReason> reasons = {});

// $MINERWATCH_STATE_DIR/intel, else /var/lib/minerwatch/intel as root, else
// $XDG_STATE_HOME/minerwatch/intel or ~/.local/state/minerwatch/intel.
std::string DefaultIntelDir();

Result<IntelStore> LoadIntel(const IntelOptions& options);

// Reads a whole file (regular files only, at most 256 MiB).
Result<std::string> ReadTextFile(const std::string& path);

// "CoinBlocker hosts.txt" → "CoinBlocker_hosts.txt": safe as a file name, readable as a source.
std::string SanitizeSourceName(std::string_view name);

// Writes the parsed indicators of one source into "dir" (created if needed), replacing what that
// source held before. Atomic per file (write + rename). Returns the files written.
// "allow_broad" is recorded in the header so LoadIntel keeps the broad entries it let in.
Result<std::vector<std::string>> WriteSource(const std::string& dir, std::string_view source,
                                             std::string_view origin,
                                             const std::vector<Indicator>& indicators,
                                             bool allow_broad = false);

}  // namespace mw::intel
