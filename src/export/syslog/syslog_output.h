// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Output "syslog" of the SIEM export: every stored change of a finding (new events and state
// changes alike) becomes one RFC 5424 message with the finding as structured data; its MSG is a
// summary, a CEF record or OCSF JSON (export.syslog_format), over UDP or TCP
// (export.syslog_address, export.syslog_framing). It runs on its own worker behind a bounded
// queue; while the server is down the client keeps what it can and retries on Flush.
#include <memory>

#include "config/service_config.h"
#include "export/syslog/syslog_client.h"
#include "sinks/output.h"

namespace mw::siem {

class SyslogOutput : public Output {
 public:
  // Returns nullptr (not an error) when export.syslog_address is empty.
  static Result<std::unique_ptr<SyslogOutput>> Start(const config::ExportConfig& cfg);

  // A new outage is an error once (the client's), then quiet until it recovers and fails again.
  Status Write(const ChangeBatch& batch) override;
  Status Flush() override;
  void Counters(std::vector<OutputCounter>& out) const override;

 private:
  SyslogOutput(const config::ExportConfig& cfg, SyslogClientOptions o)
      : format_(cfg.syslog_format), client_(std::move(o)) {}
  Status Sync();

  std::string format_;
  SyslogHeader header_;
  SyslogClient client_;
  std::atomic<uint64_t> exported_{0};  // changes handed to the client
};

void RegisterSyslogOutput(OutputRegistry& registry);

}  // namespace mw::siem
