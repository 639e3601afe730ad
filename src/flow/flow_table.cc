// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "flow/flow_table.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "flow/app_session.h"
#include "flow/tcp_stream.h"

namespace mw::flow {
namespace {

using decode::DecodedPacket;
namespace tf = decode::tcp_flags;

// Ports that identify a service (the server side) when a flow is picked up mid-stream.
bool IsServicePort(uint16_t port) {
  if (port < 1024) return true;
  switch (port) {
    case 1080:
    case 1194:
    case 1433:
    case 1521:
    case 1883:
    case 2049:
    case 3128:
    case 3306:
    case 3333:
    case 3389:
    case 4444:
    case 5060:
    case 5222:
    case 5432:
    case 5900:
    case 6379:
    case 6667:
    case 8000:
    case 8008:
    case 8080:
    case 8333:
    case 8443:
    case 8888:
    case 9000:
    case 9050:
    case 9092:
    case 9200:
    case 9999:
    case 11211:
    case 14433:
    case 14444:
    case 27017:
    case 30303:
      return true;
    default:
      return false;
  }
}

uint64_t Mix(uint64_t h) {  // murmur3 finaliser
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

// Two 64-bit compares: the defaulted operator== of std::array goes through a memcmp call, and
// this compare runs for every packet.
inline bool SameAddress(const IpAddress& a, const IpAddress& b) {
  uint64_t x[2], y[2];
  std::memcpy(x, a.bytes().data(), 16);
  std::memcpy(y, b.bytes().data(), 16);
  return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
}

// 16 KB of index to start with; doubled as flows are created.
constexpr uint64_t kInitialBuckets = 4096;

struct Endpoint {
  uint64_t lo, hi;  // the address as two words
  uint16_t port;
};

inline Endpoint Load(const IpAddress& a, uint16_t port) {
  Endpoint e;
  std::memcpy(&e.lo, a.bytes().data(), 8);
  std::memcpy(&e.hi, a.bytes().data() + 8, 8);
  e.port = port;
  return e;
}

inline bool Less(const Endpoint& a, const Endpoint& b) {
  if (a.hi != b.hi) return a.hi < b.hi;  // the IPv4 address is in the high word
  if (a.lo != b.lo) return a.lo < b.lo;
  return a.port < b.port;
}

}  // namespace

struct FlowTable::FlowExt {
  FlowExt(const ParserRegistry& registry, Transport t, uint64_t candidates,
          const FlowConfig& config, MemoryPool* pool, uint32_t index)
      : app(registry, t, candidates, config), account(pool, index) {}
  AppSession app;
  std::array<TcpStream, 2> streams;
  MemoryAccount account;                // everything this flow holds against flow.memcap
  uint32_t buffered = 0;                // out-of-order bytes of both streams (with overhead)
  std::array<uint64_t, 2> delivered{};  // in-order bytes handed on per direction
  uint32_t clock_prev = kNil, clock_next = kNil;
  bool referenced = true;  // payload since the CLOCK hand last passed
};

struct alignas(64) FlowTable::Flow {
  enum Flags : uint8_t {
    kInUse = 1,
    kClosed = 2,   // ended by FIN/RST; kept briefly to absorb stray packets
    kAppDone = 4,  // no parser wants this flow's bytes: skip reassembly
    kFinToServer = 8,
    kFinToClient = 16,
    kSynToServer = 32,  // isn[] holds the SYN sequence number of that direction
    kSynToClient = 64,
    kEstablished = 128,  // TCP: handshake completed; UDP/ICMP: both directions seen
  };
  FlowInfo info;
  uint32_t lru_prev = kNil;
  uint32_t lru_next = kNil;
  uint8_t tclass = 0;
  uint8_t flags = 0;
  uint32_t isn[2] = {0, 0};
  std::unique_ptr<FlowExt> ext;

  static uint8_t FinFlag(Direction d) {
    return d == Direction::kToServer ? kFinToServer : kFinToClient;
  }
  static uint8_t SynFlag(Direction d) {
    return d == Direction::kToServer ? kSynToServer : kSynToClient;
  }
};

namespace {

// Routes one direction's reassembled bytes to the flow's app session, and to stream inspectors
// (StreamDataEvent) while any subscribes.
class StreamToApp final : public TcpStreamSink {
 public:
  StreamToApp(AppSession& app, Direction dir, const ParseEnv& env, uint64_t& delivered,
              bool inspectable)
      : app_(app), dir_(dir), env_(env), delivered_(delivered), inspectable_(inspectable) {}
  void OnStreamData(ByteView bytes) override {
    app_.OnData(dir_, bytes, env_);
    if (env_.bus.HasSubscribers<StreamDataEvent>())
      env_.bus.Publish(StreamDataEvent{env_.flow, dir_, bytes, delivered_,
                                       app_.confirmed_protocol(), inspectable_});
    delivered_ += bytes.size();
  }
  void OnStreamGap(uint32_t len) override {
    app_.OnGap(dir_, len, env_);
    delivered_ += len;
  }

 private:
  AppSession& app_;
  Direction dir_;
  const ParseEnv& env_;
  uint64_t& delivered_;
  bool inspectable_;
};

}  // namespace

FlowTable::FlowTable(const FlowConfig& config, const ParserRegistry& registry, EventBus& bus)
    : config_(config), registry_(registry), bus_(bus), pool_(config.memcap) {
  pool_.set_reclaimer(this);
  // Two whole cache lines per slot (alignas(64) on Flow): unaligned, a slot straddled three and
  // every packet's lookup and update touched all of them. Growing the slot costs a line a flow.
  static_assert(sizeof(Flow) == 128);
  if (config_.max_flows == 0) config_.max_flows = 1;
  if (config_.max_flows >= kNil) config_.max_flows = kNil - 1;
  tcp_candidates_ = AppSession::CandidatesFor(registry_, Transport::kTcp);
  udp_candidates_ = AppSession::CandidatesFor(registry_, Transport::kUdp);
  // Address space only: pages are touched as flows are created.
  flows_.reserve(config_.max_flows);
  links_.reserve(config_.max_flows);
  max_buckets_ = 16;
  while (max_buckets_ < config_.max_flows) max_buckets_ <<= 1;
  const uint64_t nbuckets = std::min<uint64_t>(max_buckets_, kInitialBuckets);
  buckets_.assign(nbuckets, kNil);
  bucket_mask_ = nbuckets - 1;
  lru_head_.fill(kNil);
  lru_tail_.fill(kNil);
  ext_pool_.reserve(kExtPoolMax);
}

FlowTable::~FlowTable() {
  for (Flow& f : flows_) f.ext.reset();
  for (void* block : ext_pool_) ::operator delete(block);
}

uint64_t FlowTable::Hash(const DecodedPacket& p) const {
  // Symmetric, so both directions of a flow land in the same bucket: the endpoints are put in
  // order first. Independent multiplies and one finaliser (the earlier per-endpoint finalisers
  // cost three times as much on every packet).
  Endpoint a = Load(p.src, p.src_port), b = Load(p.dst, p.dst_port);
  if (Less(b, a)) std::swap(a, b);
  const uint64_t h =
      a.lo * 0x9E3779B97F4A7C15ULL ^ a.hi * 0xC2B2AE3D27D4EB4FULL ^ b.lo * 0x165667B19E3779F9ULL ^
      b.hi * 0xD6E8FEB86659FD93ULL ^
      (uint64_t(a.port) << 32 | uint64_t(b.port) << 16 | uint64_t(p.proto)) * 0xFF51AFD7ED558CCDULL;
  return Mix(h);
}

uint32_t FlowTable::Lookup(const DecodedPacket& p, uint64_t hash, Direction* dir) const {
  for (uint32_t i = buckets_[hash & bucket_mask_]; i != kNil; i = links_[i].next) {
    // The chain is walked in the dense links_ array: other flows of the chain are passed over
    // without touching their (cold) Flow slots.
    if (links_[i].hash != uint32_t(hash)) continue;
    const FlowInfo& f = flows_[i].info;
    if (f.proto != p.proto) continue;
    if (f.client_port == p.src_port && f.server_port == p.dst_port &&
        SameAddress(f.client, p.src) && SameAddress(f.server, p.dst)) {
      *dir = Direction::kToServer;
      return i;
    }
    if (f.client_port == p.dst_port && f.server_port == p.src_port &&
        SameAddress(f.client, p.dst) && SameAddress(f.server, p.src)) {
      *dir = Direction::kToClient;
      return i;
    }
  }
  return kNil;
}

TimestampUs FlowTable::TimeoutOf(TimeoutClass c) const {
  switch (c) {
    case kTcpOpen:
      return config_.tcp_timeout_us;
    case kTcpClosed:
      return config_.tcp_closed_timeout_us;
    case kUdp:
      return config_.udp_timeout_us;
    default:
      return config_.icmp_timeout_us;
  }
}

void FlowTable::LruUnlink(uint32_t i) {
  Flow& f = flows_[i];
  if (f.lru_prev != kNil)
    flows_[f.lru_prev].lru_next = f.lru_next;
  else
    lru_head_[f.tclass] = f.lru_next;
  if (f.lru_next != kNil)
    flows_[f.lru_next].lru_prev = f.lru_prev;
  else
    lru_tail_[f.tclass] = f.lru_prev;
  f.lru_prev = f.lru_next = kNil;
}

void FlowTable::Touch(uint32_t i, TimeoutClass c) {
  // A flow that is already the newest of its class (back-to-back packets) stays put: relinking
  // would load its neighbours' cache lines for nothing.
  if (flows_[i].tclass == c && lru_tail_[c] == i) return;
  LruUnlink(i);
  LruAppend(i, c);
}

void FlowTable::LruAppend(uint32_t i, TimeoutClass c) {
  Flow& f = flows_[i];
  f.tclass = c;
  f.lru_prev = lru_tail_[c];
  f.lru_next = kNil;
  if (lru_tail_[c] != kNil)
    flows_[lru_tail_[c]].lru_next = i;
  else
    lru_head_[c] = i;
  lru_tail_[c] = i;
}

uint32_t FlowTable::Create(const DecodedPacket& p, uint64_t hash, Direction* dir) {
  if (counters_.active >= config_.max_flows) EvictOne();
  uint32_t i;
  if (free_head_ != kNil) {
    i = free_head_;
    free_head_ = links_[i].next;
  } else {
    i = uint32_t(flows_.size());
    flows_.emplace_back();
    links_.emplace_back();
  }
  Flow& f = flows_[i];
  bool reverse;
  if (p.proto == IpProto::kTcp && (p.tcp_flags & tf::kSyn)) {
    reverse = (p.tcp_flags & tf::kAck) != 0;  // a SYN-ACK comes from the server
  } else if ((p.proto == IpProto::kIcmp && p.icmp_type == 0) ||
             (p.proto == IpProto::kIcmpV6 && p.icmp_type == 129)) {
    reverse = true;  // echo reply
  } else {
    reverse = IsServicePort(p.src_port) && !IsServicePort(p.dst_port);
  }
  f.info = FlowInfo{};
  f.info.flow_id = ++next_flow_id_;
  f.info.client = reverse ? p.dst : p.src;
  f.info.server = reverse ? p.src : p.dst;
  f.info.client_port = reverse ? p.dst_port : p.src_port;
  f.info.server_port = reverse ? p.src_port : p.dst_port;
  f.info.proto = p.proto;
  f.info.first_seen = f.info.last_seen = now_;
  f.flags = Flow::kInUse;
  if (p.proto == IpProto::kTcp ? tcp_candidates_ == 0 && !config_.inspect_streams
                               : (p.proto != IpProto::kUdp || udp_candidates_ == 0))
    f.flags |= Flow::kAppDone;
  links_[i].hash = uint32_t(hash);
  links_[i].next = buckets_[hash & bucket_mask_];
  buckets_[hash & bucket_mask_] = i;
  TimeoutClass c = p.proto == IpProto::kTcp ? kTcpOpen : p.proto == IpProto::kUdp ? kUdp : kIcmp;
  LruAppend(i, c);
  ++counters_.created;
  ++counters_.active;
  if (counters_.active > buckets_.size() && buckets_.size() < max_buckets_) GrowIndex();
  *dir = reverse ? Direction::kToClient : Direction::kToServer;
  bus_.Publish(FlowStartEvent{f.info});
  return i;
}

void FlowTable::GrowIndex() {
  // All at once: amortised O(1) per created flow, and the index never exceeds max_buckets_.
  const uint64_t nbuckets = buckets_.size() * 2;
  buckets_.assign(nbuckets, kNil);
  bucket_mask_ = nbuckets - 1;
  // Chain order does not matter: a 5-tuple is in the index at most once.
  for (uint32_t i = 0; i < flows_.size(); ++i) {
    if (!(flows_[i].flags & Flow::kInUse)) continue;
    uint32_t& head = buckets_[links_[i].hash & bucket_mask_];
    links_[i].next = head;
    head = i;
  }
}

void FlowTable::Remove(uint32_t i) {
  Flow& f = flows_[i];
  ReleaseExt(f);
  uint32_t* link = &buckets_[links_[i].hash & bucket_mask_];
  while (*link != kNil && *link != i) link = &links_[*link].next;
  if (*link == i) *link = links_[i].next;
  LruUnlink(i);
  f.flags = 0;
  links_[i].next = free_head_;
  free_head_ = i;
  --counters_.active;
}

void FlowTable::ReleaseExt(Flow& f) {
  if (!f.ext) return;
  total_buffered_ -= f.ext->buffered;
  ClockUnlink(f.ext->account.owner());
  f.ext->account.ReleaseAll();
  if (ext_pool_.size() < kExtPoolMax) {
    FlowExt* ext = f.ext.release();
    ext->~FlowExt();
    ext_pool_.push_back(ext);
  } else {
    f.ext.reset();
  }
}

FlowTable::FlowExt* FlowTable::EnsureExt(Flow& f, uint32_t index) {
  if (f.ext) return f.ext.get();
  if (f.flags & Flow::kAppDone) return nullptr;
  const bool tcp = f.info.proto == IpProto::kTcp;
  // Blocks come from ::operator new(sizeof(FlowExt)), exactly what `new FlowExt` would use,
  // so unique_ptr's delete stays correct for pooled storage.
  void* block;
  if (!ext_pool_.empty()) {
    block = ext_pool_.back();
    ext_pool_.pop_back();
  } else {
    block = ::operator new(sizeof(FlowExt));
  }
  f.ext.reset(new (block) FlowExt(registry_, tcp ? Transport::kTcp : Transport::kUdp,
                                  tcp ? tcp_candidates_ : udp_candidates_, config_, &pool_, index));
  ClockInsert(index);
  // What the block costs before it buffers anything, with malloc's header.
  constexpr uint64_t kExtCharge = sizeof(FlowExt) + 16;
  if (!f.ext->account.Charge(kExtCharge)) {
    // No room even after reclaiming: this flow goes without an app layer.
    ReleaseExt(f);
    f.flags |= Flow::kAppDone;
    return nullptr;
  }
  for (Direction d : {Direction::kToServer, Direction::kToClient})
    if (f.flags & Flow::SynFlag(d)) f.ext->streams[size_t(d)].OnSyn(f.isn[size_t(d)]);
  return f.ext.get();
}

void FlowTable::End(Flow& f, EndReason reason) {
  std::string_view proto;
  if (f.ext) {
    ParseEnv env{f.info, now_, bus_, counters_, f.ext->account};
    if (f.info.proto == IpProto::kTcp) {
      ReassemblyBudget budget{f.ext->buffered, config_.max_ooo_bytes_per_flow, total_buffered_,
                              config_.max_ooo_bytes_total, &f.ext->account};
      for (Direction d : {Direction::kToServer, Direction::kToClient}) {
        StreamToApp sink(f.ext->app, d, env, f.ext->delivered[size_t(d)], StreamInspectable(f));
        f.ext->streams[size_t(d)].Flush(sink, budget, counters_.tcp);
      }
    }
    f.ext->app.OnEnd(env);
    proto = f.ext->app.confirmed_protocol();
  }
  switch (reason) {
    case EndReason::kFin:
      ++counters_.closed_fin;
      break;
    case EndReason::kReset:
      ++counters_.closed_rst;
      break;
    case EndReason::kIdleTimeout:
      ++counters_.timed_out;
      break;
    case EndReason::kEvicted:
      ++counters_.evicted;
      break;
    case EndReason::kShutdown:
      ++counters_.ended_at_shutdown;
      break;
  }
  bus_.Publish(FlowEndEvent{f.info, reason, proto});
  ReleaseExt(f);
  f.flags |= Flow::kClosed | Flow::kAppDone;
}

void FlowTable::EvictOne() {
  // The least recently seen flow is the oldest head among the per-class LRU lists.
  uint32_t victim = kNil;
  for (uint32_t h : lru_head_)
    if (h != kNil && (victim == kNil || flows_[h].info.last_seen < flows_[victim].info.last_seen))
      victim = h;
  if (victim == kNil) return;
  if (!(flows_[victim].flags & Flow::kClosed)) End(flows_[victim], EndReason::kEvicted);
  Remove(victim);
}

void FlowTable::Expire(TimestampUs now) {
  for (int c = 0; c < kClassCount; ++c) {
    const TimestampUs timeout = TimeoutOf(TimeoutClass(c));
    while (lru_head_[c] != kNil) {
      uint32_t i = lru_head_[c];
      Flow& f = flows_[i];
      if (f.info.last_seen + timeout > now) break;
      if (!(f.flags & Flow::kClosed)) End(f, EndReason::kIdleTimeout);
      Remove(i);
    }
  }
}

void FlowTable::Advance(TimestampUs now) {
  if (now > now_) now_ = now;
  if (now_ >= next_sweep_) {
    Expire(now_);
    next_sweep_ = now_ + kSecond;
  }
}

void FlowTable::Process(const DecodedPacket& p) {
  Advance(p.ts);
  const uint64_t hash = Hash(p);
  Direction dir = Direction::kToServer;
  uint32_t i = Lookup(p, hash, &dir);
  if (i != kNil && (flows_[i].flags & Flow::kClosed)) {
    const bool new_syn =
        p.proto == IpProto::kTcp && (p.tcp_flags & tf::kSyn) && !(p.tcp_flags & tf::kAck);
    if (!new_syn) {
      ++counters_.after_close;
      flows_[i].info.last_seen = now_;
      Touch(i, kTcpClosed);
      return;
    }
    Remove(i);  // the port pair is reused by a new connection
    i = kNil;
  }
  if (i == kNil) i = Create(p, hash, &dir);
  Flow& f = flows_[i];
  f.info.packets[size_t(dir)]++;
  f.info.bytes[size_t(dir)] += p.payload_wire_len;
  f.info.last_seen = now_;

  TimeoutClass c = TimeoutClass(f.tclass);
  payload_in_stream_ = false;
  if (p.proto == IpProto::kTcp) {
    HandleTcp(f, i, dir, p);
    if (f.flags & (Flow::kClosed | Flow::kFinToServer | Flow::kFinToClient)) c = kTcpClosed;
  } else {
    if (f.info.packets[0] && f.info.packets[1]) f.flags |= Flow::kEstablished;
    if (p.proto == IpProto::kUdp) HandleUdp(f, i, dir, p);
  }
  if (bus_.HasSubscribers<PacketEvent>()) PublishPacket(f, dir, p);
  Touch(i, c);
}

bool FlowTable::StreamInspectable(const Flow& f) {
  constexpr uint8_t kTracked = Flow::kSynToServer | Flow::kEstablished;
  return (f.flags & kTracked) == kTracked;
}

bool FlowTable::KeepsStream(const Flow& f) const {
  return config_.inspect_streams && (f.flags & Flow::kSynToServer);
}

void FlowTable::PublishPacket(const Flow& f, Direction dir, const DecodedPacket& p) {
  FlowState state;
  state.established = f.flags & Flow::kEstablished;
  state.stream_tracked = p.proto == IpProto::kTcp && StreamInspectable(f);
  state.payload_in_stream = payload_in_stream_;
  std::string_view app = f.ext ? f.ext->app.confirmed_protocol() : std::string_view();
  bus_.Publish(PacketEvent{f.info, dir, p, state, app});
}

void FlowTable::HandleTcp(Flow& f, uint32_t index, Direction dir, const DecodedPacket& p) {
  ++counters_.tcp.segments;
  const uint8_t flags = p.tcp_flags;
  if ((flags & tf::kSyn) && !(f.flags & Flow::SynFlag(dir))) {
    f.flags |= Flow::SynFlag(dir);
    f.isn[size_t(dir)] = p.tcp_seq;
    if (f.ext) f.ext->streams[size_t(dir)].OnSyn(p.tcp_seq);
  }
  // The handshake's last ACK: both SYNs seen and the client acknowledges without SYN.
  constexpr uint8_t kBothSyns = Flow::kSynToServer | Flow::kSynToClient;
  if ((f.flags & kBothSyns) == kBothSyns && dir == Direction::kToServer && (flags & tf::kAck) &&
      !(flags & tf::kSyn))
    f.flags |= Flow::kEstablished;
  // Checked inline: EnsureExt is the allocation path, not a call per segment of a done flow.
  FlowExt* ext = f.ext                                                   ? f.ext.get()
                 : p.payload_wire_len > 0 && !(f.flags & Flow::kAppDone) ? EnsureExt(f, index)
                                                                         : nullptr;
  if (ext) {
    ParseEnv env{f.info, now_, bus_, counters_, ext->account};
    TcpStream& stream = ext->streams[size_t(dir)];
    ReassemblyBudget budget{ext->buffered, config_.max_ooo_bytes_per_flow, total_buffered_,
                            config_.max_ooo_bytes_total, &ext->account};
    // Data on a SYN starts after the SYN's own sequence number.
    const uint32_t data_seq = p.tcp_seq + ((flags & tf::kSyn) ? 1 : 0);
    if (p.payload_wire_len > 0) {
      ext->referenced = true;
      ++counters_.tcp.payload_segments;
      StreamToApp sink(ext->app, dir, env, ext->delivered[size_t(dir)], StreamInspectable(f));
      const uint64_t delivered_before = ext->delivered[size_t(dir)];
      const uint32_t buffered_before = ext->buffered;
      stream.OnSegment(data_seq, p.payload, p.payload_wire_len - uint32_t(p.payload.size()), sink,
                       budget, counters_.tcp);
      payload_in_stream_ =
          StreamInspectable(f) &&
          (ext->delivered[size_t(dir)] != delivered_before || ext->buffered > buffered_before);
    }
    if (flags & tf::kFin) stream.OnFin(data_seq + p.payload_wire_len);
    if (ext->app.done() && !KeepsStream(f)) {
      // Nobody wants the bytes any more: stop reassembling this flow.
      ReleaseExt(f);
      f.flags |= Flow::kAppDone;
      ext = nullptr;
    }
  }
  if (flags & tf::kFin) f.flags |= Flow::FinFlag(dir);
  if (flags & tf::kRst) {
    End(f, EndReason::kReset);
    return;
  }
  if ((f.flags & Flow::kFinToServer) && (f.flags & Flow::kFinToClient)) {
    // Close once both directions delivered everything up to their FIN; a hole still open
    // waits for its retransmission (or the closed-flow timeout, which flushes it as a gap).
    if (!ext || (ext->streams[0].finished() && ext->streams[1].finished())) End(f, EndReason::kFin);
  }
}

void FlowTable::HandleUdp(Flow& f, uint32_t index, Direction dir, const DecodedPacket& p) {
  if (p.payload.empty()) return;
  if (!f.ext && (f.flags & Flow::kAppDone)) return;
  FlowExt* ext = f.ext ? f.ext.get() : EnsureExt(f, index);
  if (!ext) return;
  ext->referenced = true;
  ParseEnv env{f.info, now_, bus_, counters_, ext->account};
  ext->app.OnData(dir, p.payload, env);
  if (ext->app.done()) {
    ReleaseExt(f);
    f.flags |= Flow::kAppDone;
  }
}

void FlowTable::ClockInsert(uint32_t i) {
  // Just behind the hand: a new flow is the last the hand reaches.
  FlowExt& e = *flows_[i].ext;
  if (clock_hand_ == kNil) {
    e.clock_prev = e.clock_next = i;
    clock_hand_ = i;
    return;
  }
  FlowExt& hand = *flows_[clock_hand_].ext;
  e.clock_next = clock_hand_;
  e.clock_prev = hand.clock_prev;
  flows_[hand.clock_prev].ext->clock_next = i;
  hand.clock_prev = i;
}

void FlowTable::ClockUnlink(uint32_t i) {
  FlowExt& e = *flows_[i].ext;
  if (e.clock_next == i) {
    clock_hand_ = kNil;
  } else {
    flows_[e.clock_prev].ext->clock_next = e.clock_next;
    flows_[e.clock_next].ext->clock_prev = e.clock_prev;
    if (clock_hand_ == i) clock_hand_ = e.clock_next;
  }
  e.clock_prev = e.clock_next = kNil;
}

void FlowTable::MakeRoom(uint64_t need, const MemoryAccount& requester) {
  // Nested charges (a flow being ended while room is made) are refused: the flow stops buffering.
  if (reclaiming_ || need > pool_.counters().limit) return;
  reclaiming_ = true;
  // Promising flows are ended only when the hand saw nothing else: while unpromising flows are
  // about (even ones on their second chance), the requester waits its turn instead.
  if (!ReclaimPass(need, requester.owner(), false) && !pool_.Fits(need))
    ReclaimPass(need, requester.owner(), true);
  reclaiming_ = false;
}

bool FlowTable::ReclaimPass(uint64_t need, uint32_t requester, bool promising) {
  bool saw_kind = false;  // a flow this pass may take was met (maybe on its second chance)
  for (int step = 0; step < kReclaimSteps && !pool_.Fits(need) && clock_hand_ != kNil; ++step) {
    const uint32_t i = clock_hand_;
    FlowExt& e = *flows_[i].ext;
    clock_hand_ = e.clock_next;
    if (i == requester) continue;
    const bool kind = e.app.promising() == promising;
    saw_kind |= kind;
    if (e.referenced) {  // active since the hand last came by: a second chance
      e.referenced = false;
      continue;
    }
    if (!kind) continue;
    if (promising)
      EvictForMemory(flows_[i]);
    else
      ShedFlow(flows_[i]);
  }
  return saw_kind;
}

void FlowTable::ShedFlow(Flow& f) {
  MemcapCounters& mc = pool_.counters();
  ++mc.shed_flows;
  mc.shed_bytes += f.ext->account.bytes();
  ReleaseExt(f);
  f.flags |= Flow::kAppDone;
}

void FlowTable::EvictForMemory(Flow& f) {
  MemcapCounters& mc = pool_.counters();
  ++mc.evicted_flows;
  mc.shed_bytes += f.ext->account.bytes();
  ReassemblyBudget budget{f.ext->buffered, config_.max_ooo_bytes_per_flow, total_buffered_,
                          config_.max_ooo_bytes_total, &f.ext->account};
  for (TcpStream& s : f.ext->streams) s.Discard(budget);
  ParseEnv env{f.info, now_, bus_, counters_, f.ext->account};
  f.ext->app.OnEnd(env);
  const std::string_view proto = f.ext->app.confirmed_protocol();
  bus_.Publish(FlowEndEvent{f.info, EndReason::kEvicted, proto});
  ReleaseExt(f);
  f.flags |= Flow::kClosed | Flow::kAppDone;
}

void FlowTable::Finish() {
  for (int c = 0; c < kClassCount; ++c) {
    while (lru_head_[c] != kNil) {
      uint32_t i = lru_head_[c];
      if (!(flows_[i].flags & Flow::kClosed)) End(flows_[i], EndReason::kShutdown);
      Remove(i);
    }
  }
}

}  // namespace mw::flow
