// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "detectors/ids_rules/ids_rules_detector.h"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <vector>

#include "findings/finding_emitter.h"
#include "flow/flow_events.h"
#include "flow/inspection_events.h"
#include "protocols/dns/dns_events.h"
#include "protocols/http/http_events.h"
#include "protocols/tls/tls_events.h"
#include "rules/classification.h"
#include "rules/rule_alert.h"
#include "rules/rule_engine.h"

namespace mw {
namespace {

using rules::Buffer;
using rules::Inspection;

// Printable evidence of what matched: up to kShown bytes around the match, other bytes \xNN.
std::string Escaped(ByteView data, rules::MatchSpan span) {
  constexpr size_t kShown = 256;
  size_t begin = span.offset > 32 ? span.offset - 32 : 0;
  size_t end = std::min(data.size(), begin + kShown);
  std::string out;
  for (size_t i = begin; i < end; ++i) {
    const uint8_t c = data[i];
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(char(c));
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Severity SeverityOfPriority(uint8_t priority) {
  if (priority <= 1) return Severity::kHigh;
  if (priority == 2) return Severity::kMedium;
  if (priority == 3) return Severity::kLow;
  return Severity::kInfo;
}

struct FlowRules {
  std::vector<uint16_t> bits;  // flowbit ids set on this flow (few; kept sorted)
  bool established = true;     // what a TCP flow with no entry is taken to be
  bool dropped = false;        // inline mode: a drop rule matched; the flow is no longer inspected
  bool HasBit(uint16_t b) const { return std::binary_search(bits.begin(), bits.end(), b); }
  void SetBit(uint16_t b) {
    auto it = std::lower_bound(bits.begin(), bits.end(), b);
    if (it == bits.end() || *it != b) bits.insert(it, b);
  }
  void ClearBit(uint16_t b) {
    auto it = std::lower_bound(bits.begin(), bits.end(), b);
    if (it != bits.end() && *it == b) bits.erase(it);
  }
};

struct ThresholdKey {
  uint32_t rule;
  bool detection_filter;
  IpAddress a, b;
  bool operator==(const ThresholdKey&) const = default;
};
struct ThresholdKeyHash {
  size_t operator()(const ThresholdKey& k) const noexcept {
    return IpAddressHash{}(k.a) * 31 + IpAddressHash{}(k.b) * 7 + k.rule * 2 + k.detection_filter;
  }
};
struct ThresholdState {
  TimestampUs window_start = 0;
  uint64_t count = 0;
};

class IdsRulesDetector : public Detector {
 public:
  explicit IdsRulesDetector(DetectorContext& ctx) : ctx_(ctx), engine_(ctx.rules) {
    if (engine_ == nullptr) return;
    auto scratch = engine_->MakeScratch();
    if (scratch) scratch_ = std::move(*scratch);
    IndexFlowbits();
  }
  std::string_view name() const override { return "ids_rules"; }

  void Subscribe(EventBus& bus) override {
    if (engine_ == nullptr || scratch_ == nullptr) return;
    bus_ = &bus;
    bus.On<flow::PacketEvent>([this](const flow::PacketEvent& e) { OnPacket(e); });
    if (engine_->needs_streams())
      bus.On<flow::StreamDataEvent>([this](const flow::StreamDataEvent& e) { OnStream(e); });
    bus.On<flow::FlowEndEvent>(
        [this](const flow::FlowEndEvent& e) { flows_.erase(e.flow.flow_id); });
    bus.On<http::RequestEvent>([this](const http::RequestEvent& e) { OnRequest(e); });
    bus.On<http::ResponseEvent>([this](const http::ResponseEvent& e) { OnResponse(e); });
    bus.On<dns::MessageEvent>([this](const dns::MessageEvent& e) { OnDns(e); });
    bus.On<tls::ClientHelloEvent>([this](const tls::ClientHelloEvent& e) { OnClientHello(e); });
    bus.On<tls::CertificateEvent>([this](const tls::CertificateEvent& e) { OnCertificate(e); });
  }

  void OnTick(TimestampUs now) override {
    // Forget threshold windows long over, so tracking stays bounded by recent activity.
    if (thresholds_.size() < kMaxThresholdEntries && now != kEndOfInput) return;
    std::erase_if(thresholds_, [&](const auto& kv) {
      return now == kEndOfInput || now - kv.second.window_start > kThresholdHorizonUs;
    });
  }

 private:
  static constexpr size_t kMaxThresholdEntries = 65536;
  static constexpr TimestampUs kThresholdHorizonUs = 3600LL * 1'000'000;

  using BufferId = rules::BufferId;
  static BufferId Id(std::string_view name) { return BufferId(rules::BufferIdOf(name)); }

  void IndexFlowbits() {
    for (const rules::Rule& r : engine_->rules())
      for (const rules::Flowbit& fb : r.flowbits)
        for (const std::string& n : fb.names) bit_ids_.try_emplace(n, uint16_t(bit_ids_.size()));
  }

  // Endpoints of a direction of "flow", as Suricata's src/dest of a packet in that direction.
  static void SetEndpoints(Inspection& in, const FlowInfo& flow, Direction dir) {
    const bool to_server = dir == Direction::kToServer;
    in.to_server = to_server;
    in.src = to_server ? flow.client : flow.server;
    in.dst = to_server ? flow.server : flow.client;
    in.src_port = to_server ? flow.client_port : flow.server_port;
    in.dst_port = to_server ? flow.server_port : flow.client_port;
    in.ip_proto = flow.proto;
  }

  void OnPacket(const flow::PacketEvent& e) {
    RecordEstablished(e);
    Inspection in;
    in.unit = Inspection::Unit::kPacket;
    // The packet's own addresses: a flow's roles are the table's guess, the packet's are facts.
    in.to_server = e.dir == Direction::kToServer;
    in.src = e.packet.src;
    in.dst = e.packet.dst;
    in.src_port = e.packet.src_port;
    in.dst_port = e.packet.dst_port;
    in.ip_proto = e.packet.proto;
    in.app_protocol = e.app_protocol;
    in.established = e.state.established;
    // Payload the stream carries is inspected there; the rest (SYN data, retransmissions,
    // mid-stream pickup) as packets.
    in.payload_in_stream = e.state.payload_in_stream;
    in.dsize = uint32_t(e.packet.payload.size());
    Buffer payload{rules::kPktData, e.packet.payload, true};
    in.buffers = e.packet.payload.empty() ? std::span<const Buffer>() : std::span(&payload, 1);
    Run(in, e.flow, e.dir, e.packet.ts);
  }

  // Only TCP transactions read the flag and an absent entry reads as established, so flows that
  // never need an entry (UDP, established TCP) cost no allocation per flow.
  void RecordEstablished(const flow::PacketEvent& e) {
    if (auto it = flows_.find(e.flow.flow_id); it != flows_.end()) {
      it->second.established = e.state.established;
    } else if (e.flow.proto == IpProto::kTcp && !e.state.established) {
      flows_[e.flow.flow_id].established = false;
    }
  }

  void OnStream(const flow::StreamDataEvent& e) {
    if (!e.inspectable || e.bytes.empty()) return;
    Inspection in;
    in.unit = Inspection::Unit::kStream;
    SetEndpoints(in, e.flow, e.dir);
    in.app_protocol = e.app_protocol;
    in.established = true;
    Buffer payload{rules::kPktData, e.bytes, true};
    in.buffers = std::span(&payload, 1);
    Run(in, e.flow, e.dir, e.flow.last_seen);
  }

  void RunTransaction(const FlowInfo& flow, Direction dir, std::string_view app,
                      std::span<const Buffer> buffers) {
    Inspection in;
    in.unit = Inspection::Unit::kTransaction;
    SetEndpoints(in, flow, dir);
    in.app_protocol = app;
    auto it = flows_.find(flow.flow_id);
    in.established = flow.proto == IpProto::kUdp ? (flow.packets[0] && flow.packets[1])
                     : it != flows_.end()        ? it->second.established
                                                 : true;
    in.buffers = buffers;
    Run(in, flow, dir, flow.last_seen);
  }

  // The buffers both directions have (http.start, http.header, ...).
  void AddMessageBuffers(const http::Buffers& b) {
    Add("http.protocol", b.protocol);
    Add("http.start", b.start);
    Add("http.header", b.header);
    Add("http.header.raw", b.header_raw);
    Add("http.header_names", b.header_names);
    Add("http.cookie", b.cookie);
    Add("http.content_type", b.content_type);
    Add("http.content_len", b.content_len);
  }

  void OnRequest(const http::RequestEvent& e) {
    buffers_.clear();
    const http::Buffers& b = e.buffers;
    AddMessageBuffers(b);
    Add("http.request_line", b.start_line);
    Add("http.method", b.method.empty() ? e.method : b.method);
    Add("http.uri", b.uri.empty() ? e.uri : b.uri);
    Add("http.uri.raw", b.uri_raw.empty() ? e.uri : b.uri_raw);
    Add("http.host", b.host.empty() ? e.headers.host : b.host);
    Add("http.host.raw", b.host_raw);
    Add("http.user_agent", b.user_agent.empty() ? e.headers.user_agent : b.user_agent);
    if (!e.body.empty()) {
      buffers_.push_back({Id("http.request_body"), e.body, true});
      buffers_.push_back({Id("file.data"), e.body, true});
    }
    RunTransaction(e.flow, Direction::kToServer, "http", buffers_);
  }

  void OnResponse(const http::ResponseEvent& e) {
    buffers_.clear();
    const http::Buffers& b = e.buffers;
    AddMessageBuffers(b);
    Add("http.response_line", b.start_line);
    Add("http.stat_code", b.stat_code);
    Add("http.stat_msg", b.stat_msg.empty() ? e.reason : b.stat_msg);
    if (!e.body.empty()) {
      buffers_.push_back({Id("http.response_body"), e.body, true});
      buffers_.push_back({Id("file.data"), e.body, true});
    }
    RunTransaction(e.flow, Direction::kToClient, "http", buffers_);
  }

  void OnDns(const dns::MessageEvent& e) {
    if (e.is_response || e.qname.empty()) return;
    buffers_.clear();
    Add("dns.query", e.qname);
    RunTransaction(e.flow, e.dir, "dns", buffers_);
  }

  void OnClientHello(const tls::ClientHelloEvent& e) {
    buffers_.clear();
    Add("tls.sni", e.sni);
    RunTransaction(e.flow, Direction::kToServer, "tls", buffers_);
  }

  void OnCertificate(const tls::CertificateEvent& e) {
    buffers_.clear();
    Add("tls.cert_subject", e.subject);
    Add("tls.cert_issuer", e.issuer);
    Add("tls.cert_serial", e.serial);
    RunTransaction(e.flow, Direction::kToClient, "tls", buffers_);
  }

  void Add(std::string_view buffer, std::string_view value) {
    if (value.empty()) return;
    const int id = rules::BufferIdOf(buffer);
    if (id >= 0) buffers_.push_back({BufferId(id), AsBytes(value), true});
  }

  void Run(const Inspection& in, const FlowInfo& flow, Direction dir, TimestampUs ts) {
    if (auto it = flows_.find(flow.flow_id); it != flows_.end() && it->second.dropped) return;
    passed_ = false;
    engine_->Inspect(in, *scratch_, [&](const rules::RuleHit& hit) {
      if (!passed_) OnHit(hit, in, flow, dir, ts);
    });
  }

  bool FlowbitsAllow(const rules::Rule& rule, const FlowRules* fr) const {
    for (const rules::Flowbit& fb : rule.flowbits) {
      using C = rules::Flowbit::Command;
      if (fb.command != C::kIsSet && fb.command != C::kIsNotSet) continue;
      bool any = false;
      for (const std::string& n : fb.names) any = any || (fr && fr->HasBit(bit_ids_.at(n)));
      if (fb.command == C::kIsSet && !any) return false;
      if (fb.command == C::kIsNotSet && any) return false;
    }
    return true;
  }

  // Applies set/unset/toggle; returns false when the rule says noalert.
  bool ApplyFlowbits(const rules::Rule& rule, FlowRules& fr) {
    bool alert = true;
    for (const rules::Flowbit& fb : rule.flowbits) {
      using C = rules::Flowbit::Command;
      for (const std::string& n : fb.names) {
        const uint16_t b = bit_ids_.at(n);
        if (fb.command == C::kSet) fr.SetBit(b);
        if (fb.command == C::kUnset) fr.ClearBit(b);
        if (fb.command == C::kToggle) fr.HasBit(b) ? fr.ClearBit(b) : fr.SetBit(b);
      }
      if (fb.command == C::kNoAlert) alert = false;
    }
    return alert;
  }

  ThresholdKey KeyOf(uint32_t rule, const rules::Threshold& t, const Inspection& in, bool df) {
    ThresholdKey k{rule, df, {}, {}};
    using T = rules::Threshold::Track;
    if (t.track == T::kBySrc || t.track == T::kByBoth) k.a = in.src;
    if (t.track == T::kByDst) k.a = in.dst;
    if (t.track == T::kByBoth) k.b = in.dst;
    return k;
  }

  // Suricata's threshold types (detect-engine-threshold.c): limit = the first N per window;
  // threshold = every Nth; both = once per window at the Nth; detection_filter = every hit after
  // the Nth within the window.
  bool ThresholdAllows(uint32_t rule, const rules::Threshold& t, const Inspection& in,
                       TimestampUs ts, bool df) {
    ThresholdState& s = thresholds_[KeyOf(rule, t, in, df)];
    const TimestampUs window = TimestampUs(t.seconds) * 1'000'000;
    if (s.count == 0 || ts - s.window_start >= window) {
      s.window_start = ts;
      s.count = 0;
    }
    ++s.count;
    using T = rules::Threshold::Type;
    switch (t.type) {
      case T::kLimit:
        return s.count <= t.count;
      case T::kThreshold:
        if (s.count < t.count) return false;
        s.count = 0;
        return true;
      case T::kBoth:
        return s.count == t.count;
      case T::kDetectionFilter:
        return s.count > t.count;
    }
    return true;
  }

  void OnHit(const rules::RuleHit& hit, const Inspection& in, const FlowInfo& flow, Direction dir,
             TimestampUs ts) {
    const rules::Rule& rule = engine_->rules()[hit.rule];
    auto it = flows_.find(flow.flow_id);
    FlowRules* fr = it == flows_.end() ? nullptr : &it->second;
    if (!FlowbitsAllow(rule, fr)) return;
    bool alert = true;
    if (!rule.flowbits.empty()) alert = ApplyFlowbits(rule, fr ? *fr : flows_[flow.flow_id]);
    if (rule.action == rules::Action::kPass) {
      passed_ = true;
      return;
    }
    if (!alert) return;
    if (rule.detection_filter && !ThresholdAllows(hit.rule, *rule.detection_filter, in, ts, true))
      return;
    if (rule.threshold && !ThresholdAllows(hit.rule, *rule.threshold, in, ts, false)) return;
    const bool blocks = engine_->inline_mode() && (rule.action == rules::Action::kDrop ||
                                                   rule.action == rules::Action::kReject);
    Alert(rule, hit, in, flow, dir, ts, blocks);
    if (blocks) {
      // Suricata 7: a drop on a stream or a transaction drops the flow; on a packet, that packet.
      if (in.unit != Inspection::Unit::kPacket) flows_[flow.flow_id].dropped = true;
      passed_ = true;  // a dropped packet is not inspected further
    }
  }

  void Alert(const rules::Rule& rule, const rules::RuleHit& hit, const Inspection& in,
             const FlowInfo& flow, Direction dir, TimestampUs ts, bool blocked) {
    auto cls = rules::LookupClasstype(rule.classtype);
    const uint8_t priority = rule.priority ? *rule.priority : cls ? cls->priority : 3;
    const std::string_view buffer = rules::BufferNames()[hit.buffer];
    bus_->Publish(rules::RuleAlertEvent{.ts = ts,
                                        .flow = flow,
                                        .rule = rule,
                                        .src = in.src,
                                        .dst = in.dst,
                                        .src_port = in.src_port,
                                        .dst_port = in.dst_port,
                                        .ip_proto = in.ip_proto,
                                        .dir = dir,
                                        .app_protocol = in.app_protocol,
                                        .blocked = blocked,
                                        .category = cls ? cls->description : "",
                                        .priority = priority,
                                        .buffer = buffer,
                                        .matched = hit.data});
    Report(rule, hit, in, flow, ts, priority, cls ? cls->description : "", buffer);
  }

  void Report(const rules::Rule& rule, const rules::RuleHit& hit, const Inspection& in,
              const FlowInfo& flow, TimestampUs ts, uint8_t priority, std::string_view category,
              std::string_view buffer) {
    const std::string src = in.src.ToString(), dst = in.dst.ToString();
    const std::string& host = rule.target == "dest_ip" ? dst : src;
    std::string indicator = "sid:" + std::to_string(rule.sid) + " " + src + " -> " + dst;
    Finding& f = ctx_.Report(category::kIdsRule, host, indicator, ts);
    if (f.count == 1) {
      f.severity = SeverityOfPriority(priority);
      f.source = rule.file.empty() ? "rules" : rule.file;
      for (const rules::MetadataEntry& m : rule.metadata)
        if (m.key == "mitre_technique_id" &&
            std::find(f.attack.begin(), f.attack.end(), m.value) == f.attack.end())
          f.attack.push_back(m.value);
      auto& ev = f.evidence;
      ev["gid"] = rule.gid;
      ev["sid"] = rule.sid;
      ev["rev"] = rule.rev;
      ev["msg"] = rule.msg;
      if (!rule.classtype.empty()) ev["classtype"] = rule.classtype;
      if (!category.empty()) ev["category"] = category;
      ev["priority"] = priority;
      ev["flow"] = {{"client", flow.client.ToString()},
                    {"client_port", flow.client_port},
                    {"server", flow.server.ToString()},
                    {"server_port", flow.server_port},
                    {"proto", flow.proto == IpProto::kTcp   ? "tcp"
                              : flow.proto == IpProto::kUdp ? "udp"
                                                            : "icmp"}};
      if (!in.app_protocol.empty()) ev["app_protocol"] = in.app_protocol;
    }
    // The latest match: what the analyst reads first.
    f.evidence["buffer"] = buffer;
    f.evidence["matched"] = Escaped(hit.data, hit.span);
    f.evidence["alerts"] = f.count;
  }

  DetectorContext& ctx_;
  const rules::RuleEngine* engine_;
  rules::RuleEngine::ScratchPtr scratch_;
  EventBus* bus_ = nullptr;
  std::unordered_map<uint64_t, FlowRules> flows_;
  std::unordered_map<std::string, uint16_t> bit_ids_;
  std::unordered_map<ThresholdKey, ThresholdState, ThresholdKeyHash> thresholds_;
  std::vector<Buffer> buffers_;  // reused per transaction
  bool passed_ = false;          // a pass rule matched this inspection
};

}  // namespace

void RegisterIdsRules(DetectorRegistry& registry) {
  registry.Add({.name = "ids_rules",
                .description = "Suricata/ET Open rules (rules.files, --rules) over packets, TCP "
                               "streams and HTTP, DNS and TLS fields.",
                .categories = {{category::kIdsRule, Stage::kPrecursor, Severity::kMedium, {}}},
                .create = [](DetectorContext& ctx) -> std::unique_ptr<Detector> {
                  return std::make_unique<IdsRulesDetector>(ctx);
                }});
}

}  // namespace mw
