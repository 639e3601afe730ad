// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "pipeline/sensor.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "capture/live_source.h"
#include "capture/merged_file_source.h"
#include "engine/detection_engine.h"
#include "intel/intel_loader.h"
#include "mw/parse/app_parser.h"
#include "pipeline/finding_merger.h"
#include "pipeline/packet_processor.h"
#include "rules/rule_engine.h"

namespace mw {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Sums "from" into "into" by name (the names of one pipeline come in one fixed order, but a
// named counter such as app.violation.<reason> exists only once it happened).
void AddCounters(const std::vector<std::pair<std::string, uint64_t>>& from,
                 std::vector<std::pair<std::string, uint64_t>>& into) {
  if (into.empty()) {
    into = from;
    return;
  }
  // Not a structured binding: clang 14 (the fuzz preset) cannot capture one in a lambda.
  for (const auto& counter : from) {
    auto it = std::find_if(into.begin(), into.end(),
                           [&](const auto& kv) { return kv.first == counter.first; });
    if (it == into.end())
      into.push_back(counter);
    else
      it->second += counter.second;
  }
}

// One complete packet-to-finding pipeline: the packet processor feeding a detection engine.
// Single-threaded; LiveSensor guards it with a mutex.
class SensorPipeline {
 public:
  SensorPipeline(const intel::IntelStore& intel, const ParserRegistry& parsers,
                 const SensorOptions& options, uint64_t memcap)
      : engine_(intel, options.engine) {
    PacketProcessorConfig config;
    config.flow.memcap = memcap;
    // Rules over streams need every handshaked TCP flow reassembled, parser or not.
    config.flow.inspect_streams = options.engine.rules && options.engine.rules->needs_streams();
    if (options.on_alert) engine_.bus().On<rules::RuleAlertEvent>(options.on_alert);
    processor_ = std::make_unique<PacketProcessor>(config, parsers, engine_.bus());
  }

  void Process(const capture::RawPacket& packet) {
    // Packet time is the detectors' clock, so a capture and the same packets live agree.
    engine_.AdvanceTo(packet.ts);
    processor_->Process(packet);
  }
  // Idle live interfaces: the clock still moves, so idle flows time out and detectors' windows
  // close without traffic.
  void AdvanceTo(TimestampUs now) {
    processor_->Advance(now);
    engine_.AdvanceTo(now);
  }
  // Ends every flow (parsers' OnEnd, FlowEndEvent), then the detectors' open windows.
  void Finish() {
    processor_->Finish();
    engine_.Finish();
  }
  FindingEmitter& emitter() { return engine_.findings(); }

  void AddStats(SensorStats& out) const {
    const PacketStats& s = processor_->stats();
    out.packets += s.packets;
    out.bytes += s.bytes;
    out.captured_bytes += s.captured_bytes;
    out.flows += s.flows_created;
    out.parse_errors += s.MalformedTotal();
    out.findings += engine_.findings().size();
    out.memcap_bytes += s.memcap.limit;
    out.memcap_peak_bytes += s.memcap.peak;
    out.memcap_shed_flows += s.memcap.shed_flows;
    out.memcap_shed_bytes += s.memcap.shed_bytes;
    out.memcap_evicted_flows += s.memcap.evicted_flows;
    out.memcap_refused += s.memcap.refused;
    AddCounters(s.Flatten(), out.counters);
  }

 private:
  engine::DetectionEngine engine_;
  std::unique_ptr<PacketProcessor> processor_;
};

Result<intel::IntelStore> LoadSensorIntel(const SensorOptions& options) {
  intel::IntelOptions io;
  io.intel_dir = options.intel_dir;
  io.extra_files = options.intel_files;
  return intel::LoadIntel(io);
}

void PrintProgress(const capture::PacketSource& source, uint64_t packets, double secs) {
  uint64_t done = source.bytes_read(), total = source.total_bytes();
  double pct = total ? 100.0 * double(done) / double(total) : 0;
  std::fprintf(stderr, "progress: %5.1f%%  %.1f/%.1f MB  %llu packets  %.0f MB/s\n", pct,
               double(done) / 1e6, double(total) / 1e6, static_cast<unsigned long long>(packets),
               secs > 0 ? double(done) / 1e6 / secs : 0.0);
}

}  // namespace

Result<SensorStats> RunFiles(const std::vector<std::string>& files, const SensorOptions& options,
                             const FindingCallback& on_findings) {
  auto start = Clock::now();
  auto intel = LoadSensorIntel(options);
  if (!intel) return Fail(intel.error());
  auto source = capture::MergedFileSource::Open(files, options.stream_wait_s * 1000);
  if (!source) return Fail(source.error());
  ParserRegistry parsers;
  RegisterBuiltinProtocols(parsers);
  SensorPipeline pipeline(*intel, parsers, options, options.flow_memcap);

  capture::RawPacket packet;
  uint64_t packets = 0;
  auto next_progress = start + std::chrono::seconds(1);
  capture::MergedFileSource& reader = **source;
  for (;;) {
    // The common record without building a Result; Next() for the rest, the end and errors.
    if (!reader.NextFast(packet)) {
      auto more = reader.Next(packet);
      if (!more) {
        // What was found before the damage is still reported: nothing is lost.
        pipeline.Finish();
        if (on_findings) {
          const auto& all = pipeline.emitter().all();
          on_findings(std::span<const Finding>(all.data(), all.size()));
        }
        return Fail(more.error());
      }
      if (!*more) break;
    }
    pipeline.Process(packet);
    // Checking the clock every 64K packets keeps it off the per-packet path.
    if (options.progress && (++packets & 0xFFFF) == 0 && Clock::now() >= next_progress) {
      PrintProgress(reader, packets, SecondsSince(start));
      next_progress = Clock::now() + std::chrono::seconds(1);
    }
  }
  pipeline.Finish();
  SensorStats stats;
  pipeline.AddStats(stats);
  stats.seconds = SecondsSince(start);
  if (on_findings) {
    const auto& all = pipeline.emitter().all();
    on_findings(std::span<const Finding>(all.data(), all.size()));
  }
  return stats;
}

namespace {

class LiveSensorImpl : public LiveSensor {
 public:
  LiveSensorImpl(intel::IntelStore intel, FindingCallback on_findings, const SensorOptions& options)
      : intel_(std::move(intel)),
        options_(options),
        on_findings_(std::move(on_findings)),
        flush_interval_s_(options.flush_interval_s > 0 ? options.flush_interval_s : 5) {
    RegisterBuiltinProtocols(parsers_);
  }

  ~LiveSensorImpl() override { Stop(); }

  // Opens "workers" captures on "interface" ("memcap" is each one's share of flow.memcap);
  // more than one share the interface's traffic through a fanout group.
  Status AddInterface(const std::string& interface, const std::string& bpf, int workers,
                      uint64_t memcap) {
    capture::LiveOptions lo;
    lo.interface = interface;
    lo.bpf = bpf;
    uint16_t group = 0;
    for (int w = 0; w < workers; ++w) {
      auto source = capture::LiveSource::Open(lo);
      if (!source) return Fail(source.error());
      if (workers > 1) {
        if (w == 0) {
          auto created = (*source)->CreateFanout();
          if (!created) return Fail(created.error());
          group = *created;
        } else if (auto st = (*source)->JoinFanout(group); !st) {
          return Fail(st.error());
        }
      }
      auto capture = std::make_unique<Capture>();
      capture->interface = interface;
      capture->worker = w;
      capture->source = std::move(*source);
      capture->pipeline = std::make_unique<SensorPipeline>(intel_, parsers_, options_, memcap);
      captures_.push_back(std::move(capture));
    }
    return Ok();
  }

  void StartThreads() {
    start_ = Clock::now();
    merger_ = std::make_unique<FindingMerger>(captures_.size());
    for (auto& c : captures_) {
      Capture* cap = c.get();
      cap->thread = std::thread([this, cap] { CaptureLoop(*cap); });
    }
    flusher_ = std::thread([this] { FlushLoop(); });
  }

  void Stop() override {
    {
      std::lock_guard<std::mutex> lock(stop_mu_);
      if (stopped_) return;
      stopped_ = true;
    }
    stop_cv_.notify_all();
    // Each source empties its ring before its thread ends: what was captured is processed.
    for (auto& c : captures_) c->source->Stop();
    for (auto& c : captures_) {
      if (c->thread.joinable()) c->thread.join();
    }
    if (flusher_.joinable()) flusher_.join();
    for (auto& c : captures_) {
      std::lock_guard<std::mutex> lock(c->mu);
      c->pipeline->Finish();
    }
    Flush();
  }

  SensorStats stats() const override {
    SensorStats out;
    for (const auto& c : captures_) {
      std::lock_guard<std::mutex> lock(c->mu);
      const uint64_t before = out.packets;
      c->pipeline->AddStats(out);
      capture::LiveStats ls = c->source->stats();
      out.kernel_drops += ls.kernel_drops;
      out.captures.push_back({.interface = c->interface,
                              .worker = c->worker,
                              .packets = out.packets - before,
                              .kernel_drops = ls.kernel_drops,
                              .interface_drops = ls.interface_drops});
    }
    out.findings = DistinctFindings();
    out.seconds = SecondsSince(start_);
    return out;
  }

 private:
  struct Capture {
    std::string interface;
    int worker = 0;
    std::unique_ptr<capture::LiveSource> source;
    std::unique_ptr<SensorPipeline> pipeline;
    std::thread thread;
    mutable std::mutex mu;  // guards pipeline between the capture thread and the flusher
  };

  void CaptureLoop(Capture& cap) {
    capture::RawPacket packet;
    for (;;) {
      auto more = cap.source->Next(packet);
      if (!more) {
        std::fprintf(stderr, "minerwatch: capture error: %s\n", more.error().message().c_str());
        return;
      }
      if (!*more) return;
      std::lock_guard<std::mutex> lock(cap.mu);
      cap.pipeline->Process(packet);
    }
  }

  // Pipelines that saw the same miner hold one finding each; it is one finding.
  uint64_t DistinctFindings() const {
    std::unordered_set<std::string_view> ids;
    for (const auto& c : captures_) {
      std::lock_guard<std::mutex> lock(c->mu);
      for (const auto& f : c->pipeline->emitter().all()) ids.insert(f.id);
    }
    return ids.size();
  }

  // Every second: the detectors' clock moves on for idle interfaces; every flush interval:
  // changed findings go out.
  void FlushLoop() {
    std::unique_lock<std::mutex> lock(stop_mu_);
    auto next_flush = Clock::now() + std::chrono::seconds(flush_interval_s_);
    while (!stopped_) {
      stop_cv_.wait_for(lock, std::chrono::seconds(1));
      if (stopped_) break;
      lock.unlock();
      AdvanceClocks();
      if (Clock::now() >= next_flush) {
        Flush();
        next_flush = Clock::now() + std::chrono::seconds(flush_interval_s_);
      }
      lock.lock();
    }
  }

  // Wall time less a grace second, so packets still queued in the capture ring (stamped
  // earlier) are processed before a window they belong to closes.
  void AdvanceClocks() {
    auto wall = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
    for (auto& c : captures_) {
      std::lock_guard<std::mutex> lock(c->mu);
      c->pipeline->AdvanceTo(wall - engine::DetectionEngine::kTickUs);
    }
  }

  void Flush() {
    std::lock_guard<std::mutex> lock(callback_mu_);
    for (size_t i = 0; i < captures_.size(); ++i) {
      std::vector<Finding> batch;
      {
        std::lock_guard<std::mutex> pipeline_lock(captures_[i]->mu);
        batch = captures_[i]->pipeline->emitter().TakeChanged();
      }
      merger_->Add(i, std::move(batch));
    }
    std::vector<Finding> changed = merger_->TakeChanged();
    if (!changed.empty() && on_findings_)
      on_findings_(std::span<const Finding>(changed.data(), changed.size()));
  }

  intel::IntelStore intel_;
  SensorOptions options_;
  ParserRegistry parsers_;
  FindingCallback on_findings_;
  int flush_interval_s_;
  std::vector<std::unique_ptr<Capture>> captures_;
  std::unique_ptr<FindingMerger> merger_;  // guarded by callback_mu_
  std::thread flusher_;
  std::mutex stop_mu_, callback_mu_;
  std::condition_variable stop_cv_;
  bool stopped_ = false;
  Clock::time_point start_ = Clock::now();
};

}  // namespace

Result<std::unique_ptr<LiveSensor>> LiveSensor::Start(const LiveOptions& live,
                                                      const SensorOptions& options,
                                                      FindingCallback on_findings) {
  auto intel = LoadSensorIntel(options);
  if (!intel) return Fail(intel.error());
  auto sensor =
      std::make_unique<LiveSensorImpl>(std::move(*intel), std::move(on_findings), options);
  std::vector<std::string> interfaces = live.interfaces;
  if (interfaces.empty()) interfaces.push_back("any");
  if (live.workers < 1 || live.workers > LiveOptions::kMaxWorkers)
    return Fail(Error::InvalidArgument("sensor.workers must be 1 to " +
                                       std::to_string(LiveOptions::kMaxWorkers)));
  // Pipelines share nothing on the data plane, so the budget is split instead of shared.
  const uint64_t share = options.flow_memcap / (interfaces.size() * uint64_t(live.workers));
  if (options.flow_memcap > 0 && share == 0)
    return Fail(Error::InvalidArgument("flow.memcap is smaller than one byte per pipeline"));
  for (const auto& name : interfaces) {
    if (auto st = sensor->AddInterface(name, live.bpf, live.workers, share); !st)
      return Fail(st.error());
  }
  sensor->StartThreads();
  return std::unique_ptr<LiveSensor>(std::move(sensor));
}

}  // namespace mw
