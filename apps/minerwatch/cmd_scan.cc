// minerwatch — SPDX-License-Identifier: Apache-2.0
// Placeholder until this command family is built.
#include "commands.h"

namespace mw::cli {
void AddScanCommands(CLI::App& app, CommandContext& ctx) {
  (void)app;
  (void)ctx;
}
}  // namespace mw::cli
