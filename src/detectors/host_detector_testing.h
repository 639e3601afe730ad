// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Test helpers for the host detectors: a DetectionEngine with the built-in detectors (some
// switched off) and no intel unless given, on whose bus a test publishes host events.
#include <initializer_list>
#include <memory>
#include <string_view>

#include "engine/detection_engine.h"
#include "hostscan/host_events.h"
#include "intel/intel_store.h"

namespace mw::testing {

class HostEngine {
 public:
  explicit HostEngine(std::initializer_list<std::string_view> off = {},
                      std::shared_ptr<const intel::IntelStore> intel = nullptr)
      : intel_(intel ? std::move(intel) : std::make_shared<const intel::IntelStore>()),
        engine_(*intel_, Options(off)) {}

  EventBus& bus() { return engine_.bus(); }
  FindingEmitter& findings() { return engine_.findings(); }
  const Finding* Find(std::string_view category) const {
    for (const Finding& f : engine_.findings().all()) {
      if (f.category == category) return &f;
    }
    return nullptr;
  }

  static constexpr hostscan::HostRef kHost{"10.0.0.5", "web-1", 1'700'000'000'000'000};

 private:
  static engine::EngineOptions Options(std::initializer_list<std::string_view> off) {
    engine::EngineOptions o;
    for (std::string_view name : off) {
      DetectorSettings s;
      s.set_enabled(false);
      o.detectors.by_name[std::string(name)] = s;
    }
    return o;
  }

  std::shared_ptr<const intel::IntelStore> intel_;
  engine::DetectionEngine engine_;
};

}  // namespace mw::testing
