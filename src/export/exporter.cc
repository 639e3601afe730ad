// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "export/exporter.h"

#include <unistd.h>

#include "export/rotating_file.h"
#include "export/syslog_client.h"
#include "store/store_json.h"

namespace mw::siem {

struct SiemExporter::Outputs {
  std::unique_ptr<RotatingFile> jsonl;
  std::unique_ptr<RotatingFile> ocsf;
  std::unique_ptr<SyslogClient> syslog;
  std::string jsonl_error, ocsf_error;  // last logged, so a full disk is logged once
};

SiemExporter::SiemExporter(const config::ExportConfig& cfg, LogFn log, size_t cap)
    : cfg_(cfg), log_(std::move(log)), queue_(cap), out_(std::make_unique<Outputs>()) {}

Result<std::unique_ptr<SiemExporter>> SiemExporter::Start(const config::ExportConfig& cfg,
                                                          LogFn log, size_t queue_capacity) {
  if (cfg.jsonl_path.empty() && cfg.ocsf_path.empty() && cfg.syslog_address.empty()) {
    return std::unique_ptr<SiemExporter>();
  }
  std::unique_ptr<SiemExporter> e(new SiemExporter(cfg, std::move(log), queue_capacity));
  if (!cfg.jsonl_path.empty()) {
    e->out_->jsonl =
        std::make_unique<RotatingFile>(cfg.jsonl_path, cfg.jsonl_max_bytes, cfg.jsonl_keep);
  }
  if (!cfg.ocsf_path.empty()) {
    e->out_->ocsf =
        std::make_unique<RotatingFile>(cfg.ocsf_path, cfg.jsonl_max_bytes, cfg.jsonl_keep);
  }
  if (!cfg.syslog_address.empty()) {
    auto addr = ParseSyslogAddress(cfg.syslog_address);
    if (!addr) return Fail(addr.error());
    SyslogClientOptions so;
    so.address = *addr;
    so.framing =
        cfg.syslog_framing == "newline" ? TcpFraming::kNewline : TcpFraming::kOctetCounting;
    e->out_->syslog = std::make_unique<SyslogClient>(so);
    char host[256] = {};
    if (::gethostname(host, sizeof(host) - 1) == 0 && host[0]) e->header_.hostname = host;
    e->header_.procid = ::getpid();
    e->header_.facility = cfg.syslog_facility;
  }
  e->worker_ = std::thread([p = e.get()] { p->Run(); });
  return e;
}

SiemExporter::~SiemExporter() { Stop(); }

void SiemExporter::OnChanges(const std::vector<store::StoredFinding>& changed) {
  for (const auto& f : changed) {
    store::StoredFinding copy = store::WithoutEvidenceSamples(f);
    if (!queue_.Push(std::move(copy))) ++stats_.queue_dropped;
  }
}

void SiemExporter::Stop() {
  queue_.Close();
  if (worker_.joinable()) worker_.join();
}

void SiemExporter::Export(const store::StoredFinding& f) {
  Outputs& o = *out_;
  auto write = [&](RotatingFile* file, const std::string& line, std::string& last_error) {
    if (!file) return;
    if (auto s = file->Append(line); !s) {
      ++stats_.write_errors;
      if (s.error().message() != last_error) log_("export: " + s.error().message());
      last_error = s.error().message();
    } else {
      last_error.clear();
    }
  };
  if (o.jsonl) write(o.jsonl.get(), DumpJson(store::ToJson(f, false)), o.jsonl_error);
  bool previously_seen = f.finding.revision > 1;
  std::string ocsf;
  if (o.ocsf || (o.syslog && cfg_.syslog_format == "ocsf"))
    ocsf = DumpJson(ToOcsf(f, previously_seen));
  if (o.ocsf) write(o.ocsf.get(), ocsf, o.ocsf_error);
  if (o.syslog) {
    std::string msg;
    if (cfg_.syslog_format == "cef") {
      msg = FormatCef(f);
    } else if (cfg_.syslog_format == "ocsf") {
      msg = std::move(ocsf);
    } else {
      msg = Summary(f);
    }
    o.syslog->Send(FormatRfc5424(f, header_, msg));
  }
  ++stats_.exported;
}

void SiemExporter::Run() {
  for (;;) {
    auto item = queue_.PopUntil(std::chrono::steady_clock::now() + std::chrono::seconds(1));
    if (item) Export(*item);
    if (out_->syslog) {
      if (!item) out_->syslog->Flush();  // idle: retry what an outage left queued
      stats_.syslog_sent = out_->syslog->sent();
      stats_.syslog_dropped = out_->syslog->dropped();
      if (std::string err = out_->syslog->ConsumeError(); !err.empty()) log_("export: " + err);
    }
    if (!item && queue_.closed()) break;
  }
}

}  // namespace mw::siem
