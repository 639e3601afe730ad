// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Test helpers for app-layer parsers (test-only; not linked into libraries): a ParseContext that
// records verdicts, and feeders that behave like the flow layer (re-deliver unconsumed bytes
// prefixed to the next ones, bounded by max_buffer; drop them at a gap) so the chunking property
// can be checked. Real captures as the flow layer delivers them: capture_test_util.h.
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

inline std::vector<uint8_t> FromHex(std::string_view hex) {
  std::vector<uint8_t> out;
  int hi = -1;
  for (char c : hex) {
    int v = (c >= '0' && c <= '9')   ? c - '0'
            : (c >= 'a' && c <= 'f') ? c - 'a' + 10
            : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                     : -1;
    if (v < 0) continue;  // spaces, newlines and separators are allowed
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(uint8_t(hi << 4 | v));
      hi = -1;
    }
  }
  return out;
}

// ---- Replays with gaps ------------------------------------------------------------------------

// One delivery of a replay; "gap_before" puts a hole (lost bytes) in "dir" in front of it.
struct GapStep {
  Direction dir;
  std::vector<uint8_t> bytes;
  bool gap_before = false;
};

// Replays "steps" the way the flow layer does, gaps included: a gap discards what the parser
// left unconsumed in that direction and calls OnGap (app_session.cc). Returns false on a
// contract breach (consumed more than given, or kept more than "max_buffer").
inline bool ReplayWithGaps(AppParser& parser, ParseContext& ctx, uint32_t max_buffer,
                           const std::vector<GapStep>& steps) {
  std::vector<uint8_t> carry[2];
  for (const auto& s : steps) {
    std::vector<uint8_t>& c = carry[int(s.dir)];
    if (s.gap_before) {
      c.clear();
      parser.OnGap(s.dir, 100, ctx);
    }
    c.insert(c.end(), s.bytes.begin(), s.bytes.end());
    if (c.empty()) continue;
    ParseResult r = parser.OnData(s.dir, ByteView(c.data(), c.size()), ctx);
    if (r.kind == ParseResult::Kind::kInvalid) return true;  // a verdict, not a breach
    if (r.consumed > c.size()) return false;
    c.erase(c.begin(), c.begin() + r.consumed);
    if (c.size() > max_buffer) return false;
  }
  return true;
}

// Every chunking of "steps" the chunking property replays: whole, each step cut in two at every
// offset (one cut per replay; the gap stays in front of the first piece), and one byte a time.
inline std::vector<std::vector<GapStep>> GapChunkings(const std::vector<GapStep>& steps) {
  std::vector<std::vector<GapStep>> out{steps};
  for (size_t i = 0; i < steps.size(); ++i) {
    for (size_t k = 1; k < steps[i].bytes.size(); ++k) {
      std::vector<GapStep> v;
      for (size_t j = 0; j < steps.size(); ++j) {
        const GapStep& s = steps[j];
        if (j != i) {
          v.push_back(s);
          continue;
        }
        v.push_back({s.dir, {s.bytes.begin(), s.bytes.begin() + k}, s.gap_before});
        v.push_back({s.dir, {s.bytes.begin() + k, s.bytes.end()}, false});
      }
      out.push_back(std::move(v));
    }
  }
  std::vector<GapStep> bytewise;
  for (const auto& s : steps) {
    if (s.bytes.empty()) bytewise.push_back(s);
    for (size_t k = 0; k < s.bytes.size(); ++k)
      bytewise.push_back({s.dir, {s.bytes[k]}, s.gap_before && k == 0});
  }
  out.push_back(std::move(bytewise));
  return out;
}

}  // namespace mw::testing
