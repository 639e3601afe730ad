// minerwatch — SPDX-License-Identifier: Apache-2.0
// "minerwatch host scan|remediate|restore|add-binary" and "intel add-binary": the host agent's
// CLI. Thin: everything lives in src/hostscan (mw_hostscan).
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <stop_token>
#include <thread>

#include "commands.h"
#include "hostscan/detector_switches.h"
#include "hostscan/host_agent.h"
#include "hostscan/page_db.h"
#include "hostscan/remediate.h"
#include "intel/intel_loader.h"
#include "sinks/output_set.h"

namespace mw::cli {
namespace {

using hostscan::HostScanOptions;

struct HostScanArgs {
  std::string root = "/";
  std::vector<int> pids;
  std::vector<std::string> rules;
  bool no_builtin_rules = false;
  bool no_memory = false;
  bool no_persistence = false;
  bool no_system_binaries = false;
  bool no_intel = false;
  std::string pagedb;
  std::string state_dir;
  std::string json_path;
  std::string summary_json_path;
  std::string config_path;  // -c: the config file whose detectors.* and outputs apply
  bool table = false;
  bool quiet = false;
  int cpu_sample_ms = 1000;
  double high_cpu = 50;
  uint64_t max_process_mb = 512;
  uint64_t max_pass_mb = 4096;
};

std::string StateDir(const std::string& flag) {
  return flag.empty() ? hostscan::DefaultStateDir() : flag;
}

// While alive, SIGINT and SIGTERM stop the scan (within one read chunk) instead of killing it:
// what was found is still written, and the summary says the scan was stopped (exit 3, or 1).
// A thread waits for the signals, so no stop request is made from a signal handler.
class StopOnSignal {
 public:
  StopOnSignal() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
    waiter_ = std::thread([this] {
      while (!done_) {
        timespec ts{0, 100'000'000};
        int sig = sigtimedwait(&set_, nullptr, &ts);
        if (sig == SIGINT || sig == SIGTERM) {
          std::fprintf(stderr, "minerwatch: stopping the scan (signal %d)\n", sig);
          source_.request_stop();
          return;
        }
      }
    });
  }
  ~StopOnSignal() {
    done_ = true;
    waiter_.join();
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  std::stop_token token() const { return source_.get_token(); }

 private:
  sigset_t set_{}, old_{};
  std::stop_source source_;
  std::atomic<bool> done_{false};
  std::thread waiter_;
};

void PrintSummary(const hostscan::HostScanReport& rep, size_t findings) {
  for (const auto& n : rep.notes) std::fprintf(stderr, "note: %s\n", n.c_str());
  const hostscan::HostScanCoverage& c = rep.coverage;
  std::fprintf(
      stderr,
      "summary: %llu processes (%llu memory-scanned, %llu memory read, %llu memory denied, "
      "%llu exited mid-scan), %.1f MB read, %.1f MB to YARA, %llu regions unchanged, %llu "
      "shared regions cached, %llu persistence entries, %zu findings, %.2f s\n",
      (unsigned long long)rep.processes, (unsigned long long)rep.processes_memory_scanned,
      (unsigned long long)c.processes_memory_read, (unsigned long long)c.processes_memory_denied,
      (unsigned long long)rep.processes_vanished, rep.memory.bytes_read / 1048576.0,
      rep.memory.bytes_yara / 1048576.0, (unsigned long long)rep.memory.regions_unchanged,
      (unsigned long long)rep.memory.regions_shared_cached,
      (unsigned long long)rep.persistence_entries, findings, rep.seconds);
  std::vector<std::string> why = hostscan::IncompleteReasons(rep);
  if (why.empty()) {
    std::fprintf(stderr, "coverage: complete\n");
    return;
  }
  std::fprintf(stderr, "coverage: INCOMPLETE, this scan could not look everywhere:\n");
  for (const auto& w : why) std::fprintf(stderr, "  - %s\n", w.c_str());
  if (!c.denied.empty()) {
    std::string names;
    for (const auto& d : c.denied) names += (names.empty() ? "" : ", ") + d;
    uint64_t total = std::max(c.processes_memory_denied, c.processes_access_denied);
    if (total > c.denied.size()) names += ", ...";
    std::fprintf(stderr, "  not readable: %s\n", names.c_str());
  }
}

void WriteSummaryJson(const std::string& path, const hostscan::HostScanReport& rep, size_t findings,
                      int exit_code) {
  nlohmann::json j = hostscan::ReportJson(rep);
  j["findings"] = findings;
  j["exit_code"] = exit_code;
  std::ofstream out(path, std::ios::trunc);
  out << j.dump() << "\n";
  if (!out) throw std::runtime_error("cannot write " + path);
}

int RunHostScan(const HostScanArgs& a) {
  HostScanOptions o;
  o.root = a.root;
  for (int p : a.pids) o.pids.push_back(pid_t(p));
  o.scan_memory = !a.no_memory;
  o.scan_persistence = !a.no_persistence && a.pids.empty();
  o.check_system_binaries = !a.no_system_binaries;
  o.cpu_sample_ms = a.cpu_sample_ms;
  o.high_cpu_percent = a.high_cpu;
  o.memory.max_bytes_per_process = a.max_process_mb << 20;
  o.memory.max_bytes_per_pass = a.max_pass_mb << 20;
  o.memory.one_shot = true;  // one pass: no region hashes kept for a next pass
  // detectors.<name>.enabled from -c: switched-off detectors report nothing and their passes
  // do not run.
  const CommandConfig cfg = LoadCommandConfigOrThrow(a.config_path);
  const engine::DetectorConfig& detectors = cfg.detectors;
  hostscan::ApplyDetectorSwitches(detectors, o);
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) == 0) o.hostname = host;
  std::string state = StateDir(a.state_dir);
  if (o.scan_memory) {
    // The prefilter's Hyperscan databases are kept in the state folder: compiling them costs a
    // one-shot scan of a miner more CPU than any other start-up step.
    auto rules = match::YaraRules::Load(!a.no_builtin_rules, a.rules, state + "/cache");
    if (!rules) throw std::runtime_error("rules: " + rules.error().message());
    if (auto w = (*rules)->PrefilterWarning(); !w.empty())
      std::fprintf(stderr, "minerwatch: %s\n", w.c_str());
    o.rules = *rules;
  }
  std::string pagedb_path = a.pagedb.empty() ? state + "/pagedb.txt" : a.pagedb;
  auto db = hostscan::PageDb::Load(pagedb_path);
  if (!db) throw std::runtime_error("page database: " + db.error().message());
  o.page_db = std::make_shared<const hostscan::PageDb>(std::move(*db));
  std::shared_ptr<const intel::IntelStore> store;
  if (!a.no_intel && hostscan::DetectorOn(detectors, "pool_intel")) {
    auto loaded = intel::LoadIntel(intel::IntelOptions{});
    if (loaded) {
      store = std::make_shared<const intel::IntelStore>(std::move(*loaded));
    } else if (!a.quiet) {
      std::fprintf(stderr, "minerwatch: intel not loaded (%s); sockets not checked\n",
                   loaded.error().message().c_str());
    }
  }

  hostscan::HostAgent agent(o, store, engine::EngineOptions{.detectors = detectors});
  hostscan::HostScanReport rep;
  {
    StopOnSignal stop;
    rep = agent.RunPass(stop.token());
  }
  std::vector<Finding> findings = agent.findings().TakeChanged();

  // Output as the sensor does (the same outputs): JSON Lines to --json (or stdout when piped), a
  // table on a terminal, and what the -c file's export.* and notify.* configure.
  auto outputs = StartBuiltinOutputs(
      {.host = OutputHost::kCommand,
       .config = cfg.outputs(),
       .flags = {
           .json_path = a.json_path, .table = a.table, .stdout_tty = isatty(STDOUT_FILENO) == 1}});
  if (!outputs) throw std::runtime_error(outputs.error().message());
  bool failed = !(*outputs)->WriteFindings(findings) || !(*outputs)->Flush();
  (*outputs)->Stop();
  // Recorded for `host remediate FINDING_ID`.
  if (!findings.empty()) {
    if (auto s = hostscan::AppendStateFindings(state + "/host-findings.jsonl", findings); !s) {
      std::fprintf(stderr, "minerwatch: warning: %s\n", s.error().message().c_str());
    }
  }
  if (!a.quiet) PrintSummary(rep, findings.size());
  int code = failed                                      ? kExitError
             : !findings.empty()                         ? kExitFindings
             : !hostscan::IncompleteReasons(rep).empty() ? kExitIncomplete
                                                         : kExitClean;
  if (!a.summary_json_path.empty())
    WriteSummaryJson(a.summary_json_path, rep, findings.size(), code);
  return code;
}

void AddAddBinary(CLI::App* parent, CommandContext& ctx) {
  struct Args {
    std::string file, family, db, state_dir;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = parent->add_subcommand(
      "add-binary",
      "Add a miner binary's code-page hashes (executable ELF segments, 4 KiB pages as mapped) "
      "to the page database used by `host scan`");
  cmd->add_option("file", args->file, "ELF binary of a known miner build")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--family", args->family, "Miner family name, one word (e.g. xmrig)")->required();
  cmd->add_option("--db", args->db, "Page database (default: <state-dir>/pagedb.txt)");
  cmd->add_option("--state-dir", args->state_dir, "State folder (default $MINERWATCH_STATE_DIR)");
  cmd->callback([args, &ctx] {
    std::string db = args->db.empty() ? StateDir(args->state_dir) + "/pagedb.txt" : args->db;
    if (auto s = hostscan::AddBinaryToPageDb(args->file, args->family, db); !s) {
      throw std::runtime_error(s.error().message());
    }
    auto loaded = hostscan::PageDb::Load(db);
    uint32_t pages = 0;
    if (loaded && !loaded->binaries().empty()) {
      for (const auto& b : loaded->binaries()) {
        if (b.name == std::filesystem::path(args->file).filename().string()) pages = b.pages;
      }
    }
    std::printf("added %s (family %s, %u code pages) to %s\n", args->file.c_str(),
                args->family.c_str(), pages, db.c_str());
    ctx.exit_code = kExitClean;
  });
}

}  // namespace

void AddHostCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* host = app.add_subcommand(
      "host", "Inspect this host (or a mounted image) for miners: processes, memory, autostart");
  host->require_subcommand(1);

  auto a = std::make_shared<HostScanArgs>();
  CLI::App* scan = host->add_subcommand(
      "scan",
      "One pass: processes (command line, deleted/fileless executables, CPU, sockets vs intel), "
      "memory YARA scan with minerwatch's rules plus yours, code-page hash matching, and "
      "autostart entries. Without root or CAP_SYS_PTRACE it scans what it may and says what it "
      "could not.\n"
      "Exit status: 0 nothing found and coverage complete; 1 findings (whatever the coverage); "
      "2 error; 3 nothing found but coverage was partial: a process's memory, executable or "
      "open files could not be read for lack of permission, an autostart file or folder exists "
      "but could not be read or listed (e.g. /var/spool/cron/crontabs), or the scan was "
      "stopped. Exited processes, the --max-*-mb budgets and other minerwatch processes do not "
      "make a scan partial. The summary on stderr and --summary-json name what was missed. "
      "SIGINT or SIGTERM stop a scan early: it still writes what it found.");
  scan->add_option(
      "-c,--config", a->config_path,
      "Config file (docs/config.md) whose detectors.<name>.* settings apply, e.g. "
      "`detectors: {memory_rules: {enabled: false}}` (`minerwatch detectors` lists them), and "
      "whose export.* and notify.* outputs get the findings too");
  scan->add_option("--root", a->root, "Inspect a mounted image or fixture root instead of /");
  scan->add_option("--pid", a->pids, "Only these processes (repeatable; skips autostart checks)");
  scan->add_option("--rules", a->rules, "Extra YARA rule file or folder (repeatable)");
  scan->add_flag("--no-builtin-rules", a->no_builtin_rules, "Do not load minerwatch's own rules");
  scan->add_flag("--no-memory", a->no_memory, "Skip the memory scan");
  scan->add_flag("--no-persistence", a->no_persistence, "Skip autostart checks");
  scan->add_flag("--no-system-binaries", a->no_system_binaries,
                 "Skip comparing system binaries with dpkg md5sums");
  scan->add_flag("--no-intel", a->no_intel, "Do not check sockets and pool hosts against intel");
  scan->add_option("--pagedb", a->pagedb, "Page-hash database (default <state-dir>/pagedb.txt)");
  scan->add_option("--state-dir", a->state_dir,
                   "State folder (default $MINERWATCH_STATE_DIR or /var/lib/minerwatch)");
  scan->add_option("--json", a->json_path,
                   "Write findings as JSON Lines to this file ('-' = stdout)");
  scan->add_option("--summary-json", a->summary_json_path,
                   "Write the pass summary and its coverage (what could not be read, and why) "
                   "as one JSON object to this file (docs/findings.md)");
  scan->add_flag("--table", a->table, "Print the findings table even if not a terminal");
  scan->add_flag("-q,--quiet", a->quiet, "No notes or summary on stderr");
  scan->add_option("--cpu-sample-ms", a->cpu_sample_ms, "CPU sampling interval (0 = off)")
      ->check(CLI::Range(0, 60000));
  scan->add_option("--high-cpu", a->high_cpu, "CPU percent (100 = one core) counted as high")
      ->check(CLI::Range(1.0, 100000.0));
  scan->add_option("--max-process-mb", a->max_process_mb, "Memory read budget per process (MiB)")
      ->check(CLI::Range(1, 1 << 20));
  scan->add_option("--max-pass-mb", a->max_pass_mb, "Memory read budget per pass (MiB)")
      ->check(CLI::Range(1, 1 << 24));
  scan->callback([a, &ctx] { ctx.exit_code = RunHostScan(*a); });

  struct RemArgs {
    std::string id, state_dir, root = "/";
    bool apply = false;
  };
  auto r = std::make_shared<RemArgs>();
  CLI::App* rem = host->add_subcommand(
      "remediate",
      "Act on one host finding: stop the process tree, quarantine the executable, disable the "
      "autostart entry. Dry run unless --apply; every action goes to <state-dir>/audit.jsonl.");
  rem->add_option("finding_id", r->id, "Finding id from `host scan`")->required();
  rem->add_flag("--apply", r->apply, "Really do it (default: print the plan only)");
  rem->add_option("--state-dir", r->state_dir, "State folder");
  rem->add_option("--root", r->root, "Root the finding was made under (autostart files only)");
  rem->callback([r, &ctx] {
    std::string state = StateDir(r->state_dir);
    auto all = hostscan::LoadStateFindings(state + "/host-findings.jsonl");
    if (!all) throw std::runtime_error(all.error().message());
    const nlohmann::json* found = nullptr;
    for (const auto& f : *all) {
      if (f.value("id", "") == r->id) found = &f;  // the last line per id is the newest
    }
    if (!found) throw std::runtime_error("no host finding with id " + r->id);
    auto actions = hostscan::Remediate(
        *found, hostscan::RemediateOptions{.state_dir = state, .root = r->root, .apply = r->apply});
    if (!actions) throw std::runtime_error(actions.error().message());
    bool failed = false;
    for (const auto& act : *actions) {
      std::printf("%-20s %-60s %s\n", act.action.c_str(), act.target.c_str(), act.result.c_str());
      if (act.result.starts_with("failed")) failed = true;
    }
    if (!r->apply) std::printf("(dry run: add --apply to act)\n");
    ctx.exit_code = failed ? kExitError : kExitClean;
  });

  auto q = std::make_shared<std::string>();
  CLI::App* restore = host->add_subcommand(
      "restore", "Put a quarantined executable back (<state-dir>/quarantine/<sha256>)");
  restore->add_option("entry", *q, "Quarantine entry folder")->required();
  restore->callback([q, &ctx] {
    if (auto s = hostscan::RestoreQuarantined(*q); !s)
      throw std::runtime_error(s.error().message());
    std::printf("restored %s\n", q->c_str());
    ctx.exit_code = kExitClean;
  });

  AddAddBinary(host, ctx);
  // Also as `intel add-binary` when the intel family exists (it is registered first).
  try {
    if (CLI::App* intel_cmd = app.get_subcommand("intel")) AddAddBinary(intel_cmd, ctx);
  } catch (const CLI::OptionNotFound&) {
    // No "intel" family in this build: `host add-binary` still works.
  }
}

}  // namespace mw::cli
