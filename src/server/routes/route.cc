// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "server/routes/route.h"

#include <charconv>

namespace mw::server::routes {

using nlohmann::json;

namespace {
constexpr const char* kJson = "application/json";
}  // namespace

void RouteTable::Add(const char* method, std::initializer_list<const char*> documented,
                     const std::string& pattern, std::optional<store::Role> need,
                     std::set<std::string> params, RouteHandler handler) {
  routes.push_back({method, std::vector<std::string>(documented.begin(), documented.end()),
                    std::regex(pattern), need, std::move(params), std::move(handler)});
}

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

void SendJson(HttpResponse& res, const json& j, int status) {
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

void StoreError(HttpResponse& res, const Error& e) {
  int status = e.code() == Error::Code::kNotFound          ? 404
               : e.code() == Error::Code::kInvalidArgument ? 400
                                                           : 500;
  SendError(res, status, StatusCode(status), e.message());
}

std::optional<json> BodyObject(const HttpRequest& req, HttpResponse& res) {
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
}

std::optional<int64_t> ParseInt(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace mw::server::routes
