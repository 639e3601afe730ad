// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// The network sensor assembled: packet source → PacketProcessor → parsers → the detection engine
// (translators, detectors, findings) → the caller's finding callback. Used by `scan pcap`, `sensor`
// and `up`.
//
// Thread-safety: RunFiles() runs on the calling thread. LiveSensor runs "workers" capture threads
// per interface, each with its own pipeline and engine, fed by a kernel fanout group; the findings
// callback is called from the sensor's flusher and from Stop(), serialised by the sensor.
#include <atomic>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "engine/detection_engine.h"
#include "flow/flow_config.h"
#include "mw/core/result.h"
#include "mw/findings/finding.h"
#include "rules/rule_alert.h"

namespace mw {

struct SensorOptions {
  std::vector<std::string> intel_files;  // extra intel lists (format auto-detected)
  std::string intel_dir;                 // imported lists; empty = default location
  bool progress = false;                 // progress lines on stderr for long work
  int flush_interval_s = 5;              // live: how often changed findings are delivered
  // flow.memcap: bytes of per-flow state for the whole sensor (0 = unlimited). Live capture
  // splits it evenly between its interface pipelines (docs/architecture.md, "Bounded memory").
  uint64_t flow_memcap = flow::FlowConfig::kDefaultMemcap;
  int stream_wait_s = 10;        // a pipe or FIFO that has sent nothing after this long is refused
  engine::EngineOptions engine;  // which detectors run, with which settings (and rules)
  // Every rule alert as it happens (EVE output). Live capture calls it from its capture threads,
  // one at a time per pipeline: the callee serialises if it has several.
  std::function<void(const rules::RuleAlertEvent&)> on_alert;
};

// One live capture worker: its share of one interface's traffic.
struct CaptureStats {
  std::string interface;
  int worker = 0;
  uint64_t packets = 0;          // packets it processed
  uint64_t kernel_drops = 0;     // lost because its ring was full (tp_drops)
  uint64_t interface_drops = 0;  // lost by the interface or driver (ps_ifdrop)
};

struct SensorStats {
  uint64_t packets = 0;
  uint64_t bytes = 0;           // wire bytes (lengths on the wire)
  uint64_t captured_bytes = 0;  // bytes actually captured (what a file holds, without headers)
  uint64_t flows = 0;
  uint64_t findings = 0;
  uint64_t parse_errors = 0;  // malformed packets + parser violations/anomalies
  uint64_t kernel_drops = 0;  // live capture only: summed over "captures"
  double seconds = 0;         // wall time spent
  // flow.memcap, summed over pipelines: the limit, the peak charged, and what was shed.
  uint64_t memcap_bytes = 0;
  uint64_t memcap_peak_bytes = 0;
  uint64_t memcap_shed_flows = 0;     // flows that stopped buffering to make room
  uint64_t memcap_shed_bytes = 0;     // bytes they (and evicted flows) gave back
  uint64_t memcap_evicted_flows = 0;  // idle promising flows ended to make room
  uint64_t memcap_refused = 0;        // allocations refused (that flow stopped buffering)
  // Every pipeline counter (PacketStats::Flatten names), summed over pipelines.
  std::vector<std::pair<std::string, uint64_t>> counters;
  std::vector<CaptureStats> captures;  // live capture only: per interface and worker
};

using FindingCallback = std::function<void(std::span<const Finding>)>;

// Reads capture files (merged in time order) to the end. Delivers every finding, final state,
// once at the end (and changed findings periodically if "on_findings" is set while progress runs).
Result<SensorStats> RunFiles(const std::vector<std::string>& files, const SensorOptions& options,
                             const FindingCallback& on_findings);

struct LiveOptions {
  std::vector<std::string> interfaces = {"any"};
  std::string bpf;
  // Capture threads per interface (sensor.workers, `sensor --workers`), each with its own
  // pipeline and engine; the kernel splits the interface's flows between them by flow hash.
  int workers = 1;
  static constexpr int kMaxWorkers = 64;
};

class LiveSensor {
 public:
  virtual ~LiveSensor() = default;
  // Starts capturing; findings go to "on_findings" every flush interval and at Stop(), merged by
  // id across pipelines (pipeline/finding_merger.h).
  static Result<std::unique_ptr<LiveSensor>> Start(const LiveOptions& live,
                                                   const SensorOptions& options,
                                                   FindingCallback on_findings);
  // Stops capture, ends all flows and delivers the final findings. Idempotent.
  virtual void Stop() = 0;
  virtual SensorStats stats() const = 0;
};

}  // namespace mw
