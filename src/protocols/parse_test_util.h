// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Test helpers for app-layer parsers (test-only; not linked into libraries): a ParseContext that
// records verdicts, and a feeder that behaves like the flow layer (re-delivers unconsumed bytes
// prefixed to the next ones, bounded by max_buffer) so the chunking property can be checked.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mw/parse/app_parser.h"

namespace mw::testing {

class FakeParseContext final : public ParseContext {
 public:
  FakeParseContext() {
    flow_.flow_id = 1;
    flow_.client_port = 40000;
    flow_.server_port = 3333;
  }
  const FlowInfo& flow() const override { return flow_; }
  TimestampUs now() const override { return now_; }
  EventBus& events() override { return bus_; }
  void Confirm() override { ++confirms; }
  void Violate(const char* reason) override { violations.emplace_back(reason); }
  void Anomaly(const char* name) override { anomalies.emplace_back(name); }

  EventBus& bus() { return bus_; }
  FlowInfo& mutable_flow() { return flow_; }

  int confirms = 0;
  std::vector<std::string> violations;
  std::vector<std::string> anomalies;

 private:
  FlowInfo flow_;
  TimestampUs now_ = 1'700'000'000'000'000;
  EventBus bus_;
};

// One delivery of bytes in one direction.
struct Segment {
  Direction dir;
  std::string bytes;
};

// Replays a stream the way the flow layer does: bytes a parser leaves unconsumed are kept (up to
// "max_buffer") and delivered again in front of the next chunk of the same direction.
class StreamFeeder {
 public:
  StreamFeeder(AppParser& parser, ParseContext& ctx, uint32_t max_buffer)
      : parser_(parser), ctx_(ctx), max_buffer_(max_buffer) {}

  // Returns false once the parser has answered kInvalid, consumed more than it was given or
  // outgrown max_buffer.
  bool Feed(Direction dir, const uint8_t* data, size_t len) {
    if (dead_) return false;
    std::vector<uint8_t>& carry = carry_[int(dir)];
    carry.insert(carry.end(), data, data + len);
    ParseResult r = parser_.OnData(dir, ByteView(carry.data(), carry.size()), ctx_);
    if (r.kind == ParseResult::Kind::kInvalid) {
      dead_ = true;
      return false;
    }
    if (r.consumed > carry.size()) {
      over_consumed_ = true;
      dead_ = true;
      return false;
    }
    carry.erase(carry.begin(), carry.begin() + r.consumed);
    if (carry.size() > max_buffer_) {
      ctx_.Violate("feeder: parser exceeded max_buffer");
      over_buffer_ = true;
      dead_ = true;
      return false;
    }
    return true;
  }
  bool Feed(Direction dir, const std::vector<uint8_t>& v) { return Feed(dir, v.data(), v.size()); }
  bool Deliver(Direction dir, std::string_view bytes) {
    return Feed(dir, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
  // A hole in "dir", as the flow layer reports one: the bytes left unconsumed before it are
  // dropped (bytes after a hole cannot complete them) and the parser is told.
  void Gap(Direction dir, uint32_t len) {
    carry_[int(dir)].clear();
    parser_.OnGap(dir, len, ctx_);
  }
  size_t pending(Direction dir) const { return carry_[int(dir)].size(); }
  // Contract breaches a fuzzer traps on: consumed more than given, or kept more than max_buffer.
  bool over_consumed() const { return over_consumed_; }
  bool over_buffer() const { return over_buffer_; }
  bool breached() const { return over_consumed_ || over_buffer_; }
  bool dead() const { return dead_; }

 private:
  AppParser& parser_;
  ParseContext& ctx_;
  uint32_t max_buffer_;
  std::vector<uint8_t> carry_[2];
  bool dead_ = false;
  bool over_consumed_ = false;
  bool over_buffer_ = false;
};

// The chunkings the chunking property replays: each segment whole, every segment split in two
// at every offset (one split per replay), and every segment one byte at a time.
inline std::vector<std::vector<Segment>> Chunkings(const std::vector<Segment>& segments) {
  std::vector<std::vector<Segment>> out;
  out.push_back(segments);
  for (size_t i = 0; i < segments.size(); ++i) {
    for (size_t k = 1; k < segments[i].bytes.size(); ++k) {
      std::vector<Segment> v;
      for (size_t j = 0; j < segments.size(); ++j) {
        if (j == i) {
          v.push_back({segments[j].dir, segments[j].bytes.substr(0, k)});
          v.push_back({segments[j].dir, segments[j].bytes.substr(k)});
        } else {
          v.push_back(segments[j]);
        }
      }
      out.push_back(std::move(v));
    }
  }
  std::vector<Segment> bytewise;
  for (const auto& s : segments)
    for (char c : s.bytes) bytewise.push_back({s.dir, std::string(1, c)});
  out.push_back(std::move(bytewise));
  return out;
}

}  // namespace mw::testing
