// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// What the decoder saw, by outcome and reason. Every malformed frame is counted under exactly one
// drop reason; frames that are fine but not for us (ARP, GRE, ESP...) under one skip reason.
#include <array>
#include <cstdint>
#include <string_view>

namespace mw::decode {

// X(enum, name, help)
#define MW_DECODE_DROP_REASONS(X)                                                           \
  X(kUnknownLinkType, "unknown_link_type", "link type the decoder does not support")        \
  X(kTruncatedLink, "truncated_link", "frame shorter than its link-layer header")           \
  X(kTooManyVlanTags, "too_many_vlan_tags", "more stacked VLAN tags than allowed")          \
  X(kIpBadVersion, "ip_bad_version", "IP version does not match the link type")             \
  X(kIpv4Truncated, "ipv4_truncated", "shorter than the IPv4 header")                       \
  X(kIpv4BadHeaderLength, "ipv4_bad_header_length", "IHL below 5 or beyond the frame")      \
  X(kIpv4BadTotalLength, "ipv4_bad_total_length", "total length below the header")          \
  X(kIpv6Truncated, "ipv6_truncated", "shorter than the IPv6 header")                       \
  X(kIpv6BadExtHeader, "ipv6_bad_ext_header", "extension header beyond the packet")         \
  X(kIpv6TooManyExtHeaders, "ipv6_too_many_ext_headers", "extension header chain too long") \
  X(kTcpTruncated, "tcp_truncated", "shorter than the TCP header")                          \
  X(kTcpBadDataOffset, "tcp_bad_data_offset", "data offset below 5 or beyond the packet")   \
  X(kUdpTruncated, "udp_truncated", "shorter than the UDP header")                          \
  X(kUdpBadLength, "udp_bad_length", "UDP length below 8")                                  \
  X(kIcmpTruncated, "icmp_truncated", "shorter than the ICMP header")                       \
  X(kFragBadOffset, "frag_bad_offset", "fragment ends beyond the datagram limit")           \
  X(kFragBadLength, "frag_bad_length", "non-final fragment not a multiple of 8 bytes")      \
  X(kFragTooManyPieces, "frag_too_many_pieces", "datagram split into too many holes")       \
  X(kFragInconsistent, "frag_inconsistent", "fragment disagrees on the datagram end")       \
  X(kFragTimeout, "frag_timeout", "datagram incomplete when its timeout expired")           \
  X(kFragEvicted, "frag_evicted", "incomplete datagram evicted: reassembly table full")

#define MW_DECODE_SKIP_REASONS(X)                                           \
  X(kNonIp, "non_ip", "ARP, LLDP, STP and other non-IP frames")             \
  X(kOtherIpProto, "other_ip_proto", "IP protocol other than TCP/UDP/ICMP") \
  X(kIpv6Encrypted, "ipv6_esp", "IPv6 ESP: payload encrypted")              \
  X(kLaterFragment, "fragment_held", "fragment buffered for reassembly")

#define MW_DECODE_ANOMALIES(X)                                                           \
  X(kIpv4BadChecksum, "ipv4_bad_checksum", "IPv4 header checksum wrong (kept: offload)") \
  X(kFragOverlap, "frag_overlap", "overlapping fragments (first copy kept)")             \
  X(kSnapTruncated, "snap_truncated", "frame cut by the capture snaplen")                \
  X(kIpLengthBeyondFrame, "ip_length_beyond_frame",                                      \
    "IP length exceeds the captured frame: decoded as cut short")

#define MW_DECODE_ENUM(e, n, h) e,
enum class DropReason : uint8_t { MW_DECODE_DROP_REASONS(MW_DECODE_ENUM) kCount };
enum class SkipReason : uint8_t { MW_DECODE_SKIP_REASONS(MW_DECODE_ENUM) kCount };
enum class DecodeAnomaly : uint8_t { MW_DECODE_ANOMALIES(MW_DECODE_ENUM) kCount };
#undef MW_DECODE_ENUM

std::string_view Name(DropReason r);
std::string_view Name(SkipReason r);
std::string_view Name(DecodeAnomaly a);

struct DecodeCounters {
  uint64_t packets = 0;      // frames given to the decoder
  uint64_t decoded = 0;      // IP packets handed on (including reassembled datagrams)
  uint64_t fragments = 0;    // IP fragments seen
  uint64_t reassembled = 0;  // datagrams rebuilt from fragments
  std::array<uint64_t, size_t(DropReason::kCount)> dropped{};
  std::array<uint64_t, size_t(SkipReason::kCount)> skipped{};
  std::array<uint64_t, size_t(DecodeAnomaly::kCount)> anomalies{};

  uint64_t dropped_total() const {
    uint64_t n = 0;
    for (uint64_t v : dropped) n += v;
    return n;
  }
};

}  // namespace mw::decode
