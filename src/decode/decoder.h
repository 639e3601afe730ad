// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Decodes one captured frame into a DecodedPacket: link layer (Ethernet, Linux cooked v1/v2,
// raw IP, BSD null/loopback), stacked VLAN tags, PPPoE sessions, IPv4 (with options) or IPv6
// (with extension headers), IP fragment reassembly, then TCP, UDP, ICMP or ICMPv6.
//
// Malformed frames are counted under one reason and skipped; nothing from the wire is asserted
// on. The decoder does not allocate per packet: it returns views into the frame or into its
// fragment buffers, valid until the next Decode().
//
// Thread-safety: not thread-safe; one decoder per pipeline thread.
#include "capture/packet_source.h"
#include "decode/decode_counters.h"
#include "decode/decoded_packet.h"
#include "decode/ip_fragments.h"

namespace mw::decode {

struct DecoderConfig {
  FragmentConfig fragments = {};
  uint32_t max_vlan_tags = 4;         // QinQ and deeper stacks
  uint32_t max_ipv6_ext_headers = 8;  // longer chains are an evasion signal, not traffic
};

enum class DecodeResult : uint8_t {
  kPacket,   // "out" holds a TCP/UDP/ICMP packet
  kSkipped,  // fine but nothing to hand on (non-IP, other protocol, fragment held)
  kDropped,  // malformed; counted under a DropReason
};

// Link types, as libpcap reports them (DLT_*) plus the LINKTYPE_* values that differ.
namespace link {
inline constexpr int kNull = 0, kEthernet = 1, kRaw12 = 12, kRaw14 = 14, kRaw = 101, kLoop = 108,
                     kLinuxSll = 113, kIpv4 = 228, kIpv6 = 229, kLinuxSll2 = 276;
}

class Decoder {
 public:
  explicit Decoder(const DecoderConfig& config = {});
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  DecodeResult Decode(const capture::RawPacket& raw, DecodedPacket& out);
  const DecodeCounters& counters() const { return counters_; }

 private:
  DecodeResult Drop(DropReason r) {
    ++counters_.dropped[size_t(r)];
    return DecodeResult::kDropped;
  }
  DecodeResult Skip(SkipReason r) {
    ++counters_.skipped[size_t(r)];
    return DecodeResult::kSkipped;
  }
  // "wire_extra" = bytes of the packet the snaplen cut off (they count towards lengths).
  DecodeResult DecodeEtherType(uint16_t type, ByteView p, uint32_t wire_extra, DecodedPacket& out);
  DecodeResult DecodeIpv4(ByteView p, uint32_t wire_extra, DecodedPacket& out);
  DecodeResult DecodeIpv6(ByteView p, uint32_t wire_extra, DecodedPacket& out);
  // Walks IPv6 extension headers starting at "next"; handles the fragment header.
  DecodeResult DecodeIpv6Chain(uint8_t next, ByteView p, uint32_t wire_extra, bool in_reassembled,
                               DecodedPacket& out);
  DecodeResult DecodeTransport(uint8_t proto, ByteView p, uint32_t wire_extra, DecodedPacket& out);
  // Hands one fragment to the reassembler: kPacket with "whole" set (and out.reassembled) once
  // its datagram is complete, else what the packet's decode returns (held or dropped).
  DecodeResult AddFragment(const FragmentKey& key, uint32_t offset, bool more, ByteView body,
                           DecodedPacket& out, ByteView* whole);

  DecoderConfig config_;
  DecodeCounters counters_;
  FragmentReassembler fragments_;
};

}  // namespace mw::decode
