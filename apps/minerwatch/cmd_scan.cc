// minerwatch — SPDX-License-Identifier: Apache-2.0
// `minerwatch scan pcap FILE...` and `minerwatch sensor --interface IF`: the network sensor.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.h"
#include "export/eve/eve_writer.h"
#include "pipeline/sensor.h"
#include "pipeline/sensor_rules.h"
#include "sinks/output_set.h"

namespace mw::cli {
namespace {

// -c/--config: the config file whose detectors.* and outputs (export.*, notify.*) this run
// applies.
void AddConfigFlag(CLI::App* cmd, std::string& path) {
  cmd->add_option("-c,--config", path,
                  "Config file (docs/config.md) whose detectors.<name>.* settings apply to this "
                  "run, e.g. `detectors: {pool_intel: {enabled: false}}` (`minerwatch detectors` "
                  "lists them), and whose export.* and notify.* outputs get the findings too");
}

struct OutputOptions {
  std::string json_path;   // JSON Lines destination; "-" = stdout
  std::string eve_path;    // Suricata EVE JSON alerts; empty = none
  bool table = false;      // force the table even when stdout is not a terminal
  bool quiet = false;      // no summary or progress
  bool append = false;     // keep earlier lines of --json FILE (the live sensor restarts)
  std::string stats_json;  // every counter as one JSON object, written at the end
  // The -c file's outputs (export.*, notify.*); null = none. Owned by the command's callback.
  const config::ServiceConfig* config = nullptr;
};

struct RuleFlags {
  std::vector<std::string> files;
  bool simulate_ips = false;
};

void AddRuleFlags(CLI::App* cmd, RuleFlags& rules, OutputOptions& out) {
  cmd->add_option("--rules", rules.files,
                  "Suricata/ET rule file to match (repeatable; docs/rules.md). Rules that cannot "
                  "run are named on stderr (FILE:LINE: sid N: reason) and the rest are loaded")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--simulate-ips", rules.simulate_ips,
                "Apply drop and reject rules as an inline IPS would (Suricata's --simulate-ips): "
                "their alerts say 'blocked' and the flow they matched is not inspected further");
  cmd->add_option("--eve", out.eve_path,
                  "Also write each rule alert as a Suricata EVE JSON record (event_type alert) "
                  "to this file, appended ('-' = stdout)");
}

// Loads the config's `rules` section (-c) and --rules into the engine options; prints each
// skipped rule and the summary on stderr.
void LoadRulesOrThrow(const RuleFlags& flags, const config::ServiceConfig* config, bool quiet,
                      SensorOptions& sensor) {
  SensorRulesOptions options;
  if (config != nullptr) options.config = config->rules;
  options.extra_files = flags.files;
  options.config.simulate_ips = options.config.simulate_ips || flags.simulate_ips;
  options.on_skip = [quiet](const rules::SkippedRule& s) {
    if (!quiet) std::fprintf(stderr, "%s\n", s.Text().c_str());
  };
  auto engine = LoadSensorRules(options);
  if (!engine) throw std::runtime_error(engine.error().message());
  if (!*engine) return;
  if (!quiet) std::fprintf(stderr, "rules: %s\n", (*engine)->rule_set().stats.Summary().c_str());
  sensor.engine.rules = std::move(*engine);
}

// --eve: every alert of the run goes to the writer, whichever pipeline thread raised it.
std::unique_ptr<eve::EveWriter> OpenEve(const OutputOptions& out, SensorOptions& sensor) {
  if (out.eve_path.empty()) return nullptr;
  auto writer = eve::EveWriter::Open(out.eve_path, out.append);
  if (!writer) throw std::runtime_error(writer.error().message());
  eve::EveWriter* w = writer->get();
  sensor.on_alert = [w](const rules::RuleAlertEvent& a) { w->Write(a); };
  return std::move(*writer);
}

void AddOutputFlags(CLI::App* cmd, OutputOptions& out, SensorOptions& sensor) {
  cmd->add_option("--json", out.json_path,
                  out.append ? "Append findings as JSON Lines to this file ('-' = stdout). Without "
                               "it, findings go to stdout: a table on a terminal, JSON Lines "
                               "otherwise."
                             : "Write findings as JSON Lines to this file, replacing it ('-' = "
                               "stdout). Without it, findings go to stdout: a table on a terminal, "
                               "JSON Lines otherwise.");
  cmd->add_flag("--table", out.table, "Print the findings table on stdout even if not a terminal");
  cmd->add_flag("-q,--quiet", out.quiet, "No progress or summary on stderr");
  cmd->add_option("--intel", sensor.intel_files,
                  "Extra intel list(s) to use for this run (format detected from content)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--intel-dir", sensor.intel_dir,
                  "Folder of imported intel lists (default: the state folder; see `intel import`)");
  cmd->add_option("--memcap", sensor.flow_memcap,
                  "Memory for per-flow state (parser buffers, reassembly), e.g. 256MiB; 0 = "
                  "unlimited. Under pressure the least promising flows stop buffering (counted)")
      ->transform(CLI::AsSizeValue(false))
      ->default_str("256MiB");
  cmd->add_option("--stats-json", out.stats_json,
                  "Write every sensor counter (packets, flows, memcap.*, ...) as one JSON object "
                  "to this file at the end");
}

// The outputs this run writes to (src/sinks/output.h), chosen from the output flags.
class Outputs {
 public:
  static std::unique_ptr<Outputs> Open(const OutputOptions& opt) {
    auto set = StartBuiltinOutputs({.host = OutputHost::kCommand,
                                    .config = opt.config,
                                    .flags = {.json_path = opt.json_path,
                                              .json_append = opt.append,
                                              .table = opt.table,
                                              .stdout_tty = isatty(STDOUT_FILENO) == 1}});
    if (!set) throw std::runtime_error(set.error().message());
    auto out = std::make_unique<Outputs>();
    out->set_ = std::move(*set);
    return out;
  }

  void Write(std::span<const Finding> findings) {
    found_ += findings.size();
    if (auto st = set_->WriteFindings(findings); !st) {
      std::fprintf(stderr, "minerwatch: output error: %s\n", st.error().message().c_str());
      failed_ = true;
    }
  }
  bool failed() const { return failed_; }
  uint64_t found() const { return found_; }

 private:
  std::unique_ptr<OutputSet> set_;
  uint64_t found_ = 0;
  bool failed_ = false;
};

void PrintSummary(const SensorStats& s) {
  // Throughput counts the bytes really captured: wire lengths of snap-cut frames overstate it.
  double gbit = s.seconds > 0 ? double(s.captured_bytes) * 8 / s.seconds / 1e9 : 0;
  std::fprintf(stderr,
               "summary: %llu packets, %.1f MB captured (%.1f MB on the wire), %llu flows, "
               "%llu findings, %llu parse errors, %llu kernel drops, %.2f s (%.2f Gbit/s)\n",
               static_cast<unsigned long long>(s.packets), double(s.captured_bytes) / 1e6,
               double(s.bytes) / 1e6, static_cast<unsigned long long>(s.flows),
               static_cast<unsigned long long>(s.findings),
               static_cast<unsigned long long>(s.parse_errors),
               static_cast<unsigned long long>(s.kernel_drops), s.seconds, gbit);
  // Per worker, so a worker falling behind (its ring full) shows where the loss is.
  for (const auto& c : s.captures) {
    std::fprintf(stderr,
                 "capture %s worker %d: %llu packets, %llu kernel drops, %llu interface drops\n",
                 c.interface.c_str(), c.worker, static_cast<unsigned long long>(c.packets),
                 static_cast<unsigned long long>(c.kernel_drops),
                 static_cast<unsigned long long>(c.interface_drops));
  }
  if (s.memcap_bytes == 0) return;
  std::fprintf(stderr,
               "flow memory: peak %.1f MB of %.1f MB memcap; %llu flows shed (%.1f MB), %llu "
               "evicted, %llu allocations refused\n",
               double(s.memcap_peak_bytes) / 1e6, double(s.memcap_bytes) / 1e6,
               static_cast<unsigned long long>(s.memcap_shed_flows),
               double(s.memcap_shed_bytes) / 1e6,
               static_cast<unsigned long long>(s.memcap_evicted_flows),
               static_cast<unsigned long long>(s.memcap_refused));
}

// Counter names are fixed ASCII identifiers ("memcap.shed_flows", "app.violation.<literal>").
bool WriteStatsJson(const std::string& path, const SensorStats& s) {
  FILE* f = path == "-" ? stdout : std::fopen(path.c_str(), "w");
  if (!f) return false;
  std::fprintf(f, "{\"seconds\": %.3f, \"findings\": %llu, \"kernel_drops\": %llu", s.seconds,
               static_cast<unsigned long long>(s.findings),
               static_cast<unsigned long long>(s.kernel_drops));
  for (const auto& [name, v] : s.counters)
    std::fprintf(f, ", \"%s\": %llu", name.c_str(), static_cast<unsigned long long>(v));
  std::fprintf(f, ", \"captures\": [");
  for (size_t i = 0; i < s.captures.size(); ++i) {
    const CaptureStats& c = s.captures[i];
    nlohmann::json j = {{"interface", c.interface},
                        {"worker", c.worker},
                        {"packets", c.packets},
                        {"kernel_drops", c.kernel_drops},
                        {"interface_drops", c.interface_drops}};
    std::fprintf(f, "%s%s", i ? ", " : "", j.dump().c_str());
  }
  std::fprintf(f, "]");
  std::fprintf(f, "}\n");
  const bool ok = std::ferror(f) == 0;
  return (f == stdout ? std::fflush(f) == 0 : std::fclose(f) == 0) && ok;
}

int RunScanPcap(const std::vector<std::string>& files, SensorOptions sensor,
                const OutputOptions& out_opt) {
  auto outputs = Outputs::Open(out_opt);
  auto eve = OpenEve(out_opt, sensor);
  sensor.progress = !out_opt.quiet && isatty(STDERR_FILENO) == 1;
  auto stats =
      RunFiles(files, sensor, [&](std::span<const Finding> findings) { outputs->Write(findings); });
  if (!stats) {
    std::fprintf(stderr, "minerwatch: error: %s\n", stats.error().message().c_str());
    return kExitError;
  }
  if (!out_opt.quiet) PrintSummary(*stats);
  if (!out_opt.stats_json.empty() && !WriteStatsJson(out_opt.stats_json, *stats)) {
    std::fprintf(stderr, "minerwatch: error: %s: cannot write stats\n", out_opt.stats_json.c_str());
    return kExitError;
  }
  if (outputs->failed()) return kExitError;
  return stats->findings > 0 ? kExitFindings : kExitClean;
}

int RunLiveSensor(const LiveOptions& live, SensorOptions sensor, const OutputOptions& out_opt) {
  auto outputs = Outputs::Open(out_opt);
  auto eve = OpenEve(out_opt, sensor);
  // Signals are taken by sigwait on this thread only; capture threads inherit the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  auto started = LiveSensor::Start(
      live, sensor, [&](std::span<const Finding> findings) { outputs->Write(findings); });
  if (!started) {
    std::fprintf(stderr, "minerwatch: error: %s\n", started.error().message().c_str());
    return kExitError;
  }
  if (!out_opt.quiet) {
    std::string names;
    for (const auto& i : live.interfaces) names += (names.empty() ? "" : ",") + i;
    std::fprintf(stderr, "minerwatch: capturing on %s (%d worker%s each)%s%s; Ctrl-C to stop\n",
                 names.c_str(), live.workers, live.workers == 1 ? "" : "s",
                 live.bpf.empty() ? "" : " with filter: ", live.bpf.c_str());
  }
  int sig = 0;
  sigwait(&stop_signals, &sig);
  (*started)->Stop();
  SensorStats stats = (*started)->stats();
  if (!out_opt.quiet) PrintSummary(stats);
  if (!out_opt.stats_json.empty() && !WriteStatsJson(out_opt.stats_json, stats)) {
    std::fprintf(stderr, "minerwatch: error: %s: cannot write stats\n", out_opt.stats_json.c_str());
    return kExitError;
  }
  if (outputs->failed()) return kExitError;
  return outputs->found() > 0 ? kExitFindings : kExitClean;
}

}  // namespace

void AddScanCommands(CLI::App& app, CommandContext& ctx) {
  auto* scan = app.add_subcommand("scan", "Scan captured traffic for mining");
  scan->require_subcommand(1);
  auto* pcap = scan->add_subcommand(
      "pcap",
      "Read pcap/pcapng files (several are merged in time order) and report mining: pool "
      "protocols on any port, pool domains in DNS/TLS/HTTP, connections to pool addresses");
  auto files = std::make_shared<std::vector<std::string>>();
  auto sensor = std::make_shared<SensorOptions>();
  auto out = std::make_shared<OutputOptions>();
  auto config_path = std::make_shared<std::string>();
  auto rule_flags = std::make_shared<RuleFlags>();
  AddConfigFlag(pcap, *config_path);
  pcap->add_option(
          "files", *files,
          "Capture files (pcap or pcapng); a pipe or FIFO (/dev/stdin) is read as a stream")
      ->required();
  pcap->add_option("--stream-wait", sensor->stream_wait_s,
                   "Seconds to wait for the first bytes of a pipe or FIFO before giving up")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  AddOutputFlags(pcap, *out, *sensor);
  AddRuleFlags(pcap, *rule_flags, *out);
  pcap->callback([&ctx, files, sensor, out, config_path, rule_flags] {
    const CommandConfig cfg = LoadCommandConfigOrThrow(*config_path);
    sensor->engine.detectors = cfg.detectors;
    out->config = cfg.outputs();
    LoadRulesOrThrow(*rule_flags, cfg.outputs(), out->quiet, *sensor);
    ctx.exit_code = RunScanPcap(*files, *sensor, *out);
    out->config = nullptr;
  });

  auto* live_cmd = app.add_subcommand(
      "sensor", "Capture live traffic and report mining until SIGINT/SIGTERM, then flush");
  auto live = std::make_shared<LiveOptions>();
  auto live_sensor = std::make_shared<SensorOptions>();
  auto live_out = std::make_shared<OutputOptions>();
  auto live_config = std::make_shared<std::string>();
  auto live_rules = std::make_shared<RuleFlags>();
  AddConfigFlag(live_cmd, *live_config);
  live->interfaces.clear();
  live_out->append = true;
  live_cmd->add_option("-i,--interface", live->interfaces,
                       "Interface to capture on (repeatable; 'any' = all; default any)");
  live_cmd->add_option("--bpf", live->bpf, "Capture filter in tcpdump syntax");
  live_cmd
      ->add_option("--workers", live->workers,
                   "Capture threads per interface, each with its own pipeline; the kernel splits "
                   "the interface's flows between them by flow hash (sensor.workers)")
      ->capture_default_str()
      ->check(CLI::Range(1, LiveOptions::kMaxWorkers));
  live_cmd
      ->add_option("--flush-interval", live_sensor->flush_interval_s,
                   "Seconds between deliveries of new or updated findings")
      ->capture_default_str();
  AddOutputFlags(live_cmd, *live_out, *live_sensor);
  AddRuleFlags(live_cmd, *live_rules, *live_out);
  live_cmd->callback([&ctx, live, live_sensor, live_out, live_config, live_rules] {
    if (live->interfaces.empty()) live->interfaces.push_back("any");
    const CommandConfig cfg = LoadCommandConfigOrThrow(*live_config);
    live_sensor->engine.detectors = cfg.detectors;
    live_out->config = cfg.outputs();
    LoadRulesOrThrow(*live_rules, cfg.outputs(), live_out->quiet, *live_sensor);
    ctx.exit_code = RunLiveSensor(*live, *live_sensor, *live_out);
    live_out->config = nullptr;
  });
}

}  // namespace mw::cli
