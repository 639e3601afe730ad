// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "server/service.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <unordered_map>

#include "export/eve/eve_writer.h"
#include "hostscan/detector_switches.h"
#include "hostscan/host_monitor.h"
#include "hostscan/page_db.h"
#include "hostscan/yara_rules.h"
#include "intel/intel_loader.h"
#include "pipeline/sensor.h"
#include "pipeline/sensor_rules.h"
#include "sinks/output_set.h"
#include "store/sqlite_store.h"

namespace mw::server {
namespace {
constexpr size_t kMaxQueuedFindings = 200000;
constexpr int64_t kLifecycleEveryUs = 60LL * 1000000;
constexpr int64_t kRetentionEveryUs = 3600LL * 1000000;
constexpr uint32_t kAutoResolveBatch = 5000;
constexpr size_t kMaxFindingsPerTxn = 10000;
}  // namespace

struct Service::SensorHolder {
  // Declared before the sensor, so it is destroyed after it: capture threads write to it.
  std::unique_ptr<eve::EveWriter> eve;
  std::unique_ptr<LiveSensor> live;
  std::string status = "disabled";
};

struct Service::HostHolder {
  // Hands the monitor's changed findings to the writer queue, as the sensor's callback does.
  class QueueSink final : public FindingSink {
   public:
    explicit QueueSink(Service* s) : s_(s) {}
    Status Write(std::span<const Finding> f) override {
      s_->Submit(std::vector<Finding>(f.begin(), f.end()));
      return Ok();
    }
    Status Flush() override { return Ok(); }

   private:
    Service* s_;
  };
  // On the monitor thread after each pass. A blind or cut-short pass is logged (once per
  // change of reasons) so the operator reads it in the journal as well as in /health.
  void OnReport(const hostscan::HostScanReport& r) {
    last_pass_at_s = Now() / 1000000;
    std::vector<std::string> why = hostscan::IncompleteReasons(r);
    if (why == last_reasons) return;
    last_reasons = why;
    std::string text;
    for (const auto& w : why) text += (text.empty() ? "" : "; ") + w;
    std::fprintf(
        stderr,
        "minerwatch: host scan pass %s%s (%.1f s, %llu of %llu processes' memory read, %.1f MB)\n",
        why.empty() ? "complete again" : "incomplete: ", text.c_str(), r.seconds,
        (unsigned long long)r.coverage.processes_memory_read, (unsigned long long)r.processes,
        r.memory.bytes_read / 1048576.0);
    std::fflush(stderr);
  }
  std::unique_ptr<QueueSink> sink;
  std::unique_ptr<hostscan::HostMonitor> monitor;
  std::atomic<int64_t> last_pass_at_s{0};
  std::vector<std::string> last_reasons;  // monitor thread only
  std::string status = "disabled";
};

TimestampUs Service::Now() {
  return TimestampUs(std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count());
}

Service::~Service() { Stop(); }

Result<std::unique_ptr<Service>> Service::Start(const config::ServiceConfig& cfg) {
  std::unique_ptr<Service> s(new Service());
  s->cfg_ = cfg;
  s->started_ = Now();
  // detectors.<name>.*: which detectors run, for the sensor and the host agent alike.
  auto detectors = engine::ResolveDetectorConfig(cfg);
  if (!detectors) return Fail(detectors.error());
  s->detectors_ = std::move(*detectors);
  // Components in dependency order: what stores and delivers findings before what makes them.
  if (auto st = s->OpenStore(); !st) return Fail(st.error());
  if (auto o = s->StartOutputs(); !o) return Fail(o.error());
  s->writer_ = std::thread([p = s.get()] { p->WriterLoop(); });
  s->AddMetricCollectors();
  auto started = [&](Status st, const char* component) -> Status {
    if (st) return st;
    s->Stop();
    return Fail(Error(st.error().code(), component + st.error().message()));
  };
  MW_TRY(started(s->StartApi(), ""));
  MW_TRY(started(s->StartSensor(), "sensor: "));
  MW_TRY(started(s->StartHostScan(), "hostscan: "));
  return s;
}

Status Service::OpenStore() {
  // The store creates its own folder, owner-only (0700): creating it here would make it 0755.
  store::SqliteOptions so;
  so.path = cfg_.store.path;
  so.synchronous_full = cfg_.store.synchronous == "full";
  so.evidence_samples = cfg_.store.evidence_samples;
  auto st = store::OpenSqliteStore(so);
  if (!st) return Fail(st.error());
  store_ = std::move(*st);
  return Ok();
}

namespace {
// The sensor's counters, named for Prometheus (docs/api.md).
void AddSensorMetrics(MetricsText& t, const SensorStats& ss) {
  t.Sample("minerwatch_packets_total", "counter", "packets captured", double(ss.packets));
  t.Sample("minerwatch_bytes_total", "counter", "bytes captured", double(ss.bytes));
  t.Sample("minerwatch_flows_total", "counter", "flows tracked", double(ss.flows));
  t.Sample("minerwatch_parse_errors_total", "counter", "malformed packets and parser violations",
           double(ss.parse_errors));
  t.Sample("minerwatch_capture_drops_total", "counter", "packets dropped by the kernel",
           double(ss.kernel_drops));
  for (const auto& c : ss.captures) {
    const std::string labels =
        "interface=\"" + LabelValue(c.interface) + "\",worker=\"" + std::to_string(c.worker) + "\"";
    t.Sample("minerwatch_capture_worker_packets_total", "counter",
             "packets a capture worker processed", double(c.packets), labels);
    t.Sample("minerwatch_capture_worker_drops_total", "counter",
             "packets lost because a capture worker's ring was full (tp_drops)",
             double(c.kernel_drops), labels);
    t.Sample("minerwatch_capture_worker_interface_drops_total", "counter",
             "packets the interface or driver lost before a capture worker's ring",
             double(c.interface_drops), labels);
  }
  t.Sample("minerwatch_flow_memcap_bytes", "gauge", "flow.memcap: per-flow state budget",
           double(ss.memcap_bytes));
  t.Sample("minerwatch_flow_memory_peak_bytes", "gauge",
           "highest per-flow state charged to flow.memcap", double(ss.memcap_peak_bytes));
  t.Sample("minerwatch_flow_memcap_shed_flows_total", "counter",
           "flows that stopped buffering to stay under flow.memcap", double(ss.memcap_shed_flows));
  t.Sample("minerwatch_flow_memcap_shed_bytes_total", "counter",
           "bytes given back by shed and evicted flows", double(ss.memcap_shed_bytes));
  t.Sample("minerwatch_flow_memcap_evicted_flows_total", "counter",
           "idle confirmed flows ended to stay under flow.memcap", double(ss.memcap_evicted_flows));
  t.Sample("minerwatch_flow_memcap_refused_total", "counter",
           "allocations refused by flow.memcap (that flow stopped buffering)",
           double(ss.memcap_refused));
}
}  // namespace

void Service::AddMetricCollectors() {
  Service* self = this;
  metrics_.AddCollector([self](MetricsText& t) {
    t.Sample("minerwatch_ingest_dropped_total", "counter",
             "finding batches dropped because the store queue was full", double(self->dropped_));
    t.Sample("minerwatch_findings_auto_resolved_total", "counter",
             "findings resolved for inactivity", double(self->auto_resolved_));
    auto counts = self->store_->Counts({});
    if (counts) {
      for (const auto& [cat, n] : counts->by_category) {
        t.Sample("minerwatch_findings", "gauge", "stored findings by category", double(n),
                 "category=\"" + LabelValue(cat) + "\"");
      }
      for (const auto& [state, n] : counts->by_state) {
        t.Sample("minerwatch_findings_by_state", "gauge", "stored findings by state", double(n),
                 "state=\"" + LabelValue(state) + "\"");
      }
    }
    if (self->sensor_ && self->sensor_->live) AddSensorMetrics(t, self->sensor_->live->stats());
  });
}

Status Service::StartApi() {
  Service* self = this;
  ServiceHooks hooks;
  hooks.now = &Service::Now;
  hooks.health = [self] { return self->Health(); };
  nlohmann::json cfg_json = config::ToJson(cfg_);
  hooks.config = [cfg_json] { return cfg_json; };
  hooks.ingest = [self](std::span<const Finding> b) { return self->Ingest(b); };
  hooks.state_changed = [self](const store::StoredFinding& f) { self->StateChanged({f}); };
  ServerOptions opts;
  auto colon = cfg_.server.listen.rfind(':');
  opts.host = cfg_.server.listen.substr(0, colon);
  opts.port = std::stoi(cfg_.server.listen.substr(colon + 1));
  opts.max_body_bytes = cfg_.server.max_body_bytes;
  opts.threads = cfg_.server.threads;
  opts.metrics_public = cfg_.server.metrics_public;
  opts.read_timeout_s = cfg_.server.read_timeout_s;
  opts.idle_timeout_s = cfg_.server.idle_timeout_s;
  opts.max_connections = unsigned(cfg_.server.max_connections);
  opts.max_connections_per_ip = unsigned(cfg_.server.max_connections_per_ip);
  api_ = std::make_unique<ApiServer>(*store_, metrics_, opts, hooks);
  return api_->Start();
}

// rules.*: skipped rules go to the log (stderr), one line each, as `rules check` prints them.
Status Service::LoadRules(SensorOptions& so) {
  SensorRulesOptions ro;
  ro.config = cfg_.rules;
  ro.on_skip = [](const rules::SkippedRule& s) {
    std::fprintf(stderr, "minerwatch: rules: %s\n", s.Text().c_str());
  };
  MW_ASSIGN(engine, LoadSensorRules(ro));
  if (engine)
    std::fprintf(stderr, "minerwatch: rules: %s\n", engine->rule_set().stats.Summary().c_str());
  so.engine.rules = std::move(engine);
  return Ok();
}

Status Service::StartSensor() {
  sensor_ = std::make_unique<SensorHolder>();
  if (!cfg_.sensor.enabled) return Ok();
  LiveOptions live;
  live.interfaces = cfg_.sensor.interfaces;
  live.bpf = cfg_.sensor.bpf;
  live.workers = cfg_.sensor.workers;
  SensorOptions so;
  so.intel_dir = cfg_.sensor.intel_dir;
  so.intel_files = cfg_.sensor.intel_files;
  so.flush_interval_s = int(cfg_.sensor.flush_interval_s);
  so.flow_memcap = cfg_.flow.memcap;
  so.engine.detectors = detectors_;
  MW_TRY(LoadRules(so));
  if (!cfg_.exports.eve_path.empty()) {
    MW_ASSIGN(eve, eve::EveWriter::Open(cfg_.exports.eve_path));
    sensor_->eve = std::move(eve);
    eve::EveWriter* w = sensor_->eve.get();
    so.on_alert = [w](const rules::RuleAlertEvent& a) { w->Write(a); };
  }
  auto ls = LiveSensor::Start(live, so, [this](std::span<const Finding> f) {
    Submit(std::vector<Finding>(f.begin(), f.end()));
  });
  if (!ls) return Fail(ls.error());
  sensor_->live = std::move(*ls);
  sensor_->status = "running";
  return Ok();
}

Status Service::StartHostScan() {
  host_ = std::make_unique<HostHolder>();
  if (!cfg_.hostscan.enabled) return Ok();
  const auto& hc = cfg_.hostscan;
  hostscan::HostMonitorOptions o;
  o.interval = std::chrono::seconds(hc.interval_s);
  // detectors.<name>.enabled decide which passes run (and so which rules and pages load).
  hostscan::ApplyDetectorSwitches(detectors_, o.scan);
  o.scan.memory.max_bytes_per_process = hc.max_process_mb << 20;
  o.scan.memory.read_rate_bytes_per_sec = hc.read_rate_mb << 20;
  // read_rate_mb: 0 means uncapped, but the monitor reads 0 as "use my default cap".
  if (hc.read_rate_mb == 0) o.default_read_rate_bytes_per_sec = 0;
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) == 0) o.scan.hostname = host;
  std::string state = hc.state_dir.empty() ? hostscan::DefaultStateDir() : hc.state_dir;
  if (o.scan.memory.yara) {
    auto rules = hostscan::YaraRules::Load(hc.builtin_rules, hc.yara_files, state + "/cache");
    if (!rules) return Fail(Error(rules.error().code(), "YARA rules: " + rules.error().message()));
    if (auto w = (*rules)->PrefilterWarning(); !w.empty())
      std::fprintf(stderr, "minerwatch: %s\n", w.c_str());
    o.scan.rules = *rules;
  }
  if (o.scan.memory.hash_exec_pages) {
    auto db = hostscan::PageDb::Load(state + "/pagedb.txt");
    if (!db) return Fail(Error(db.error().code(), "page database: " + db.error().message()));
    o.scan.page_db = std::make_shared<const hostscan::PageDb>(std::move(*db));
  }
  if (hostscan::DetectorOn(detectors_, "pool_intel")) {
    intel::IntelOptions io;
    io.intel_dir = cfg_.sensor.intel_dir;
    io.extra_files = cfg_.sensor.intel_files;
    auto loaded = intel::LoadIntel(io);
    if (!loaded) return Fail(Error(loaded.error().code(), "intel: " + loaded.error().message()));
    o.intel = std::make_shared<const intel::IntelStore>(std::move(*loaded));
  }
  o.engine.detectors = detectors_;
  host_->sink = std::make_unique<HostHolder::QueueSink>(this);
  HostHolder* h = host_.get();
  host_->monitor = std::make_unique<hostscan::HostMonitor>(
      std::move(o), host_->sink.get(), [h](const hostscan::HostScanReport& r) { h->OnReport(r); });
  if (auto st = host_->monitor->Start(); !st) return st;
  host_->status = "running";
  metrics_.AddCollector([h](MetricsText& t) {
    if (!h->monitor) return;
    auto hs = h->monitor->stats();
    t.Sample("minerwatch_hostscan_passes_total", "counter", "host scan passes completed",
             double(hs.passes));
    t.Sample("minerwatch_hostscan_cpu_seconds_total", "counter", "CPU time used by the host scan",
             hs.cpu_seconds);
    t.Sample("minerwatch_hostscan_last_pass_seconds", "gauge",
             "duration of the last host scan pass", hs.last_pass_seconds);
    t.Sample("minerwatch_hostscan_processes", "gauge", "processes seen by the last pass",
             double(hs.last_report.processes));
    t.Sample("minerwatch_hostscan_passes_incomplete_total", "counter",
             "host scan passes that could not look everywhere (permission) or were stopped",
             double(hs.passes_incomplete));
    t.Sample("minerwatch_hostscan_last_pass_complete", "gauge",
             "1 when the last host scan pass looked everywhere it meant to",
             hs.passes > 0 && hostscan::IncompleteReasons(hs.last_report).empty() ? 1.0 : 0.0);
  });
  return Ok();
}

// ---- outputs (src/sinks/output.h) ----
// Every output the config asks for, from the one registry the commands use too. The terminal
// echo (each finding once as it appears, and again when it reopens) is the table output.
Status Service::StartOutputs() {
  auto log = [](const std::string& m) {
    std::fprintf(stderr, "minerwatch: %s\n", m.c_str());
    std::fflush(stderr);
  };
  MW_ASSIGN(outputs,
            StartBuiltinOutputs({.host = OutputHost::kService, .config = &cfg_, .log = log}));
  outputs_ = std::move(outputs);
  OutputSet* o = outputs_.get();
  AddObserver([o](const std::vector<store::StoredFinding>& c) {
    (void)o->Write({ChangeKind::kDetected, c});  // errors are the outputs' counters and log
  });
  AddLifecycleObserver([o](const std::vector<store::StoredFinding>& c) {
    (void)o->Write({ChangeKind::kLifecycle, c});
  });
  metrics_.AddCollector([o](MetricsText& t) {
    for (const OutputCounter& c : o->Counters())
      t.Sample(c.name, c.type.c_str(), c.help.c_str(), c.value, c.labels);
  });
  return Ok();
}
// ---- end outputs ----

nlohmann::json Service::Health() const {
  nlohmann::json host = {{"status", host_ ? host_->status : "starting"}};
  if (host_ && host_->monitor) {
    auto hs = host_->monitor->stats();
    host["interval_s"] = cfg_.hostscan.interval_s;
    host["passes"] = hs.passes;
    host["last_pass_seconds"] = hs.last_pass_seconds;
    host["cpu_seconds"] = hs.cpu_seconds;
    int64_t at = host_->last_pass_at_s.load();
    host["last_pass_at"] = at ? nlohmann::json(FormatTimestamp(at * 1000000)) : nlohmann::json();
    host["processes"] = hs.last_report.processes;
    host["pass_running"] = hs.pass_running;
    host["pass_started_at"] = hs.pass_started_at_s
                                  ? nlohmann::json(FormatTimestamp(hs.pass_started_at_s * 1000000))
                                  : nlohmann::json();
    host["passes_incomplete"] = hs.passes_incomplete;
    // The last finished pass's coverage: a blind agent shows complete=false and names why.
    if (hs.passes > 0) {
      nlohmann::json cov = hostscan::ReportJson(hs.last_report);
      cov.erase("notes");
      host["coverage"] = std::move(cov);
    }
    host["notes"] = hs.last_report.notes.size() > 20
                        ? std::vector<std::string>(hs.last_report.notes.begin(),
                                                   hs.last_report.notes.begin() + 20)
                        : hs.last_report.notes;
  }
  nlohmann::json j = {{"sensor", {{"status", sensor_ ? sensor_->status : "starting"}}},
                      {"hostscan", std::move(host)},
                      {"uptime_s", (Now() - started_) / 1000000},
                      {"ingest_dropped", dropped_.load()}};
  return j;
}

void Service::AddObserver(ChangeObserver o) {
  std::lock_guard lock(observers_mu_);
  observers_.push_back(std::move(o));
}

void Service::AddLifecycleObserver(ChangeObserver o) {
  std::lock_guard lock(observers_mu_);
  lifecycle_observers_.push_back(std::move(o));
}

void Service::StateChanged(const std::vector<store::StoredFinding>& changed) {
  if (changed.empty()) return;
  std::lock_guard lock(observers_mu_);
  for (auto& o : lifecycle_observers_) o(changed);
}

void Service::Submit(std::vector<Finding> batch) {
  if (batch.empty()) return;
  {
    std::lock_guard lock(mu_);
    if (!stopping_ && queued_findings_ + batch.size() <= kMaxQueuedFindings) {
      queued_findings_ += batch.size();
      queue_.push_back(std::move(batch));
      cv_.notify_one();
      return;
    }
  }
  dropped_ += batch.size();
}

Result<store::UpsertOutcome> Service::Ingest(std::span<const Finding> batch) {
  auto out = store_->Upsert(batch, Now());
  if (!out) {
    ++metrics_.ingest_errors;
    return out;
  }
  std::lock_guard lock(observers_mu_);
  for (auto& o : observers_) o(out->changed);
  return out;
}

void Service::WriterLoop() {
  for (;;) {
    std::vector<Finding> batch;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      batch = std::move(queue_.front());
      queue_.pop_front();
      // Everything else already waiting goes into the same transaction (bounded): one commit,
      // one fsync, for what piled up while the previous one was on disk.
      while (!queue_.empty() && batch.size() + queue_.front().size() <= kMaxFindingsPerTxn) {
        auto& next = queue_.front();
        batch.insert(batch.end(), std::make_move_iterator(next.begin()),
                     std::make_move_iterator(next.end()));
        queue_.pop_front();
      }
      queued_findings_ -= batch.size();
    }
    auto r = Ingest(batch);
    if (r) {
      metrics_.findings_ingested += batch.size();
    } else {
      std::fprintf(stderr, "minerwatch: store write failed: %s\n", r.error().message().c_str());
    }
  }
}

void Service::Tick() {
  TimestampUs now = Now();
  if (now - last_lifecycle_ >= kLifecycleEveryUs) {
    last_lifecycle_ = now;
    auto n = store_->AutoResolve(now, cfg_.store.auto_resolve_after_s, kAutoResolveBatch);
    if (n) {
      auto_resolved_ += n->size();
      StateChanged(*n);
      // A full batch means more are due: come back on the next tick rather than hold the writer.
      if (n->size() == kAutoResolveBatch) last_lifecycle_ = now - kLifecycleEveryUs;
    }
  }
  if (now - last_retention_ >= kRetentionEveryUs) {
    last_retention_ = now;
    store::RetentionPolicy p;
    p.resolved_max_age_s = cfg_.store.resolved_retention_s;
    p.max_findings = cfg_.store.max_findings;
    (void)store_->ApplyRetention(now, p);
  }
}

void Service::Stop() {
  if (stopped_) return;
  stopped_ = true;
  // The host pass is told first so it winds down (within one read chunk) while the sensor stops.
  if (host_ && host_->monitor) host_->monitor->RequestStop();
  // The sensor delivers its final findings on Stop, so it goes before the writer drains.
  if (sensor_ && sensor_->live) sensor_->live->Stop();
  // The interrupted pass hands over what it found so far before Stop returns; queued after it.
  if (host_ && host_->monitor) host_->monitor->Stop();
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (writer_.joinable()) writer_.join();
  // ---- outputs: after the writer drained, so the last changes go out ----
  if (outputs_) outputs_->Stop();
  // ---- end outputs ----
  if (api_) api_->Stop();
}

}  // namespace mw::server
