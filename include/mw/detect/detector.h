// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// The detector seam. Detectors subscribe to typed events on the EventBus and never see raw
// packets. Configuration is immutable and shared; per-flow state is keyed by FlowInfo::flow_id
// and dropped on flow::FlowEndEvent. Adding a detector: one directory under src/detectors/<name>/
// with Register<Name>(DetectorRegistry&), plus one line in src/detectors/builtin.cc.
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "mw/findings/finding.h"
#include "mw/parse/event_bus.h"

namespace mw {

namespace intel {
class IntelStore;
}
class ResolutionCache;
class FindingEmitter;

// Services a detector may use. All outlive the detector.
struct DetectorContext {
  FindingEmitter& findings;
  const intel::IntelStore& intel;
  const ResolutionCache& resolutions;
};

class Detector {
 public:
  virtual ~Detector() = default;
  virtual std::string_view name() const = 0;
  virtual void Subscribe(EventBus& bus) = 0;
};

struct DetectorSpec {
  std::string_view name;
  std::string_view description;
  std::function<std::unique_ptr<Detector>(DetectorContext&)> create;
};

class DetectorRegistry {
 public:
  void Add(DetectorSpec spec) { specs_.push_back(std::move(spec)); }
  const std::vector<DetectorSpec>& specs() const { return specs_; }

 private:
  std::vector<DetectorSpec> specs_;
};

// Defined in src/detectors/builtin.cc: the one list of built-in network detectors.
void RegisterBuiltinDetectors(DetectorRegistry& registry);

}  // namespace mw
