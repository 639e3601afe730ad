// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Autostart locations a miner uses to survive reboots and kills, read under a root directory
// (a live system, a mounted image, a test fixture): crontabs, systemd units and timers,
// rc.local and init scripts, ld.so.preload, shell profiles, authorized_keys, and system
// binaries that differ from dpkg's md5sums. Files are read with a size cap; nothing is run.
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

namespace mw::hostscan {

// PersistenceHit::kind of a system binary that differs from its Debian package.
inline constexpr std::string_view kSystemBinaryKind = "system-binary";

// Why an autostart entry is a miner's: the kind decides the finding's severity, the text is what
// it shows.
struct AutostartReason {
  enum class Kind : uint8_t {
    kDownloadsAndRuns,  // fetches code and runs it
    kBase64Payload,     // a base64 payload (alone: only suspicious)
    kPoolReference,     // a stratum URL or a known pool's domain
    kMinerNamed,        // a miner program or miner option
    kMinerFile,         // a file this pass found a miner running from
    kListedHost,        // a host intel lists (added by the persistence detector)
    kForeignPreload,    // ld.so.preload names a library no package ships (alone: suspicious)
    kReplacedBinary,    // a system binary differs from its package's (alone: suspicious)
  };
  Kind kind;
  std::string text;
  bool operator==(const AutostartReason&) const = default;
};

struct PersistenceHit {
  std::string file;   // absolute path inside the root
  uint64_t line = 0;  // 1-based; 0 for whole-file findings (replaced binaries)
  std::string text;   // the line, capped at 512 bytes
  std::string kind;   // "cron", "systemd", "rc", "ld.so.preload", "profile", "authorized_keys",
                      // "system-binary"
  std::vector<AutostartReason> reasons;
  std::string attack;  // ATT&CK technique of the location
  // With PersistenceOptions::with_hosts: the host names and IPv4 literals the line names
  // (HostsInLine).
  std::vector<std::string> hosts;
};

struct PersistenceOptions {
  std::string root = "/";
  std::vector<std::string> miner_paths;  // files of detected miners: a line naming one is flagged
  bool check_system_binaries = true;
  uint64_t max_file_bytes = 1u << 20;
  uint64_t max_binary_bytes = 2ull << 30;  // total bytes md5-hashed for the binary check
  // Also return lines that only name hosts (no reasons of their own, "hosts" filled): whether a
  // host is a known dropper or pool is for intel to say, which a detector holds, not this scan.
  bool with_hosts = false;
  std::stop_token stop;  // checked between files: a stop request ends the scan early
};

// What a persistence scan could not look at: an autostart location that exists but could not be
// read or listed is a blind spot, not a clean result.
struct PersistenceCoverage {
  // "<path>: <reason>", one per blocked place: a folder that cannot be searched is named once
  // ("/root: Permission denied"), not once per file below it.
  std::vector<std::string> unreadable;
  bool interrupted = false;
};

// The host names and IPv4 literals in "line" (URLs, host:port, bare names), lower-cased, at most
// 32. Pure (fuzzed, unit tested).
std::vector<std::string> HostsInLine(std::string_view line);

// Why "line" looks like miner persistence; empty when it does not. Pure (fuzzed, unit tested).
std::vector<AutostartReason> ClassifyLine(std::string_view line,
                                          std::span<const std::string> miner_paths);

// Without "coverage", what could not be read is reported in "errors" ("cannot read <path>: ...").
std::vector<PersistenceHit> ScanPersistence(const PersistenceOptions& options,
                                            std::vector<std::string>* errors,
                                            PersistenceCoverage* coverage = nullptr);

}  // namespace mw::hostscan
