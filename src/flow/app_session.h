// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// The app layer of one flow: protocol identification (Snort's wizard) and then feeding the one
// attached parser.
//
// Until a parser is attached, the first bytes of each direction (up to FlowConfig::probe_bytes)
// are offered to every registered probe of the flow's transport (in place for the first segment;
// buffered only while the probes need more bytes); kNo removes that
// candidate, kYes attaches it (spec.create()) and replays the buffered bytes, first the direction
// that spoke first. When every candidate said no, identification stops for good. UDP probes each
// datagram (no buffering) and hands attached parsers whole datagrams.
//
// Attached parsers get in-order bytes; what they do not consume is kept (up to the spec's
// max_buffer) and prefixed to the next delivery. kInvalid, Violate() or a buffer overflow
// detaches the parser; the flow carries on without an app layer.
//
// Memory: the parser object (ParserSpec::state_bytes), what it holds (AppParser::heap_bytes)
// and the probe and pending buffers (their capacity) are charged to the flow's MemoryAccount
// before they grow. A refused charge sheds the session: the parser is dropped without OnEnd and
// the flow carries on without an app layer, as after a violation but counted as memcap.refused.
#include <array>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "flow/flow_config.h"
#include "flow/flow_counters.h"
#include "flow/flow_memory.h"
#include "mw/parse/app_parser.h"

namespace mw::flow {

// What a delivery needs besides the bytes; built on the stack by the flow table.
struct ParseEnv {
  const FlowInfo& flow;
  TimestampUs now;
  EventBus& bus;
  FlowCounters& counters;
  MemoryAccount& memory;  // the flow's share of flow.memcap
};

class AppSession {
 public:
  // "candidates": bit i set = registry.specs()[i] may still match (and has the right transport).
  AppSession(const ParserRegistry& registry, Transport transport, uint64_t candidates,
             const FlowConfig& config);
  ~AppSession();

  void OnData(Direction dir, ByteView bytes, const ParseEnv& env);
  void OnGap(Direction dir, uint32_t len, const ParseEnv& env);
  // The flow ends: an attached parser gets OnEnd().
  void OnEnd(const ParseEnv& env);

  // No parser attached and none can be any more: the flow needs no app-layer bytes.
  bool done() const { return state_ == State::kDone; }
  bool attached() const { return state_ == State::kAttached; }
  // A parser confirmed its protocol: the flow is worth its memory under pressure.
  bool promising() const { return confirmed_; }
  // Name of the attached (or formerly attached) parser if it called Confirm(), else empty.
  std::string_view confirmed_protocol() const { return confirmed_ ? spec_->name : ""; }
  std::string_view parser_name() const { return spec_ ? spec_->name : ""; }

  // Candidate mask for "transport" (at most 64 specs take part in identification).
  static uint64_t CandidatesFor(const ParserRegistry& registry, Transport transport);

 private:
  enum class State : uint8_t { kProbing, kAttached, kDone };
  class Context;

  void ProbeStream(Direction dir, ByteView bytes, const ParseEnv& env);
  void ProbeDatagram(Direction dir, ByteView bytes, const ParseEnv& env);
  // "unbuffered": the bytes direction "dir" probed in place, replayed as its probe buffer.
  void Attach(size_t spec_index, const ParseEnv& env, Direction dir, ByteView unbuffered);
  void GiveUp(const ParseEnv& env);
  // Feeds stream bytes, keeping what the parser does not consume.
  void FeedStream(Direction dir, ByteView bytes, const ParseEnv& env);
  // One parser call (repeated while it makes progress); returns bytes consumed, or detaches.
  size_t Run(Direction dir, ByteView bytes, const ParseEnv& env);
  // The flow layer gives up on the parser (counted under "reason").
  void Detach(DetachReason reason, const ParseEnv& env);
  // The parser said kInvalid or Violate()d: counted under its violation name, if it gave one.
  void Violated(const char* violation, const ParseEnv& env);
  // Detach and Violated: no app layer for the rest of the flow.
  void Stop(const ParseEnv& env);
  // A charge was refused: stop buffering, like Detach but not a protocol violation.
  void Shed(const ParseEnv& env);
  void DropState(const ParseEnv& env);
  // Room for "size" bytes in "buf" (at most "cap_limit" of capacity), charged before it grows.
  static bool Reserve(std::vector<uint8_t>& buf, size_t size, size_t cap_limit,
                      const ParseEnv& env);
  static void Free(std::vector<uint8_t>& buf, const ParseEnv& env);
  // Charges or releases the change from the last charged heap_bytes() to "now"; false when
  // refused.
  bool ChargeParserHeap(size_t now, const ParseEnv& env);

  const ParserRegistry& registry_;
  const FlowConfig& config_;
  Transport transport_;
  State state_ = State::kProbing;
  bool confirmed_ = false;
  bool have_first_dir_ = false;
  Direction first_dir_ = Direction::kToServer;
  uint32_t udp_probes_ = 0;
  uint32_t parser_state_charge_ = 0;  // ParserSpec::state_bytes, charged at attach
  size_t parser_heap_charge_ = 0;     // the parser's heap_bytes() as last charged
  uint64_t candidates_;
  const ParserSpec* spec_ = nullptr;
  std::unique_ptr<AppParser> parser_;
  std::array<std::vector<uint8_t>, 2> probe_;    // first bytes per direction while probing
  std::array<std::vector<uint8_t>, 2> pending_;  // unconsumed bytes per direction once attached
};

}  // namespace mw::flow
