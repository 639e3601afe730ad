// minerwatch — SPDX-License-Identifier: Apache-2.0
// GET /api/v1/config (the redacted config, admin) and GET /api/v1/whoami (the caller's token).
#include "server/api_server.h"
#include "server/routes/route.h"

namespace mw::server::routes {

using nlohmann::json;
using store::Role;

void AddConfigRoutes(RouteTable& t) {
  t.Add("GET", {"/api/v1/config"}, "/api/v1/config", Role::kAdmin, {},
        [](const RouteContext& ctx, const HttpRequest& req, HttpResponse& res) {
          if (!ctx.Authorize(req, res, Role::kAdmin)) return;
          SendJson(res, ctx.hooks.config ? ctx.hooks.config() : json::object());
        });

  t.Add("GET", {"/api/v1/whoami"}, "/api/v1/whoami", Role::kViewer, {},
        [](const RouteContext& ctx, const HttpRequest& req, HttpResponse& res) {
          auto tok = ctx.Authorize(req, res, Role::kViewer);
          if (!tok) return;
          SendJson(
              res,
              json{{"name", tok->name}, {"id", tok->id}, {"role", store::RoleName(tok->role)}});
        });
}

}  // namespace mw::server::routes
