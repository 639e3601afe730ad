// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// `minerwatch up` assembled: the store, one writer thread that ingests findings from every
// producer (live sensor, host scan, remote agents via the API), the observers that notify and
// export what changed, periodic lifecycle work (auto-resolve, retention) and the API server.
//
// Thread-safety: Submit() and Ingest() from any thread; Start/Tick/Stop from the owning thread.
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "config/service_config.h"
#include "engine/detector_settings.h"
#include "server/api_server.h"
#include "server/metrics.h"
#include "store/store.h"

namespace mw {
struct SensorOptions;
class OutputSet;
}  // namespace mw

namespace mw::server {

using ChangeObserver = std::function<void(const std::vector<store::StoredFinding>&)>;

class Service {
 public:
  ~Service();
  // Opens the store, starts the writer, the API and (when built in and enabled) the live sensor.
  static Result<std::unique_ptr<Service>> Start(const config::ServiceConfig& cfg);

  // Queues a batch for the writer. Never blocks: beyond the queue bound the batch is dropped and
  // counted (minerwatch_ingest_dropped_total), so a flood cannot exhaust memory.
  void Submit(std::vector<Finding> batch);
  // Writes synchronously (durable on return) and notifies observers.
  Result<store::UpsertOutcome> Ingest(std::span<const Finding> batch);
  // Observers see every stored change, on the writer thread (or the API thread for Ingest).
  void AddObserver(ChangeObserver o);
  // Lifecycle observers also see state changes made by people and by auto-resolve (mute, unmute,
  // resolve, reopen): the SIEM export records them; the notifier withdraws them from pending
  // digests (a state change carries no new events; muted or resolved findings are never notified).
  void AddLifecycleObserver(ChangeObserver o);
  // Delivers a state change to the lifecycle observers (the API calls this after SetState).
  void StateChanged(const std::vector<store::StoredFinding>& changed);
  // Periodic work; call about once a second.
  void Tick();
  // Stops producers, drains the queue, stops the API. Idempotent.
  void Stop();

  store::Store& store() { return *store_; }
  Metrics& metrics() { return metrics_; }
  int api_port() const { return api_ ? api_->port() : 0; }
  nlohmann::json Health() const;

 private:
  Service() = default;
  void WriterLoop();
  static TimestampUs Now();

  config::ServiceConfig cfg_;
  engine::DetectorConfig detectors_;  // detectors.<name>.*, resolved once at start
  store::StorePtr store_;
  Metrics metrics_;
  std::unique_ptr<ApiServer> api_;
  struct SensorHolder;
  std::unique_ptr<SensorHolder> sensor_;
  // The host agent (src/hostscan HostMonitor): its findings go through Submit like the sensor's.
  struct HostHolder;
  std::unique_ptr<HostHolder> host_;
  // Start's steps, one per component, each reading its part of cfg_.
  Status OpenStore();
  void AddMetricCollectors();
  Status StartApi();
  Status StartSensor();
  Status LoadRules(SensorOptions& options);
  Status StartHostScan();

  // ---- outputs (src/sinks/output.h: table echo, SIEM export, notify): observe stored changes ----
  Status StartOutputs();
  std::unique_ptr<OutputSet> outputs_;
  // ---- end outputs ----

  std::mutex observers_mu_;
  std::vector<ChangeObserver> observers_;            // guarded by observers_mu_
  std::vector<ChangeObserver> lifecycle_observers_;  // guarded by observers_mu_

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::vector<Finding>> queue_;  // guarded by mu_
  size_t queued_findings_ = 0;              // guarded by mu_
  bool stopping_ = false;                   // guarded by mu_
  std::thread writer_;
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> auto_resolved_{0};

  TimestampUs last_lifecycle_ = 0;
  TimestampUs last_retention_ = 0;
  TimestampUs started_ = 0;
  bool stopped_ = false;
};

}  // namespace mw::server
