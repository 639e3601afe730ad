// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// The host agent as `host scan` and the service run it: a HostScanner that publishes what it
// observes on a DetectionEngine's bus, and the engine's enabled host detectors
// (src/detectors/<d>/) that decide the findings, into the engine's emitter.
//
// Thread-compatible: one HostAgent per thread (HostMonitor runs it on its own thread).
#include <functional>
#include <memory>
#include <stop_token>

#include "engine/detection_engine.h"
#include "hostscan/host_scanner.h"
#include "intel/intel_store.h"

namespace mw::hostscan {

class HostAgent {
 public:
  // "intel" null: no intel (host intel checks find nothing). "engine" holds the
  // detectors.<name>.* settings; apply the same config to "scan" with ApplyDetectorSwitches so
  // the passes a switched-off detector needs do not run.
  HostAgent(HostScanOptions scan, std::shared_ptr<const intel::IntelStore> intel,
            const engine::EngineOptions& engine);
  ~HostAgent();

  // One pass (HostScanner::RunPass); the findings it made or changed are in findings().
  HostScanReport RunPass(std::stop_token stop = {}, const std::function<void()>& checkpoint = {});
  FindingEmitter& findings() { return engine_.findings(); }
  HostScanner& scanner() { return scanner_; }

 private:
  std::shared_ptr<const intel::IntelStore> intel_;  // before engine_: it holds a reference
  engine::DetectionEngine engine_;
  HostScanner scanner_;
};

}  // namespace mw::hostscan
