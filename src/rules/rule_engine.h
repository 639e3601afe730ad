// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// A loaded rule set made ready to match: every rule's payload compiled, the prefilter built, and
// the header (protocol, addresses, ports, direction), flow options and dsize checked per
// inspection. Stateful keywords (flowbits, threshold, detection_filter, pass) are the caller's:
// they need per-flow and per-host memory (src/detectors/ids_rules/).
//
// What one inspection is, as Suricata inspects: a packet (its payload is pkt_data), a stretch of
// a TCP direction's reassembled stream (pkt_data too), or an app-layer transaction (a request,
// a response, a DNS message, a TLS handshake message) with its sticky buffers. A buffer marked
// "fresh" is what this inspection brings; the others (the request beside its response) are
// context, so a rule fires on the inspection that completes it and not again on later ones.
//
// Immutable after Build and shared between threads; Scratch is per thread.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mw/core/byte_view.h"
#include "mw/core/result.h"
#include "mw/net/flow_info.h"
#include "mw/net/ip_address.h"
#include "rules/payload_match.h"
#include "rules/prefilter.h"
#include "rules/rule.h"
#include "rules/rule_loader.h"

namespace mw::rules {

struct Buffer {
  BufferId id = kPktData;
  ByteView data;
  bool fresh = true;
};

struct Inspection {
  enum class Unit : uint8_t { kPacket, kStream, kTransaction };
  Unit unit = Unit::kPacket;
  IpProto ip_proto = IpProto::kTcp;
  std::string_view app_protocol;  // "http", "dns", "tls", ... or empty
  IpAddress src, dst;             // of this packet or direction
  uint16_t src_port = 0, dst_port = 0;
  bool to_server = true;
  bool established = false;
  // Packets: the payload also went into the reassembled stream, where payload rules see it.
  bool payload_in_stream = false;
  uint32_t dsize = 0;  // packet units: the payload size
  std::span<const Buffer> buffers;
};

// Where the rule matched, for evidence: the buffer and the span of its first positive match.
struct RuleHit {
  uint32_t rule = 0;  // index into RuleEngine::rules()
  BufferId buffer = kPktData;
  MatchSpan span;
  ByteView data;  // the whole buffer that matched (valid during the callback)
};

class RuleEngine {
 public:
  class Scratch;
  struct ScratchDeleter {
    void operator()(Scratch* s) const;
  };
  using ScratchPtr = std::unique_ptr<Scratch, ScratchDeleter>;

  // Compiles every rule; one that cannot be compiled is skipped into "set.skipped" (with its
  // file:line) and the rest are kept.
  // "inline_mode": drop and reject rules block (an inline IPS, or Suricata's --simulate-ips):
  // their alerts say so and the flow is not inspected any further.
  [[nodiscard]] static Result<std::shared_ptr<const RuleEngine>> Build(RuleSet set,
                                                                       bool inline_mode = false);
  ~RuleEngine();

  const std::vector<Rule>& rules() const { return set_.rules; }
  const RuleSet& rule_set() const { return set_; }
  // Rules with buffers only the stream (not single packets) can fill: a flow table must keep
  // reassembling flows without a parser (FlowConfig::inspect_streams).
  bool needs_streams() const { return needs_streams_; }
  bool inline_mode() const { return inline_mode_; }

  [[nodiscard]] Result<ScratchPtr> MakeScratch() const;

  // Calls on_hit once for every rule whose header, flow options, dsize and every buffer match.
  template <typename OnHit>
  void Inspect(const Inspection& in, Scratch& scratch, OnHit&& on_hit) const {
    Candidates(in, scratch);
    for (uint32_t r : CandidateList(scratch)) {
      RuleHit hit;
      if (Evaluate(r, in, scratch, hit)) on_hit(hit);
    }
  }

 private:
  struct Compiled;
  RuleEngine();
  void Candidates(const Inspection& in, Scratch& scratch) const;
  static std::span<const uint32_t> CandidateList(const Scratch& scratch);
  bool Evaluate(uint32_t rule, const Inspection& in, Scratch& scratch, RuleHit& hit) const;
  bool HeaderMatches(const Rule& rule, const Compiled& c, const Inspection& in) const;

  RuleSet set_;
  std::vector<Compiled> compiled_;
  std::unique_ptr<Prefilter> prefilter_;
  bool needs_streams_ = false;
  bool inline_mode_ = false;
};

// Loads rule files into one set (skips reported through options.on_skip), drops the rules whose
// sid is in "disabled", and builds the engine. Fails only when a file cannot be read.
struct RuleFilesOptions {
  std::vector<std::string> files;
  LoadOptions load;
  std::vector<uint32_t> disabled_sids;
  bool inline_mode = false;
};
[[nodiscard]] Result<std::shared_ptr<const RuleEngine>> LoadRuleEngine(
    const RuleFilesOptions& options);

}  // namespace mw::rules
