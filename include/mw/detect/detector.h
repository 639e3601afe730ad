// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// The detector seam. Detectors subscribe to typed events on the EventBus (from packets, from the
// host agent, from logs) and never see raw input. Each detector declares, in its DetectorSpec,
// the finding categories it emits (with their stage, severity and ATT&CK ids) and the settings of
// its config section `detectors.<name>.*`; the engine (src/engine/) validates the section, skips
// a detector whose `enabled` is false, and drives OnTick() from the input's clock.
//
// Adding a detector: one directory under src/detectors/<name>/ with Register<Name>(registry),
// plus one line in src/detectors/builtin.cc.
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mw/findings/finding.h"
#include "mw/parse/event_bus.h"

namespace mw {

namespace intel {
class IntelStore;
}
namespace rules {
class RuleEngine;
}
class ResolutionCache;
class FindingEmitter;

// A category a detector emits, with what the finding starts as. A detector may raise the
// severity of one finding when its evidence says so; the stage is the category's.
struct CategorySpec {
  std::string_view category;
  Stage stage = Stage::kPrecursor;
  Severity severity = Severity::kMedium;
  std::vector<std::string_view> attack;  // MITRE ATT&CK technique ids
};

// One key of `detectors.<name>.*`. Every detector also has `enabled` (bool, default true unless
// DetectorSpec::enabled_by_default says otherwise); it is not listed here.
struct SettingSpec {
  enum class Kind { kBool, kInt, kDuration, kString };
  std::string_view key;
  Kind kind = Kind::kBool;
  std::string_view default_value;  // as a user would write it: "true", "16", "60s"
  std::string_view description;
  int64_t min = 0;  // integers and durations (seconds)
  int64_t max = std::numeric_limits<int64_t>::max();
};

// The validated values of one detector's section (src/engine/detector_settings.h fills it).
class DetectorSettings {
 public:
  bool enabled() const { return enabled_; }
  bool Bool(std::string_view key) const { return Text(key) == "true"; }
  int64_t Int(std::string_view key) const;  // integers; durations in seconds
  const std::string& Text(std::string_view key) const;

  void set_enabled(bool on) { enabled_ = on; }
  void Set(std::string_view key, std::string value) {
    values_[std::string(key)] = std::move(value);
  }

 private:
  bool enabled_ = true;
  std::map<std::string, std::string, std::less<>> values_;
};

struct DetectorSpec;

// Services a detector may use; one per detector, all outlive it.
class DetectorContext {
 public:
  DetectorContext(const DetectorSpec& spec, const DetectorSettings& settings,
                  FindingEmitter& findings, const intel::IntelStore& intel,
                  const ResolutionCache& resolutions)
      : findings(findings),
        intel(intel),
        resolutions(resolutions),
        settings(settings),
        spec_(spec) {}

  // The finding for (category, host_ip, indicator), created on first use with the stage,
  // severity, ATT&CK ids and detector name the spec declares for "category". Every call bumps
  // count and last_seen; the caller adds evidence.
  Finding& Report(std::string_view category, std::string_view host_ip, std::string_view indicator,
                  TimestampUs ts);

  FindingEmitter& findings;  // lookups, and edits to a finding Report() returned
  const intel::IntelStore& intel;
  const ResolutionCache& resolutions;
  const DetectorSettings& settings;
  // The loaded Suricata rules (immutable, shared between pipelines), or null when none are.
  const rules::RuleEngine* rules = nullptr;
  const DetectorSpec& spec() const { return spec_; }

 private:
  const DetectorSpec& spec_;
};

class Detector {
 public:
  virtual ~Detector() = default;
  virtual std::string_view name() const = 0;
  virtual void Subscribe(EventBus& bus) = 0;
  // The engine's clock: packet time on a capture, the capture's time (or wall time when no
  // packet comes) live, so a windowed detector decides the same on a pcap and live. Called at
  // least once per second of that clock and once at the end of the input with kEndOfInput.
  virtual void OnTick(TimestampUs /*now*/) {}
};

inline constexpr TimestampUs kEndOfInput = std::numeric_limits<TimestampUs>::max();

struct DetectorSpec {
  std::string_view name;         // the config section: detectors.<name>
  std::string_view description;  // one line, for `minerwatch detectors` and docs/config.md
  std::vector<CategorySpec> categories;
  std::vector<SettingSpec> settings;
  bool enabled_by_default = true;
  std::function<std::unique_ptr<Detector>(DetectorContext&)> create;

  const CategorySpec* FindCategory(std::string_view category) const;
};

class DetectorRegistry {
 public:
  void Add(DetectorSpec spec) { specs_.push_back(std::move(spec)); }
  const std::vector<DetectorSpec>& specs() const { return specs_; }
  const DetectorSpec* Find(std::string_view name) const;

 private:
  std::vector<DetectorSpec> specs_;
};

// Defined in src/detectors/builtin.cc: the one list of built-in detectors (network and host).
void RegisterBuiltinDetectors(DetectorRegistry& registry);

}  // namespace mw
