// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "engine/detector_settings.h"

#include <charconv>
#include <limits>
#include <optional>

namespace mw::engine {
namespace {

using Kind = SettingSpec::Kind;

std::string KindName(Kind k) {
  switch (k) {
    case Kind::kBool:
      return "true or false";
    case Kind::kInt:
      return "an integer";
    case Kind::kDuration:
      return "a duration (30s, 15m, 2h, 7d)";
    case Kind::kString:
      return "a string";
  }
  return "";
}

std::optional<int64_t> ParseInt(std::string_view v) {
  int64_t x = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (v.empty() || ec != std::errc() || p != v.data() + v.size()) return std::nullopt;
  return x;
}

// The value in its normal form ("true", seconds for durations), or nullopt when it is not one.
std::optional<std::string> Normalise(const SettingSpec& s, std::string_view v) {
  switch (s.kind) {
    case Kind::kBool:
      if (auto b = config::ParseBool(v)) return *b ? "true" : "false";
      return std::nullopt;
    case Kind::kInt:
    case Kind::kDuration: {
      auto x = s.kind == Kind::kInt ? ParseInt(v) : config::ParseDuration(v);
      if (!x || *x < s.min || *x > s.max) return std::nullopt;
      return std::to_string(*x);
    }
    case Kind::kString:
      return std::string(v);
  }
  return std::nullopt;
}

std::string Range(const SettingSpec& s) {
  if (s.kind != Kind::kInt && s.kind != Kind::kDuration) return "";
  std::string unit = s.kind == Kind::kDuration ? "s" : "";
  if (s.max == std::numeric_limits<int64_t>::max())
    return " of at least " + std::to_string(s.min) + unit;
  return " from " + std::to_string(s.min) + unit + " to " + std::to_string(s.max) + unit;
}

std::string Where(const std::string& source, int line, int column) {
  return source + ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
}

std::string KnownDetectors(const DetectorRegistry& registry) {
  std::string known;
  for (const auto& s : registry.specs()) known += (known.empty() ? "" : ", ") + std::string(s.name);
  return known;
}

void CheckSection(const DetectorSpec& spec, const config::DetectorSection& section,
                  const std::string& source, DetectorSettings& out,
                  std::vector<std::string>& errors) {
  std::string prefix = "detectors." + std::string(spec.name) + ".";
  for (const auto& [key, value] : section.values) {
    std::string at = Where(source, value.line, value.column);
    if (key == "enabled") {
      if (auto b = config::ParseBool(value.text))
        out.set_enabled(*b);
      else
        errors.push_back(at + prefix + "enabled must be true or false");
      continue;
    }
    const SettingSpec* setting = nullptr;
    for (const auto& s : spec.settings) {
      if (s.key == key) setting = &s;
    }
    if (setting == nullptr) {
      std::string known = "enabled";
      for (const auto& s : spec.settings) known += ", " + std::string(s.key);
      errors.push_back(at + "unknown key '" + prefix + key + "' (known here: " + known + ")");
      continue;
    }
    if (auto v = Normalise(*setting, value.text))
      out.Set(key, std::move(*v));
    else
      errors.push_back(at + prefix + key + " must be " + KindName(setting->kind) + Range(*setting) +
                       ", not '" + value.text + "'");
  }
}

}  // namespace

DetectorSettings DefaultSettings(const DetectorSpec& spec) {
  DetectorSettings s;
  s.set_enabled(spec.enabled_by_default);
  for (const auto& setting : spec.settings) {
    s.Set(setting.key, Normalise(setting, setting.default_value).value_or(""));
  }
  return s;
}

DetectorSettings DetectorConfig::For(const DetectorSpec& spec) const {
  auto it = by_name.find(spec.name);
  return it == by_name.end() ? DefaultSettings(spec) : it->second;
}

Result<DetectorConfig> ResolveDetectorConfig(const DetectorRegistry& registry,
                                             const config::ServiceConfig& config) {
  DetectorConfig out;
  std::vector<std::string> errors;
  const std::string& source = config.source.empty() ? std::string("config") : config.source;
  for (const auto& [name, section] : config.detectors.sections) {
    const DetectorSpec* spec = registry.Find(name);
    if (spec == nullptr) {
      errors.push_back(Where(source, section.line, section.column) + "unknown detector '" + name +
                       "' (known: " + KnownDetectors(registry) + ")");
      continue;
    }
    DetectorSettings settings = DefaultSettings(*spec);
    CheckSection(*spec, section, source, settings, errors);
    out.by_name[name] = std::move(settings);
  }
  if (!errors.empty()) {
    std::string all;
    for (const auto& e : errors) all += (all.empty() ? "" : "\n") + e;
    return Fail(Error::InvalidArgument(all));
  }
  return out;
}

Result<DetectorConfig> ResolveDetectorConfig(const config::ServiceConfig& config) {
  DetectorRegistry registry;
  RegisterBuiltinDetectors(registry);
  return ResolveDetectorConfig(registry, config);
}

std::string DetectorsMarkdown(const DetectorRegistry& registry) {
  std::string md =
      "| key | default | what it does |\n"
      "|---|---|---|\n";
  for (const auto& spec : registry.specs()) {
    std::string base = "detectors." + std::string(spec.name) + ".";
    std::string cats;
    for (const auto& c : spec.categories) {
      cats += (cats.empty() ? "" : "; ") + std::string("`") + std::string(c.category) +
              "` (stage " + std::to_string(int(c.stage)) + ", " +
              std::string(SeverityName(c.severity)) + ")";
    }
    md += "| " + base + "enabled | `" + (spec.enabled_by_default ? "true" : "false") + "` | " +
          std::string(spec.description) + " Emits " + cats + ". |\n";
    for (const auto& s : spec.settings) {
      md += "| " + base + std::string(s.key) + " | `" + std::string(s.default_value) + "` | " +
            std::string(s.description) + " |\n";
    }
  }
  return md;
}

}  // namespace mw::engine
