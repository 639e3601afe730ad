// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "server/api_server.h"

#include <chrono>
#include <regex>
#include <set>

#include "server/auth.h"

namespace mw::server {

using routes::NoStore;
using routes::SendError;
using routes::StatusCode;
using store::Role;

ApiServer::ApiServer(store::Store& store, Metrics& metrics, ServerOptions options,
                     ServiceHooks hooks)
    : store_(store),
      metrics_(metrics),
      options_(std::move(options)),
      hooks_(std::move(hooks)),
      context_{store_, metrics_, hooks_, options_,
               [this](const HttpRequest& req, HttpResponse& res, Role need) {
                 return Authorize(req, res, need);
               }} {
  if (!hooks_.now) {
    hooks_.now = [] {
      return TimestampUs(std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count());
    };
  }
}

ApiServer::~ApiServer() { Stop(); }

std::vector<ApiServer::RouteInfo> ApiServer::routes() const {
  std::vector<RouteInfo> out;
  for (const auto& r : routes_) out.push_back({r.method, r.documented});
  return out;
}

std::string ApiServer::AllowedMethods(const std::string& path) const {
  std::set<std::string> methods;
  for (const auto& r : routes_) {
    if (std::regex_match(path, r.regex)) methods.insert(r.method);
  }
  if (methods.count("GET")) methods.insert("HEAD");
  std::string out;
  for (const auto& m : methods) out += (out.empty() ? "" : ", ") + m;
  return out;
}

Status ApiServer::Start() {
  routes::RouteTable table{options_, {}};
  routes::AddBuiltinRoutes(table);
  routes_ = std::move(table.routes);
  HttpLimits limits;
  limits.max_body_bytes = options_.max_body_bytes;
  limits.threads = options_.threads;
  limits.read_timeout_s = options_.read_timeout_s;
  limits.idle_timeout_s = options_.idle_timeout_s;
  limits.max_connections = options_.max_connections;
  limits.max_connections_per_ip = options_.max_connections_per_ip;
  HttpHandlers h;
  h.on_headers = [this](HttpRequest& req) { return OnHeaders(req); };
  h.on_request = [this](HttpRequest& req) { return OnRequest(req); };
  h.error = [](int status, std::string message) {
    HttpResponse res;
    SendError(res, status, StatusCode(status), std::move(message));
    return res;
  };
  h.on_response = [this](int status) {
    ++metrics_.http_requests;
    if (status >= 400 && status < 500) ++metrics_.http_4xx;
    if (status >= 500) ++metrics_.http_5xx;
  };
  http_ = std::make_unique<HttpServer>(limits, std::move(h));
  if (auto st = http_->Start(options_.host, options_.port); !st) return st;
  port_ = http_->port();
  return Ok();
}

void ApiServer::Stop() {
  if (http_) http_->Stop();
}

// Everything that can be decided without the body, in the order a client can fix it: path and
// method, query parameters, token and role, then the body's framing and type.
std::optional<HttpResponse> ApiServer::OnHeaders(HttpRequest& req) {
  HttpResponse res;
  std::string method = req.method == "HEAD" ? "GET" : req.method;
  for (size_t i = 0; i < routes_.size() && req.route < 0; ++i) {
    std::smatch m;
    if (routes_[i].method == method && std::regex_match(req.path, m, routes_[i].regex)) {
      req.route = int(i);
      for (const auto& g : m) req.matches.push_back(g.str());
    }
  }
  if (req.route < 0) {
    // A known path asked with another method: 405 with the methods it has (RFC 9110 15.5.6).
    std::string allow = AllowedMethods(req.path);
    if (allow.empty()) {
      SendError(res, 404, "not_found", "no such endpoint");
    } else {
      res.set_header("Allow", allow);
      SendError(res, 405, "method_not_allowed",
                req.method + " is not supported here; use " + allow);
    }
    return res;
  }
  const routes::Route& r = routes_[size_t(req.route)];
  for (const auto& [k, v] : req.params) {
    if (!r.params.count(k))
      return SendError(res, 400, "bad_request", "unknown query parameter '" + k + "'"), res;
    if (req.params.count(k) > 1) {
      return SendError(res, 400, "bad_request", "query parameter '" + k + "' given more than once"),
             res;
    }
  }
  if (r.need) {
    auto tok = Authorize(req, res, *r.need);
    if (!tok) return res;
    req.app = std::make_shared<store::TokenRecord>(std::move(*tok));
  }
  if (method != "GET" && req.has_body()) {
    std::string ct = req.get_header_value("Content-Type");
    if (ct.rfind("application/json", 0) != 0) {
      return SendError(res, 415, "unsupported_media_type", "request body must be application/json"),
             res;
    }
  }
  return std::nullopt;
}

HttpResponse ApiServer::OnRequest(HttpRequest& req) {
  HttpResponse res;
  try {
    routes_[size_t(req.route)].handler(context_, req, res);
  } catch (const std::exception&) {
    res = HttpResponse();
    SendError(res, 500, "internal", "internal error; see the service log");
  }
  NoStore(res);
  return res;
}

std::optional<store::TokenRecord> ApiServer::Authorize(const HttpRequest& req, HttpResponse& res,
                                                       Role need) {
  if (req.app) return *std::static_pointer_cast<store::TokenRecord>(req.app);  // from OnHeaders
  std::string auth = req.get_header_value("Authorization");
  if (auth.empty()) {
    res.set_header("WWW-Authenticate", "Bearer");
    SendError(res, 401, "unauthorized", "missing 'Authorization: Bearer <token>' header");
    return std::nullopt;
  }
  if (auth.rfind("Bearer ", 0) != 0) {
    SendError(res, 401, "unauthorized", "Authorization must use the Bearer scheme");
    return std::nullopt;
  }
  auto tok = Authenticate(store_, std::string_view(auth).substr(7));
  if (!tok) {
    SendError(res, 401, "unauthorized", "unknown or malformed API token");
    return std::nullopt;
  }
  if (tok->role < need) {
    SendError(res, 403, "forbidden",
              "token '" + tok->name + "' has role " + std::string(store::RoleName(tok->role)) +
                  "; this needs " + std::string(store::RoleName(need)));
    return std::nullopt;
  }
  return tok;
}

}  // namespace mw::server
