// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "server/metrics.h"

#include <cstdio>

namespace mw::server {

std::string LabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void MetricsText::Sample(const std::string& name, const char* type, const char* help, double value,
                         const std::string& labels) {
  if (!described_[name]) {
    described_[name] = true;
    out_ += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  }
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", value);
  out_ += name;
  if (!labels.empty()) out_ += "{" + labels + "}";
  out_ += " ";
  out_ += buf;
  out_ += "\n";
}

void Metrics::AddCollector(Collector c) {
  std::lock_guard lock(mu_);
  collectors_.push_back(std::move(c));
}

std::string Metrics::Render() {
  std::string out;
  MetricsText t(out);
  t.Sample("minerwatch_http_requests_total", "counter", "API requests served",
           double(http_requests));
  t.Sample("minerwatch_http_client_errors_total", "counter", "API requests answered 4xx",
           double(http_4xx));
  t.Sample("minerwatch_http_server_errors_total", "counter", "API requests answered 5xx",
           double(http_5xx));
  t.Sample("minerwatch_store_findings_ingested_total", "counter",
           "finding updates written to the store", double(findings_ingested));
  t.Sample("minerwatch_store_ingest_errors_total", "counter", "failed store writes",
           double(ingest_errors));
  std::lock_guard lock(mu_);
  for (auto& c : collectors_) c(t);
  return out;
}

}  // namespace mw::server
