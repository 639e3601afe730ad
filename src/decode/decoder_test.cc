// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "decode/decoder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "pcap_builder.h"

namespace mw::decode {
namespace {

using testing::Bytes;
using testing::PacketBuilder;

class DecoderTest : public ::testing::Test {
 protected:
  DecodeResult Run(const Bytes& frame, int link = link::kEthernet, uint32_t wire_len = 0) {
    capture::RawPacket raw;
    raw.ts = 42;
    raw.link_type = link;
    raw.data = ByteView(frame);
    raw.wire_len = wire_len ? wire_len : uint32_t(frame.size());
    return decoder.Decode(raw, out);
  }
  uint64_t Dropped(DropReason r) const { return decoder.counters().dropped[size_t(r)]; }
  uint64_t Skipped(SkipReason r) const { return decoder.counters().skipped[size_t(r)]; }
  std::string Payload() const { return std::string(AsChars(out.payload)); }

  Decoder decoder;
  DecodedPacket out;
};

TEST_F(DecoderTest, EthernetIpv4Tcp) {
  Bytes f = PacketBuilder()
                .Ethernet()
                .Ipv4("192.168.1.10", "203.0.113.5", {.ttl = 33})
                .Tcp(40000, 3333,
                     {.seq = 1000,
                      .ack = 77,
                      .flags = testing::kPsh | testing::kAck,
                      .window = 512,
                      .options = {2, 4, 5, 0xb4, 1, 1, 4, 2}})
                .Payload("{\"id\":1}\n")
                .Build();
  ASSERT_EQ(Run(f), DecodeResult::kPacket);
  EXPECT_EQ(out.src.ToString(), "192.168.1.10");
  EXPECT_EQ(out.dst.ToString(), "203.0.113.5");
  EXPECT_EQ(out.proto, IpProto::kTcp);
  EXPECT_EQ(out.src_port, 40000);
  EXPECT_EQ(out.dst_port, 3333);
  EXPECT_EQ(out.tcp_seq, 1000u);
  EXPECT_EQ(out.tcp_ack, 77u);
  EXPECT_EQ(out.tcp_flags, tcp_flags::kPsh | tcp_flags::kAck);
  EXPECT_EQ(out.tcp_window, 512);
  EXPECT_EQ(out.ttl, 33);
  EXPECT_EQ(out.ts, 42);
  EXPECT_EQ(Payload(), "{\"id\":1}\n");
  EXPECT_EQ(out.payload_wire_len, 9u);
  EXPECT_EQ(decoder.counters().anomalies[size_t(DecodeAnomaly::kIpv4BadChecksum)], 0u);
}

// Decode() resets the output field by field: nothing of the previous packet may leak into the
// next, whatever the decode result.
TEST_F(DecoderTest, NothingLeaksFromThePreviousPacket) {
  Bytes tcp = PacketBuilder()
                  .Ethernet()
                  .Vlan(7)
                  .Ipv4("192.168.1.10", "203.0.113.5", {.ttl = 33})
                  .Tcp(40000, 3333, {.seq = 1000, .ack = 77, .flags = testing::kSyn, .window = 512})
                  .Payload("abc")
                  .Build();
  Bytes not_ip = PacketBuilder().Ethernet(0x0806).Payload(std::string(28, 'x')).Build();
  DecodedPacket fresh;
  fresh.ts = 42;
  auto same_as_fresh = [&]() {
    EXPECT_EQ(out.src, fresh.src);
    EXPECT_EQ(out.dst, fresh.dst);
    EXPECT_EQ(out.src_port, 0);
    EXPECT_EQ(out.dst_port, 0);
    EXPECT_EQ(out.proto, fresh.proto);
    EXPECT_EQ(out.ip_version, fresh.ip_version);
    EXPECT_EQ(out.ttl, 0);
    EXPECT_EQ(out.tcp_flags, 0);
    EXPECT_EQ(out.icmp_type, 0);
    EXPECT_EQ(out.icmp_code, 0);
    EXPECT_FALSE(out.reassembled);
    EXPECT_EQ(out.vlan_id, 0);
    EXPECT_EQ(out.tcp_window, 0);
    EXPECT_EQ(out.tcp_seq, 0u);
    EXPECT_EQ(out.tcp_ack, 0u);
    EXPECT_TRUE(out.payload.empty());
    EXPECT_EQ(out.payload_wire_len, 0u);
    EXPECT_EQ(out.ts, 42);
  };
  ASSERT_EQ(Run(tcp), DecodeResult::kPacket);
  ASSERT_EQ(out.vlan_id, 7);
  ASSERT_EQ(Run(not_ip), DecodeResult::kSkipped);
  same_as_fresh();
  ASSERT_EQ(Run(tcp), DecodeResult::kPacket);
  ASSERT_EQ(Run(Bytes{1, 2, 3}), DecodeResult::kDropped);
  same_as_fresh();
}

TEST_F(DecoderTest, EthernetPaddingIsNotPayload) {
  Bytes f = PacketBuilder().Ethernet().Ipv4("1.1.1.1", "2.2.2.2").Tcp(1, 2).Build();
  f.resize(60, 0);  // minimum Ethernet frame
  ASSERT_EQ(Run(f), DecodeResult::kPacket);
  EXPECT_TRUE(out.payload.empty());
}

TEST_F(DecoderTest, Ipv4ChecksumWithoutOptions) {  // the 20-byte header has its own path
  Bytes good = PacketBuilder().Ethernet().Ipv4("1.1.1.1", "2.2.2.2").Udp(1, 2).Payload("x").Build();
  Bytes bad = PacketBuilder()
                  .Ethernet()
                  .Ipv4("1.1.1.1", "2.2.2.2", {.bad_checksum = true})
                  .Udp(1, 2)
                  .Payload("x")
                  .Build();
  ASSERT_EQ(Run(good), DecodeResult::kPacket);
  EXPECT_EQ(decoder.counters().anomalies[size_t(DecodeAnomaly::kIpv4BadChecksum)], 0u);
  ASSERT_EQ(Run(bad), DecodeResult::kPacket);
  EXPECT_EQ(decoder.counters().anomalies[size_t(DecodeAnomaly::kIpv4BadChecksum)], 1u);
}

TEST_F(DecoderTest, Ipv4OptionsAndBadChecksumCounted) {
  Bytes f = PacketBuilder()
                .Ethernet()
                .Ipv4("1.1.1.1", "2.2.2.2", {.options = {0x94, 4, 0, 0}, .bad_checksum = true})
                .Udp(5353, 53)
                .Payload("abc")
                .Build();
  ASSERT_EQ(Run(f), DecodeResult::kPacket);
  EXPECT_EQ(out.proto, IpProto::kUdp);
  EXPECT_EQ(Payload(), "abc");
  EXPECT_EQ(decoder.counters().anomalies[size_t(DecodeAnomaly::kIpv4BadChecksum)], 1u);
}

// The word-wise header checksum against many headers: every correct one passes, and any one
// flipped bit in the checksummed fields fails.
TEST_F(DecoderTest, Ipv4ChecksumOverManyHeaders) {
  auto bad = [&]() {
    return decoder.counters().anomalies[size_t(DecodeAnomaly::kIpv4BadChecksum)];
  };
  uint64_t expected_bad = 0;
  uint32_t x = 12345;
  auto next = [&]() { return x = x * 1103515245u + 12345u; };
  for (int i = 0; i < 2000; ++i) {
    const std::string src = std::to_string(next() >> 24) + "." + std::to_string(next() >> 24) +
                            ".0." + std::to_string(next() >> 24);
    Bytes options;
    if (i % 3 == 0) options = {0x94, 4, uint8_t(next() >> 24), uint8_t(next() >> 24)};
    Bytes f =
        PacketBuilder()
            .Ethernet()
            .Ipv4(src, "10.0.0.1",
                  {.ttl = uint8_t(next() >> 24), .id = uint16_t(next() >> 16), .options = options})
            .Tcp(uint16_t(next() >> 16), 443)
            .Build();
    ASSERT_EQ(Run(f), DecodeResult::kPacket);
    ASSERT_EQ(bad(), expected_bad) << i;
    // Flip one bit of the TTL, id, checksum or an address byte (fields the decode still takes).
    const size_t fields[] = {14 + 4, 14 + 5, 14 + 8, 14 + 10, 14 + 11, 14 + 12, 14 + 15, 14 + 19};
    f[fields[next() >> 29]] ^= uint8_t(1u << (next() >> 29));
    ASSERT_EQ(Run(f), DecodeResult::kPacket);
    ASSERT_EQ(bad(), ++expected_bad) << i;
  }
}

TEST_F(DecoderTest, VlanQinQAndTripleStack) {
  Bytes f = PacketBuilder()
                .Ethernet()
                .Vlan(100, 0x88a8)
                .Vlan(200, 0x8100)
                .Ipv4("1.1.1.1", "2.2.2.2")
                .Udp(1, 2)
                .Payload("x")
                .Build();
  ASSERT_EQ(Run(f), DecodeResult::kPacket);
  EXPECT_EQ(out.vlan_id, 200);
  Bytes g = PacketBuilder()
                .Ethernet()
                .Vlan(1, 0x9100)
                .Vlan(2, 0x88a8)
                .Vlan(3, 0x8100)
                .Ipv6("2001:db8::1", "2001:db8::2")
                .Udp(1, 2)
                .Build();
  ASSERT_EQ(Run(g), DecodeResult::kPacket);
  EXPECT_EQ(out.vlan_id, 3);
}

// PPPoE session frames (DSL uplinks, also behind VLAN tags): IPv4 and IPv6 inside; PPP control
// and discovery frames are not IP.
TEST_F(DecoderTest, PppoeSessionBehindVlan) {
  auto pppoe = [](uint16_t ppp_proto, const Bytes& inner) {
    const Bytes vlan = {0x03, 0x11, 0x88, 0x64};  // VLAN 785, then PPPoE session
    const Bytes header = {0x11,
                          0x00,
                          0x55,
                          0x6a,
                          uint8_t((inner.size() + 2) >> 8),
                          uint8_t(inner.size() + 2),
                          uint8_t(ppp_proto >> 8),
                          uint8_t(ppp_proto)};
    return PacketBuilder().Ethernet(0x8100).Payload(vlan).Payload(header).Payload(inner).Build();
  };
  Bytes v4 =
      PacketBuilder().Ipv4("82.178.113.245", "82.178.158.181").Udp(47255, 53).Payload("q").Build();
  // The decoded view points into the frame: keep each frame alive while it is read.
  const Bytes framed_v4 = pppoe(0x0021, v4);
  ASSERT_EQ(Run(framed_v4), DecodeResult::kPacket);
  EXPECT_EQ(out.vlan_id, 785);
  EXPECT_EQ(out.dst_port, 53);
  EXPECT_EQ(Payload(), "q");
  Bytes v6 = PacketBuilder().Ipv6("2001:db8::1", "2001:db8::2").Tcp(1, 2).Payload("six").Build();
  const Bytes framed_v6 = pppoe(0x0057, v6);
  ASSERT_EQ(Run(framed_v6), DecodeResult::kPacket);
  EXPECT_EQ(out.ip_version, 6);
  EXPECT_EQ(Payload(), "six");
  EXPECT_EQ(Run(pppoe(0xc021, Bytes(12, 0))), DecodeResult::kSkipped);  // LCP
  EXPECT_EQ(Skipped(SkipReason::kNonIp), 1u);
  EXPECT_EQ(Run(PacketBuilder().Ethernet(0x8864).Payload(Bytes{0x11, 0x00, 0x55}).Build()),
            DecodeResult::kDropped);
  EXPECT_EQ(Dropped(DropReason::kTruncatedLink), 1u);
}

TEST_F(DecoderTest, TooManyVlanTagsDropped) {
  PacketBuilder b;
  b.Ethernet();
  for (int i = 0; i < 6; ++i) b.Vlan(uint16_t(i + 1));
  Bytes f = b.Ipv4("1.1.1.1", "2.2.2.2").Udp(1, 2).Build();
  EXPECT_EQ(Run(f), DecodeResult::kDropped);
  EXPECT_EQ(Dropped(DropReason::kTooManyVlanTags), 1u);
}

TEST_F(DecoderTest, LinuxCookedV1AndV2) {
  Bytes f = PacketBuilder().LinuxSll().Ipv4("1.1.1.1", "2.2.2.2").Udp(1, 2).Payload("s1").Build();
  ASSERT_EQ(Run(f, link::kLinuxSll), DecodeResult::kPacket);
  EXPECT_EQ(Payload(), "s1");
  Bytes g = PacketBuilder().LinuxSll2().Ipv6("::1", "::2").Tcp(1, 2).Payload("s2").Build();
  ASSERT_EQ(Run(g, link::kLinuxSll2), DecodeResult::kPacket);
  EXPECT_EQ(Payload(), "s2");
  EXPECT_EQ(out.ip_version, 6);
}

TEST_F(DecoderTest, RawLinkTypes) {
  Bytes v4 = PacketBuilder().Ipv4("1.1.1.1", "2.2.2.2").Udp(1, 2).Payload("r").Build();
  Bytes v6 = PacketBuilder().Ipv6("::1", "::2").Udp(1, 2).Payload("r6").Build();
  for (int lt : {link::kRaw12, link::kRaw14, link::kRaw}) {
    ASSERT_EQ(Run(v4, lt), DecodeResult::kPacket) << lt;
    ASSERT_EQ(Run(v6, lt), DecodeResult::kPacket) << lt;
  }
  ASSERT_EQ(Run(v4, link::kIpv4), DecodeResult::kPacket);
  ASSERT_EQ(Run(v6, link::kIpv6), DecodeResult::kPacket);
  EXPECT_EQ(Run(v6, link::kIpv4), DecodeResult::kDropped);  // wrong version for the link type
  EXPECT_EQ(Dropped(DropReason::kIpBadVersion), 1u);
}

TEST_F(DecoderTest, NullAndLoopEitherByteOrder) {
  for (bool be : {false, true}) {
    Bytes v4 = PacketBuilder().Null(be).Ipv4("1.1.1.1", "2.2.2.2").Udp(1, 2).Build();
    ASSERT_EQ(Run(v4, link::kNull), DecodeResult::kPacket);
    ASSERT_EQ(Run(v4, link::kLoop), DecodeResult::kPacket);
    for (uint32_t fam : {10u, 24u, 28u, 30u}) {
      Bytes v6 = PacketBuilder().Null(be, fam).Ipv6("::1", "::2").Udp(1, 2).Build();
      ASSERT_EQ(Run(v6, link::kNull), DecodeResult::kPacket) << fam;
    }
  }
}

TEST_F(DecoderTest, Ipv6ExtensionHeaders) {
  Bytes f = PacketBuilder()
                .Ethernet()
                .Ipv6("2001:db8::1", "2001:db8::2")
                .Ipv6Ext(0)       // hop-by-hop
                .Ipv6Ext(43, 22)  // routing
                .Ipv6Ext(60)      // destination options
                .Ipv6Ext(51, 14)  // AH
                .Tcp(443, 50000, {.seq = 9})
                .Payload("tls")
                .Build();
  ASSERT_EQ(Run(f), DecodeResult::kPacket);
  EXPECT_EQ(out.src_port, 443);
  EXPECT_EQ(Payload(), "tls");
  Bytes none = PacketBuilder().Ethernet().Ipv6("::1", "::2").Build();  // next header 59
  EXPECT_EQ(Run(none), DecodeResult::kSkipped);
}

TEST_F(DecoderTest, Ipv6TooManyExtHeaders) {
  PacketBuilder b;
  b.Ethernet().Ipv6("::1", "::2");
  for (int i = 0; i < 12; ++i) b.Ipv6Ext(60);
  Bytes f = b.Udp(1, 2).Build();
  EXPECT_EQ(Run(f), DecodeResult::kDropped);
  EXPECT_EQ(Dropped(DropReason::kIpv6TooManyExtHeaders), 1u);
}

TEST_F(DecoderTest, IcmpAndIcmpv6) {
  Bytes f = PacketBuilder()
                .Ethernet()
                .Ipv4("1.1.1.1", "2.2.2.2")
                .Icmp(8, 0, 0x00010001)
                .Payload("ping")
                .Build();
  ASSERT_EQ(Run(f), DecodeResult::kPacket);
  EXPECT_EQ(out.proto, IpProto::kIcmp);
  EXPECT_EQ(out.icmp_type, 8);
  EXPECT_EQ(Payload(), "ping");
  Bytes g = PacketBuilder().Ethernet().Ipv6("::1", "::2").Icmpv6(128, 0).Build();
  ASSERT_EQ(Run(g), DecodeResult::kPacket);
  EXPECT_EQ(out.proto, IpProto::kIcmpV6);
  EXPECT_EQ(out.icmp_type, 128);
}

TEST_F(DecoderTest, NonIpAndOtherProtocolsSkipped) {
  Bytes arp = PacketBuilder().Ethernet(0x0806).Payload(std::string(28, '\0')).Build();
  EXPECT_EQ(Run(arp), DecodeResult::kSkipped);
  EXPECT_EQ(Skipped(SkipReason::kNonIp), 1u);
  Bytes gre = PacketBuilder()
                  .Ethernet()
                  .Ipv4("1.1.1.1", "2.2.2.2", {.protocol = 47})
                  .Payload("xxxx")
                  .Build();
  EXPECT_EQ(Run(gre), DecodeResult::kSkipped);
  EXPECT_EQ(Skipped(SkipReason::kOtherIpProto), 1u);
}

TEST_F(DecoderTest, MalformedFramesCountedNeverCrash) {
  Bytes good = PacketBuilder()
                   .Ethernet()
                   .Ipv4("1.1.1.1", "2.2.2.2", {.options = {1, 1, 1, 1}})
                   .Tcp(1, 2, {.options = {1, 1, 1, 1}})
                   .Payload("payload")
                   .Build();
  // Every truncation of a valid frame decodes or drops, and is counted exactly once.
  for (size_t n = 0; n < good.size(); ++n) {
    Bytes cut(good.begin(), good.begin() + ptrdiff_t(n));
    Run(cut);
  }
  const auto& c = decoder.counters();
  uint64_t skipped = 0;
  for (auto v : c.skipped) skipped += v;
  EXPECT_EQ(c.packets, good.size());
  EXPECT_EQ(c.decoded + c.dropped_total() + skipped, c.packets);
  EXPECT_GT(Dropped(DropReason::kTruncatedLink), 0u);
  EXPECT_GT(Dropped(DropReason::kIpv4Truncated), 0u);
  // Cut inside the TCP payload: decoded as cut short, the missing bytes known.
  EXPECT_GT(c.anomalies[size_t(DecodeAnomaly::kIpLengthBeyondFrame)], 0u);

  // Each corruption adds exactly one count under its own reason.
  auto expect_drop = [&](const Bytes& frame, DropReason reason, int link = link::kEthernet) {
    const uint64_t before = Dropped(reason);
    EXPECT_EQ(Run(frame, link), DecodeResult::kDropped) << Name(reason);
    EXPECT_EQ(Dropped(reason), before + 1) << Name(reason);
  };
  Bytes bad_ihl = good;
  bad_ihl[14] = 0x43;
  expect_drop(bad_ihl, DropReason::kIpv4BadHeaderLength);
  Bytes bad_off = good;
  bad_off[14 + 24 + 12] = 0x20;  // TCP data offset 2
  expect_drop(bad_off, DropReason::kTcpBadDataOffset);
  Bytes udp = PacketBuilder().Ethernet().Ipv4("1.1.1.1", "2.2.2.2").Udp(1, 2).Build();
  udp[14 + 20 + 5] = 4;  // UDP length 4
  expect_drop(udp, DropReason::kUdpBadLength);
  Bytes short_total = good;
  short_total[14 + 2] = 0, short_total[14 + 3] = 20;  // total length below the header
  expect_drop(short_total, DropReason::kIpv4BadTotalLength);
  expect_drop(good, DropReason::kUnknownLinkType, 9999);
}

TEST_F(DecoderTest, IpLengthBeyondFrameDecodedAsCut) {
  // Some captures record a cut frame's own length as its wire length (nDPI's telnet.pcap).
  Bytes f = PacketBuilder()
                .Ethernet()
                .Ipv4("1.1.1.1", "2.2.2.2")
                .Tcp(1, 2)
                .Payload(std::string(85, 't'))
                .Build();
  Bytes cut(f.begin(), f.end() - 80);
  ASSERT_EQ(Run(cut), DecodeResult::kPacket);
  EXPECT_EQ(out.payload.size(), 5u);
  EXPECT_EQ(out.payload_wire_len, 85u);
  EXPECT_EQ(decoder.counters().anomalies[size_t(DecodeAnomaly::kIpLengthBeyondFrame)], 1u);
}

TEST_F(DecoderTest, SnaplenCutFrameKeepsWireLength) {
  Bytes f = PacketBuilder()
                .Ethernet()
                .Ipv4("1.1.1.1", "2.2.2.2")
                .Tcp(1, 2)
                .Payload(std::string(100, 'p'))
                .Build();
  Bytes cut(f.begin(), f.begin() + 14 + 20 + 20 + 30);
  ASSERT_EQ(Run(cut, link::kEthernet, uint32_t(f.size())), DecodeResult::kPacket);
  EXPECT_EQ(out.payload.size(), 30u);
  EXPECT_EQ(out.payload_wire_len, 100u);
  EXPECT_EQ(decoder.counters().anomalies[size_t(DecodeAnomaly::kSnapTruncated)], 1u);
}

// Splits "l4" (transport header + payload) into IPv4 fragments of "piece" bytes.
std::vector<Bytes> Ipv4Fragments(const Bytes& l4, size_t piece, uint16_t id) {
  std::vector<Bytes> frames;
  for (size_t off = 0; off < l4.size(); off += piece) {
    size_t n = std::min(piece, l4.size() - off);
    Bytes chunk(l4.begin() + ptrdiff_t(off), l4.begin() + ptrdiff_t(off + n));
    frames.push_back(PacketBuilder()
                         .Ethernet()
                         .Ipv4("10.1.1.1", "10.2.2.2",
                               {.id = id,
                                .more_fragments = off + n < l4.size(),
                                .fragment_offset = uint16_t(off),
                                .protocol = 17})
                         .Payload(chunk)
                         .Build());
  }
  return frames;
}

Bytes UdpDatagram(size_t payload_len) {
  std::string payload(payload_len, '\0');
  for (size_t i = 0; i < payload_len; ++i) payload[i] = char('a' + i % 26);
  // A UDP header + payload without an IP layer (checksum left 0: it needs the pseudo-header).
  return PacketBuilder().Udp(5000, 6000).Payload(payload).Build();
}

TEST_F(DecoderTest, Ipv4FragmentsInOrderAndReversed) {
  Bytes l4 = UdpDatagram(3000);
  for (bool reverse : {false, true}) {
    auto frags = Ipv4Fragments(l4, 1480, reverse ? 7 : 8);
    if (reverse) std::reverse(frags.begin(), frags.end());
    for (size_t i = 0; i + 1 < frags.size(); ++i) EXPECT_EQ(Run(frags[i]), DecodeResult::kSkipped);
    ASSERT_EQ(Run(frags.back()), DecodeResult::kPacket);
    EXPECT_TRUE(out.reassembled);
    EXPECT_EQ(out.src_port, 5000);
    EXPECT_EQ(out.payload.size(), 3000u);
    EXPECT_EQ(std::string(AsChars(out.payload)).substr(0, 4), "abcd");
  }
  EXPECT_EQ(decoder.counters().reassembled, 2u);
  EXPECT_EQ(decoder.counters().fragments, 6u);
}

TEST_F(DecoderTest, Ipv4OverlappingFragmentsFirstCopyWins) {
  Bytes l4 = UdpDatagram(40);  // 48 bytes
  Bytes first = PacketBuilder()
                    .Ethernet()
                    .Ipv4("10.1.1.1", "10.2.2.2", {.id = 9, .more_fragments = true, .protocol = 17})
                    .Payload(Bytes(l4.begin(), l4.begin() + 24))
                    .Build();
  Bytes evil(l4.begin() + 16, l4.end());
  for (size_t i = 0; i < 8; ++i) evil[i] = 'X';  // rewrites bytes 16..23 already received
  Bytes second = PacketBuilder()
                     .Ethernet()
                     .Ipv4("10.1.1.1", "10.2.2.2", {.id = 9, .fragment_offset = 16, .protocol = 17})
                     .Payload(evil)
                     .Build();
  EXPECT_EQ(Run(first), DecodeResult::kSkipped);
  ASSERT_EQ(Run(second), DecodeResult::kPacket);
  EXPECT_EQ(Bytes(out.payload.begin(), out.payload.end()), Bytes(l4.begin() + 8, l4.end()));
  EXPECT_EQ(decoder.counters().anomalies[size_t(DecodeAnomaly::kFragOverlap)], 1u);
}

TEST_F(DecoderTest, Ipv6Fragments) {
  std::string payload(2000, 'q');
  Bytes l4 = PacketBuilder().Tcp(1234, 3333, {.seq = 5}).Payload(payload).Build();
  Bytes p1(l4.begin(), l4.begin() + 1232), p2(l4.begin() + 1232, l4.end());
  Bytes f1 = PacketBuilder()
                 .Ethernet()
                 .Ipv6("2001:db8::1", "2001:db8::2")
                 .Ipv6Fragment(0, true, 77)
                 .Payload(p1)
                 .Build();
  Bytes f2 = PacketBuilder()
                 .Ethernet()
                 .Ipv6("2001:db8::1", "2001:db8::2")
                 .Ipv6Fragment(1232, false, 77)
                 .Payload(p2)
                 .Build();
  // The fragment header's next header comes from the builder's next layer; patch it to TCP.
  f1[14 + 40] = 6;
  f2[14 + 40] = 6;
  EXPECT_EQ(Run(f2), DecodeResult::kSkipped);
  ASSERT_EQ(Run(f1), DecodeResult::kPacket);
  EXPECT_EQ(out.proto, IpProto::kTcp);
  EXPECT_EQ(out.dst_port, 3333);
  EXPECT_EQ(out.payload.size(), 2000u);
}

}  // namespace
}  // namespace mw::decode
