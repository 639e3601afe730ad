// minerwatch — SPDX-License-Identifier: Apache-2.0
// `minerwatch rules check FILE...`: loads Suricata rule files as the engine will and names every
// rule it would skip, so a user learns before deploying which of their rules would not run.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
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
}

}  // namespace mw::cli
