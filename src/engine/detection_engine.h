// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// The one detection engine every source feeds: the sensor (packets), the host agent (processes,
// memory, autostart entries) and the log readers publish events on its bus; translators run
// first, then the enabled detectors, which report findings into its emitter. The engine also
// keeps the clock detectors' windows run on (Detector::OnTick).
//
// Thread-compatible: one engine per pipeline thread; a caller that shares one guards it.
#include <memory>
#include <string>
#include <vector>

#include "engine/detector_settings.h"
#include "findings/finding_emitter.h"
#include "mw/detect/detector.h"
#include "mw/detect/translator.h"
#include "mw/parse/event_bus.h"

namespace mw::engine {

struct EngineOptions {
  // Validated `detectors.<name>.*` sections; a detector without one runs on its defaults.
  DetectorConfig detectors;
  // The detectors to build from; null = the built-in ones (RegisterBuiltinDetectors).
  const DetectorRegistry* registry = nullptr;
  // Suricata rules for the ids_rules detector; shared read-only by every engine that has them.
  std::shared_ptr<const rules::RuleEngine> rules;
};

class DetectionEngine {
 public:
  // "intel" must outlive the engine.
  DetectionEngine(const intel::IntelStore& intel, const EngineOptions& options);
  ~DetectionEngine();
  DetectionEngine(const DetectionEngine&) = delete;
  DetectionEngine& operator=(const DetectionEngine&) = delete;

  EventBus& bus() { return bus_; }
  FindingEmitter& findings() { return findings_; }
  const FindingEmitter& findings() const { return findings_; }

  // Moves the clock to "now" (never back) and ticks the detectors once per second of it. Cheap
  // enough to call per packet.
  void AdvanceTo(TimestampUs now) {
    if (now > now_) now_ = now;
    if (now_ >= next_tick_) Tick();
  }
  // End of input: every detector gets OnTick(kEndOfInput) so open windows close. Idempotent.
  void Finish();
  TimestampUs now() const { return now_; }

  // Names of the detectors that run (enabled in config), in registration order.
  const std::vector<std::string>& enabled() const { return enabled_names_; }
  bool IsEnabled(std::string_view detector) const;

  static constexpr TimestampUs kTickUs = 1'000'000;

 private:
  void Tick();

  const intel::IntelStore& intel_;
  DetectorRegistry builtin_;
  EventBus bus_;
  std::unique_ptr<ResolutionCache> resolutions_;
  std::shared_ptr<const rules::RuleEngine> rules_;
  FindingEmitter findings_;
  std::vector<DetectorSettings> settings_;
  std::vector<std::unique_ptr<DetectorContext>> contexts_;
  std::vector<std::unique_ptr<Detector>> detectors_;
  std::vector<std::string> enabled_names_;
  TimestampUs now_ = 0;
  TimestampUs next_tick_ = 0;
  bool finished_ = false;
};

}  // namespace mw::engine
