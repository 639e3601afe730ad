// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Prometheus text exposition. Counters owned by the service are atomics here; other components
// (sensor, host scan, store) register a collector that appends their samples at scrape time.
//
// Thread-safety: all methods are thread-safe; collectors are called under the registry lock.
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace mw::server {

class MetricsText {
 public:
  explicit MetricsText(std::string& out) : out_(out) {}
  // Writes # HELP / # TYPE once per name, then the sample. "labels" is k="v",k2="v2" or empty.
  void Sample(const std::string& name, const char* type, const char* help, double value,
              const std::string& labels = "");

 private:
  std::string& out_;
  std::map<std::string, bool> described_;
};

std::string LabelValue(std::string_view v);  // escapes \, " and newline

class Metrics {
 public:
  using Collector = std::function<void(MetricsText&)>;
  void AddCollector(Collector c);
  std::string Render();

  std::atomic<uint64_t> http_requests{0};
  std::atomic<uint64_t> http_4xx{0};
  std::atomic<uint64_t> http_5xx{0};
  std::atomic<uint64_t> findings_ingested{0};
  std::atomic<uint64_t> ingest_errors{0};

 private:
  std::mutex mu_;
  std::vector<Collector> collectors_;
};

}  // namespace mw::server
