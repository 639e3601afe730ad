// minerwatch — SPDX-License-Identifier: Apache-2.0
// GET /api/v1/audit: the audit log, newest first (admin).
#include "server/api_server.h"
#include "server/routes/route.h"
#include "store/store_json.h"

namespace mw::server::routes {

using nlohmann::json;
using store::Role;

void AddAuditRoutes(RouteTable& t) {
  t.Add("GET", {"/api/v1/audit"}, "/api/v1/audit", Role::kAdmin, {"limit"},
        [](const RouteContext& ctx, const HttpRequest& req, HttpResponse& res) {
          if (!ctx.Authorize(req, res, Role::kAdmin)) return;
          uint32_t limit = 200;
          if (req.has_param("limit")) {
            auto n = ParseInt(req.get_param_value("limit"));
            if (!n || *n < 1 || *n > 10000)
              return SendError(res, 400, "bad_request", "limit must be an integer from 1 to 10000");
            limit = uint32_t(*n);
          }
          auto list = ctx.store.ListAudit(limit);
          if (!list) return StoreError(res, list.error());
          json items = json::array();
          for (const auto& e : *list) items.push_back(store::ToJson(e));
          SendJson(res, json{{"audit", std::move(items)}});
        });
}

}  // namespace mw::server::routes
