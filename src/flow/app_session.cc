// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "flow/app_session.h"

#include <algorithm>

namespace mw::flow {
namespace {
// Pending capacity kept once a buffer empties (a Stratum line, a small record): reused without
// asking malloc again. Larger buffers are freed.
constexpr size_t kKeepPending = 4096;
}  // namespace

// The ParseContext a parser sees during one call.
class AppSession::Context final : public ParseContext {
 public:
  explicit Context(const ParseEnv& env) : env_(env) {}
  const FlowInfo& flow() const override { return env_.flow; }
  TimestampUs now() const override { return env_.now; }
  EventBus& events() override { return env_.bus; }
  void Confirm() override { confirmed = true; }
  void Violate(const char* reason) override {
    violated = true;
    if (!violation) violation = reason;  // the first reason counts; none means kInvalid
  }
  void Anomaly(const char* name) override { env_.counters.anomalies.Add(name ? name : "unnamed"); }

  bool confirmed = false;
  bool violated = false;
  const char* violation = nullptr;

 private:
  const ParseEnv& env_;
};

uint64_t AppSession::CandidatesFor(const ParserRegistry& registry, Transport transport) {
  uint64_t mask = 0;
  const auto& specs = registry.specs();
  for (size_t i = 0; i < specs.size() && i < 64; ++i)
    if (specs[i].transport == transport && specs[i].probe && specs[i].create)
      mask |= uint64_t(1) << i;
  return mask;
}

AppSession::AppSession(const ParserRegistry& registry, Transport transport, uint64_t candidates,
                       const FlowConfig& config)
    : registry_(registry), config_(config), transport_(transport), candidates_(candidates) {
  if (candidates_ == 0) state_ = State::kDone;
}

AppSession::~AppSession() = default;

void AppSession::OnData(Direction dir, ByteView bytes, const ParseEnv& env) {
  if (bytes.empty()) return;
  switch (state_) {
    case State::kDone:
      return;
    case State::kProbing:
      if (!have_first_dir_) {
        have_first_dir_ = true;
        first_dir_ = dir;
      }
      if (transport_ == Transport::kUdp)
        ProbeDatagram(dir, bytes, env);
      else
        ProbeStream(dir, bytes, env);
      return;
    case State::kAttached:
      if (transport_ == Transport::kUdp)
        Run(dir, bytes, env);  // datagrams are whole; nothing is carried over
      else
        FeedStream(dir, bytes, env);
      return;
  }
}

void AppSession::ProbeStream(Direction dir, ByteView bytes, const ParseEnv& env) {
  auto& buf = probe_[size_t(dir)];
  const size_t room = config_.probe_bytes > buf.size() ? config_.probe_bytes - buf.size() : 0;
  const size_t take = std::min(room, bytes.size());
  // Most directions are decided by their first segment: probe it in place and copy it into the
  // probe buffer only if the probes still wait for more (no allocation per flow otherwise).
  const bool in_place = buf.empty();
  if (!in_place) {
    if (!Reserve(buf, buf.size() + take, config_.probe_bytes, env)) return Shed(env);
    buf.insert(buf.end(), bytes.begin(), bytes.begin() + ptrdiff_t(take));
  }
  const ByteView window = in_place ? bytes.first(take) : ByteView(buf);
  ByteView rest = bytes.subspan(take);  // beyond the probe window: replayed only on attach

  const auto& specs = registry_.specs();
  for (size_t i = 0; i < specs.size() && i < 64; ++i) {
    if (!(candidates_ >> i & 1)) continue;
    ProbeResult r = specs[i].probe(dir, window);
    if (r == ProbeResult::kNo) {
      candidates_ &= ~(uint64_t(1) << i);
    } else if (r == ProbeResult::kYes) {
      Attach(i, env, dir, in_place ? window : ByteView());
      if (state_ == State::kAttached && !rest.empty()) FeedStream(dir, rest, env);
      return;
    }
  }
  // A full window that still leaves probes undecided: they will not decide.
  if (window.size() >= config_.probe_bytes) candidates_ = 0;
  if (candidates_ == 0) return GiveUp(env);
  if (in_place) {
    if (!Reserve(buf, window.size(), config_.probe_bytes, env)) return Shed(env);
    buf.assign(window.begin(), window.end());
  }
}

void AppSession::ProbeDatagram(Direction dir, ByteView bytes, const ParseEnv& env) {
  const auto& specs = registry_.specs();
  for (size_t i = 0; i < specs.size() && i < 64; ++i) {
    if (!(candidates_ >> i & 1)) continue;
    ProbeResult r = specs[i].probe(dir, bytes);
    if (r == ProbeResult::kNo) {
      candidates_ &= ~(uint64_t(1) << i);
    } else if (r == ProbeResult::kYes) {
      Attach(i, env, dir, ByteView());
      if (state_ == State::kAttached) Run(dir, bytes, env);
      return;
    }
  }
  if (++udp_probes_ >= config_.udp_probe_datagrams) candidates_ = 0;
  if (candidates_ == 0) GiveUp(env);
}

void AppSession::Attach(size_t spec_index, const ParseEnv& env, Direction dir,
                        ByteView unbuffered) {
  spec_ = &registry_.specs()[spec_index];
  parser_ = spec_->create();
  if (!parser_) {  // a factory that cannot build: treat as a violation, not a crash
    Detach(DetachReason::kCreateFailed, env);
    return;
  }
  const uint32_t state = spec_->state_bytes ? spec_->state_bytes : kDefaultParserStateBytes;
  if (!env.memory.Charge(state)) return Shed(env);
  parser_state_charge_ = state;
  state_ = State::kAttached;
  ++env.counters.parser_attaches;
  if (transport_ == Transport::kUdp) return;
  // Replay what probing buffered, the direction that spoke first first.
  std::array<std::vector<uint8_t>, 2> buffered;
  buffered.swap(probe_);
  const Direction order[2] = {
      first_dir_, first_dir_ == Direction::kToServer ? Direction::kToClient : Direction::kToServer};
  for (Direction d : order) {
    if (state_ != State::kAttached) break;
    // "unbuffered" is what direction "dir" probed in place (its buffer is empty then).
    const ByteView bytes =
        d == dir && !unbuffered.empty() ? unbuffered : ByteView(buffered[size_t(d)]);
    if (!bytes.empty()) FeedStream(d, bytes, env);
  }
  for (auto& b : buffered) Free(b, env);  // still charged as the probe buffers they were
}

void AppSession::GiveUp(const ParseEnv& env) {
  state_ = State::kDone;
  ++env.counters.protocol_unknown;
  Free(probe_[0], env);
  Free(probe_[1], env);
}

void AppSession::Detach(DetachReason reason, const ParseEnv& env) {
  ++env.counters.detached[size_t(reason)];
  Stop(env);
}

void AppSession::Violated(const char* violation, const ParseEnv& env) {
  if (violation)
    env.counters.violations.Add(violation);
  else
    ++env.counters.detached[size_t(DetachReason::kInvalid)];
  Stop(env);
}

void AppSession::Stop(const ParseEnv& env) {
  state_ = State::kDone;
  ++env.counters.parser_violations;
  DropState(env);
}

void AppSession::Shed(const ParseEnv& env) {
  state_ = State::kDone;
  DropState(env);
}

void AppSession::DropState(const ParseEnv& env) {
  parser_.reset();
  env.memory.Release(parser_state_charge_ + parser_heap_charge_);
  parser_state_charge_ = 0;
  parser_heap_charge_ = 0;
  for (auto* bufs : {&pending_, &probe_})
    for (auto& b : *bufs) Free(b, env);
}

bool AppSession::Reserve(std::vector<uint8_t>& buf, size_t size, size_t cap_limit,
                         const ParseEnv& env) {
  const size_t cap = buf.capacity();
  if (size <= cap) return true;
  // Doubling as std::vector would, but never past the bound the buffer has anyway.
  const size_t want = std::max(size, std::min(cap * 2, cap_limit));
  if (!env.memory.Charge(want - cap)) return false;
  buf.reserve(want);
  return true;
}

void AppSession::Free(std::vector<uint8_t>& buf, const ParseEnv& env) {
  if (buf.capacity() == 0) return;
  env.memory.Release(buf.capacity());
  std::vector<uint8_t>().swap(buf);  // "buf = {}" would keep the capacity
}

bool AppSession::ChargeParserHeap(size_t now, const ParseEnv& env) {
  if (now < parser_heap_charge_) {
    env.memory.Release(parser_heap_charge_ - now);
  } else if (!env.memory.Charge(now - parser_heap_charge_)) {
    return false;
  }
  parser_heap_charge_ = now;
  return true;
}

size_t AppSession::Run(Direction dir, ByteView bytes, const ParseEnv& env) {
  size_t done = 0;
  while (done < bytes.size()) {
    Context ctx(env);
    ParseResult r = parser_->OnData(dir, bytes.subspan(done), ctx);
    if (ctx.confirmed) confirmed_ = true;
    if (r.kind == ParseResult::Kind::kInvalid || ctx.violated) {
      Violated(ctx.violation, env);
      return 0;
    }
    const size_t consumed = std::min<size_t>(r.consumed, bytes.size() - done);
    done += consumed;
    // kNeedMore, or kOk without progress: wait for more bytes.
    if (r.kind != ParseResult::Kind::kOk || consumed == 0) break;
  }
  // The parser's heap rarely changes: the common case is one virtual call and a compare.
  const size_t heap = parser_->heap_bytes();
  if (heap != parser_heap_charge_ && !ChargeParserHeap(heap, env)) {
    Shed(env);
    return 0;
  }
  return done;
}

void AppSession::FeedStream(Direction dir, ByteView bytes, const ParseEnv& env) {
  auto& pending = pending_[size_t(dir)];
  const size_t max_buffer = spec_->max_buffer;
  if (pending.empty()) {
    size_t used = Run(dir, bytes, env);
    if (state_ != State::kAttached) return;
    ByteView rest = bytes.subspan(used);
    if (rest.empty()) return;
    if (rest.size() > max_buffer) return Detach(DetachReason::kMaxBuffer, env);
    if (!Reserve(pending, rest.size(), max_buffer, env)) return Shed(env);
    pending.assign(rest.begin(), rest.end());
    return;
  }
  // The new bytes join what is pending in pieces that fit max_buffer: the bound is on what a
  // parser must hold, not on segment size (GRO/TSO captures carry segments of up to 64 KB).
  while (!bytes.empty()) {
    const size_t room = max_buffer - std::min(max_buffer, pending.size());
    if (room == 0) return Detach(DetachReason::kMaxBuffer, env);
    const size_t take = std::min(room, bytes.size());
    if (!Reserve(pending, pending.size() + take, max_buffer, env)) return Shed(env);
    pending.insert(pending.end(), bytes.begin(), bytes.begin() + ptrdiff_t(take));
    bytes = bytes.subspan(take);
    const size_t used = Run(dir, ByteView(pending), env);
    if (state_ != State::kAttached) return;
    pending.erase(pending.begin(), pending.begin() + ptrdiff_t(used));
    if (pending.empty()) {
      // A large buffer goes back: an idle flow should not hold a record's worth of capacity.
      if (pending.capacity() > kKeepPending) Free(pending, env);
      return FeedStream(dir, bytes, env);  // the rest without a copy
    }
  }
}

void AppSession::OnGap(Direction dir, uint32_t len, const ParseEnv& env) {
  if (state_ == State::kProbing) {
    // Probes look at the start of a direction; after a hole start the window afresh.
    probe_[size_t(dir)].clear();
    return;
  }
  if (state_ != State::kAttached) return;
  // Bytes before a hole cannot be completed by bytes after it.
  Free(pending_[size_t(dir)], env);
  Context ctx(env);
  parser_->OnGap(dir, len, ctx);
  if (ctx.confirmed) confirmed_ = true;
  if (ctx.violated) return Violated(ctx.violation, env);
  const size_t heap = parser_->heap_bytes();
  if (heap != parser_heap_charge_ && !ChargeParserHeap(heap, env)) Shed(env);
}

void AppSession::OnEnd(const ParseEnv& env) {
  if (state_ != State::kAttached) return;
  Context ctx(env);
  parser_->OnEnd(ctx);
  if (ctx.confirmed) confirmed_ = true;
  state_ = State::kDone;
  DropState(env);
}

}  // namespace mw::flow
