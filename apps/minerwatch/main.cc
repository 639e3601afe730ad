// minerwatch — SPDX-License-Identifier: Apache-2.0
// The one binary. Subcommands are registered by the cmd_*.cc files; see commands.h.
#include <cstdio>
#include <exception>

#include "commands.h"

int main(int argc, char** argv) {
  CLI::App app{
      "minerwatch finds and stops cryptocurrency miners on Linux servers: in network traffic\n"
      "(pcap files, live interfaces), in process memory and on disk. Every finding shows its\n"
      "evidence.\n\nExit codes: 0 nothing found, 1 findings reported, 2 error.",
      "minerwatch"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "minerwatch 0.1.0");
  mw::cli::CommandContext ctx;
  mw::cli::AddScanCommands(app, ctx);
  mw::cli::AddIntelCommands(app, ctx);
  mw::cli::AddHostCommands(app, ctx);
  mw::cli::AddServiceCommands(app, ctx);
  mw::cli::AddDetectorCommands(app, ctx);
  mw::cli::AddRuleCommands(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : mw::cli::kExitError;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "minerwatch: error: %s\n", e.what());
    return mw::cli::kExitError;
  }
  return ctx.exit_code;
}
