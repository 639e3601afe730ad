// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "detectors/pool_intel/pool_intel_detector.h"

#include "detectors/pool_intel/host_intel.h"
#include "detectors/resolution_cache.h"
#include "findings/finding_emitter.h"
#include "flow/flow_events.h"
#include "intel/intel_store.h"
#include "protocols/dns/dns_events.h"
#include "protocols/http/http_events.h"
#include "protocols/tls/tls_events.h"

namespace mw {
namespace {

const char* ProtoName(IpProto p) {
  switch (p) {
    case IpProto::kTcp:
      return "tcp";
    case IpProto::kUdp:
      return "udp";
    default:
      return "icmp";
  }
}

void AddIntelEvidence(nlohmann::json& ev, const intel::Match& m) {
  ev["intel"] = {{"pattern", m.pattern}};
  if (m.entry != nullptr) {
    ev["intel"]["source"] = m.entry->source;
    if (!m.entry->category.empty()) ev["intel"]["category"] = m.entry->category;
    if (!m.entry->note.empty()) ev["intel"]["note"] = m.entry->note;
    if (m.entry->score) ev["intel"]["score"] = *m.entry->score;
  }
}

class PoolIntelDetector : public Detector {
 public:
  explicit PoolIntelDetector(DetectorContext& ctx) : ctx_(ctx) {}
  std::string_view name() const override { return "pool_intel"; }

  void Subscribe(EventBus& bus) override {
    bus.On<dns::MessageEvent>([this](const dns::MessageEvent& e) {
      if (!e.is_response) OnName(e.flow, e.qname, "dns_query");
    });
    bus.On<tls::ClientHelloEvent>(
        [this](const tls::ClientHelloEvent& e) { OnName(e.flow, e.sni, "tls_sni"); });
    bus.On<http::RequestEvent>(
        [this](const http::RequestEvent& e) { OnName(e.flow, e.headers.host, "http_host"); });
    bus.On<flow::FlowStartEvent>([this](const flow::FlowStartEvent& e) { OnFlow(e.flow); });
    SubscribeHostIntel(bus, ctx_);  // the host agent's sockets and command lines
  }

 private:
  void OnName(const FlowInfo& flow, std::string_view name, const char* matched_by) {
    if (name.empty()) return;
    auto match = ctx_.intel.LookupDomain(name);
    if (!match || match->list != intel::ListKind::kBlock) return;
    Finding& f = ctx_.Report(category::kBadDomain, flow.client.ToString(), std::string(name),
                             flow.last_seen);
    if (f.count == 1) {
      f.source = match->entry ? match->entry->source : "intel";
      f.evidence["name"] = name;
      AddIntelEvidence(f.evidence, *match);
    }
    auto& seen = f.evidence["matched_by"];
    if (!seen.is_array()) seen = nlohmann::json::array();
    if (std::find(seen.begin(), seen.end(), matched_by) == seen.end()) seen.push_back(matched_by);
    f.evidence["server"] = {{"ip", flow.server.ToString()}, {"port", flow.server_port}};
  }

  void OnFlow(const FlowInfo& flow) {
    const char* matched_by = nullptr;
    std::optional<intel::Match> match = ctx_.intel.LookupIp(flow.server);
    const ResolutionCache::Resolution* resolved = ctx_.resolutions.Lookup(flow.client, flow.server);
    if (match && match->list == intel::ListKind::kAllow) return;
    if (match) {
      matched_by = "intel_ip";
    } else if (resolved != nullptr && !resolved->pool_match.empty()) {
      matched_by = "dns_answer";
    } else {
      return;
    }
    Finding& f = ctx_.Report(category::kBadIp, flow.client.ToString(), flow.server.ToString(),
                             flow.first_seen);
    if (f.count == 1) {
      f.evidence["matched_by"] = matched_by;
      if (match) {
        f.source = match->entry ? match->entry->source : "intel";
        AddIntelEvidence(f.evidence, *match);
      } else {
        f.source = "dns";
      }
      if (resolved != nullptr) {
        f.evidence["resolved_name"] = resolved->name;
        if (!resolved->pool_match.empty()) f.evidence["pool_name"] = resolved->pool_match;
      }
    }
    f.evidence["ip"] = flow.server.ToString();
    auto& ports = f.evidence["ports"];
    if (!ports.is_array()) ports = nlohmann::json::array();
    if (ports.size() < 16 && std::find(ports.begin(), ports.end(), flow.server_port) == ports.end())
      ports.push_back(flow.server_port);
    f.evidence["protocol"] = ProtoName(flow.proto);
    if (const std::string* note = ctx_.intel.PortNote(flow.server_port)) {
      f.evidence["port_note"] = *note;
    }
    f.evidence["connections"] = f.count;
  }

  DetectorContext& ctx_;
};

}  // namespace

void RegisterPoolIntel(DetectorRegistry& registry) {
  registry.Add(
      {.name = "pool_intel",
       .description = "DNS queries, TLS SNI, HTTP Host and connections that name a "
                      "listed mining pool or miner host.",
       // Stage 1: a lookup of or a connection to mining infrastructure means it is
       // in use (Security Command Center's definition).
       .categories = {{category::kBadDomain, Stage::kMining, Severity::kMedium, {"T1496", "T1071"}},
                      {category::kBadIp, Stage::kMining, Severity::kMedium, {"T1496"}}},
       .create = [](DetectorContext& ctx) -> std::unique_ptr<Detector> {
         return std::make_unique<PoolIntelDetector>(ctx);
       }});
}

}  // namespace mw
