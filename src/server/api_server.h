// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// The REST API (docs/api.md, docs/openapi.yaml), Prometheus /metrics and the embedded web console,
// on the hardened HTTP front of http_server.h. Every request but /api/v1/health and the console's
// static files needs a bearer token; roles are viewer < responder < admin. Route, query
// parameters, token and body framing are all checked on the headers, before any body is read.
// Every change is written to the audit log. The endpoints themselves are in routes/: one file per
// resource, listed in routes/builtin.cc.
//
// Thread-safety: Start/Stop from one thread; handlers run on the server's polling threads.
#include <functional>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "server/http_server.h"
#include "server/metrics.h"
#include "server/routes/route.h"
#include "store/store.h"

namespace mw::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0 = any free port (tests)
  size_t max_body_bytes = 64 * 1024;
  int threads = 4;             // polling threads (each serves many connections)
  bool metrics_public = true;  // /metrics without a token (scrapers on the same host)
  int read_timeout_s = 10;     // a whole request must arrive within this (headers and body)
  int idle_timeout_s = 5;      // a connection with no traffic for this long is closed
  unsigned max_connections = 512;
  unsigned max_connections_per_ip = 64;
};

// Hooks into the rest of the process; each may be empty.
struct ServiceHooks {
  std::function<TimestampUs()> now;        // default: system clock
  std::function<nlohmann::json()> health;  // component status merged into /health
  std::function<nlohmann::json()> config;  // redacted config for GET /api/v1/config
  // Starts remediation of a finding; returns a human description of what was done.
  std::function<Result<std::string>(const store::StoredFinding&, const std::string& actor)>
      remediate;
  // Durable ingest of findings posted by remote agents; answers only after the commit. Default:
  // straight into the store (the service sets this to also notify and export).
  std::function<Result<store::UpsertOutcome>(std::span<const Finding>)> ingest;
  // Sees each finding as stored after a state change through the API (mute, resolve...).
  std::function<void(const store::StoredFinding&)> state_changed;
};

class ApiServer {
 public:
  ApiServer(store::Store& store, Metrics& metrics, ServerOptions options, ServiceHooks hooks);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds and starts serving on a background thread. Fails if the address cannot be bound.
  Status Start();
  // Stops accepting, finishes in-flight requests. Idempotent.
  void Stop();
  int port() const { return port_; }

  // Every registered route: its method and the paths it serves as docs/openapi.yaml writes them
  // ("/api/v1/findings/{id}"). Filled by Start().
  struct RouteInfo {
    std::string method;
    std::vector<std::string> documented;
  };
  std::vector<RouteInfo> routes() const;

 private:
  // "GET, HEAD, POST" for a path some route matches; empty when none does.
  std::string AllowedMethods(const std::string& path) const;
  std::optional<HttpResponse> OnHeaders(HttpRequest& req);
  HttpResponse OnRequest(HttpRequest& req);
  // Returns the caller's token if it has at least "need"; otherwise answers 401/403.
  std::optional<store::TokenRecord> Authorize(const HttpRequest& req, HttpResponse& res,
                                              store::Role need);

  std::vector<routes::Route> routes_;  // written by Start() before serving, then read-only

  store::Store& store_;
  Metrics& metrics_;
  ServerOptions options_;
  ServiceHooks hooks_;
  routes::RouteContext context_;  // what every handler receives
  std::unique_ptr<HttpServer> http_;
  int port_ = 0;
};

}  // namespace mw::server
