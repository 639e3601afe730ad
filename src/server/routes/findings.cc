// minerwatch — SPDX-License-Identifier: Apache-2.0
// /api/v1/findings: list (filters, cursor paging), ingest from remote agents, counts, one finding,
// and the state actions mute / unmute / resolve / reopen / remediate.
#include <set>

#include "server/api_server.h"
#include "server/routes/route.h"
#include "store/finding_schema.h"
#include "store/ingest_audit.h"
#include "store/store_json.h"

namespace mw::server::routes {
namespace {

using nlohmann::json;
using store::Role;

// The finding filters shared by list and counts (counts refuses limit and cursor).
const std::set<std::string>& FindingParams() {
  static const std::set<std::string> kParams = {"category", "stage", "severity", "state", "host",
                                                "since",    "until", "q",        "limit", "cursor"};
  return kParams;
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
  for (const auto& [k, v] : req.params) {
    if (!FindingParams().count(k)) return "unknown query parameter '" + k + "'";
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

void List(const RouteContext& ctx, const HttpRequest& req, HttpResponse& res) {
  if (!ctx.Authorize(req, res, Role::kViewer)) return;
  store::FindingQuery q;
  if (auto err = ParseQuery(req, q, true)) return SendError(res, 400, "bad_request", *err);
  auto page = ctx.store.List(q);
  if (!page) return StoreError(res, page.error());
  json items = json::array();
  for (const auto& f : page->findings) items.push_back(store::ToJson(f, false));
  json j = {{"findings", std::move(items)}};
  j["next_cursor"] = page->next_cursor ? json(EncodeCursor(*page->next_cursor)) : json();
  SendJson(res, j);
}

// Ingest from remote agents (and the durability test): 200 means the batch is on disk.
void Ingest(const RouteContext& ctx, const HttpRequest& req, HttpResponse& res) {
  auto tok = ctx.Authorize(req, res, Role::kResponder);
  if (!tok) return;
  auto body = BodyObject(req, res);
  if (!body) return;
  TimestampUs now = ctx.hooks.now();
  auto batch = store::ValidateIngest(*body, now);
  if (!batch) return SendError(res, 400, "bad_request", batch.error().message());
  auto out = store::IngestAudited(ctx.store, *batch, "token:" + tok->name, now, ctx.hooks.ingest);
  if (!out) return StoreError(res, out.error());
  ctx.metrics.findings_ingested += batch->size();
  SendJson(res, json{{"accepted", batch->size()},
                     {"created", out->created},
                     {"updated", out->updated},
                     {"reopened", out->reopened}});
}

void Counts(const RouteContext& ctx, const HttpRequest& req, HttpResponse& res) {
  if (!ctx.Authorize(req, res, Role::kViewer)) return;
  store::FindingQuery q;
  if (auto err = ParseQuery(req, q, false)) return SendError(res, 400, "bad_request", *err);
  auto c = ctx.store.Counts(q);
  if (!c) return StoreError(res, c.error());
  SendJson(res, store::ToJson(*c));
}

void GetOne(const RouteContext& ctx, const HttpRequest& req, HttpResponse& res) {
  if (!ctx.Authorize(req, res, Role::kViewer)) return;
  auto f = ctx.store.Get(req.matches[1]);
  if (!f) return StoreError(res, f.error());
  if (!f->has_value())
    return SendError(res, 404, "not_found", "no finding with id " + std::string(req.matches[1]));
  SendJson(res, store::ToJson(**f, true));
}

// mute / unmute / resolve / reopen / remediate: responder and up.
void Action(const RouteContext& ctx, const HttpRequest& req, HttpResponse& res) {
  auto tok = ctx.Authorize(req, res, Role::kResponder);
  if (!tok) return;
  auto body = BodyObject(req, res);
  if (!body) return;
  for (auto& [k, v] : body->items()) {
    if (k != "reason") return SendError(res, 400, "bad_request", "unknown field '" + k + "'");
    if (!v.is_string()) return SendError(res, 400, "bad_request", "reason must be a string");
  }
  std::string reason = body->value("reason", "");
  if (reason.size() > 1000)
    return SendError(res, 400, "bad_request", "reason is longer than 1000 characters");
  std::string id = req.matches[1];
  std::string action = req.matches[2];
  std::string actor = "token:" + tok->name;
  if (action == "mute" && reason.empty()) {
    return SendError(res, 400, "bad_request", "muting needs a reason: {\"reason\": \"...\"}");
  }
  auto cur = ctx.store.Get(id);
  if (!cur) return StoreError(res, cur.error());
  if (!cur->has_value()) return SendError(res, 404, "not_found", "no finding with id " + id);
  TimestampUs now = ctx.hooks.now();
  if (action == "remediate") {
    if (!ctx.hooks.remediate) {
      return SendError(res, 409, "remediation_unavailable",
                       "remediation through the API is not available yet; run `minerwatch host "
                       "remediate ID` on the host");
    }
    auto done = ctx.hooks.remediate(**cur, actor);
    (void)ctx.store.AppendAudit({0, now, actor, "finding.remediate", id,
                                 json{{"reason", reason},
                                      {"ok", bool(done)},
                                      {"result", done ? *done : done.error().message()}}
                                     .dump()});
    if (!done) return SendError(res, 502, "remediation_failed", done.error().message());
    (void)ctx.store.AddTimeline((*cur)->finding.resource.host_ip,
                                {now, "remediation", id, "remediation by " + actor + ": " + *done});
  } else {
    store::FindingState target = action == "mute"      ? store::FindingState::kMuted
                                 : action == "resolve" ? store::FindingState::kResolved
                                                       : store::FindingState::kActive;
    auto st = ctx.store.SetState(id, target, reason, actor, now);
    if (!st) return StoreError(res, st.error());
  }
  auto after = ctx.store.Get(id);
  if (!after || !after->has_value()) return SendError(res, 500, "internal", "finding vanished");
  if (action != "remediate" && ctx.hooks.state_changed) {
    store::StoredFinding slim = **after;
    slim.evidence_samples = json::array();
    ctx.hooks.state_changed(slim);
  }
  SendJson(res, store::ToJson(**after, false));
}

}  // namespace

void AddFindingRoutes(RouteTable& t) {
  t.Add("GET", {"/api/v1/findings"}, "/api/v1/findings", Role::kViewer, FindingParams(), List);
  t.Add("POST", {"/api/v1/findings"}, "/api/v1/findings", Role::kResponder, {}, Ingest);
  // Before {id}: "counts" matches the id pattern too.
  t.Add("GET", {"/api/v1/findings/counts"}, "/api/v1/findings/counts", Role::kViewer,
        FindingParams(), Counts);
  t.Add("GET", {"/api/v1/findings/{id}"}, R"(/api/v1/findings/([A-Za-z0-9_.:-]{1,128}))",
        Role::kViewer, {}, GetOne);
  t.Add("POST",
        {"/api/v1/findings/{id}/mute", "/api/v1/findings/{id}/unmute",
         "/api/v1/findings/{id}/resolve", "/api/v1/findings/{id}/reopen",
         "/api/v1/findings/{id}/remediate"},
        R"(/api/v1/findings/([A-Za-z0-9_.:-]{1,128})/(mute|unmute|resolve|reopen|remediate))",
        Role::kResponder, {}, Action);
}

}  // namespace mw::server::routes
