// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "decode/decoder.h"

#include <cstring>

namespace mw::decode {
namespace {

constexpr uint16_t kEtherIpv4 = 0x0800, kEtherIpv6 = 0x86dd, kEtherPppoeSession = 0x8864;
constexpr uint16_t kPppIpv4 = 0x0021, kPppIpv6 = 0x0057;
constexpr bool IsVlanTpid(uint16_t t) { return t == 0x8100 || t == 0x88a8 || t == 0x9100; }

// AF_INET6 differs between the systems that wrote DLT_NULL captures.
constexpr bool IsAfInet6(uint32_t f) { return f == 10 || f == 24 || f == 28 || f == 30; }

// True when the header's one's-complement sum is all ones. "len" is a multiple of 4 (IHL * 4).
// Summing 32-bit words in host order and folding gives the byte-swapped 16-bit sum (RFC 1071,
// byte-order independence), and all ones is the same either way: five loads instead of a
// 10-step byte loop on every IPv4 packet.
bool Ipv4HeaderChecksumOk(const uint8_t* p, size_t len) {
  uint64_t sum = 0;
  if (len == 20) {  // no options, nearly every packet: five loads, no loop
    uint32_t w[5];
    std::memcpy(w, p, 20);
    sum = uint64_t(w[0]) + w[1] + w[2] + w[3] + w[4];
  } else {
    for (size_t i = 0; i < len; i += 4) {
      uint32_t w;
      std::memcpy(&w, p + i, 4);
      sum += w;
    }
  }
  sum = (sum & 0xffffffff) + (sum >> 32);
  sum = (sum & 0xffffffff) + (sum >> 32);
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return sum == 0xffff;
}

}  // namespace

#define MW_NAME_CASE(e, n, h) \
  case decltype(r)::e:        \
    return n;
std::string_view Name(DropReason r) {
  switch (r) {
    MW_DECODE_DROP_REASONS(MW_NAME_CASE)
    default:
      return "unknown";
  }
}
std::string_view Name(SkipReason r) {
  switch (r) {
    MW_DECODE_SKIP_REASONS(MW_NAME_CASE)
    default:
      return "unknown";
  }
}
std::string_view Name(DecodeAnomaly r) {
  switch (r) {
    MW_DECODE_ANOMALIES(MW_NAME_CASE)
    default:
      return "unknown";
  }
}
#undef MW_NAME_CASE

Decoder::Decoder(const DecoderConfig& config)
    : config_(config), fragments_(config.fragments, counters_) {}

DecodeResult Decoder::Decode(const capture::RawPacket& raw, DecodedPacket& out) {
  ++counters_.packets;
  // Field by field: `out = DecodedPacket{}` builds a zeroed temporary with `rep stos` and copies
  // it, and the copy's loads stall on those just-written stores (~7% of the sensor's time).
  out.ts = raw.ts;
  out.src = IpAddress();
  out.dst = IpAddress();
  out.src_port = out.dst_port = 0;
  out.proto = IpProto::kTcp;
  out.ip_version = 4;
  out.ttl = out.tcp_flags = out.icmp_type = out.icmp_code = 0;
  out.reassembled = false;
  out.vlan_id = out.tcp_window = 0;
  out.tcp_seq = out.tcp_ack = 0;
  out.payload = ByteView();
  out.payload_wire_len = 0;
  fragments_.Expire(raw.ts);
  ByteView p = raw.data;
  const uint32_t wire_extra = raw.wire_len > p.size() ? uint32_t(raw.wire_len - p.size()) : 0;
  if (wire_extra) ++counters_.anomalies[size_t(DecodeAnomaly::kSnapTruncated)];

  switch (raw.link_type) {
    case link::kEthernet:
      if (p.size() < 14) return Drop(DropReason::kTruncatedLink);
      return DecodeEtherType(LoadBe16(&p[12]), p.subspan(14), wire_extra, out);
    case link::kLinuxSll:
      if (p.size() < 16) return Drop(DropReason::kTruncatedLink);
      return DecodeEtherType(LoadBe16(&p[14]), p.subspan(16), wire_extra, out);
    case link::kLinuxSll2:
      if (p.size() < 20) return Drop(DropReason::kTruncatedLink);
      return DecodeEtherType(LoadBe16(&p[0]), p.subspan(20), wire_extra, out);
    case link::kRaw12:
    case link::kRaw14:
    case link::kRaw:
      if (p.empty()) return Drop(DropReason::kTruncatedLink);
      if ((p[0] >> 4) == 4) return DecodeIpv4(p, wire_extra, out);
      if ((p[0] >> 4) == 6) return DecodeIpv6(p, wire_extra, out);
      return Drop(DropReason::kIpBadVersion);
    case link::kIpv4:
      return DecodeIpv4(p, wire_extra, out);
    case link::kIpv6:
      return DecodeIpv6(p, wire_extra, out);
    case link::kNull:
    case link::kLoop: {
      if (p.size() < 4) return Drop(DropReason::kTruncatedLink);
      // DLT_NULL is in the writer's byte order, DLT_LOOP in network order; families are small
      // numbers, so whichever end holds the non-zero byte tells the order.
      uint32_t family = (p[0] == 0 && p[1] == 0)
                            ? LoadBe32(&p[0])
                            : uint32_t(p[0] | p[1] << 8 | p[2] << 16 | uint32_t(p[3]) << 24);
      if (family == 2) return DecodeIpv4(p.subspan(4), wire_extra, out);
      if (IsAfInet6(family)) return DecodeIpv6(p.subspan(4), wire_extra, out);
      return Skip(SkipReason::kNonIp);
    }
    default:
      return Drop(DropReason::kUnknownLinkType);
  }
}

DecodeResult Decoder::DecodeEtherType(uint16_t type, ByteView p, uint32_t wire_extra,
                                      DecodedPacket& out) {
  uint32_t tags = 0;
  while (IsVlanTpid(type)) {
    if (++tags > config_.max_vlan_tags) return Drop(DropReason::kTooManyVlanTags);
    if (p.size() < 4) return Drop(DropReason::kTruncatedLink);
    out.vlan_id = LoadBe16(&p[0]) & 0x0fff;
    type = LoadBe16(&p[2]);
    p = p.subspan(4);
  }
  if (type == kEtherIpv4) return DecodeIpv4(p, wire_extra, out);
  if (type == kEtherIpv6) return DecodeIpv6(p, wire_extra, out);
  if (type == kEtherPppoeSession) {
    // RFC 2516: version/type, code, session id, length, then the PPP protocol (RFC 1661).
    if (p.size() < 8) return Drop(DropReason::kTruncatedLink);
    const uint16_t ppp = LoadBe16(&p[6]);
    if (ppp == kPppIpv4) return DecodeIpv4(p.subspan(8), wire_extra, out);
    if (ppp == kPppIpv6) return DecodeIpv6(p.subspan(8), wire_extra, out);
  }
  return Skip(SkipReason::kNonIp);  // PPPoE discovery and PPP control (LCP, IPCP) too
}

DecodeResult Decoder::DecodeIpv4(ByteView p, uint32_t wire_extra, DecodedPacket& out) {
  if (p.size() < 20) return Drop(DropReason::kIpv4Truncated);
  if ((p[0] >> 4) != 4) return Drop(DropReason::kIpBadVersion);
  const size_t ihl = size_t(p[0] & 0x0f) * 4;
  if (ihl < 20 || ihl > p.size()) return Drop(DropReason::kIpv4BadHeaderLength);
  const size_t total = LoadBe16(&p[2]);
  if (total < ihl) return Drop(DropReason::kIpv4BadTotalLength);
  // Frames carry padding (Ethernet minimum size) after the datagram; the snaplen may cut it.
  size_t available = p.size();
  if (total <= available) {
    available = total;
    wire_extra = 0;
  } else {
    // Cut short: by the snaplen, or by a capture tool that recorded the cut length as the wire
    // length. Decode what is there; the flow layer reports the rest as a gap.
    if (total > available + wire_extra)
      ++counters_.anomalies[size_t(DecodeAnomaly::kIpLengthBeyondFrame)];
    wire_extra = uint32_t(total - available);
  }
  // Checksum offload makes outgoing packets look wrong in local captures: count, keep going.
  if (!Ipv4HeaderChecksumOk(p.data(), ihl))
    ++counters_.anomalies[size_t(DecodeAnomaly::kIpv4BadChecksum)];

  out.ip_version = 4;
  out.ttl = p[8];
  out.src = IpAddress::FromV4(&p[12]);
  out.dst = IpAddress::FromV4(&p[16]);
  const uint8_t proto = p[9];
  const uint16_t frag = LoadBe16(&p[6]);
  const bool more = frag & 0x2000;
  const uint32_t offset = uint32_t(frag & 0x1fff) * 8;
  ByteView body = p.subspan(ihl, available - ihl);
  if (more || offset != 0) {
    ++counters_.fragments;
    if (wire_extra) return Drop(DropReason::kFragBadLength);  // cannot rebuild a cut fragment
    FragmentKey key{out.src, out.dst, LoadBe16(&p[4]), proto, 4};
    ByteView whole;
    if (DecodeResult r = AddFragment(key, offset, more, body, out, &whole);
        r != DecodeResult::kPacket)
      return r;
    return DecodeTransport(proto, whole, 0, out);
  }
  return DecodeTransport(proto, body, wire_extra, out);
}

DecodeResult Decoder::DecodeIpv6(ByteView p, uint32_t wire_extra, DecodedPacket& out) {
  if (p.size() < 40) return Drop(DropReason::kIpv6Truncated);
  if ((p[0] >> 4) != 6) return Drop(DropReason::kIpBadVersion);
  const size_t payload_len = LoadBe16(&p[4]);
  size_t available = p.size() - 40;
  if (payload_len <= available) {
    available = payload_len;
    wire_extra = 0;
  } else {
    if (payload_len > available + wire_extra)  // as for IPv4: decode what was captured
      ++counters_.anomalies[size_t(DecodeAnomaly::kIpLengthBeyondFrame)];
    wire_extra = uint32_t(payload_len - available);
  }
  out.ip_version = 6;
  out.ttl = p[7];
  out.src = IpAddress::FromV6(&p[8]);
  out.dst = IpAddress::FromV6(&p[24]);
  return DecodeIpv6Chain(p[6], p.subspan(40, available), wire_extra, false, out);
}

DecodeResult Decoder::DecodeIpv6Chain(uint8_t next, ByteView p, uint32_t wire_extra,
                                      bool in_reassembled, DecodedPacket& out) {
  for (uint32_t n = 0;; ++n) {
    if (n > config_.max_ipv6_ext_headers) return Drop(DropReason::kIpv6TooManyExtHeaders);
    switch (next) {
      case 0:     // hop-by-hop options
      case 43:    // routing
      case 60: {  // destination options
        if (p.size() < 8) return Drop(DropReason::kIpv6BadExtHeader);
        size_t len = (size_t(p[1]) + 1) * 8;
        if (len > p.size()) return Drop(DropReason::kIpv6BadExtHeader);
        next = p[0];
        p = p.subspan(len);
        continue;
      }
      case 51: {  // authentication header: length in 4-byte units, minus 2
        if (p.size() < 8) return Drop(DropReason::kIpv6BadExtHeader);
        size_t len = (size_t(p[1]) + 2) * 4;
        if (len > p.size()) return Drop(DropReason::kIpv6BadExtHeader);
        next = p[0];
        p = p.subspan(len);
        continue;
      }
      case 44: {  // fragment
        if (p.size() < 8) return Drop(DropReason::kIpv6BadExtHeader);
        const uint8_t inner = p[0];
        const uint16_t off_flags = LoadBe16(&p[2]);
        const uint32_t offset = off_flags & 0xfff8u;
        const bool more = off_flags & 1;
        const uint32_t id = LoadBe32(&p[4]);
        ByteView body = p.subspan(8);
        if (!more && offset == 0) {  // atomic fragment (RFC 6946): not really fragmented
          next = inner;
          p = body;
          continue;
        }
        ++counters_.fragments;
        if (in_reassembled) return Drop(DropReason::kIpv6BadExtHeader);  // nested fragments
        if (wire_extra) return Drop(DropReason::kFragBadLength);
        FragmentKey key{out.src, out.dst, id, inner, 6};
        ByteView whole;
        if (DecodeResult r = AddFragment(key, offset, more, body, out, &whole);
            r != DecodeResult::kPacket)
          return r;
        return DecodeIpv6Chain(inner, whole, 0, true, out);
      }
      case 50:
        return Skip(SkipReason::kIpv6Encrypted);
      case 59:  // no next header
        return Skip(SkipReason::kOtherIpProto);
      default:
        return DecodeTransport(next, p, wire_extra, out);
    }
  }
}

DecodeResult Decoder::AddFragment(const FragmentKey& key, uint32_t offset, bool more, ByteView body,
                                  DecodedPacket& out, ByteView* whole) {
  switch (fragments_.Add(key, offset, more, body, out.ts, whole)) {
    case FragmentReassembler::Outcome::kHeld:
      return Skip(SkipReason::kLaterFragment);
    case FragmentReassembler::Outcome::kDropped:
      return DecodeResult::kDropped;
    case FragmentReassembler::Outcome::kComplete:
      break;
  }
  out.reassembled = true;
  return DecodeResult::kPacket;
}

DecodeResult Decoder::DecodeTransport(uint8_t proto, ByteView p, uint32_t wire_extra,
                                      DecodedPacket& out) {
  switch (proto) {
    case 6: {
      if (p.size() < 20) return Drop(DropReason::kTcpTruncated);
      const size_t off = size_t(p[12] >> 4) * 4;
      if (off < 20 || off > p.size()) return Drop(DropReason::kTcpBadDataOffset);
      out.proto = IpProto::kTcp;
      out.src_port = LoadBe16(&p[0]);
      out.dst_port = LoadBe16(&p[2]);
      out.tcp_seq = LoadBe32(&p[4]);
      out.tcp_ack = LoadBe32(&p[8]);
      out.tcp_flags = p[13];
      out.tcp_window = LoadBe16(&p[14]);
      out.payload = p.subspan(off);
      break;
    }
    case 17: {
      if (p.size() < 8) return Drop(DropReason::kUdpTruncated);
      const size_t len = LoadBe16(&p[4]);
      if (len < 8) return Drop(DropReason::kUdpBadLength);
      out.proto = IpProto::kUdp;
      out.src_port = LoadBe16(&p[0]);
      out.dst_port = LoadBe16(&p[2]);
      // Trust the IP length over a UDP length that claims more than the datagram holds.
      size_t end = len <= p.size() + wire_extra ? len : p.size() + wire_extra;
      if (end <= p.size()) {
        out.payload = p.subspan(8, end - 8);
        wire_extra = 0;
      } else {
        out.payload = p.subspan(8);
        wire_extra = uint32_t(end - p.size());
      }
      break;
    }
    case 1:
    case 58: {
      if (p.size() < 8) return Drop(DropReason::kIcmpTruncated);
      out.proto = proto == 1 ? IpProto::kIcmp : IpProto::kIcmpV6;
      out.icmp_type = p[0];
      out.icmp_code = p[1];
      out.payload = p.subspan(8);
      break;
    }
    default:
      return Skip(SkipReason::kOtherIpProto);
  }
  out.payload_wire_len = uint32_t(out.payload.size()) + wire_extra;
  ++counters_.decoded;
  return DecodeResult::kPacket;
}

}  // namespace mw::decode
