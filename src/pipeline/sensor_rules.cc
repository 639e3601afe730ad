// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "pipeline/sensor_rules.h"

#include <filesystem>

namespace mw {

std::string RulePackName(const std::string& path) {
  return std::filesystem::path(path).stem().string();
}

Result<std::shared_ptr<const rules::RuleEngine>> LoadSensorRules(
    const SensorRulesOptions& options) {
  rules::RuleFilesOptions files;
  for (const std::string& f : options.config.files) {
    auto pack = options.config.packs.find(RulePackName(f));
    if (pack == options.config.packs.end() || pack->second) files.files.push_back(f);
  }
  files.files.insert(files.files.end(), options.extra_files.begin(), options.extra_files.end());
  if (files.files.empty()) return std::shared_ptr<const rules::RuleEngine>();
  for (const auto& [name, value] : options.config.vars) files.load.vars[name] = value;
  files.load.on_skip = options.on_skip;
  files.disabled_sids = options.config.disabled;
  files.inline_mode = options.config.simulate_ips;
  return rules::LoadRuleEngine(files);
}

}  // namespace mw
