// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// The route table of the REST API: what one endpoint declares (method, the paths docs/openapi.yaml
// writes, the pattern, the role checked on the headers, the query parameters it takes, the
// handler) and what its handler receives (RouteContext). ApiServer (api_server.h) does the
// dispatch on the headers; each resource registers its routes from one file in this folder, and
// builtin.cc lists those files.
#include <functional>
#include <initializer_list>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "server/http_server.h"
#include "server/metrics.h"
#include "store/store.h"

namespace mw::server {

struct ServerOptions;  // api_server.h
struct ServiceHooks;   // api_server.h

namespace routes {

// What a handler works with. One per ApiServer, shared by every request (read-only references).
struct RouteContext {
  store::Store& store;
  Metrics& metrics;
  const ServiceHooks& hooks;
  const ServerOptions& options;
  // ApiServer::Authorize: the token OnHeaders already checked against the route's role, or a
  // 401/403 answer when it has less than "need". Handlers call it themselves so each one still
  // says what it needs.
  std::function<std::optional<store::TokenRecord>(const HttpRequest&, HttpResponse&, store::Role)>
      authorize;

  std::optional<store::TokenRecord> Authorize(const HttpRequest& req, HttpResponse& res,
                                              store::Role need) const {
    return authorize(req, res, need);
  }
};

using RouteHandler = std::function<void(const RouteContext&, const HttpRequest&, HttpResponse&)>;

struct Route {
  std::string method;
  std::vector<std::string> documented;  // as docs/openapi.yaml writes them: "/api/v1/findings/{id}"
  std::regex regex;
  std::optional<store::Role> need;  // checked on the headers; nullopt = no token
  std::set<std::string> params;     // the query parameters it knows; any other is 400
  RouteHandler handler;
};

// Filled once by ApiServer::Start, in dispatch order (the first route that matches wins), then
// read-only. "options" lets a resource register according to the config (a public /metrics).
struct RouteTable {
  const ServerOptions& options;
  std::vector<Route> routes;

  void Add(const char* method, std::initializer_list<const char*> documented,
           const std::string& pattern, std::optional<store::Role> need,
           std::set<std::string> params, RouteHandler handler);
};

// ---- the resources: one file each, called in this order by AddBuiltinRoutes (builtin.cc) ----
void AddHealthRoutes(RouteTable& t);    // health.cc: /api/v1/health, /metrics
void AddFindingRoutes(RouteTable& t);   // findings.cc: list, ingest, counts, get, state actions
void AddIncidentRoutes(RouteTable& t);  // incidents.cc
void AddAuditRoutes(RouteTable& t);     // audit.cc
void AddTokenRoutes(RouteTable& t);     // tokens.cc
void AddConfigRoutes(RouteTable& t);    // config.cc: /api/v1/config, /api/v1/whoami
void AddConsoleRoutes(RouteTable& t);   // console.cc: the embedded web console
// Every resource above, in order.
void AddBuiltinRoutes(RouteTable& t);

// ---- helpers for handlers (route.cc) ----
// Every API answer: never cached (tokens, findings), never sniffed into something executable.
void NoStore(HttpResponse& res);
// The JSON error body {"error": {status, code, message}}, no-store.
void SendError(HttpResponse& res, int status, std::string_view code, std::string message);
void SendJson(HttpResponse& res, const nlohmann::json& j, int status = 200);
// "bad_request" for 400 and so on.
std::string_view StatusCode(int status);
// A store error as 404 (not found), 400 (invalid argument) or 500.
void StoreError(HttpResponse& res, const Error& e);
// Parses an optional JSON object body; answers 415/400 and returns nullopt on bad input.
std::optional<nlohmann::json> BodyObject(const HttpRequest& req, HttpResponse& res);
// A whole decimal integer, or nullopt.
std::optional<int64_t> ParseInt(std::string_view s);

}  // namespace routes
}  // namespace mw::server
