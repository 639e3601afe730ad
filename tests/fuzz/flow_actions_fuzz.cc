// minerwatch — SPDX-License-Identifier: Apache-2.0
// Action fuzzer for the flow layer (Envoy style): the input is decoded into a sequence of
// actions — TCP/UDP packets on a handful of flows with fuzzer-chosen flags, sequence offsets and
// payloads, time jumps, Finish() — run against a FlowTable with small limits and a parser whose
// behaviour (consume some, need more, violate, anomaly, heap it claims to hold) is also driven by
// the payload bytes. The first byte picks a flow.memcap of a few KB (or none): the budget must
// never be passed and every byte charged must be given back by Finish().
#include <cstdint>
#include <cstring>
#include <memory>

#include "flow/flow_table.h"

namespace {

using mw::ByteView;

class Reader {
 public:
  Reader(const uint8_t* d, size_t n) : d_(d), n_(n) {}
  bool empty() const { return i_ >= n_; }
  uint8_t U8() { return i_ < n_ ? d_[i_++] : 0; }
  uint32_t U32() {
    return uint32_t(U8()) << 24 | uint32_t(U8()) << 16 | uint32_t(U8()) << 8 | U8();
  }
  ByteView Bytes(size_t n) {
    n = std::min(n, n_ - std::min(i_, n_));
    ByteView v(d_ + i_, n);
    i_ += n;
    return v;
  }

 private:
  const uint8_t* d_;
  size_t n_;
  size_t i_ = 0;
};

mw::ProbeResult Probe(mw::Direction, ByteView b) {
  if (b.empty()) return mw::ProbeResult::kMaybe;
  return b[0] % 3 == 0   ? mw::ProbeResult::kYes
         : b[0] % 3 == 1 ? mw::ProbeResult::kMaybe
                         : mw::ProbeResult::kNo;
}

class ChaosParser : public mw::AppParser {
 public:
  mw::ParseResult OnData(mw::Direction, ByteView b, mw::ParseContext& ctx) override {
    (void)ctx.flow().flow_id;
    if (b.empty()) return mw::ParseResult::Ok(0);
    if (b.size() > 1) heap_ = size_t(b[1] % 16) * 256;
    switch (b[0] % 8) {
      case 0:
        return mw::ParseResult::NeedMore(0);
      case 1:
        return mw::ParseResult::Ok(uint32_t(b.size() / 2));
      case 2:
        ctx.Anomaly("fuzz.anomaly");
        return mw::ParseResult::Ok(uint32_t(b.size()));
      case 3:
        if (b.size() > 100) ctx.Violate("fuzz.violate");
        return mw::ParseResult::Ok(1);
      case 4:
        return b.size() > 200 ? mw::ParseResult::Invalid() : mw::ParseResult::NeedMore(0);
      case 5:
        ctx.Confirm();
        return mw::ParseResult::Ok(uint32_t(b.size() + 10));  // over-consume
      default:
        return mw::ParseResult::Ok(uint32_t(b.size()));
    }
  }
  void OnGap(mw::Direction, uint32_t, mw::ParseContext&) override { heap_ = 0; }
  size_t heap_bytes() const override { return heap_; }

 private:
  size_t heap_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static mw::ParserRegistry registry = [] {
    mw::ParserRegistry r;
    for (auto t : {mw::Transport::kTcp, mw::Transport::kUdp})
      r.Add({.name = "chaos",
             .transport = t,
             .probe = &Probe,
             .create = [] { return std::unique_ptr<mw::AppParser>(new ChaosParser()); },
             .max_buffer = 512});
    return r;
  }();
  mw::EventBus bus;
  mw::flow::FlowConfig config{.max_flows = 4,
                              .max_ooo_bytes_per_flow = 2048,
                              .max_ooo_bytes_total = 4096,
                              .memcap = size > 0 && data[0] % 4 ? 1024 + uint64_t(data[0]) * 32 : 0,
                              .probe_bytes = 64,
                              .udp_probe_datagrams = 3};
  mw::flow::FlowTable table(config, registry, bus);
  Reader in(data, size);
  mw::TimestampUs now = 1'000'000;
  uint32_t seq_base[8] = {};
  while (!in.empty()) {
    uint8_t op = in.U8();
    if (op == 0xff) {
      table.Finish();
      continue;
    }
    if (op == 0xfe) {
      now += mw::TimestampUs(in.U8()) * 1'000'000;
      table.Advance(now);
      continue;
    }
    mw::decode::DecodedPacket p;
    const uint8_t flow = op & 7;
    const bool reverse = op & 8;
    p.proto = (op & 16) ? mw::IpProto::kUdp : mw::IpProto::kTcp;
    p.ts = now += in.U8();
    p.src = mw::IpAddress::FromV4(0x0a000000u + flow);
    p.dst = mw::IpAddress::FromV4(0x0a000100u);
    p.src_port = uint16_t(40000 + flow);
    p.dst_port = 3333;
    if (reverse) {
      std::swap(p.src, p.dst);
      std::swap(p.src_port, p.dst_port);
    }
    p.tcp_flags = in.U8();
    // Sequence numbers near a per-flow base (so segments overlap and reorder), sometimes wild.
    uint32_t off = in.U8();
    p.tcp_seq = (op & 32) ? in.U32() : seq_base[flow] + off * 8 + (reverse ? 0x80000000u : 0);
    if (op & 64) seq_base[flow] = in.U32();
    ByteView payload = in.Bytes(in.U8() % 128);
    p.payload = payload;
    p.payload_wire_len = uint32_t(payload.size()) + ((op & 128) ? in.U8() % 16 : 0);
    table.Process(p);
    if (config.memcap && table.memcap().in_use > config.memcap) __builtin_trap();
  }
  table.Finish();
  if (table.memcap().in_use != 0) __builtin_trap();  // a charge never given back
  return 0;
}
