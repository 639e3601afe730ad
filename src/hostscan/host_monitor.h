// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// The periodic host loop minerwatch's main job runs beside the sensor. One background thread
// runs a HostAgent pass every "interval" at low priority (nice 19, idle I/O class, a memory
// read-rate cap); unchanged memory regions are not rescanned. Changed findings go to the sink:
// the inventory findings as soon as the inventory is done, the rest at the end of the pass.
// Stop() is prompt: it fires the pass's stop token, which cuts short the rate limiter's and the
// CPU sample's waits and ends the pass within one read chunk; what the pass found so far still
// reaches the sink, and the pass is counted as incomplete, never as clean.
//
// Thread-safety: Start/Stop/stats from any one controlling thread; the sink is called from the
// monitor thread only.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <stop_token>
#include <thread>

#include "hostscan/host_agent.h"
#include "mw/sink/finding_sink.h"

namespace mw::hostscan {

struct HostMonitorOptions {
  HostScanOptions scan;
  // The detectors' settings (detectors.<name>.*) and the intel they check (null: none).
  engine::EngineOptions engine;
  std::shared_ptr<const intel::IntelStore> intel;
  std::chrono::milliseconds interval{std::chrono::minutes(5)};
  bool low_priority = true;
  // Applied to scan.memory when it has no cap of its own.
  uint64_t default_read_rate_bytes_per_sec = 64ull << 20;
  // Compare system binaries with dpkg md5sums on every Nth pass only (first pass included).
  uint32_t system_binaries_every = 12;
};

struct HostMonitorStats {
  uint64_t passes = 0;             // finished or stopped
  uint64_t passes_incomplete = 0;  // of those: IncompleteReasons() not empty
  bool pass_running = false;
  int64_t pass_started_at_s = 0;  // unix seconds of the running (or last) pass
  double last_pass_seconds = 0;
  double cpu_seconds = 0;  // CPU time used by the monitor thread
  HostScanReport last_report;
};

class HostMonitor {
 public:
  // "sink" must outlive the monitor. "on_report" (optional) sees each pass's report.
  HostMonitor(HostMonitorOptions options, FindingSink* sink,
              std::function<void(const HostScanReport&)> on_report = {});
  ~HostMonitor();  // Stops.

  Status Start();
  // Asks the running pass to stop without waiting (Stop() waits); lets the caller stop other
  // producers meanwhile.
  void RequestStop();
  void Stop();
  // Runs one pass on the calling thread (tests, `host scan` reuse).
  HostScanReport RunOnce();
  HostMonitorStats stats() const;

 private:
  void Loop();

  HostMonitorOptions options_;
  FindingSink* sink_;
  std::function<void(const HostScanReport&)> on_report_;
  HostAgent agent_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  std::stop_source stop_;
  HostMonitorStats stats_;
};

}  // namespace mw::hostscan
