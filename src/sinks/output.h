// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// The output seam: every place findings leave minerwatch (JSON Lines, the terminal table, the SIEM
// files, syslog, notifications, ...) is one Output in its own folder, registered by one line in
// src/sinks/builtin.cc, and reached the same way from the commands (`scan pcap`, `sensor`,
// `host scan`) and from `up`: an OutputSet started from the registry (output_set.h).
//
// Lifecycle: OutputSpec::start reads its section of the config (or the command's flags) and
// returns the running output, or nullptr when that output is not configured; Write takes
// batches; Flush is called when the producer is idle and before Stop; Stop drains and joins in
// bounded time. Outputs never throw; errors are Status and counters.
//
// Thread-safety: Write, Flush and Stop come from one thread at a time (the producer's, or the
// output's queue worker when OutputSpec::queue is set); stats() and Counters() from any thread.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/service_config.h"
#include "mw/core/result.h"
#include "store/store.h"

namespace mw {

// What a batch is. kDetected: new events (a new finding, new evidence or count, a reopen) —
// what Service::AddObserver sees. kLifecycle: a state change by a person or auto-resolve (mute,
// unmute, resolve) that carries no new event — Service::AddLifecycleObserver. An output that
// records history (SIEM) takes both; one that alerts on events (table, notify) treats them apart.
enum class ChangeKind : uint8_t { kDetected, kLifecycle };

struct ChangeBatch {
  ChangeKind kind = ChangeKind::kDetected;
  std::span<const store::StoredFinding> findings;
};

// The three counters every output keeps; /metrics exports them as
// minerwatch_output_{delivered,failed,dropped}_total{output="<name>"}.
struct OutputStats {
  std::atomic<uint64_t> delivered{0};  // handed to the destination (a line written, a message sent)
  std::atomic<uint64_t> failed{0};     // tried and lost (write error, out of retries, send error)
  std::atomic<uint64_t> dropped{0};    // refused untried (a full queue)
};

// A counter that says what it is (Snort PegInfo): exported at /metrics as it stands.
struct OutputCounter {
  std::string name;  // full metric name, "minerwatch_export_syslog_sent_total"
  std::string type;  // "counter" | "gauge"
  std::string help;  // one line
  double value = 0;
  std::string labels;  // k="v" or empty
};

class Output {
 public:
  virtual ~Output() = default;
  [[nodiscard]] virtual Status Write(const ChangeBatch& batch) = 0;
  [[nodiscard]] virtual Status Flush() { return Ok(); }
  virtual void Stop() {}
  // Counters beyond the three of stats(), appended to "out".
  virtual void Counters(std::vector<OutputCounter>& out) const { (void)out; }
  OutputStats& stats() { return stats_; }
  const OutputStats& stats() const { return stats_; }

 protected:
  OutputStats stats_;
};
using OutputPtr = std::unique_ptr<Output>;

// Where the outputs run: a command writes what it found and exits; `up` runs until stopped.
enum class OutputHost : uint8_t { kCommand, kService };

// The output flags of the commands (`--json`, `--table`); `up` has none.
struct CommandOutputFlags {
  std::string json_path;     // --json FILE; "-" = stdout
  bool json_append = false;  // the live sensor keeps what an earlier run wrote
  bool table = false;        // --table
  bool stdout_tty = false;
  // Without --json, findings go to stdout: a table on a terminal, JSON Lines otherwise.
  std::string JsonPath() const {
    return json_path.empty() && !stdout_tty && !table ? "-" : json_path;
  }
  bool Table() const { return table || (stdout_tty && JsonPath() != "-"); }
};

using OutputLogFn = std::function<void(const std::string&)>;

struct OutputContext {
  OutputHost host = OutputHost::kCommand;
  // export.*, notify.*: `up`'s config, or a command's config file; null = none.
  const config::ServiceConfig* config = nullptr;
  CommandOutputFlags flags;
  OutputLogFn log = [](const std::string&) {};
};

struct OutputSpec {
  std::string_view name;  // also the metric label and the log prefix
  std::string_view help;
  // 0: Write runs on the producer's thread, so it must not block (a local file, or a queue of
  // its own). N > 0: the OutputSet runs it on its own worker behind a bounded queue of N
  // findings, so a slow disk or a dead server never holds up ingest (overflow counted dropped).
  size_t queue = 0;
  // Reads the output's config; nullptr (not an error) when it is not configured.
  std::function<Result<OutputPtr>(const OutputContext&)> start;
};

// The outputs minerwatch knows, in registration order (the order they see each batch).
class OutputRegistry {
 public:
  void Add(OutputSpec spec) { specs_.push_back(std::move(spec)); }
  const std::vector<OutputSpec>& specs() const { return specs_; }

 private:
  std::vector<OutputSpec> specs_;
};

// src/sinks/builtin.cc: the one list.
void RegisterBuiltinOutputs(OutputRegistry& registry);

}  // namespace mw
