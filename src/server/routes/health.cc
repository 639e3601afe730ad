// minerwatch — SPDX-License-Identifier: Apache-2.0
// GET /api/v1/health (no token) and GET /metrics (no token when server.metrics_public).
#include "server/api_server.h"
#include "server/routes/route.h"

namespace mw::server::routes {

using nlohmann::json;
using store::Role;

void AddHealthRoutes(RouteTable& t) {
  const std::optional<Role> kNone;

  t.Add("GET", {"/api/v1/health"}, "/api/v1/health", kNone, {},
        [](const RouteContext& ctx, const HttpRequest&, HttpResponse& res) {
          json j = {{"status", "ok"}};
          auto v = ctx.store.SchemaVersion();
          j["store"] = v ? json{{"status", "ok"}, {"schema_version", *v}}
                         : json{{"status", "error"}, {"message", v.error().message()}};
          if (!v) j["status"] = "degraded";
          if (ctx.hooks.health) j["components"] = ctx.hooks.health();
          SendJson(res, j, v ? 200 : 503);
        });

  t.Add("GET", {"/metrics"}, "/metrics", t.options.metrics_public ? kNone : Role::kViewer, {},
        [](const RouteContext& ctx, const HttpRequest& req, HttpResponse& res) {
          if (!ctx.options.metrics_public && !ctx.Authorize(req, res, Role::kViewer)) return;
          res.set_content(ctx.metrics.Render(), "text/plain; version=0.0.4");
        });
}

}  // namespace mw::server::routes
