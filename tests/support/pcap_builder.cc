// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "pcap_builder.h"

#include <arpa/inet.h>

#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace mw::testing {
namespace {

void Put16(Bytes& b, uint16_t v) {
  b.push_back(uint8_t(v >> 8));
  b.push_back(uint8_t(v));
}
void Put32(Bytes& b, uint32_t v) {
  Put16(b, uint16_t(v >> 16));
  Put16(b, uint16_t(v));
}
void PutLe16(Bytes& b, uint16_t v) {
  b.push_back(uint8_t(v));
  b.push_back(uint8_t(v >> 8));
}
void PutLe32(Bytes& b, uint32_t v) {
  PutLe16(b, uint16_t(v));
  PutLe16(b, uint16_t(v >> 16));
}
void Set16(Bytes& b, size_t at, uint16_t v) {
  b[at] = uint8_t(v >> 8);
  b[at + 1] = uint8_t(v);
}

uint32_t SumWords(const uint8_t* p, size_t n, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) sum += uint32_t(p[i] << 8 | p[i + 1]);
  if (n & 1) sum += uint32_t(p[n - 1] << 8);
  return sum;
}
uint16_t Fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(~sum);
}

void ParseAddr(std::string_view text, bool v6, uint8_t out[16]) {
  std::string s(text);
  if (inet_pton(v6 ? AF_INET6 : AF_INET, s.c_str(), out) != 1)
    throw std::invalid_argument("PacketBuilder: bad address " + s);
}

Bytes Pad4(Bytes b) {
  while (b.size() % 4) b.push_back(0);
  return b;
}

}  // namespace

PacketBuilder::Layer& PacketBuilder::Push(Kind kind, uint32_t a, uint32_t b, uint32_t c) {
  Layer& l = layers_.emplace_back();
  l.kind = kind;
  l.a = a;
  l.b = b;
  l.c = c;
  return l;
}

PacketBuilder& PacketBuilder::Ethernet(uint16_t ethertype) {
  Push(Kind::kEth, ethertype);
  return *this;
}
PacketBuilder& PacketBuilder::Vlan(uint16_t vlan_id, uint16_t tpid) {
  Push(Kind::kVlan, vlan_id, tpid);
  return *this;
}
PacketBuilder& PacketBuilder::LinuxSll() {
  Push(Kind::kSll);
  return *this;
}
PacketBuilder& PacketBuilder::LinuxSll2() {
  Push(Kind::kSll2);
  return *this;
}
PacketBuilder& PacketBuilder::Null(bool big_endian, uint32_t family) {
  Push(Kind::kNull, big_endian, family);
  return *this;
}
PacketBuilder& PacketBuilder::Ipv4(std::string_view src, std::string_view dst,
                                   Ipv4Options options) {
  Layer& l = Push(Kind::kIpv4);
  ParseAddr(src, false, l.src);
  ParseAddr(dst, false, l.dst);
  l.ip4 = std::move(options);
  return *this;
}
PacketBuilder& PacketBuilder::Ipv6(std::string_view src, std::string_view dst, uint8_t hop_limit) {
  Layer& l = Push(Kind::kIpv6, hop_limit);
  ParseAddr(src, true, l.src);
  ParseAddr(dst, true, l.dst);
  return *this;
}
PacketBuilder& PacketBuilder::Ipv6Ext(uint8_t type, size_t body_len) {
  Push(Kind::kIpv6Ext, type, uint32_t(body_len));
  return *this;
}
PacketBuilder& PacketBuilder::Ipv6Fragment(uint16_t offset, bool more, uint32_t id) {
  Push(Kind::kIpv6Frag, offset, more, id);
  return *this;
}
PacketBuilder& PacketBuilder::Tcp(uint16_t sport, uint16_t dport, TcpOptions options) {
  Layer& l = Push(Kind::kTcp, sport, dport);
  l.tcp = std::move(options);
  return *this;
}
PacketBuilder& PacketBuilder::Udp(uint16_t sport, uint16_t dport) {
  Push(Kind::kUdp, sport, dport);
  return *this;
}
PacketBuilder& PacketBuilder::Icmp(uint8_t type, uint8_t code, uint32_t rest) {
  Push(Kind::kIcmp, type, code, rest);
  return *this;
}
PacketBuilder& PacketBuilder::Icmpv6(uint8_t type, uint8_t code, uint32_t rest) {
  Push(Kind::kIcmpv6, type, code, rest);
  return *this;
}
PacketBuilder& PacketBuilder::Payload(std::string_view bytes) {
  Push(Kind::kPayload).bytes.assign(bytes.begin(), bytes.end());
  return *this;
}
PacketBuilder& PacketBuilder::Payload(const Bytes& bytes) {
  Push(Kind::kPayload).bytes = bytes;
  return *this;
}

uint16_t PacketBuilder::NextProto(size_t i) const {
  if (i >= layers_.size()) return 59;  // IPv6 "no next header"
  switch (layers_[i].kind) {
    case Kind::kIpv4:
      return 0x0800;
    case Kind::kIpv6:
      return 0x86dd;
    case Kind::kVlan:
      return uint16_t(layers_[i].b);
    case Kind::kIpv6Ext:
      return uint16_t(layers_[i].a);
    case Kind::kIpv6Frag:
      return 44;
    case Kind::kTcp:
      return 6;
    case Kind::kUdp:
      return 17;
    case Kind::kIcmp:
      return 1;
    case Kind::kIcmpv6:
      return 58;
    default:
      return 0;
  }
}

const PacketBuilder::Layer* PacketBuilder::EnclosingIp(size_t i) const {
  for (size_t j = i; j-- > 0;)
    if (layers_[j].kind == Kind::kIpv4 || layers_[j].kind == Kind::kIpv6) return &layers_[j];
  return nullptr;
}

Bytes PacketBuilder::Build() const {
  Bytes inner;
  for (size_t i = layers_.size(); i-- > 0;) {
    const Layer& l = layers_[i];
    Bytes h;
    switch (l.kind) {
      case Kind::kPayload:
        h = l.bytes;
        h.insert(h.end(), inner.begin(), inner.end());
        inner = std::move(h);
        continue;
      case Kind::kEth:
        for (int k = 0; k < 6; ++k) h.push_back(uint8_t(0x02 + k));  // dst
        for (int k = 0; k < 6; ++k) h.push_back(uint8_t(0x12 + k));  // src
        Put16(h, l.a ? uint16_t(l.a) : NextProto(i + 1));
        break;
      case Kind::kVlan: {
        // The TPID of this tag is written by the layer before (ethertype); here TCI + next type.
        Put16(h, uint16_t(l.a & 0x0fff));
        uint16_t next = NextProto(i + 1);
        Put16(h, next);
        break;
      }
      case Kind::kSll:
        Put16(h, 0);  // packet type: to us
        Put16(h, 1);  // ARPHRD_ETHER
        Put16(h, 6);  // address length
        for (int k = 0; k < 8; ++k) h.push_back(uint8_t(k < 6 ? 0x12 + k : 0));
        Put16(h, NextProto(i + 1));
        break;
      case Kind::kSll2:
        Put16(h, NextProto(i + 1));
        Put16(h, 0);     // reserved
        Put32(h, 1);     // interface index
        Put16(h, 1);     // ARPHRD_ETHER
        h.push_back(0);  // packet type
        h.push_back(6);  // address length
        for (int k = 0; k < 8; ++k) h.push_back(uint8_t(k < 6 ? 0x12 + k : 0));
        break;
      case Kind::kNull: {
        uint32_t fam = l.b ? l.b : (NextProto(i + 1) == 0x86dd ? 10 : 2);
        if (l.a)
          Put32(h, fam);
        else
          PutLe32(h, fam);
        break;
      }
      case Kind::kIpv4: {
        Bytes opts = Pad4(l.ip4.options);
        size_t hl = 20 + opts.size();
        h.push_back(uint8_t(0x40 | (hl / 4)));
        h.push_back(0);
        Put16(h, l.ip4.total_length ? *l.ip4.total_length : uint16_t(hl + inner.size()));
        Put16(h, l.ip4.id);
        uint16_t frag = uint16_t(l.ip4.fragment_offset / 8);
        if (l.ip4.dont_fragment) frag |= 0x4000;
        if (l.ip4.more_fragments) frag |= 0x2000;
        Put16(h, frag);
        h.push_back(l.ip4.ttl);
        h.push_back(l.ip4.protocol ? *l.ip4.protocol : uint8_t(NextProto(i + 1)));
        Put16(h, 0);
        h.insert(h.end(), l.src, l.src + 4);
        h.insert(h.end(), l.dst, l.dst + 4);
        h.insert(h.end(), opts.begin(), opts.end());
        uint16_t sum = Fold(SumWords(h.data(), h.size()));
        Set16(h, 10, l.ip4.bad_checksum ? uint16_t(sum ^ 0x5555) : sum);
        break;
      }
      case Kind::kIpv6:
        Put32(h, 0x60000000);
        Put16(h, uint16_t(inner.size()));
        h.push_back(uint8_t(NextProto(i + 1)));
        h.push_back(uint8_t(l.a));
        h.insert(h.end(), l.src, l.src + 16);
        h.insert(h.end(), l.dst, l.dst + 16);
        break;
      case Kind::kIpv6Ext: {
        if (l.a == 51) {  // AH: length in 4-byte units minus 2
          size_t total = (l.b + 2 + 3) / 4 * 4;
          if (total < 12) total = 12;
          h.push_back(uint8_t(NextProto(i + 1)));
          h.push_back(uint8_t(total / 4 - 2));
          h.resize(total, 0);
        } else {  // length in 8-byte units minus 1
          size_t total = (l.b + 2 + 7) / 8 * 8;
          h.push_back(uint8_t(NextProto(i + 1)));
          h.push_back(uint8_t(total / 8 - 1));
          h.resize(total, 0);
          if (l.a == 0 || l.a == 60) h[2] = 1, h[3] = uint8_t(total - 4);  // one PadN option
        }
        break;
      }
      case Kind::kIpv6Frag:
        h.push_back(uint8_t(NextProto(i + 1)));
        h.push_back(0);
        Put16(h, uint16_t((l.a & ~7u) | (l.b ? 1 : 0)));
        Put32(h, l.c);
        break;
      case Kind::kTcp: {
        Bytes opts = Pad4(l.tcp.options);
        Put16(h, uint16_t(l.a));
        Put16(h, uint16_t(l.b));
        Put32(h, l.tcp.seq);
        Put32(h, l.tcp.ack);
        h.push_back(uint8_t((20 + opts.size()) / 4 << 4));
        h.push_back(l.tcp.flags);
        Put16(h, l.tcp.window);
        Put16(h, 0);  // checksum
        Put16(h, 0);  // urgent
        h.insert(h.end(), opts.begin(), opts.end());
        break;
      }
      case Kind::kUdp:
        Put16(h, uint16_t(l.a));
        Put16(h, uint16_t(l.b));
        Put16(h, uint16_t(8 + inner.size()));
        Put16(h, 0);
        break;
      case Kind::kIcmp:
      case Kind::kIcmpv6:
        h.push_back(uint8_t(l.a));
        h.push_back(uint8_t(l.b));
        Put16(h, 0);
        Put32(h, l.c);
        break;
    }
    h.insert(h.end(), inner.begin(), inner.end());
    // Transport checksums over the pseudo-header of the nearest IP layer.
    size_t csum_at = l.kind == Kind::kTcp ? 16 : l.kind == Kind::kUdp ? 6 : 2;
    if (l.kind == Kind::kTcp || l.kind == Kind::kUdp || l.kind == Kind::kIcmp ||
        l.kind == Kind::kIcmpv6) {
      const Layer* ip = EnclosingIp(i);
      uint32_t sum = 0;
      if (ip && l.kind != Kind::kIcmp) {
        bool v6 = ip->kind == Kind::kIpv6;
        sum = SumWords(ip->src, v6 ? 16 : 4, sum);
        sum = SumWords(ip->dst, v6 ? 16 : 4, sum);
        sum += NextProto(i) + uint32_t(h.size() & 0xffff) + uint32_t(h.size() >> 16);
      }
      uint16_t c = Fold(SumWords(h.data(), h.size(), sum));
      if (l.kind == Kind::kUdp && c == 0) c = 0xffff;
      Set16(h, csum_at, c);
    }
    inner = std::move(h);
  }
  return inner;
}

void PcapWriter::Add(int64_t ts_us, const Bytes& frame, uint32_t orig_len) {
  Record r{ts_us, orig_len ? orig_len : uint32_t(frame.size()), frame};
  if (r.data.size() > snaplen_) r.data.resize(snaplen_);
  records_.push_back(std::move(r));
}

Bytes PcapWriter::PcapBytes() const {
  Bytes b;
  PutLe32(b, 0xa1b2c3d4);
  PutLe16(b, 2);
  PutLe16(b, 4);
  PutLe32(b, 0);
  PutLe32(b, 0);
  PutLe32(b, snaplen_);
  PutLe32(b, uint32_t(link_type_));
  for (const auto& r : records_) {
    PutLe32(b, uint32_t(r.ts_us / 1'000'000));
    PutLe32(b, uint32_t(r.ts_us % 1'000'000));
    PutLe32(b, uint32_t(r.data.size()));
    PutLe32(b, r.orig_len);
    b.insert(b.end(), r.data.begin(), r.data.end());
  }
  return b;
}

Bytes PcapWriter::PcapngBytes() const {
  Bytes b;
  // Section header block.
  PutLe32(b, 0x0a0d0d0a);
  PutLe32(b, 28);
  PutLe32(b, 0x1a2b3c4d);
  PutLe16(b, 1);
  PutLe16(b, 0);
  PutLe32(b, 0xffffffff);
  PutLe32(b, 0xffffffff);
  PutLe32(b, 28);
  // Interface description block (default resolution: microseconds).
  PutLe32(b, 1);
  PutLe32(b, 20);
  PutLe16(b, uint16_t(link_type_));
  PutLe16(b, 0);
  PutLe32(b, snaplen_);
  PutLe32(b, 20);
  for (const auto& r : records_) {
    uint32_t padded = uint32_t((r.data.size() + 3) / 4 * 4);
    uint32_t len = 32 + padded;
    PutLe32(b, 6);
    PutLe32(b, len);
    PutLe32(b, 0);
    uint64_t ts = uint64_t(r.ts_us);
    PutLe32(b, uint32_t(ts >> 32));
    PutLe32(b, uint32_t(ts));
    PutLe32(b, uint32_t(r.data.size()));
    PutLe32(b, r.orig_len);
    b.insert(b.end(), r.data.begin(), r.data.end());
    b.resize(b.size() + (padded - r.data.size()), 0);
    PutLe32(b, len);
  }
  return b;
}

void PcapWriter::WriteFile(const std::string& path, bool pcapng) const {
  Bytes b = pcapng ? PcapngBytes() : PcapBytes();
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error("PcapWriter: cannot create " + path);
  size_t n = std::fwrite(b.data(), 1, b.size(), f);
  bool ok = std::fclose(f) == 0 && n == b.size();
  if (!ok) throw std::runtime_error("PcapWriter: cannot write " + path);
}

}  // namespace mw::testing
