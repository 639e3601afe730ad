// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "rules/rule_engine.h"

#include <algorithm>

#include "rules/classification.h"

namespace mw::rules {
namespace {

enum UnitBit : uint8_t { kPacketUnit = 1, kStreamUnit = 2, kTransactionUnit = 4 };

uint8_t BitOf(Inspection::Unit u) {
  switch (u) {
    case Inspection::Unit::kPacket:
      return kPacketUnit;
    case Inspection::Unit::kStream:
      return kStreamUnit;
    case Inspection::Unit::kTransaction:
      return kTransactionUnit;
  }
  return 0;
}

bool InRange(const IpRange& r, const IpAddress& a) {
  return a.bytes() >= r.first && a.bytes() <= r.last;
}

bool AddressMatches(const AddressSpec& spec, const IpAddress& a) {
  if (spec.any) return true;
  bool has_positive = false, in_positive = false;
  for (const IpRange& r : spec.ranges) {
    if (r.negated) {
      if (InRange(r, a)) return false;
    } else {
      has_positive = true;
      in_positive = in_positive || InRange(r, a);
    }
  }
  return !has_positive || in_positive;
}

bool PortMatches(const PortSpec& spec, uint16_t port) {
  if (spec.any) return true;
  bool has_positive = false, in_positive = false;
  for (const PortRange& r : spec.ranges) {
    const bool in = port >= r.first && port <= r.last;
    if (r.negated) {
      if (in) return false;
    } else {
      has_positive = true;
      in_positive = in_positive || in;
    }
  }
  return !has_positive || in_positive;
}

bool NumberMatches(const NumberCheck& c, uint64_t x) {
  switch (c.op) {
    case NumberCheck::Op::kEqual:
      return x == c.value;
    case NumberCheck::Op::kNotEqual:
      return x != c.value;
    case NumberCheck::Op::kLess:
      return x < c.value;
    case NumberCheck::Op::kLessEqual:
      return x <= c.value;
    case NumberCheck::Op::kGreater:
      return x > c.value;
    case NumberCheck::Op::kGreaterEqual:
      return x >= c.value;
    case NumberCheck::Op::kRange:
      return x > c.value && x < c.upper;
  }
  return false;
}

bool IpProtoMatches(Protocol p, IpProto proto) {
  switch (p) {
    case Protocol::kIp:
      return true;
    case Protocol::kTcp:
    case Protocol::kTcpPkt:
    case Protocol::kTcpStream:
    case Protocol::kHttp:
    case Protocol::kHttp1:
    case Protocol::kTls:
      return proto == IpProto::kTcp;
    case Protocol::kUdp:
      return proto == IpProto::kUdp;
    case Protocol::kIcmp:
      return proto == IpProto::kIcmp || proto == IpProto::kIcmpV6;
    case Protocol::kDns:
      return proto == IpProto::kTcp || proto == IpProto::kUdp;
  }
  return false;
}

std::string_view AppProtocolOf(Protocol p) {
  switch (p) {
    case Protocol::kDns:
      return "dns";
    case Protocol::kTls:
      return "tls";
    case Protocol::kHttp:
    case Protocol::kHttp1:
      return "http";
    default:
      return "";
  }
}

}  // namespace

struct RuleEngine::Compiled {
  struct Payload {
    BufferId buffer = kPktData;
    CompiledPayload payload;
  };
  std::vector<Payload> payloads;
  std::string_view app_protocol;  // required app protocol, or empty
  uint8_t units = 0;              // UnitBit mask
  // Payload rules that also fit single packets, skipped on packets whose stream is inspected.
  bool prefers_stream = false;
};

class RuleEngine::Scratch {
 public:
  PrefilterScratch prefilter;
  PayloadScratch payload;
  std::vector<uint32_t> found;       // prefilter output
  std::vector<uint32_t> candidates;  // deduplicated
  std::vector<uint32_t> stamp;       // per rule: generation it was last added in
  uint32_t generation = 0;
};

RuleEngine::RuleEngine() = default;
RuleEngine::~RuleEngine() = default;

namespace {

// Which inspections a rule can match on, as Suricata decides between packet, stream and
// app-layer inspection.
uint8_t UnitsOf(const Rule& r, bool has_app_buffers, bool has_payload) {
  if (has_app_buffers) return kTransactionUnit;
  const auto stream = r.flow ? r.flow->stream : FlowOptions::Stream::kAny;
  if (!has_payload || r.dsize || r.protocol == Protocol::kTcpPkt ||
      stream == FlowOptions::Stream::kNoStream)
    return kPacketUnit;
  if (r.protocol == Protocol::kTcpStream || stream == FlowOptions::Stream::kOnlyStream)
    return kStreamUnit;
  return kPacketUnit | kStreamUnit;
}

// Suricata's default signature order (detect-engine-sigorder.c): action (pass, drop, reject,
// alert), then flowbits (rules that set before rules that read), then priority. Rules are kept
// in that order, so matching in index order is matching in Suricata's order.
int ActionRank(Action a) {
  switch (a) {
    case Action::kPass:
      return 0;
    case Action::kDrop:
      return 1;
    case Action::kReject:
      return 2;
    case Action::kAlert:
      return 3;
  }
  return 3;
}

int FlowbitsRank(const Rule& r) {
  bool sets = false, reads = false;
  for (const Flowbit& f : r.flowbits) {
    const bool read =
        f.command == Flowbit::Command::kIsSet || f.command == Flowbit::Command::kIsNotSet;
    reads = reads || read;
    sets = sets || (!read && f.command != Flowbit::Command::kNoAlert);
  }
  if (sets && !reads) return 0;
  if (sets) return 1;
  if (reads) return 2;
  return 3;
}

int PriorityOf(const Rule& r) {
  if (r.priority) return *r.priority;
  if (auto c = LookupClasstype(r.classtype)) return c->priority;
  return 3;
}

void SortInSuricataOrder(std::vector<Rule>& rules) {
  std::stable_sort(rules.begin(), rules.end(), [](const Rule& a, const Rule& b) {
    const int aa = ActionRank(a.action), ba = ActionRank(b.action);
    if (aa != ba) return aa < ba;
    const int af = FlowbitsRank(a), bf = FlowbitsRank(b);
    if (af != bf) return af < bf;
    return PriorityOf(a) < PriorityOf(b);
  });
}

}  // namespace

Result<std::shared_ptr<const RuleEngine>> RuleEngine::Build(RuleSet set, bool inline_mode) {
  SortInSuricataOrder(set.rules);
  std::shared_ptr<RuleEngine> engine(new RuleEngine());
  engine->inline_mode_ = inline_mode;
  std::vector<Rule> kept;
  kept.reserve(set.rules.size());
  for (Rule& rule : set.rules) {
    Compiled c;
    bool ok = true, app_buffers = false, payload = false;
    for (const BufferMatches& b : rule.buffers) {
      const int id = BufferIdOf(b.buffer);
      auto compiled =
          id < 0 ? Result<CompiledPayload>(Fail(Error::Unsupported("unknown buffer " + b.buffer)))
                 : CompiledPayload::Compile(b);
      if (!compiled) {
        SkippedRule skip;
        skip.file = rule.file;
        skip.line = rule.line;
        skip.sid = rule.sid;
        skip.reason = compiled.error().message();
        set.skipped.push_back(std::move(skip));
        ++set.stats.skipped;
        --set.stats.loaded;
        ok = false;
        break;
      }
      app_buffers = app_buffers || id != kPktData;
      payload = payload || !b.matches.empty();
      c.payloads.push_back({BufferId(id), std::move(*compiled)});
    }
    if (!ok) continue;
    c.app_protocol = AppProtocolOf(rule.protocol);
    c.units = UnitsOf(rule, app_buffers, payload);
    c.prefers_stream = c.units == (kPacketUnit | kStreamUnit);
    engine->needs_streams_ = engine->needs_streams_ || (c.units & kStreamUnit);
    engine->compiled_.push_back(std::move(c));
    kept.push_back(std::move(rule));
  }
  set.rules = std::move(kept);
  MW_ASSIGN(prefilter, Prefilter::Build(set.rules));
  engine->prefilter_ = std::make_unique<Prefilter>(std::move(prefilter));
  engine->set_ = std::move(set);
  return std::shared_ptr<const RuleEngine>(std::move(engine));
}

void RuleEngine::ScratchDeleter::operator()(Scratch* s) const { delete s; }

Result<RuleEngine::ScratchPtr> RuleEngine::MakeScratch() const {
  ScratchPtr scratch(new Scratch());
  MW_ASSIGN(pf, prefilter_->MakeScratch());
  scratch->prefilter = std::move(pf);
  scratch->stamp.assign(compiled_.size(), 0);
  return scratch;
}

void RuleEngine::Candidates(const Inspection& in, Scratch& s) const {
  if (++s.generation == 0) {
    std::fill(s.stamp.begin(), s.stamp.end(), 0);
    s.generation = 1;
  }
  s.found.clear();
  s.candidates.clear();
  for (const Buffer& b : in.buffers) prefilter_->Scan(b.id, b.data, s.prefilter, s.found);
  auto add = [&](uint32_t r) {
    if (s.stamp[r] == s.generation) return;
    s.stamp[r] = s.generation;
    s.candidates.push_back(r);
  };
  for (uint32_t r : s.found) add(r);
  for (uint32_t r : prefilter_->always_candidates()) add(r);
  // Rule order, so that stateful keywords (flowbits) see earlier rules' effects as Suricata's
  // ordering by sid within a priority would; cheap, the list is short.
  std::sort(s.candidates.begin(), s.candidates.end());
}

std::span<const uint32_t> RuleEngine::CandidateList(const Scratch& s) { return s.candidates; }

bool RuleEngine::HeaderMatches(const Rule& rule, const Compiled& c, const Inspection& in) const {
  if (!IpProtoMatches(rule.protocol, in.ip_proto)) return false;
  if (!c.app_protocol.empty() && in.app_protocol != c.app_protocol) return false;
  if (rule.flow) {
    using Side = FlowOptions::Side;
    using State = FlowOptions::State;
    if (rule.flow->side == Side::kToServer && !in.to_server) return false;
    if (rule.flow->side == Side::kToClient && in.to_server) return false;
    if (rule.flow->state == State::kEstablished && !in.established) return false;
    if (rule.flow->state == State::kNotEstablished && in.established) return false;
  }
  if (rule.dsize && !NumberMatches(*rule.dsize, in.dsize)) return false;
  auto forward = [&](const IpAddress& s, uint16_t sp, const IpAddress& d, uint16_t dp) {
    return AddressMatches(rule.source, s) && PortMatches(rule.source_ports, sp) &&
           AddressMatches(rule.destination, d) && PortMatches(rule.destination_ports, dp);
  };
  if (forward(in.src, in.src_port, in.dst, in.dst_port)) return true;
  return rule.direction == Direction::kBoth && forward(in.dst, in.dst_port, in.src, in.src_port);
}

bool RuleEngine::Evaluate(uint32_t r, const Inspection& in, Scratch& s, RuleHit& hit) const {
  const Compiled& c = compiled_[r];
  if (!(c.units & BitOf(in.unit))) return false;
  if (in.unit == Inspection::Unit::kPacket && c.prefers_stream && in.payload_in_stream)
    return false;
  const Rule& rule = set_.rules[r];
  if (!HeaderMatches(rule, c, in)) return false;
  hit.rule = r;
  bool any_fresh = c.payloads.empty();
  bool first = true;
  for (const Compiled::Payload& p : c.payloads) {
    bool matched = false;
    for (const Buffer& b : in.buffers) {
      if (b.id != p.buffer) continue;
      MatchSpan span;
      if (!p.payload.Matches(b.data, s.payload, &span)) continue;
      matched = true;
      any_fresh = any_fresh || b.fresh;
      if (first) {
        hit.buffer = b.id;
        hit.span = span;
        hit.data = b.data;
        first = false;
      }
      break;
    }
    if (!matched) return false;
  }
  return any_fresh;
}

Result<std::shared_ptr<const RuleEngine>> LoadRuleEngine(const RuleFilesOptions& options) {
  RuleLoader loader(options.load);
  for (const std::string& file : options.files) MW_TRY(loader.LoadFile(file));
  RuleSet set = loader.Take();
  if (!options.disabled_sids.empty()) {
    const size_t before = set.rules.size();
    std::erase_if(set.rules, [&](const Rule& r) {
      return std::find(options.disabled_sids.begin(), options.disabled_sids.end(), r.sid) !=
             options.disabled_sids.end();
    });
    set.stats.loaded -= before - set.rules.size();
    set.stats.disabled += before - set.rules.size();
  }
  return RuleEngine::Build(std::move(set), options.inline_mode);
}

}  // namespace mw::rules
