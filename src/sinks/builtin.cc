// minerwatch — SPDX-License-Identifier: Apache-2.0
// The one list of built-in outputs: a new output adds one line here. Order is the order in which
// the outputs see each batch (the ones that queue return at once).
#include "export/files/files_output.h"
#include "export/syslog/syslog_output.h"
#include "notify/notifier.h"
#include "sinks/jsonl/jsonl_output.h"
#include "sinks/output_set.h"
#include "sinks/table/table_output.h"

namespace mw {

void RegisterBuiltinOutputs(OutputRegistry& registry) {
  RegisterJsonlOutput(registry);
  RegisterTableOutput(registry);
  siem::RegisterFilesOutput(registry);
  siem::RegisterSyslogOutput(registry);
  notify::RegisterNotifyOutput(registry);
}

Result<std::unique_ptr<OutputSet>> StartBuiltinOutputs(OutputContext ctx) {
  OutputRegistry registry;
  RegisterBuiltinOutputs(registry);
  return OutputSet::Start(registry, std::move(ctx));
}

}  // namespace mw
