// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "detectors/mining_protocol/mining_protocol_detector.h"

#include <set>
#include <string>
#include <unordered_map>

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
};

void SetIfEmpty(std::string& field, std::string_view value) {
  if (field.empty() && !value.empty()) field.assign(value);
}

class MiningProtocolDetector : public Detector {
 public:
  explicit MiningProtocolDetector(DetectorContext& ctx) : ctx_(ctx) {}
  std::string_view name() const override { return "mining_protocol"; }

  void Subscribe(EventBus& bus) override {
    bus.On<stratum::MessageEvent>([this](const stratum::MessageEvent& e) { OnMessage(e); });
    // Names the client used for this server, to label the pool endpoint.
    bus.On<tls::ClientHelloEvent>([this](const tls::ClientHelloEvent& e) {
      if (!e.sni.empty()) server_names_[e.flow.flow_id] = {std::string(e.sni), "tls_sni"};
    });
    bus.On<http::RequestEvent>([this](const http::RequestEvent& e) {
      if (!e.headers.host.empty() && !server_names_.count(e.flow.flow_id)) {
        server_names_[e.flow.flow_id] = {std::string(e.headers.host), "http_host"};
      }
    });
    bus.On<flow::FlowEndEvent>([this](const flow::FlowEndEvent& e) {
      sessions_.erase(e.flow.flow_id);
      server_names_.erase(e.flow.flow_id);
    });
  }

 private:
  void OnMessage(const stratum::MessageEvent& e) {
    const FlowInfo& flow = e.flow;
    SessionState& s = sessions_[flow.flow_id];
    if (s.messages == 0) {
      s.first_message = flow.last_seen;
      ResolveServerName(flow, s);
    }
    s.messages++;
    s.last_message = flow.last_seen;
    if (s.dialect == stratum::Dialect::kUnknown ||
        (s.dialect == stratum::Dialect::kStratumV1 &&
         e.dialect == stratum::Dialect::kEthereumStratum)) {
      s.dialect = e.dialect;
    }
    SetIfEmpty(s.agent, e.agent);
    SetIfEmpty(s.login, e.login);
    SetIfEmpty(s.worker, e.worker);
    SetIfEmpty(s.coin, e.coin);
    // The server's job names the algorithm in use; a client's list is what it offers (XMRig
    // offers every algorithm it supports).
    if (e.dir == Direction::kToClient && e.algos.size() == 1) s.algo.assign(e.algos[0]);
    if (e.dir == Direction::kToServer) {
      for (auto algo : e.algos) {
        if (s.algos.size() < 64) s.algos.emplace(algo);
      }
      if (s.algo.empty() && e.algos.size() == 1) s.algo.assign(e.algos[0]);
    }
    if (s.coin.empty() && !s.algo.empty()) SetIfEmpty(s.coin, stratum::InferCoin(s.algo, s.login));
    if (!e.method.empty() && s.methods.size() < 32) s.methods.emplace(e.method);
    if (e.is_share) {
      if (e.kind == stratum::MessageKind::kResponse) {
        if (e.accepted) s.shares_accepted++;
      } else {
        s.shares_submitted++;
      }
    }
    if (e.difficulty > 0) s.difficulty = e.difficulty;
    s.over_http = s.over_http || e.over_http;
    if (s.dialect == stratum::Dialect::kUnknown) return;  // not yet sure it is mining
    UpdateFinding(flow, s);
  }

  void ResolveServerName(const FlowInfo& flow, SessionState& s) {
    auto named = server_names_.find(flow.flow_id);
    if (named != server_names_.end()) {
      s.server_name = named->second.first;
      s.server_name_source = named->second.second;
      return;
    }
    if (const auto* r = ctx_.resolutions.Lookup(flow.client, flow.server)) {
      s.server_name = r->name;
      s.server_name_source = "dns";
    }
  }

  void UpdateFinding(const FlowInfo& flow, SessionState& s) {
    std::string server_ip = flow.server.ToString();
    std::string endpoint = (s.server_name.empty() ? server_ip : s.server_name) + ":" +
                           std::to_string(flow.server_port);
    Finding& f = ctx_.findings.Upsert(category::kPoolProtocol, flow.client.ToString(), endpoint,
                                      flow.last_seen);
    f.stage = Stage::kMining;
    f.severity = Severity::kHigh;
    f.attack = {"T1496"};
    f.detector = "mining_protocol";
    f.source = "protocol";
    auto& ev = f.evidence;
    ev["dialect"] = stratum::DialectName(s.dialect);
    if (!s.agent.empty()) ev["agent"] = s.agent;
    if (!s.algo.empty()) ev["algo"] = s.algo;
    if (!s.algos.empty()) ev["algos"] = s.algos;
    if (!s.coin.empty()) ev["coin"] = s.coin;
    if (!s.login.empty()) ev["login"] = s.login;
    if (!s.worker.empty()) ev["worker"] = s.worker;
    ev["pool"] = {{"ip", server_ip}, {"port", flow.server_port}};
    if (!s.server_name.empty()) {
      ev["pool"]["host"] = s.server_name;
      ev["pool"]["host_from"] = s.server_name_source;
    }
    ev["client"] = {{"ip", flow.client.ToString()}, {"port", flow.client_port}};
    ev["methods"] = s.methods;
    if (s.difficulty > 0) ev["difficulty"] = s.difficulty;
    if (s.over_http) ev["transport"] = "http";
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
  }

  DetectorContext& ctx_;
  std::unordered_map<uint64_t, SessionState> sessions_;
  std::unordered_map<uint64_t, std::pair<std::string, std::string>> server_names_;
};

}  // namespace

void RegisterMiningProtocol(DetectorRegistry& registry) {
  registry.Add({.name = "mining_protocol",
                .description = "flows speaking a mining pool protocol (Stratum, CryptoNote, "
                               "Ethereum, getwork), on any port",
                .create = [](DetectorContext& ctx) -> std::unique_ptr<Detector> {
                  return std::make_unique<MiningProtocolDetector>(ctx);
                }});
}

}  // namespace mw
