// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// One host-scan pass: processes (inventory, miner heuristics, sockets vs intel), memory (YARA
// and code-page hashes) and persistence, folded into findings through a FindingEmitter.
// Partial visibility (no CAP_SYS_PTRACE, processes exiting mid-scan) is reported in the pass
// report's notes, never as a failure.
//
// Thread-compatible: one HostScanner per thread; it keeps caches between passes.
#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "findings/finding_emitter.h"
#include "hostscan/memory_scanner.h"
#include "hostscan/page_db.h"
#include "hostscan/persistence.h"
#include "hostscan/process.h"

namespace mw::hostscan {

// Intel lookups, injected so this library does not depend on how intel is loaded. Return a
// short description ("coinblocker: mining_pool") when the indicator is listed as bad.
using IpLookup = std::function<std::optional<std::string>(const IpAddress&)>;
using DomainLookup = std::function<std::optional<std::string>(std::string_view)>;

struct HostScanOptions {
  std::string root = "/";
  std::vector<pid_t> pids;  // empty: every process
  bool scan_memory = true;
  bool scan_persistence = true;
  bool check_system_binaries = true;
  int cpu_sample_ms = 1000;      // 0: do not sample
  double high_cpu_percent = 50;  // per process, 100 = one core
  MemScanOptions memory;
  std::shared_ptr<const YaraRules> rules;  // null: no YARA
  std::shared_ptr<const PageDb> page_db;   // null or empty: no hash matching
  double page_match_min_percent = 20;
  uint32_t page_match_min_pages = 16;
  IpLookup lookup_ip;
  DomainLookup lookup_domain;
  std::string host_ip = "127.0.0.1";
  std::string hostname;
};

struct HostScanReport {
  uint64_t processes = 0;
  uint64_t processes_memory_scanned = 0;
  uint64_t processes_vanished = 0;  // exited between listing and reading
  uint64_t persistence_entries = 0;
  MemScanStats memory;
  double seconds = 0;
  std::vector<std::string> notes;  // what could not be inspected and why
};

// Miner-process heuristics over the inventory alone (pure; unit tested). Empty when none.
std::vector<std::string> MinerProcessReasons(const ProcessInfo& p, double high_cpu_percent);
// Pool host names in a command line ("stratum+tcp://pool.x.org:3333", "-o pool.x.org:443").
std::vector<std::string> PoolHostsInCmdline(const std::vector<std::string>& argv);

class HostScanner {
 public:
  explicit HostScanner(HostScanOptions options);
  ~HostScanner();
  // Runs one pass and upserts findings into "out".
  HostScanReport RunPass(FindingEmitter& out);
  const HostScanOptions& options() const { return options_; }
  // The dpkg md5 comparison reads every system binary; the monitor runs it on fewer passes.
  void set_check_system_binaries(bool on) { options_.check_system_binaries = on; }

 private:
  HostScanOptions options_;
  std::unique_ptr<MemoryScanner> memory_;
};

}  // namespace mw::hostscan
