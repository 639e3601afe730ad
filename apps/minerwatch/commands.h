// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Each subcommand family lives in its own cmd_<name>.cc and registers itself with one Add*
// function called from main.cc. Exceptions are allowed here (the CLI is an edge); a command's
// callback stores its exit code in CommandContext.
#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "config/service_config.h"
#include "engine/detector_settings.h"

namespace mw::cli {

// Exit codes a script can use.
inline constexpr int kExitClean = 0;     // ran, nothing found
inline constexpr int kExitFindings = 1;  // ran, findings reported
inline constexpr int kExitError = 2;     // could not do what was asked
// `host scan`: nothing found in what could be read, but coverage was partial (findings still
// give 1): a script can tell a blind scan from a clean one.
inline constexpr int kExitIncomplete = 3;

struct CommandContext {
  int exit_code = kExitClean;
};

void AddScanCommands(CLI::App& app, CommandContext& ctx);      // scan pcap, sensor
void AddIntelCommands(CLI::App& app, CommandContext& ctx);     // intel import/check/add-binary
void AddHostCommands(CLI::App& app, CommandContext& ctx);      // host scan/remediate
void AddServiceCommands(CLI::App& app, CommandContext& ctx);   // up, config check, doctor
void AddDetectorCommands(CLI::App& app, CommandContext& ctx);  // detectors
void AddRuleCommands(CLI::App& app, CommandContext& ctx);      // rules check

// `-c/--config FILE` of scan pcap, sensor and host scan: the file's detectors.* section,
// validated against the detectors' settings; empty path = every detector on its defaults.
// Throws std::runtime_error with every config error (main prints it, exit 2).
engine::DetectorConfig LoadDetectorConfigOrThrow(const std::string& path);

// What `-c FILE` gives a command: its detectors.* and the outputs it configures (export.*,
// notify.*), started beside the command's own --json / --table.
struct CommandConfig {
  std::optional<config::ServiceConfig> file;  // none without -c
  engine::DetectorConfig detectors;
  // For OutputContext::config; null without -c.
  const config::ServiceConfig* outputs() const { return file ? &*file : nullptr; }
};
CommandConfig LoadCommandConfigOrThrow(const std::string& path);

}  // namespace mw::cli
