// minerwatch — SPDX-License-Identifier: Apache-2.0
// /api/v1/tokens: list, create (the plaintext is shown once) and delete API tokens (admin).
#include "server/api_server.h"
#include "server/auth.h"
#include "server/routes/route.h"
#include "store/store_json.h"

namespace mw::server::routes {
namespace {

using nlohmann::json;
using store::Role;

void List(const RouteContext& ctx, const HttpRequest& req, HttpResponse& res) {
  if (!ctx.Authorize(req, res, Role::kAdmin)) return;
  auto list = ctx.store.ListTokens();
  if (!list) return StoreError(res, list.error());
  json items = json::array();
  for (const auto& t : *list) items.push_back(store::ToJson(t));
  SendJson(res, json{{"tokens", std::move(items)}});
}

void Create(const RouteContext& ctx, const HttpRequest& req, HttpResponse& res) {
  auto tok = ctx.Authorize(req, res, Role::kAdmin);
  if (!tok) return;
  auto body = BodyObject(req, res);
  if (!body) return;
  if (!body->contains("name") || !(*body)["name"].is_string() || !body->contains("role") ||
      !(*body)["role"].is_string()) {
    return SendError(res, 400, "bad_request",
                     "body must be {\"name\": string, \"role\": viewer|responder|admin}");
  }
  auto role = store::ParseRole((*body)["role"].get<std::string>());
  if (!role) return SendError(res, 400, "bad_request", "role must be viewer, responder or admin");
  auto t = CreateToken(ctx.store, (*body)["name"].get<std::string>(), *role, "token:" + tok->name,
                       ctx.hooks.now());
  if (!t) return StoreError(res, t.error());
  json j = store::ToJson(t->record);
  j["token"] = t->plaintext;
  SendJson(res, j, 201);
}

void Delete(const RouteContext& ctx, const HttpRequest& req, HttpResponse& res) {
  auto tok = ctx.Authorize(req, res, Role::kAdmin);
  if (!tok) return;
  std::string id = req.matches[1];
  auto gone = ctx.store.DeleteToken(id);
  if (!gone) return StoreError(res, gone.error());
  if (!*gone) return SendError(res, 404, "not_found", "no token " + id);
  (void)ctx.store.AppendAudit({0, ctx.hooks.now(), "token:" + tok->name, "token.delete", id, "{}"});
  res.status = 204;
}

}  // namespace

void AddTokenRoutes(RouteTable& t) {
  t.Add("GET", {"/api/v1/tokens"}, "/api/v1/tokens", Role::kAdmin, {}, List);
  t.Add("POST", {"/api/v1/tokens"}, "/api/v1/tokens", Role::kAdmin, {}, Create);
  t.Add("DELETE", {"/api/v1/tokens/{id}"}, R"(/api/v1/tokens/([A-Za-z0-9._-]{1,64}))", Role::kAdmin,
        {}, Delete);
}

}  // namespace mw::server::routes
