// minerwatch — SPDX-License-Identifier: Apache-2.0
// `minerwatch rules check FILE...`: loads Suricata rule files as the engine will and names every
// rule it would skip, so a user learns before deploying which of their rules would not run.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "config/service_config.h"
#include "pipeline/sensor_rules.h"
#include "rules/rule_loader.h"

namespace mw::cli {
namespace {

int CheckRuleFiles(const std::vector<std::string>& files) {
  rules::LoadOptions options;
  options.on_skip = [](const rules::SkippedRule& s) { std::printf("%s\n", s.Text().c_str()); };
  rules::RuleLoader loader(options);
  bool unreadable = false;
  for (const auto& file : files) {
    if (auto status = loader.LoadFile(file); !status) {
      std::fprintf(stderr, "minerwatch: error: %s\n", status.error().message().c_str());
      unreadable = true;
    }
  }
  const rules::LoadStats& stats = loader.rule_set().stats;
  std::printf("%s\n", stats.Summary().c_str());
  if (unreadable) return kExitError;
  return stats.skipped == 0 ? kExitClean : kExitFindings;
}

const char* ActionName(rules::Action a) {
  switch (a) {
    case rules::Action::kAlert:
      return "alert";
    case rules::Action::kDrop:
      return "drop";
    case rules::Action::kPass:
      return "pass";
    case rules::Action::kReject:
      return "reject";
  }
  return "alert";
}

// The rules a sensor would run: the config's rules section (-c) and the FILE arguments.
int ListRules(const std::vector<std::string>& files, const std::string& config_path,
              const std::string& pack) {
  SensorRulesOptions options;
  if (!config_path.empty()) {
    auto cfg = config::LoadConfig(config_path);
    if (!cfg) throw std::runtime_error("invalid config:\n" + cfg.error().message());
    options.config = cfg->rules;
  }
  options.extra_files = files;
  options.on_skip = [](const rules::SkippedRule& s) {
    std::fprintf(stderr, "%s\n", s.Text().c_str());
  };
  auto engine = LoadSensorRules(options);
  if (!engine) {
    std::fprintf(stderr, "minerwatch: error: %s\n", engine.error().message().c_str());
    return kExitError;
  }
  if (!*engine) {
    std::fprintf(stderr, "minerwatch: no rule files (give FILE... or -c with rules.files)\n");
    return kExitError;
  }
  std::printf("%-10s %-4s %-6s %-20s %s\n", "SID", "REV", "ACTION", "PACK", "MSG");
  uint64_t shown = 0;
  for (const rules::Rule& r : (*engine)->rules()) {
    const std::string name = RulePackName(r.file);
    if (!pack.empty() && name != pack) continue;
    std::printf("%-10u %-4u %-6s %-20s %s\n", r.sid, r.rev, ActionName(r.action), name.c_str(),
                r.msg.c_str());
    ++shown;
  }
  std::fprintf(stderr, "%llu rules listed; %s\n", static_cast<unsigned long long>(shown),
               (*engine)->rule_set().stats.Summary().c_str());
  return kExitClean;
}

}  // namespace

void AddRuleCommands(CLI::App& app, CommandContext& ctx) {
  auto* rules = app.add_subcommand("rules", "Suricata rules (ET Open, suricata-update output)");
  rules->require_subcommand(1);
  auto* check = rules->add_subcommand(
      "check",
      "Load Suricata 6/7 rule files and report every rule that would be skipped, one line each:\n"
      "  FILE:LINE: sid N: reason\n"
      "(an unsupported keyword or protocol, a syntax error, a pcre that does not compile, a\n"
      "duplicate sid), then 'N of M rules loaded (K skipped, D disabled)'. Commented-out rules\n"
      "('# alert ...') count as disabled. Address and port variables have Suricata's default\n"
      "values ($HOME_NET = RFC 1918). Supported keywords: docs/rules.md.\n"
      "Exit codes: 0 every rule loads, 1 some rule was skipped, 2 a file could not be read.");
  auto files = std::make_shared<std::vector<std::string>>();
  check->add_option("FILE", *files, "rule files, loaded as one rule set")
      ->required()
      ->check(CLI::ExistingFile);
  check->callback([&ctx, files] { ctx.exit_code = CheckRuleFiles(*files); });

  auto* list = rules->add_subcommand(
      "list",
      "List the rules a sensor would run, in the order it matches them: sid, rev, action, pack\n"
      "(the rule file's name without extension) and msg. Reads FILE... and, with -c, the\n"
      "config's rules section (rules.files, rules.vars, rules.disabled, rules.packs).\n"
      "Skipped rules are named on stderr as `rules check` names them.");
  auto list_files = std::make_shared<std::vector<std::string>>();
  auto list_config = std::make_shared<std::string>();
  auto list_pack = std::make_shared<std::string>();
  list->add_option("FILE", *list_files, "rule files")->check(CLI::ExistingFile);
  list->add_option("-c,--config", *list_config, "Config file whose rules section applies");
  list->add_option("--pack", *list_pack, "Only the rules of this pack (file stem)");
  list->callback([&ctx, list_files, list_config, list_pack] {
    ctx.exit_code = ListRules(*list_files, *list_config, *list_pack);
  });
}

}  // namespace mw::cli
