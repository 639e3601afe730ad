// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// `detectors.<name>.*`: the config file holds each section as written (config::DetectorsConfig);
// ResolveDetectorConfig checks it against the detectors' declared settings and gives the values
// detectors read. Errors name the file, line and column, like every other config error.
#include <map>
#include <string>

#include "config/service_config.h"
#include "mw/core/result.h"
#include "mw/detect/detector.h"

namespace mw::engine {

// Detector name → its validated settings (every declared key present, defaults filled in).
struct DetectorConfig {
  std::map<std::string, DetectorSettings, std::less<>> by_name;
  // The settings "spec" runs with: its section, or its defaults when the file has none.
  DetectorSettings For(const DetectorSpec& spec) const;
};

// Checks every section against "registry": unknown detectors and keys, wrong types and ranges
// are errors ("file:line:col: detectors.pool_intel.enabled must be true or false").
Result<DetectorConfig> ResolveDetectorConfig(const DetectorRegistry& registry,
                                             const config::ServiceConfig& config);
// The same for the built-in detectors.
Result<DetectorConfig> ResolveDetectorConfig(const config::ServiceConfig& config);

// The settings of "spec" as its defaults give them.
DetectorSettings DefaultSettings(const DetectorSpec& spec);

// docs/config.md's detector table, generated from the registry so the docs cannot drift.
std::string DetectorsMarkdown(const DetectorRegistry& registry);

}  // namespace mw::engine
