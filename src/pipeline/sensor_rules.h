// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// The rule set a sensor runs, from the service config's `rules` section (files as packs named by
// their stem, vars over Suricata's defaults, disabled sids, pack switches) plus extra files (the
// commands' --rules). Shared by `scan pcap`, `sensor` and `up`, so all three load the same way.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/service_config.h"
#include "mw/core/result.h"
#include "rules/rule_engine.h"

namespace mw {

// The pack a rule file is: its name without folder and extension ("emerging-coinminer").
std::string RulePackName(const std::string& path);

struct SensorRulesOptions {
  config::RulesConfig config;
  std::vector<std::string> extra_files;  // always on, whatever config.packs says
  std::function<void(const rules::SkippedRule&)> on_skip;
};

// Null when no rule file is configured (the ids_rules detector then stays idle).
[[nodiscard]] Result<std::shared_ptr<const rules::RuleEngine>> LoadSensorRules(
    const SensorRulesOptions& options);

}  // namespace mw
