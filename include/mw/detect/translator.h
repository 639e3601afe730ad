// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// The event-translator seam: code that turns events into other events or shared state before
// any detector sees them (a DNS answer into the resolution cache, Stratum carried over HTTP into
// Stratum events, and next log records into the events packets give). Translators subscribe
// before detectors, in registration order, so detectors see what they produced.
//
// Adding a translator: one file (next to the events it reads) with a Subscribe function, plus
// one line in src/engine/builtin_translators.cc.
#include <functional>
#include <string_view>
#include <vector>

#include "mw/parse/event_bus.h"

namespace mw {

namespace intel {
class IntelStore;
}
class ResolutionCache;

struct TranslatorContext {
  ResolutionCache& resolutions;  // written by translators, read by detectors
  const intel::IntelStore& intel;
};

struct TranslatorSpec {
  std::string_view name;
  std::string_view description;
  std::function<void(EventBus&, TranslatorContext&)> subscribe;
};

class TranslatorRegistry {
 public:
  void Add(TranslatorSpec spec) { specs_.push_back(std::move(spec)); }
  const std::vector<TranslatorSpec>& specs() const { return specs_; }

 private:
  std::vector<TranslatorSpec> specs_;
};

// Defined in src/engine/builtin_translators.cc: the one list of built-in translators.
void RegisterBuiltinTranslators(TranslatorRegistry& registry);

}  // namespace mw
