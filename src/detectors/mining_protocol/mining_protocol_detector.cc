// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "detectors/mining_protocol/mining_protocol_detector.h"

#include <set>
#include <string>
#include <unordered_map>

#include "detectors/counting_filter.h"
#include "detectors/resolution_cache.h"
#include "findings/finding_emitter.h"
#include "flow/flow_events.h"
#include "protocols/http/http_events.h"
#include "protocols/stratum/stratum_events.h"
#include "protocols/tls/tls_events.h"

namespace mw {
namespace {

// What one flow has told us so far. Strings are copied once per distinct value, not per message.
struct SessionState {
  stratum::Dialect dialect = stratum::Dialect::kUnknown;
  std::string agent, login, worker, coin, algo, server_name, server_name_source;
  std::set<std::string> algos, methods;
  uint64_t messages = 0, shares_submitted = 0, shares_accepted = 0;
  double difficulty = 0;
  bool over_http = false;
  TimestampUs first_message = 0, last_message = 0;
  // What this session has already added to its finding's counters.
  bool counted_flow = false;
  uint64_t reported_messages = 0, reported_submitted = 0, reported_accepted = 0;
  // The finding's key, built once per session instead of per message.
  std::string client_ip, server_ip, endpoint;
  // A Stratum flow sends a message every few seconds for hours and most change only counters:
  // the descriptive evidence is rewritten only when one of its fields changed or when something
  // else (another flow of the same finding) updated the finding since this session last did.
  bool evidence_dirty = true;
  uint64_t written_revision = 0;
};

bool SetIfEmpty(std::string& field, std::string_view value) {
  if (!field.empty() || value.empty()) return false;
  field.assign(value);
  return true;
}

bool AssignIfDifferent(std::string& field, std::string_view value) {
  if (field == value) return false;
  field.assign(value);
  return true;
}

class MiningProtocolDetector : public Detector {
 public:
  explicit MiningProtocolDetector(DetectorContext& ctx) : ctx_(ctx) {}
  std::string_view name() const override { return "mining_protocol"; }

  void Subscribe(EventBus& bus) override {
    bus.On<stratum::MessageEvent>([this](const stratum::MessageEvent& e) { OnMessage(e); });
    // Names the client used for this server, to label the pool endpoint.
    bus.On<tls::ClientHelloEvent>([this](const tls::ClientHelloEvent& e) {
      if (!e.sni.empty()) RememberName(e.flow.flow_id, e.sni, "tls_sni", /*replace=*/true);
    });
    bus.On<http::RequestEvent>([this](const http::RequestEvent& e) {
      if (!e.headers.host.empty()) {
        RememberName(e.flow.flow_id, e.headers.host, "http_host", /*replace=*/false);
      }
    });
    bus.On<flow::FlowEndEvent>([this](const flow::FlowEndEvent& e) {
      if (session_filter_.MayContain(e.flow.flow_id) && sessions_.erase(e.flow.flow_id)) {
        session_filter_.Remove(e.flow.flow_id);
      }
    });
  }

 private:
  void OnMessage(const stratum::MessageEvent& e) {
    const FlowInfo& flow = e.flow;
    auto [it, inserted] = sessions_.try_emplace(flow.flow_id);
    if (inserted) session_filter_.Add(flow.flow_id);
    SessionState& s = it->second;
    if (s.messages == 0) {
      s.first_message = flow.last_seen;
      ResolveServerName(flow, s);
    }
    s.messages++;
    s.last_message = flow.last_seen;
    bool dirty = false;
    if (s.dialect == stratum::Dialect::kUnknown ||
        (s.dialect == stratum::Dialect::kStratumV1 &&
         e.dialect == stratum::Dialect::kEthereumStratum)) {
      dirty |= s.dialect != e.dialect;
      s.dialect = e.dialect;
    }
    dirty |= SetIfEmpty(s.agent, e.agent);
    dirty |= SetIfEmpty(s.login, e.login);
    dirty |= SetIfEmpty(s.worker, e.worker);
    dirty |= SetIfEmpty(s.coin, e.coin);
    // The server's job names the algorithm in use; a client's list is what it offers (XMRig
    // offers every algorithm it supports).
    if (e.dir == Direction::kToClient && e.algos.size() == 1) {
      dirty |= AssignIfDifferent(s.algo, e.algos[0]);
    }
    if (e.dir == Direction::kToServer) {
      for (auto algo : e.algos) {
        if (s.algos.size() < 64) dirty |= s.algos.emplace(algo).second;
      }
      if (s.algo.empty() && e.algos.size() == 1) dirty |= AssignIfDifferent(s.algo, e.algos[0]);
    }
    if (s.coin.empty() && !s.algo.empty()) {
      dirty |= SetIfEmpty(s.coin, stratum::InferCoin(s.algo, s.login));
    }
    if (!e.method.empty() && s.methods.size() < 32) dirty |= s.methods.emplace(e.method).second;
    if (e.is_share) {
      if (e.kind == stratum::MessageKind::kResponse) {
        if (e.accepted) s.shares_accepted++;
      } else {
        s.shares_submitted++;
      }
    }
    if (e.difficulty > 0) {
      dirty |= s.difficulty != e.difficulty;
      s.difficulty = e.difficulty;
    }
    dirty |= e.over_http && !s.over_http;
    s.over_http = s.over_http || e.over_http;
    s.evidence_dirty |= dirty;
    if (s.dialect == stratum::Dialect::kUnknown) return;  // not yet sure it is mining
    UpdateFinding(flow, s);
  }

  void RememberName(uint64_t flow_id, std::string_view name, const char* source, bool replace) {
    ServerName& slot = names_[flow_id & (kNameSlots - 1)];
    if (slot.flow_id == flow_id && !replace) return;
    slot.flow_id = flow_id;
    slot.name.assign(name);
    slot.source = source;
  }

  void ResolveServerName(const FlowInfo& flow, SessionState& s) {
    const ServerName& named = names_[flow.flow_id & (kNameSlots - 1)];
    if (named.flow_id == flow.flow_id) {
      s.server_name = named.name;
      s.server_name_source = named.source;
      return;
    }
    if (const auto* r = ctx_.resolutions.Lookup(flow.client, flow.server)) {
      s.server_name = r->name;
      s.server_name_source = "dns";
    }
  }

  void UpdateFinding(const FlowInfo& flow, SessionState& s) {
    if (s.endpoint.empty()) {
      s.client_ip = flow.client.ToString();
      s.server_ip = flow.server.ToString();
      s.endpoint = (s.server_name.empty() ? s.server_ip : s.server_name) + ":" +
                   std::to_string(flow.server_port);
    }
    Finding& f = ctx_.Report(category::kPoolProtocol, s.client_ip, s.endpoint, flow.last_seen);
    auto& ev = f.evidence;
    // Upsert bumped the revision once; one more means another writer touched the finding.
    if (s.evidence_dirty || f.revision != s.written_revision + 1) WriteEvidence(flow, s, f);
    // Counters accumulate across the flows (reconnects) folded into this finding.
    auto add = [&ev](const char* key, uint64_t delta) {
      ev[key] = ev.value(key, uint64_t{0}) + delta;
    };
    if (!s.counted_flow) {
      s.counted_flow = true;
      add("flows", 1);
    }
    add("messages", s.messages - s.reported_messages);
    add("shares_submitted", s.shares_submitted - s.reported_submitted);
    add("shares_accepted", s.shares_accepted - s.reported_accepted);
    s.reported_messages = s.messages;
    s.reported_submitted = s.shares_submitted;
    s.reported_accepted = s.shares_accepted;
    if (!ev.contains("first_message")) ev["first_message"] = FormatTimestamp(s.first_message);
    ev["last_message"] = FormatTimestamp(s.last_message);
    s.evidence_dirty = false;
    s.written_revision = f.revision;
  }

  // Everything but the counters and timestamps, which UpdateFinding maintains incrementally.
  static void WriteEvidence(const FlowInfo& flow, const SessionState& s, Finding& f) {
    f.source = "protocol";
    auto& ev = f.evidence;
    ev["dialect"] = stratum::DialectName(s.dialect);
    if (!s.agent.empty()) ev["agent"] = s.agent;
    if (!s.algo.empty()) ev["algo"] = s.algo;
    if (!s.algos.empty()) ev["algos"] = s.algos;
    if (!s.coin.empty()) ev["coin"] = s.coin;
    if (!s.login.empty()) ev["login"] = s.login;
    if (!s.worker.empty()) ev["worker"] = s.worker;
    ev["pool"] = {{"ip", s.server_ip}, {"port", flow.server_port}};
    if (!s.server_name.empty()) {
      ev["pool"]["host"] = s.server_name;
      ev["pool"]["host_from"] = s.server_name_source;
    }
    ev["client"] = {{"ip", s.client_ip}, {"port", flow.client_port}};
    ev["methods"] = s.methods;
    if (s.difficulty > 0) ev["difficulty"] = s.difficulty;
    if (s.over_http) ev["transport"] = "http";
  }

  DetectorContext& ctx_;
  // Every flow's end is checked against sessions_, and most flows are not mining.
  CountingFilter<14> session_filter_;
  std::unordered_map<uint64_t, SessionState> sessions_;
  // The name a flow's client used (TLS SNI, HTTP Host), for the session that may start on that
  // flow. A direct-mapped table by flow id instead of a map: no node per TLS/HTTP flow and no
  // erase at every flow end. Flow ids are sequential, so a name is lost only if kNameSlots newer
  // flows sent a hello or request before this flow's first mining message (in practice that
  // message follows the request or hello within the same few packets).
  struct ServerName {
    uint64_t flow_id = 0;  // 0: empty (flow ids start at 1)
    std::string name;      // capacity reused across flows
    const char* source = "";
  };
  static constexpr size_t kNameSlots = 4096;
  std::vector<ServerName> names_ = std::vector<ServerName>(kNameSlots);
};

}  // namespace

void RegisterMiningProtocol(DetectorRegistry& registry) {
  registry.Add(
      {.name = "mining_protocol",
       .description = "flows speaking a mining pool protocol (Stratum, CryptoNote, "
                      "Ethereum, getwork), on any port.",
       .categories = {{category::kPoolProtocol, Stage::kMining, Severity::kHigh, {"T1496"}}},
       .create = [](DetectorContext& ctx) -> std::unique_ptr<Detector> {
         return std::make_unique<MiningProtocolDetector>(ctx);
       }});
}

}  // namespace mw
