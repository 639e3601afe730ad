// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "engine/detection_engine.h"

#include <algorithm>

#include "detectors/resolution_cache.h"

namespace mw::engine {

DetectionEngine::DetectionEngine(const intel::IntelStore& intel, const EngineOptions& options)
    : intel_(intel), resolutions_(std::make_unique<ResolutionCache>()), rules_(options.rules) {
  // Translators first: detectors must see what they record (a DNS answer before the connection).
  TranslatorRegistry translators;
  RegisterBuiltinTranslators(translators);
  TranslatorContext tctx{*resolutions_, intel_};
  for (const auto& t : translators.specs()) t.subscribe(bus_, tctx);

  const DetectorRegistry* registry = options.registry;
  if (registry == nullptr) {
    RegisterBuiltinDetectors(builtin_);
    registry = &builtin_;
  }
  // Contexts hold references into settings_, so it is sized once and never grows.
  settings_.reserve(registry->specs().size());
  for (const DetectorSpec& spec : registry->specs()) {
    settings_.push_back(options.detectors.For(spec));
    if (!settings_.back().enabled()) continue;
    contexts_.push_back(std::make_unique<DetectorContext>(spec, settings_.back(), findings_, intel_,
                                                          *resolutions_));
    contexts_.back()->rules = rules_.get();
    detectors_.push_back(spec.create(*contexts_.back()));
    detectors_.back()->Subscribe(bus_);
    enabled_names_.emplace_back(spec.name);
  }
}

DetectionEngine::~DetectionEngine() = default;

bool DetectionEngine::IsEnabled(std::string_view detector) const {
  return std::find(enabled_names_.begin(), enabled_names_.end(), detector) != enabled_names_.end();
}

void DetectionEngine::Tick() {
  for (auto& d : detectors_) d->OnTick(now_);
  // The next whole second after now: ticks come at most once per second of input time, however
  // sparse or dense the packets are.
  next_tick_ = (now_ / kTickUs + 1) * kTickUs;
}

void DetectionEngine::Finish() {
  if (finished_) return;
  finished_ = true;
  for (auto& d : detectors_) d->OnTick(kEndOfInput);
}

}  // namespace mw::engine
