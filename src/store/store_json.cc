// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "store/store_json.h"

namespace mw::store {
namespace {
nlohmann::json Ts(TimestampUs ts) {
  return ts ? nlohmann::json(FormatTimestamp(ts)) : nlohmann::json();
}

nlohmann::json Pairs(const std::vector<std::pair<std::string, uint64_t>>& v) {
  nlohmann::json o = nlohmann::json::object();
  for (const auto& [k, n] : v) o[k] = n;
  return o;
}
}  // namespace

nlohmann::json ToJson(const StoredFinding& sf, bool with_samples) {
  const Finding& f = sf.finding;
  // The finding's own JSON (docs/findings.md), plus the lifecycle.
  nlohmann::json j = f.ToJson();
  j["stage_name"] = StageText(f.stage);
  j["state"] = StateName(sf.state);
  j["incident_id"] = sf.incident_id;
  j["reopen_count"] = sf.reopen_count;
  if (sf.state != FindingState::kActive || !sf.state_by.empty()) {
    j["state_detail"] = {{"reason", sf.state_reason}, {"by", sf.state_by}, {"at", Ts(sf.state_at)}};
  }
  if (sf.reopen_count > 0) {
    j["reopened_at"] = Ts(sf.reopened_at);
    j["reopened"] = true;
  }
  if (with_samples) j["evidence_samples"] = sf.evidence_samples;
  return j;
}

nlohmann::json ToJson(const Incident& inc) {
  nlohmann::json j = {
      {"id", inc.id},
      {"host_ip", inc.host_ip},
      {"hostname", inc.hostname},
      {"state", inc.open ? "open" : "closed"},
      {"first_seen", Ts(inc.first_seen)},
      {"last_seen", Ts(inc.last_seen)},
      {"max_severity", SeverityName(inc.max_severity)},
      {"max_stage", StageText(inc.max_stage)},
      {"finding_count", inc.finding_count},
  };
  if (!inc.timeline.empty()) {
    nlohmann::json t = nlohmann::json::array();
    for (const auto& e : inc.timeline) {
      t.push_back(
          {{"ts", Ts(e.ts)}, {"phase", e.phase}, {"finding_id", e.finding_id}, {"text", e.text}});
    }
    j["timeline"] = std::move(t);
  }
  return j;
}

nlohmann::json ToJson(const AuditEntry& e) {
  auto detail = nlohmann::json::parse(e.detail, nullptr, false);
  return {
      {"id", e.id},         {"ts", Ts(e.ts)},
      {"actor", e.actor},   {"action", e.action},
      {"target", e.target}, {"detail", detail.is_discarded() ? nlohmann::json(e.detail) : detail}};
}

nlohmann::json ToJson(const FindingCounts& c) {
  return {{"total", c.total},
          {"count_exact", c.exact},
          {"by_category", Pairs(c.by_category)},
          {"by_stage", Pairs(c.by_stage)},
          {"by_state", Pairs(c.by_state)},
          {"by_severity", Pairs(c.by_severity)}};
}

nlohmann::json ToJson(const TokenRecord& t) {
  return {{"id", t.id},
          {"name", t.name},
          {"role", RoleName(t.role)},
          {"created_at", Ts(t.created_at)},
          {"created_by", t.created_by}};
}

}  // namespace mw::store
