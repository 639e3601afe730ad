// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// One host-scan pass: the process inventory (with sockets), memory (YARA and code-page hashes)
// and autostart entries. It gathers and publishes what it observes as events (host_events.h);
// the engine's detectors (src/detectors/<d>/) decide what is a finding. HostAgent
// (host_agent.h) joins the two.
// Partial visibility (no CAP_SYS_PTRACE, unreadable autostart folders, a pass stopped early) is
// reported in the pass report's coverage and notes, never as a failure, and never as "clean":
// IncompleteReasons() says why a pass that found nothing may still have missed something.
//
// Thread-compatible: one HostScanner per thread; it keeps caches between passes.
#include <sys/types.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

#include "hostscan/host_events.h"
#include "hostscan/memory_scanner.h"
#include "hostscan/page_db.h"
#include "hostscan/persistence.h"
#include "hostscan/process.h"
#include "mw/parse/event_bus.h"

namespace mw::hostscan {

struct HostScanOptions {
  std::string root = "/";
  std::vector<pid_t> pids;  // empty: every process
  bool scan_memory = true;
  bool scan_persistence = true;
  bool check_system_binaries = true;
  int cpu_sample_ms = 1000;      // 0: do not sample
  double high_cpu_percent = 50;  // per process, 100 = one core
  MemScanOptions memory;
  std::shared_ptr<const match::YaraRules> rules;  // null: no YARA
  std::shared_ptr<const PageDb> page_db;          // null or empty: no hash matching
  double page_match_min_percent = 20;
  uint32_t page_match_min_pages = 16;
  // Publish autostart lines that only name hosts (AutostartEvent with no reasons of its own),
  // for intel to judge: off when pool_intel is (ApplyDetectorSwitches).
  bool autostart_hosts = true;
  std::string host_ip = "127.0.0.1";
  std::string hostname;
};

// What a pass could and could not look at.
struct HostScanCoverage {
  uint64_t processes_memory_read = 0;         // some memory actually read (or found unchanged)
  uint64_t processes_memory_denied = 0;       // memory refused: permission
  uint64_t processes_access_denied = 0;       // executable or open files (sockets) refused
  uint64_t processes_skipped_own = 0;         // other minerwatch processes (they hold our rules)
  std::vector<std::string> denied;            // "pid 1 (systemd, user root)", the first kMaxNamed
  std::vector<std::string> unreadable_paths;  // autostart places that exist but could not be read
  bool interrupted = false;                   // stopped before the end of the pass
  static constexpr size_t kMaxNamed = 20;
};

struct HostScanReport {
  uint64_t processes = 0;
  uint64_t processes_memory_scanned = 0;  // memory scan attempted
  uint64_t processes_vanished = 0;        // exited between listing and reading
  uint64_t persistence_entries = 0;
  MemScanStats memory;
  HostScanCoverage coverage;
  double seconds = 0;
  std::vector<std::string> notes;  // what could not be inspected and why
};

// Why a pass is incomplete; empty when it looked everywhere it meant to. A pass is incomplete
// when it was stopped early, when any process's memory, executable or open files could not be
// read for lack of permission, or when an autostart place exists but could not be read or
// listed. Not incomplete: processes that exited mid-scan, the per-process and per-pass read
// budgets (limits chosen by the caller), other minerwatch processes (skipped by design).
std::vector<std::string> IncompleteReasons(const HostScanReport& r);
// The report as JSON (`host scan --summary-json`, /api/v1/health): counts, bytes and coverage.
nlohmann::json ReportJson(const HostScanReport& r);

// Pool host names in a command line ("stratum+tcp://pool.x.org:3333", "-o pool.x.org:443").
std::vector<std::string> PoolHostsInCmdline(const std::vector<std::string>& argv);

class HostScanner {
 public:
  // Publishes what it observes on "bus" (hostscan/host_events.h), which must outlive it: the
  // bus of the DetectionEngine whose detectors decide (HostAgent, host_agent.h).
  HostScanner(HostScanOptions options, EventBus& bus);
  ~HostScanner();
  // Runs one pass, publishing on the bus. Processes and their sockets come first (cheap), then
  // memory, then autostart entries; "checkpoint" (optional) runs after the inventory so a caller
  // can deliver what the detectors made of it before the long memory phase. A stop request ends
  // the pass within one read chunk; the report then says it was interrupted.
  HostScanReport RunPass(std::stop_token stop = {}, const std::function<void()>& checkpoint = {});
  const HostScanOptions& options() const { return options_; }
  // The dpkg md5 comparison reads every system binary; the monitor runs it on fewer passes.
  void set_check_system_binaries(bool on) { options_.check_system_binaries = on; }

 private:
  std::vector<ProcessInfo> ReadProcesses(HostScanReport& rep, const std::stop_token& stop);
  void ScanMemory(const std::vector<ProcessInfo>& procs, const std::stop_token& stop,
                  const HostRef& host, HostScanReport& rep);
  // Publishes a MemoryScanEvent when something matched; true when the memory shows a miner.
  bool PublishMemoryScan(const ProcessInfo& p, const ProcessMemResult& mem, bool miner_evidence,
                         const HostRef& host);
  void ScanAutostart(const std::vector<std::string>& miner_paths, const std::stop_token& stop,
                     const HostRef& host, HostScanReport& rep);

  HostScanOptions options_;
  EventBus& bus_;
  std::unique_ptr<MemoryScanner> memory_;
  // This pass's miners: processes the miner heuristics named (MinerEvidenceEvent) or whose memory
  // showed mining. Evidence is per process: a shell that started a miner with pool options
  // makes no other shell a miner.
  std::set<pid_t> miner_pids_;
};

}  // namespace mw::hostscan
