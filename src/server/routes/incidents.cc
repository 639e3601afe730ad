// minerwatch — SPDX-License-Identifier: Apache-2.0
// /api/v1/incidents: the list (open or closed) and one incident.
#include "server/api_server.h"
#include "server/routes/route.h"
#include "store/store_json.h"

namespace mw::server::routes {
namespace {

using nlohmann::json;
using store::Role;

void List(const RouteContext& ctx, const HttpRequest& req, HttpResponse& res) {
  if (!ctx.Authorize(req, res, Role::kViewer)) return;
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
        return SendError(res, 400, "bad_request", "limit must be an integer from 1 to 1000");
      limit = uint32_t(*n);
    } else {
      return SendError(res, 400, "bad_request", "unknown query parameter '" + k + "'");
    }
  }
  auto list = ctx.store.ListIncidents(open, limit);
  if (!list) return StoreError(res, list.error());
  json items = json::array();
  for (const auto& i : *list) items.push_back(store::ToJson(i));
  SendJson(res, json{{"incidents", std::move(items)}});
}

void GetOne(const RouteContext& ctx, const HttpRequest& req, HttpResponse& res) {
  if (!ctx.Authorize(req, res, Role::kViewer)) return;
  auto id = ParseInt(std::string(req.matches[1]));
  auto inc = ctx.store.GetIncident(id.value_or(0));
  if (!inc) return StoreError(res, inc.error());
  if (!inc->has_value())
    return SendError(res, 404, "not_found", "no incident " + std::string(req.matches[1]));
  SendJson(res, store::ToJson(**inc));
}

}  // namespace

void AddIncidentRoutes(RouteTable& t) {
  t.Add("GET", {"/api/v1/incidents"}, "/api/v1/incidents", Role::kViewer, {"state", "limit"}, List);
  t.Add("GET", {"/api/v1/incidents/{id}"}, R"(/api/v1/incidents/(\d{1,18}))", Role::kViewer, {},
        GetOne);
}

}  // namespace mw::server::routes
