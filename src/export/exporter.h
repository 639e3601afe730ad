// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// The SIEM exporter of `minerwatch up`: every stored change of a finding becomes one line in the
// JSON Lines file (the finding's API JSON), one OCSF Detection Finding line, and one syslog
// message (RFC 5424, CEF or OCSF JSON as the MSG). Formatting and I/O run on its own worker
// thread behind a bounded queue; OnChanges only copies and enqueues, so a slow disk or a dead
// syslog server never holds up ingest (overflow is dropped and counted).
//
// Thread-safety: OnChanges and the stat accessors from any thread; Stop from the owner.
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "config/service_config.h"
#include "export/bounded_queue.h"
#include "export/siem_format.h"
#include "store/store.h"

namespace mw::siem {

using LogFn = std::function<void(const std::string&)>;

struct ExporterStats {
  std::atomic<uint64_t> exported{0};       // findings fully handed to every configured output
  std::atomic<uint64_t> queue_dropped{0};  // findings refused because the queue was full
  std::atomic<uint64_t> write_errors{0};   // file write failures
  std::atomic<uint64_t> syslog_sent{0};
  std::atomic<uint64_t> syslog_dropped{0};
};

class SiemExporter {
 public:
  // Returns nullptr (not an error) when no export is configured.
  static Result<std::unique_ptr<SiemExporter>> Start(const config::ExportConfig& cfg, LogFn log,
                                                     size_t queue_capacity = 100000);
  ~SiemExporter();

  void OnChanges(const std::vector<store::StoredFinding>& changed);
  // Drains what is queued (bounded by the outputs' own timeouts), then joins the worker.
  void Stop();
  const ExporterStats& stats() const { return stats_; }

 private:
  SiemExporter(const config::ExportConfig& cfg, LogFn log, size_t cap);
  void Run();
  void Export(const store::StoredFinding& f);

  config::ExportConfig cfg_;
  LogFn log_;
  SyslogHeader header_;
  BoundedQueue<store::StoredFinding> queue_;
  ExporterStats stats_;
  std::thread worker_;
  // Owned by the worker thread.
  struct Outputs;
  std::unique_ptr<Outputs> out_;
};

}  // namespace mw::siem
