// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "hostscan/host_scanner.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>

#include "hostscan/host_events.h"
#include "hostscan/memory_evidence.h"
#include "hostscan/process_evidence.h"

namespace mw::hostscan {
namespace {

TimestampUs NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Plural(uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

void AddMemStats(MemScanStats& into, const MemScanStats& s) {
  into.regions += s.regions;
  into.regions_scanned += s.regions_scanned;
  into.regions_unchanged += s.regions_unchanged;
  into.regions_shared_cached += s.regions_shared_cached;
  into.regions_unreadable += s.regions_unreadable;
  into.regions_denied += s.regions_denied;
  into.regions_over_budget += s.regions_over_budget;
  into.regions_untouched += s.regions_untouched;
  into.bytes_read += s.bytes_read;
  into.bytes_yara += s.bytes_yara;
}

void NameDenied(HostScanCoverage& c, const ProcessInfo& p) {
  std::string name = "pid " + std::to_string(p.pid) + " (" + p.comm + ", user " + p.user + ")";
  if (c.denied.size() < HostScanCoverage::kMaxNamed &&
      std::find(c.denied.begin(), c.denied.end(), name) == c.denied.end()) {
    c.denied.push_back(std::move(name));
  }
}

// The code pages of "mem" that match known miner builds (none without a page database).
std::vector<PageDbHit> PageMatches(const ProcessMemResult& mem, const HostScanOptions& o) {
  if (!o.page_db || o.page_db->binary_count() == 0 || mem.exec_page_hashes.empty()) return {};
  return o.page_db->Match(mem.exec_page_hashes, o.page_match_min_percent, o.page_match_min_pages);
}

// Whether the memory shows a miner, for the autostart pass (an entry that starts this file is
// a miner's): known miner pages, or rules that prove mining or back up miner-process evidence.
// Names alone (a shell or resolver that handled pool names) do not.
bool ShowsMiner(const ProcessMemResult& mem, std::span<const PageDbHit> pages,
                bool miner_evidence) {
  return !pages.empty() || (HasRuleHit(mem.hits) && (miner_evidence || HasProofOfWork(mem.hits)));
}

// The executables that are miners' files, for the autostart pass: those the miner processes run,
// unless an ordinary process runs the same file too (bash running a miner's respawn loop makes
// neither /usr/bin/bash nor every unit that starts it a miner's).
std::vector<std::string> MinerExecutables(const std::vector<ProcessInfo>& procs,
                                          const std::set<pid_t>& miners) {
  std::set<std::string> miner_exes, ordinary_exes;
  for (const ProcessInfo& p : procs) {
    if (p.exe.empty()) continue;
    (miners.contains(p.pid) ? miner_exes : ordinary_exes).insert(p.exe);
  }
  std::vector<std::string> out;
  for (const std::string& exe : miner_exes)
    if (!ordinary_exes.contains(exe)) out.push_back(exe);
  return out;
}

}  // namespace

std::vector<std::string> PoolHostsInCmdline(const std::vector<std::string>& argv) {
  std::vector<std::string> hosts;
  auto host_of = [](std::string_view url) {
    size_t scheme = url.find("://");
    if (scheme != std::string_view::npos) url.remove_prefix(scheme + 3);
    size_t at = url.find('@');
    if (at != std::string_view::npos) url.remove_prefix(at + 1);
    size_t end = url.find_first_of(":/");
    return std::string(url.substr(0, end));
  };
  for (size_t i = 0; i < argv.size(); ++i) {
    std::string_view a = argv[i];
    if (a.find("stratum") != std::string_view::npos && a.find("://") != std::string_view::npos) {
      size_t pos = a.find("stratum");
      hosts.push_back(host_of(a.substr(pos)));
    } else if ((a == "-o" || a == "--url") && i + 1 < argv.size()) {
      hosts.push_back(host_of(argv[i + 1]));
    } else if (a.starts_with("--url=") || a.starts_with("-o=")) {
      hosts.push_back(host_of(a.substr(a.find('=') + 1)));
    }
  }
  std::erase_if(hosts, [](const std::string& h) { return h.empty(); });
  std::sort(hosts.begin(), hosts.end());
  hosts.erase(std::unique(hosts.begin(), hosts.end()), hosts.end());
  return hosts;
}

HostScanner::HostScanner(HostScanOptions options, EventBus& bus)
    : options_(std::move(options)), bus_(bus) {
  // A miner process is evidence for the memory pass (names in its memory are then a miner's)
  // and the autostart pass (an entry that starts its file), whether or not miner_process reports.
  bus_.On<MinerEvidenceEvent>(
      [this](const MinerEvidenceEvent& e) { miner_pids_.insert(e.process.pid); });
  if (options_.scan_memory) {
    memory_ = std::make_unique<MemoryScanner>(options_.rules, options_.memory);
  }
}

HostScanner::~HostScanner() = default;

std::vector<std::string> IncompleteReasons(const HostScanReport& r) {
  const HostScanCoverage& c = r.coverage;
  std::vector<std::string> why;
  if (c.interrupted) why.push_back("stopped before the end of the pass");
  if (c.processes_memory_denied > 0) {
    why.push_back(Plural(c.processes_memory_denied, "process", "processes") +
                  ": memory not readable (needs root or CAP_SYS_PTRACE)");
  }
  if (c.processes_access_denied > 0) {
    why.push_back(Plural(c.processes_access_denied, "process", "processes") +
                  ": executable or open files not readable (needs root or CAP_SYS_PTRACE)");
  }
  for (const auto& u : c.unreadable_paths) why.push_back("autostart not checked: " + u);
  return why;
}

nlohmann::json ReportJson(const HostScanReport& r) {
  const HostScanCoverage& c = r.coverage;
  std::vector<std::string> why = IncompleteReasons(r);
  return {{"complete", why.empty()},
          {"incomplete_reasons", why},
          {"processes", r.processes},
          {"processes_vanished", r.processes_vanished},
          {"memory",
           {{"processes_scanned", r.processes_memory_scanned},
            {"processes_read", c.processes_memory_read},
            {"processes_denied", c.processes_memory_denied},
            {"processes_skipped_own", c.processes_skipped_own},
            {"bytes_read", r.memory.bytes_read},
            {"bytes_yara", r.memory.bytes_yara},
            {"regions", r.memory.regions},
            {"regions_scanned", r.memory.regions_scanned},
            {"regions_unchanged", r.memory.regions_unchanged},
            {"regions_shared_cached", r.memory.regions_shared_cached},
            {"regions_unreadable", r.memory.regions_unreadable},
            {"regions_denied", r.memory.regions_denied},
            {"regions_over_budget", r.memory.regions_over_budget}}},
          {"processes_access_denied", c.processes_access_denied},
          {"denied_processes", c.denied},
          {"unreadable_paths", c.unreadable_paths},
          {"interrupted", c.interrupted},
          {"persistence_entries", r.persistence_entries},
          {"seconds", std::round(r.seconds * 1000) / 1000},
          {"notes", r.notes}};
}

HostScanReport HostScanner::RunPass(std::stop_token stop, const std::function<void()>& checkpoint) {
  HostScanReport rep;
  auto t0 = std::chrono::steady_clock::now();
  TimestampUs now = NowUs();
  std::vector<ProcessInfo> procs = ReadProcesses(rep, stop);
  // Inventory findings for every process first: a pass slowed (read-rate cap) or stopped in
  // the memory phase has already reported what the command lines and sockets give away.
  miner_pids_.clear();  // refilled from MinerEvidenceEvent while the processes are published
  const HostRef host{options_.host_ip, options_.hostname, now};
  for (const ProcessInfo& p : procs) {
    bus_.Publish(ProcessEvent{host, p, options_.high_cpu_percent});
    for (const RemoteEndpoint& socket : p.sockets) bus_.Publish(SocketEvent{host, p, socket});
  }
  if (checkpoint) checkpoint();
  ScanMemory(procs, stop, host, rep);
  ScanAutostart(MinerExecutables(procs, miner_pids_), stop, host, rep);
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

std::vector<ProcessInfo> HostScanner::ReadProcesses(HostScanReport& rep,
                                                    const std::stop_token& stop) {
  const HostScanOptions& o = options_;
  bool live = o.root.empty() || o.root == "/";
  pid_t self = getpid();
  std::vector<pid_t> pids = o.pids.empty() ? ListPids(o.root) : o.pids;
  ProcReader reader(ReadOptions{.root = o.root});
  std::vector<ProcessInfo> procs;
  for (pid_t pid : pids) {
    if (stop.stop_requested()) {  // executables are hashed here: seconds on a big host
      rep.coverage.interrupted = true;
      break;
    }
    if (live && pid == self) continue;
    auto p = reader.Read(pid);
    if (!p) {
      ++rep.processes_vanished;
      if (!o.pids.empty())
        rep.notes.push_back("pid " + std::to_string(pid) + ": " + p.error().message());
      continue;
    }
    if (p->kernel_thread) continue;
    procs.push_back(std::move(*p));
  }
  rep.processes = procs.size();
  if (o.cpu_sample_ms > 0 && live) SampleCpu(procs, o.root, o.cpu_sample_ms, stop);
  rep.coverage.interrupted |= stop.stop_requested();  // CPU shares cover a shorter sample

  uint64_t no_exe = 0;
  for (const auto& p : procs) {
    if (std::find(p.unreadable.begin(), p.unreadable.end(), "exe") != p.unreadable.end()) ++no_exe;
    if (p.access_denied) {
      ++rep.coverage.processes_access_denied;
      NameDenied(rep.coverage, p);
    }
  }
  if (no_exe > 0) {
    rep.notes.push_back(std::to_string(no_exe) +
                        " processes: executable not readable (needs root or CAP_SYS_PTRACE)");
  }
  return procs;
}

bool HostScanner::PublishMemoryScan(const ProcessInfo& p, const ProcessMemResult& mem,
                                    bool miner_evidence, const HostRef& host) {
  std::vector<PageDbHit> pages = PageMatches(mem, options_);
  if (!HasRuleHit(mem.hits) && pages.empty()) return false;
  bus_.Publish(MemoryScanEvent{host, p, mem, pages, miner_evidence});
  return ShowsMiner(mem, pages, miner_evidence);
}

void HostScanner::ScanMemory(const std::vector<ProcessInfo>& procs, const std::stop_token& stop,
                             const HostRef& host, HostScanReport& rep) {
  if (!memory_) return;
  const HostScanOptions& o = options_;
  bool live = o.root.empty() || o.root == "/";
  pid_t self = getpid();
  // Other minerwatch processes (the service while `host scan` runs, a second agent) hold our
  // compiled rules and would match every one of them, so their memory is not scanned: the same
  // executable file, or (a service still running after an upgrade replaced the binary) a
  // deleted file at our own path. Both need root to fake, and root could stop us anyway.
  struct stat self_exe {};
  bool have_self_exe = live && stat("/proc/self/exe", &self_exe) == 0;
  std::error_code ec;
  std::string self_path = live ? std::filesystem::read_symlink("/proc/self/exe", ec).string() : "";
  auto is_minerwatch = [&](const ProcessInfo& p) {
    if (p.exe_deleted && !self_path.empty() && p.exe == self_path) return true;
    struct stat st {};
    return have_self_exe && stat(("/proc/" + std::to_string(p.pid) + "/exe").c_str(), &st) == 0 &&
           st.st_dev == self_exe.st_dev && st.st_ino == self_exe.st_ino;
  };
  HostScanCoverage& cov = rep.coverage;
  uint64_t mem_unreadable = 0;
  memory_->BeginPass(stop);
  for (const ProcessInfo& p : procs) {
    if (stop.stop_requested()) {
      cov.interrupted = true;
      break;
    }
    if (live && (p.pid == self || is_minerwatch(p))) {
      ++cov.processes_skipped_own;
      continue;
    }
    ProcessMemResult mem = memory_->ScanProcess(p.pid, o.root, p.exe);
    ++rep.processes_memory_scanned;
    AddMemStats(rep.memory, mem.stats);
    cov.interrupted |= mem.interrupted;
    if (!mem.read_method.empty()) ++cov.processes_memory_read;
    if (mem.read_method.empty() && !mem.errors.empty()) ++mem_unreadable;
    if (mem.denied) {
      ++cov.processes_memory_denied;
      NameDenied(cov, p);
    }
    const bool miner_evidence = miner_pids_.contains(p.pid);
    if (PublishMemoryScan(p, mem, miner_evidence, host)) miner_pids_.insert(p.pid);
  }
  if (cov.processes_skipped_own > 0) {
    rep.notes.push_back(std::to_string(cov.processes_skipped_own) +
                        " other minerwatch processes: memory not scanned (they hold our rules)");
  }
  if (mem_unreadable > 0) {
    rep.notes.push_back(std::to_string(mem_unreadable) +
                        " processes: memory not readable (needs root or CAP_SYS_PTRACE)");
  }
}

void HostScanner::ScanAutostart(const std::vector<std::string>& miner_paths,
                                const std::stop_token& stop, const HostRef& host,
                                HostScanReport& rep) {
  const HostScanOptions& o = options_;
  if (!o.scan_persistence) return;
  if (stop.stop_requested()) {
    rep.coverage.interrupted = true;
    return;
  }
  PersistenceOptions po;
  po.root = o.root;
  po.miner_paths = miner_paths;
  po.check_system_binaries = o.check_system_binaries;
  po.stop = stop;
  po.with_hosts = o.autostart_hosts;
  std::vector<std::string> errors;
  PersistenceCoverage pc;
  std::vector<PersistenceHit> hits = ScanPersistence(po, &errors, &pc);
  // Entries the heuristics flagged; lines that only name hosts are intel's to judge.
  rep.persistence_entries = std::count_if(
      hits.begin(), hits.end(), [](const PersistenceHit& h) { return !h.reasons.empty(); });
  rep.coverage.unreadable_paths = std::move(pc.unreadable);
  rep.coverage.interrupted |= pc.interrupted;
  for (const auto& e : errors) rep.notes.push_back(e);
  for (const PersistenceHit& h : hits) {
    if (h.kind == kSystemBinaryKind) {
      bus_.Publish(ReplacedBinaryEvent{host, o.root, h});
    } else {
      bus_.Publish(AutostartEvent{host, o.root, h});
    }
  }
}

}  // namespace mw::hostscan
