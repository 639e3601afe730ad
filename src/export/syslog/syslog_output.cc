// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "export/syslog/syslog_output.h"

#include <unistd.h>

#include "export/export_counters.h"

namespace mw::siem {

Result<std::unique_ptr<SyslogOutput>> SyslogOutput::Start(const config::ExportConfig& cfg) {
  if (cfg.syslog_address.empty()) return std::unique_ptr<SyslogOutput>();
  MW_ASSIGN(addr, ParseSyslogAddress(cfg.syslog_address));
  SyslogClientOptions so;
  so.address = addr;
  so.framing = cfg.syslog_framing == "newline" ? TcpFraming::kNewline : TcpFraming::kOctetCounting;
  std::unique_ptr<SyslogOutput> out(new SyslogOutput(cfg, so));
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) == 0 && host[0]) out->header_.hostname = host;
  out->header_.procid = ::getpid();
  out->header_.facility = cfg.syslog_facility;
  return out;
}

Status SyslogOutput::Write(const ChangeBatch& batch) {
  for (const auto& f : batch.findings) {
    std::string msg;
    if (format_ == "cef") {
      msg = FormatCef(f);
    } else if (format_ == "ocsf") {
      msg = DumpJson(ToOcsf(f, f.finding.revision > 1));
    } else {
      msg = Summary(f);
    }
    client_.Send(FormatRfc5424(f, header_, msg));
    ++exported_;
  }
  return Sync();
}

Status SyslogOutput::Flush() {
  client_.Flush();
  return Sync();
}

Status SyslogOutput::Sync() {
  stats_.delivered = client_.sent();
  stats_.failed = client_.dropped();
  if (std::string err = client_.ConsumeError(); !err.empty()) return Fail(Error::IoError(err));
  return Ok();
}

void SyslogOutput::Counters(std::vector<OutputCounter>& out) const {
  AppendExportCounters("syslog", exported_, stats_.dropped, out);
  out.push_back({"minerwatch_export_syslog_sent_total", "counter", "syslog messages sent",
                 double(stats_.delivered.load())});
  out.push_back({"minerwatch_export_syslog_dropped_total", "counter", "syslog messages dropped",
                 double(stats_.failed.load())});
}

void RegisterSyslogOutput(OutputRegistry& registry) {
  registry.Add({.name = "syslog",
                .help = "syslog to a SIEM: RFC 5424 with a summary, CEF or OCSF as MSG "
                        "(export.syslog_*)",
                .queue = 100000,
                .start = [](const OutputContext& ctx) -> Result<OutputPtr> {
                  if (!ctx.config) return OutputPtr();
                  MW_ASSIGN(out, SyslogOutput::Start(ctx.config->exports));
                  return OutputPtr(std::move(out));
                }});
}

}  // namespace mw::siem
