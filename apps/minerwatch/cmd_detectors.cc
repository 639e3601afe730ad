// minerwatch — SPDX-License-Identifier: Apache-2.0
// `minerwatch detectors`: every detector, its switch, settings and the categories it emits; and
// the `-c/--config` loader the scan, sensor and host-scan commands share.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "commands.h"
#include "config/service_config.h"
#include "engine/detector_settings.h"

namespace mw::cli {
namespace {

const char* KindName(SettingSpec::Kind k) {
  switch (k) {
    case SettingSpec::Kind::kBool:
      return "bool";
    case SettingSpec::Kind::kInt:
      return "integer";
    case SettingSpec::Kind::kDuration:
      return "duration";
    case SettingSpec::Kind::kString:
      return "string";
  }
  return "";
}

nlohmann::json RegistryJson(const DetectorRegistry& registry,
                            const engine::DetectorConfig& config) {
  nlohmann::json all = nlohmann::json::array();
  for (const auto& spec : registry.specs()) {
    nlohmann::json cats = nlohmann::json::array();
    for (const auto& c : spec.categories) {
      cats.push_back({{"category", c.category},
                      {"stage", int(c.stage)},
                      {"severity", SeverityName(c.severity)},
                      {"attack", std::vector<std::string>(c.attack.begin(), c.attack.end())}});
    }
    nlohmann::json settings = nlohmann::json::array();
    DetectorSettings values = config.For(spec);
    for (const auto& s : spec.settings) {
      settings.push_back({{"key", s.key},
                          {"type", KindName(s.kind)},
                          {"default", s.default_value},
                          {"value", values.Text(s.key)},
                          {"description", s.description}});
    }
    all.push_back({{"name", spec.name},
                   {"description", spec.description},
                   {"enabled", values.enabled()},
                   {"categories", cats},
                   {"settings", settings}});
  }
  return all;
}

void PrintTable(const nlohmann::json& all) {
  for (const auto& d : all) {
    std::printf("%-20s %-8s %s\n", d["name"].get<std::string>().c_str(),
                d["enabled"].get<bool>() ? "enabled" : "off",
                d["description"].get<std::string>().c_str());
    for (const auto& c : d["categories"]) {
      std::printf("%-29s emits %s (stage %d, %s)\n", "", c["category"].get<std::string>().c_str(),
                  c["stage"].get<int>(), c["severity"].get<std::string>().c_str());
    }
    for (const auto& s : d["settings"]) {
      std::printf("%-29s detectors.%s.%s = %s\n", "", d["name"].get<std::string>().c_str(),
                  s["key"].get<std::string>().c_str(), s["value"].get<std::string>().c_str());
    }
  }
}

}  // namespace

CommandConfig LoadCommandConfigOrThrow(const std::string& path) {
  CommandConfig out;
  if (path.empty()) return out;
  auto cfg = config::LoadConfig(path);
  if (!cfg) throw std::runtime_error("invalid config:\n" + cfg.error().message());
  auto detectors = engine::ResolveDetectorConfig(*cfg);
  if (!detectors) throw std::runtime_error("invalid config:\n" + detectors.error().message());
  out.detectors = std::move(*detectors);
  out.file = std::move(*cfg);
  return out;
}

engine::DetectorConfig LoadDetectorConfigOrThrow(const std::string& path) {
  return LoadCommandConfigOrThrow(path).detectors;
}

void AddDetectorCommands(CLI::App& app, CommandContext& ctx) {
  auto* cmd = app.add_subcommand(
      "detectors",
      "List every detector: its switch (detectors.<name>.enabled), its settings and the finding "
      "categories it emits with their stage and severity");
  auto path = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto markdown = std::make_shared<bool>(false);
  cmd->add_option("-c,--config", *path, "config file whose detectors.* section to apply");
  cmd->add_flag("--json", *json, "one JSON array on stdout");
  cmd->add_flag("--markdown", *markdown, "the settings table of docs/config.md");
  cmd->callback([&ctx, path, json, markdown] {
    DetectorRegistry registry;
    RegisterBuiltinDetectors(registry);
    if (*markdown) {
      std::fputs(engine::DetectorsMarkdown(registry).c_str(), stdout);
      return;
    }
    nlohmann::json all = RegistryJson(registry, LoadDetectorConfigOrThrow(*path));
    if (*json)
      std::printf("%s\n", all.dump(2).c_str());
    else
      PrintTable(all);
    ctx.exit_code = kExitClean;
  });
}

}  // namespace mw::cli
