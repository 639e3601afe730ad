// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// The app-layer parser seam (Suricata's parser contract, Zeek's DeliverStream/Undelivered).
//
// A parser instance belongs to one flow. The flow layer feeds it in-order bytes per direction
// (TCP after reassembly, UDP one datagram per call). Parsers never throw and never allocate per
// packet in the steady state; malformed input is an outcome (kInvalid / Violate), not an error.
//
// Adding a protocol: one directory under src/protocols/<name>/ with a <name>_plugin.cc that
// defines Register<Name>(ParserRegistry&), plus one line in src/protocols/builtin.cc.
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "mw/core/byte_view.h"
#include "mw/net/flow_info.h"
#include "mw/parse/event_bus.h"

namespace mw {

struct ParseResult {
  enum class Kind : uint8_t { kOk, kNeedMore, kInvalid };
  Kind kind = Kind::kOk;
  uint32_t consumed = 0;  // bytes of the input the parser is done with
  static ParseResult Ok(uint32_t consumed) { return {Kind::kOk, consumed}; }
  static ParseResult NeedMore(uint32_t consumed) { return {Kind::kNeedMore, consumed}; }
  static ParseResult Invalid() { return {Kind::kInvalid, 0}; }
};

// What the flow layer offers a parser while it handles one delivery.
class ParseContext {
 public:
  virtual ~ParseContext() = default;
  virtual const FlowInfo& flow() const = 0;
  // Timestamp of the packet whose bytes are being delivered.
  virtual TimestampUs now() const = 0;
  virtual EventBus& events() = 0;
  // The parser has seen enough valid protocol to be sure (Zeek AnalyzerConfirmation).
  virtual void Confirm() = 0;
  // The bytes are not this protocol; the flow layer detaches the parser (Zeek AnalyzerViolation).
  // "reason" must be a string literal (counted, not copied).
  virtual void Violate(const char* reason) = 0;
  // Counts a protocol anomaly that does not end parsing. "name" must be a string literal,
  // e.g. "stratum.oversized_line".
  virtual void Anomaly(const char* name) = 0;
};

class AppParser {
 public:
  virtual ~AppParser() = default;
  // Feeds in-order bytes of one direction. The caller keeps bytes the parser did not consume
  // (ParseResult::consumed) and delivers them again, prefixed to the next bytes, bounded by the
  // parser spec's max_buffer; a parser that needs more than that gets Violate()d by the caller.
  virtual ParseResult OnData(Direction dir, ByteView bytes, ParseContext& ctx) = 0;
  // "len" bytes of "dir" were lost (capture loss, mid-stream pickup). Resynchronise or give up.
  virtual void OnGap(Direction dir, uint32_t len, ParseContext& ctx) = 0;
  // The flow ended (FIN/RST/timeout/eviction). Publish whatever is pending.
  virtual void OnEnd(ParseContext& ctx) { (void)ctx; }
  // Heap bytes the parser holds beyond its own object (buffers, owned strings). The flow layer
  // charges them to flow.memcap after every delivery; a parser that holds nothing keeps 0.
  virtual size_t heap_bytes() const { return 0; }
};

enum class Transport : uint8_t { kTcp, kUdp };

// Port-independent protocol identification over the first bytes of a direction.
enum class ProbeResult : uint8_t { kNo, kMaybe /* need more bytes */, kYes };

struct ParserSpec {
  std::string_view name;
  Transport transport = Transport::kTcp;
  // Looks at the first bytes seen in "dir". Miners use any port, so probes use content only.
  ProbeResult (*probe)(Direction dir, ByteView first_bytes) = nullptr;
  std::unique_ptr<AppParser> (*create)() = nullptr;
  uint32_t max_buffer = 16 * 1024;  // most unconsumed bytes the flow layer keeps per direction
  // Size of one parser object (sizeof), charged to flow.memcap when it is attached;
  // 0 = kDefaultParserStateBytes.
  uint32_t state_bytes = 0;
};

inline constexpr uint32_t kDefaultParserStateBytes = 1024;

class ParserRegistry {
 public:
  void Add(const ParserSpec& spec) { specs_.push_back(spec); }
  const std::vector<ParserSpec>& specs() const { return specs_; }
  const ParserSpec* Find(std::string_view name) const {
    for (const auto& s : specs_)
      if (s.name == name) return &s;
    return nullptr;
  }

 private:
  std::vector<ParserSpec> specs_;
};

// Defined in src/protocols/builtin.cc: the one list of built-in protocols.
void RegisterBuiltinProtocols(ParserRegistry& registry);

}  // namespace mw
