// minerwatch — SPDX-License-Identifier: Apache-2.0
// The web console (web/, embedded at build time): "/" and /console/<file>, no token.
#include "server/console_assets.h"
#include "server/routes/route.h"

namespace mw::server::routes {
namespace {

void ServeAsset(const std::string& path, HttpResponse& res) {
  const Asset* a = FindAsset(path);
  if (!a) return SendError(res, 404, "not_found", "no such console file");
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'");
  res.set_content(std::string(a->data, a->size), a->content_type);
}

}  // namespace

void AddConsoleRoutes(RouteTable& t) {
  const std::optional<store::Role> kNone;
  t.Add("GET", {"/"}, "/", kNone, {},
        [](const RouteContext&, const HttpRequest&, HttpResponse& res) {
          ServeAsset("index.html", res);
        });
  t.Add("GET", {"/console/{file}"}, R"(/console/([A-Za-z0-9_.-]{1,64}))", kNone, {},
        [](const RouteContext&, const HttpRequest& req, HttpResponse& res) {
          ServeAsset(req.matches[1], res);
        });
}

}  // namespace mw::server::routes
