// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "server/api_server.h"

#include <charconv>
#include <chrono>
#include <regex>
#include <set>

#include "server/auth.h"
#include "server/console_assets.h"
#include "store/finding_schema.h"
#include "store/ingest_audit.h"
#include "store/store_json.h"

namespace mw::server {
namespace {

using nlohmann::json;
using store::Role;

constexpr const char* kJson = "application/json";

// Every API answer: never cached (tokens, findings), never sniffed into something executable.
void NoStore(HttpResponse& res) {
  if (res.get_header_value("Cache-Control").empty()) res.set_header("Cache-Control", "no-store");
  res.set_header("X-Content-Type-Options", "nosniff");
}

void SendError(HttpResponse& res, int status, std::string_view code, std::string message) {
  res.status = status;
  NoStore(res);
  res.set_content(
      // The message may echo the client's bytes (a parameter name): invalid UTF-8 is replaced.
      json{{"error", {{"status", status}, {"code", code}, {"message", std::move(message)}}}}.dump(
          -1, ' ', false, json::error_handler_t::replace),
      kJson);
}

void SendJson(HttpResponse& res, const json& j, int status = 200) {
  res.status = status;
  NoStore(res);
  res.set_content(j.dump(-1, ' ', false, json::error_handler_t::replace), kJson);
}

std::string_view StatusCode(int status) {
  switch (status) {
    case 400:
      return "bad_request";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 413:
      return "payload_too_large";
    case 414:
      return "uri_too_long";
    case 415:
      return "unsupported_media_type";
    case 431:
      return "request_header_fields_too_large";
    default:
      return status >= 500 ? "internal" : "error";
  }
}

std::optional<int64_t> ParseInt(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// RFC 3339 (a whole date-time: ParseTimestamp refuses trailing bytes) or integer Unix seconds.
std::optional<TimestampUs> ParseTime(std::string_view s) {
  if (auto n = ParseInt(s)) {
    if (*n < 0 || *n > 32503680000LL) return std::nullopt;
    return *n * 1000000;
  }
  return ParseTimestamp(s);
}

std::string EncodeCursor(const std::pair<TimestampUs, std::string>& c) {
  return std::to_string(c.first) + "~" + c.second;
}

std::optional<std::pair<TimestampUs, std::string>> DecodeCursor(std::string_view s) {
  auto tilde = s.find('~');
  if (tilde == std::string_view::npos || s.size() > 300) return std::nullopt;
  auto ts = ParseInt(s.substr(0, tilde));
  if (!ts) return std::nullopt;
  return std::make_pair(*ts, std::string(s.substr(tilde + 1)));
}

// Parses the finding filters shared by list and counts. Returns an error message on bad input.
std::optional<std::string> ParseQuery(const HttpRequest& req, store::FindingQuery& q,
                                      bool allow_paging) {
  static const std::set<std::string> kKnown = {"category", "stage", "severity", "state", "host",
                                               "since",    "until", "q",        "limit", "cursor"};
  for (const auto& [k, v] : req.params) {
    if (!kKnown.count(k)) return "unknown query parameter '" + k + "'";
    if (v.size() > 512) return "query parameter '" + k + "' is longer than 512 bytes";
    if (req.params.count(k) > 1) return "query parameter '" + k + "' given more than once";
  }
  auto get = [&](const char* k) -> std::optional<std::string> {
    auto it = req.params.find(k);
    if (it == req.params.end()) return std::nullopt;
    return it->second;
  };
  if (auto v = get("category")) q.category = *v;
  if (auto v = get("stage")) {
    q.stage = store::ParseStage(*v);
    if (!q.stage) return "stage must be 'precursor' or 'mining'";
  }
  if (auto v = get("severity")) {
    q.min_severity = ParseSeverity(*v);
    if (!q.min_severity) return "severity must be one of info, low, medium, high, critical";
  }
  if (auto v = get("state")) {
    q.state = store::ParseState(*v);
    if (!q.state) return "state must be one of active, muted, resolved";
  }
  if (auto v = get("host")) q.host = *v;
  if (auto v = get("q")) q.text = *v;
  if (auto v = get("since")) {
    auto t = ParseTime(*v);
    if (!t) return "since must be RFC 3339 (2024-01-02T03:04:05Z) or Unix seconds";
    q.since = *t;
  }
  if (auto v = get("until")) {
    auto t = ParseTime(*v);
    if (!t) return "until must be RFC 3339 (2024-01-02T03:04:05Z) or Unix seconds";
    q.until = *t;
  }
  if (auto v = get("limit")) {
    if (!allow_paging) return "limit is not accepted here";
    auto n = ParseInt(*v);
    if (!n || *n < 1 || *n > 1000) return "limit must be an integer from 1 to 1000";
    q.limit = uint32_t(*n);
  }
  if (auto v = get("cursor")) {
    if (!allow_paging) return "cursor is not accepted here";
    q.cursor = DecodeCursor(*v);
    if (!q.cursor) return "cursor is malformed; pass next_cursor from the previous page";
  }
  return std::nullopt;
}

}  // namespace

ApiServer::ApiServer(store::Store& store, Metrics& metrics, ServerOptions options,
                     ServiceHooks hooks)
    : store_(store), metrics_(metrics), options_(std::move(options)), hooks_(std::move(hooks)) {
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
  Routes();
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
  const Route& r = routes_[size_t(req.route)];
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
    routes_[size_t(req.route)].handler(req, res);
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

void ApiServer::Routes() {
  routes_.clear();
  // Registers a handler and remembers it: for dispatch, 405 + Allow, and the OpenAPI coverage
  // test. "need" is the role checked on the headers; "params" the query parameters it takes.
  auto route = [this](const char* method, std::initializer_list<const char*> documented,
                      const std::string& pattern, std::optional<Role> need,
                      std::set<std::string> params, Handler h) {
    routes_.push_back({method, std::vector<std::string>(documented.begin(), documented.end()),
                       std::regex(pattern), need, std::move(params), std::move(h)});
  };
  const std::set<std::string> kFindingParams = {"category", "stage", "severity", "state", "host",
                                                "since",    "until", "q",        "limit", "cursor"};
  const std::optional<Role> kNone;

  // The token OnHeaders checked against the route's role (handlers keep their own call so each
  // one still says what it needs).
  auto authorize = [this](const HttpRequest& req, HttpResponse& res, Role need) {
    return Authorize(req, res, need);
  };

  // Parses an optional JSON object body; answers 415/400 and returns nullopt on bad input.
  auto body_object = [](const HttpRequest& req, HttpResponse& res) -> std::optional<json> {
    if (req.body.empty()) return json::object();
    std::string ct = req.get_header_value("Content-Type");
    if (ct.rfind("application/json", 0) != 0) {
      SendError(res, 415, "unsupported_media_type", "request body must be application/json");
      return std::nullopt;
    }
    auto j = json::parse(req.body, nullptr, false);
    if (j.is_discarded()) {
      SendError(res, 400, "bad_request", "request body is not valid JSON");
      return std::nullopt;
    }
    if (!j.is_object()) {
      SendError(res, 400, "bad_request", "request body must be a JSON object");
      return std::nullopt;
    }
    return j;
  };

  auto store_error = [](HttpResponse& res, const Error& e) {
    int status = e.code() == Error::Code::kNotFound          ? 404
                 : e.code() == Error::Code::kInvalidArgument ? 400
                                                             : 500;
    SendError(res, status, StatusCode(status), e.message());
  };

  route("GET", {"/api/v1/health"}, "/api/v1/health", kNone, {},
        [this](const HttpRequest&, HttpResponse& res) {
          json j = {{"status", "ok"}};
          auto v = store_.SchemaVersion();
          j["store"] = v ? json{{"status", "ok"}, {"schema_version", *v}}
                         : json{{"status", "error"}, {"message", v.error().message()}};
          if (!v) j["status"] = "degraded";
          if (hooks_.health) j["components"] = hooks_.health();
          SendJson(res, j, v ? 200 : 503);
        });

  route("GET", {"/metrics"}, "/metrics", options_.metrics_public ? kNone : Role::kViewer, {},
        [this, authorize](const HttpRequest& req, HttpResponse& res) {
          if (!options_.metrics_public && !authorize(req, res, Role::kViewer)) return;
          res.set_content(metrics_.Render(), "text/plain; version=0.0.4");
        });

  route("GET", {"/api/v1/findings"}, "/api/v1/findings", Role::kViewer, kFindingParams,
        [this, authorize, store_error](const HttpRequest& req, HttpResponse& res) {
          if (!authorize(req, res, Role::kViewer)) return;
          store::FindingQuery q;
          if (auto err = ParseQuery(req, q, true)) return SendError(res, 400, "bad_request", *err);
          auto page = store_.List(q);
          if (!page) return store_error(res, page.error());
          json items = json::array();
          for (const auto& f : page->findings) items.push_back(store::ToJson(f, false));
          json j = {{"findings", std::move(items)}};
          j["next_cursor"] = page->next_cursor ? json(EncodeCursor(*page->next_cursor)) : json();
          SendJson(res, j);
        });

  // Ingest from remote agents (and the durability test): 200 means the batch is on disk.
  route("POST", {"/api/v1/findings"}, "/api/v1/findings", Role::kResponder, {},
        [this, authorize, body_object, store_error](const HttpRequest& req, HttpResponse& res) {
          auto tok = authorize(req, res, Role::kResponder);
          if (!tok) return;
          auto body = body_object(req, res);
          if (!body) return;
          TimestampUs now = hooks_.now();
          auto batch = store::ValidateIngest(*body, now);
          if (!batch) return SendError(res, 400, "bad_request", batch.error().message());
          auto out = store::IngestAudited(store_, *batch, "token:" + tok->name, now, hooks_.ingest);
          if (!out) return store_error(res, out.error());
          metrics_.findings_ingested += batch->size();
          SendJson(res, json{{"accepted", batch->size()},
                             {"created", out->created},
                             {"updated", out->updated},
                             {"reopened", out->reopened}});
        });

  route("GET", {"/api/v1/findings/counts"}, "/api/v1/findings/counts", Role::kViewer,
        kFindingParams, [this, authorize, store_error](const HttpRequest& req, HttpResponse& res) {
          if (!authorize(req, res, Role::kViewer)) return;
          store::FindingQuery q;
          if (auto err = ParseQuery(req, q, false)) return SendError(res, 400, "bad_request", *err);
          auto c = store_.Counts(q);
          if (!c) return store_error(res, c.error());
          SendJson(res, store::ToJson(*c));
        });

  route("GET", {"/api/v1/findings/{id}"}, R"(/api/v1/findings/([A-Za-z0-9_.:-]{1,128}))",
        Role::kViewer, {},
        [this, authorize, store_error](const HttpRequest& req, HttpResponse& res) {
          if (!authorize(req, res, Role::kViewer)) return;
          auto f = store_.Get(req.matches[1]);
          if (!f) return store_error(res, f.error());
          if (!f->has_value())
            return SendError(res, 404, "not_found",
                             "no finding with id " + std::string(req.matches[1]));
          SendJson(res, store::ToJson(**f, true));
        });

  // mute / unmute / resolve / reopen: responder and up.
  route("POST",
        {"/api/v1/findings/{id}/mute", "/api/v1/findings/{id}/unmute",
         "/api/v1/findings/{id}/resolve", "/api/v1/findings/{id}/reopen",
         "/api/v1/findings/{id}/remediate"},
        R"(/api/v1/findings/([A-Za-z0-9_.:-]{1,128})/(mute|unmute|resolve|reopen|remediate))",
        Role::kResponder, {},
        [this, authorize, body_object, store_error](const HttpRequest& req, HttpResponse& res) {
          auto tok = authorize(req, res, Role::kResponder);
          if (!tok) return;
          auto body = body_object(req, res);
          if (!body) return;
          for (auto& [k, v] : body->items()) {
            if (k != "reason")
              return SendError(res, 400, "bad_request", "unknown field '" + k + "'");
            if (!v.is_string())
              return SendError(res, 400, "bad_request", "reason must be a string");
          }
          std::string reason = body->value("reason", "");
          if (reason.size() > 1000)
            return SendError(res, 400, "bad_request", "reason is longer than 1000 characters");
          std::string id = req.matches[1];
          std::string action = req.matches[2];
          std::string actor = "token:" + tok->name;
          if (action == "mute" && reason.empty()) {
            return SendError(res, 400, "bad_request",
                             "muting needs a reason: {\"reason\": \"...\"}");
          }
          auto cur = store_.Get(id);
          if (!cur) return store_error(res, cur.error());
          if (!cur->has_value())
            return SendError(res, 404, "not_found", "no finding with id " + id);
          TimestampUs now = hooks_.now();
          if (action == "remediate") {
            if (!hooks_.remediate) {
              return SendError(
                  res, 409, "remediation_unavailable",
                  "no remediation is configured for this deployment (remediation.policy)");
            }
            auto done = hooks_.remediate(**cur, actor);
            (void)store_.AppendAudit({0, now, actor, "finding.remediate", id,
                                      json{{"reason", reason},
                                           {"ok", bool(done)},
                                           {"result", done ? *done : done.error().message()}}
                                          .dump()});
            if (!done) return SendError(res, 502, "remediation_failed", done.error().message());
            (void)store_.AddTimeline(
                (*cur)->finding.resource.host_ip,
                {now, "remediation", id, "remediation by " + actor + ": " + *done});
          } else {
            store::FindingState target = action == "mute"      ? store::FindingState::kMuted
                                         : action == "resolve" ? store::FindingState::kResolved
                                                               : store::FindingState::kActive;
            auto st = store_.SetState(id, target, reason, actor, now);
            if (!st) return store_error(res, st.error());
          }
          auto after = store_.Get(id);
          if (!after || !after->has_value())
            return SendError(res, 500, "internal", "finding vanished");
          if (action != "remediate" && hooks_.state_changed) {
            store::StoredFinding slim = **after;
            slim.evidence_samples = json::array();
            hooks_.state_changed(slim);
          }
          SendJson(res, store::ToJson(**after, false));
        });

  route("GET", {"/api/v1/incidents"}, "/api/v1/incidents", Role::kViewer, {"state", "limit"},
        [this, authorize, store_error](const HttpRequest& req, HttpResponse& res) {
          if (!authorize(req, res, Role::kViewer)) return;
          std::optional<bool> open;
          uint32_t limit = 100;
          for (const auto& [k, v] : req.params) {
            if (k == "state") {
              if (v != "open" && v != "closed")
                return SendError(res, 400, "bad_request", "state must be open or closed");
              open = v == "open";
            } else if (k == "limit") {
              auto n = ParseInt(v);
              if (!n || *n < 1 || *n > 1000)
                return SendError(res, 400, "bad_request",
                                 "limit must be an integer from 1 to 1000");
              limit = uint32_t(*n);
            } else {
              return SendError(res, 400, "bad_request", "unknown query parameter '" + k + "'");
            }
          }
          auto list = store_.ListIncidents(open, limit);
          if (!list) return store_error(res, list.error());
          json items = json::array();
          for (const auto& i : *list) items.push_back(store::ToJson(i));
          SendJson(res, json{{"incidents", std::move(items)}});
        });

  route("GET", {"/api/v1/incidents/{id}"}, R"(/api/v1/incidents/(\d{1,18}))", Role::kViewer, {},
        [this, authorize, store_error](const HttpRequest& req, HttpResponse& res) {
          if (!authorize(req, res, Role::kViewer)) return;
          auto id = ParseInt(std::string(req.matches[1]));
          auto inc = store_.GetIncident(id.value_or(0));
          if (!inc) return store_error(res, inc.error());
          if (!inc->has_value())
            return SendError(res, 404, "not_found", "no incident " + std::string(req.matches[1]));
          SendJson(res, store::ToJson(**inc));
        });

  // ---- admin ----
  route("GET", {"/api/v1/audit"}, "/api/v1/audit", Role::kAdmin, {"limit"},
        [this, authorize, store_error](const HttpRequest& req, HttpResponse& res) {
          if (!authorize(req, res, Role::kAdmin)) return;
          uint32_t limit = 200;
          if (req.has_param("limit")) {
            auto n = ParseInt(req.get_param_value("limit"));
            if (!n || *n < 1 || *n > 10000)
              return SendError(res, 400, "bad_request", "limit must be an integer from 1 to 10000");
            limit = uint32_t(*n);
          }
          auto list = store_.ListAudit(limit);
          if (!list) return store_error(res, list.error());
          json items = json::array();
          for (const auto& e : *list) items.push_back(store::ToJson(e));
          SendJson(res, json{{"audit", std::move(items)}});
        });

  route("GET", {"/api/v1/tokens"}, "/api/v1/tokens", Role::kAdmin, {},
        [this, authorize, store_error](const HttpRequest& req, HttpResponse& res) {
          if (!authorize(req, res, Role::kAdmin)) return;
          auto list = store_.ListTokens();
          if (!list) return store_error(res, list.error());
          json items = json::array();
          for (const auto& t : *list) items.push_back(store::ToJson(t));
          SendJson(res, json{{"tokens", std::move(items)}});
        });

  route("POST", {"/api/v1/tokens"}, "/api/v1/tokens", Role::kAdmin, {},
        [this, authorize, body_object, store_error](const HttpRequest& req, HttpResponse& res) {
          auto tok = authorize(req, res, Role::kAdmin);
          if (!tok) return;
          auto body = body_object(req, res);
          if (!body) return;
          if (!body->contains("name") || !(*body)["name"].is_string() || !body->contains("role") ||
              !(*body)["role"].is_string()) {
            return SendError(res, 400, "bad_request",
                             "body must be {\"name\": string, \"role\": viewer|responder|admin}");
          }
          auto role = store::ParseRole((*body)["role"].get<std::string>());
          if (!role)
            return SendError(res, 400, "bad_request", "role must be viewer, responder or admin");
          auto t = CreateToken(store_, (*body)["name"].get<std::string>(), *role,
                               "token:" + tok->name, hooks_.now());
          if (!t) return store_error(res, t.error());
          json j = store::ToJson(t->record);
          j["token"] = t->plaintext;
          SendJson(res, j, 201);
        });

  route(
      "DELETE", {"/api/v1/tokens/{id}"}, R"(/api/v1/tokens/([A-Za-z0-9._-]{1,64}))", Role::kAdmin,
      {}, [this, authorize, store_error](const HttpRequest& req, HttpResponse& res) {
        auto tok = authorize(req, res, Role::kAdmin);
        if (!tok) return;
        std::string id = req.matches[1];
        auto gone = store_.DeleteToken(id);
        if (!gone) return store_error(res, gone.error());
        if (!*gone) return SendError(res, 404, "not_found", "no token " + id);
        (void)store_.AppendAudit({0, hooks_.now(), "token:" + tok->name, "token.delete", id, "{}"});
        res.status = 204;
      });

  route("GET", {"/api/v1/config"}, "/api/v1/config", Role::kAdmin, {},
        [this, authorize](const HttpRequest& req, HttpResponse& res) {
          if (!authorize(req, res, Role::kAdmin)) return;
          SendJson(res, hooks_.config ? hooks_.config() : json::object());
        });

  route("GET", {"/api/v1/whoami"}, "/api/v1/whoami", Role::kViewer, {},
        [authorize](const HttpRequest& req, HttpResponse& res) {
          auto tok = authorize(req, res, Role::kViewer);
          if (!tok) return;
          SendJson(
              res,
              json{{"name", tok->name}, {"id", tok->id}, {"role", store::RoleName(tok->role)}});
        });

  // ---- console ----
  auto serve_asset = [](const std::string& path, HttpResponse& res) {
    const Asset* a = FindAsset(path);
    if (!a) return SendError(res, 404, "not_found", "no such console file");
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Content-Security-Policy",
                   "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'");
    res.set_content(std::string(a->data, a->size), a->content_type);
  };
  route("GET", {"/"}, "/", kNone, {},
        [serve_asset](const HttpRequest&, HttpResponse& res) { serve_asset("index.html", res); });
  route("GET", {"/console/{file}"}, R"(/console/([A-Za-z0-9_.-]{1,64}))", kNone, {},
        [serve_asset](const HttpRequest& req, HttpResponse& res) {
          serve_asset(req.matches[1], res);
        });
}

}  // namespace mw::server
