// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Test-only builders for frames and capture files, so tests and golden cases generate their
// captures instead of committing binary files.
//
//   auto frame = PacketBuilder().Ethernet().Ipv4("10.0.0.1", "10.0.0.2")
//                    .Tcp(40000, 3333, {.seq = 1, .flags = kSyn}).Build();
//   PcapWriter w(PcapWriter::kEthernet);  w.Add(ts_us, frame);  w.WriteFile(path);
//
// Layers are listed outermost first; Build() fills in lengths, next-protocol fields and the
// IPv4/TCP/UDP/ICMP checksums. Fields a test wants wrong can be forced through the options.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mw::testing {

using Bytes = std::vector<uint8_t>;

inline constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;

struct Ipv4Options {
  uint8_t ttl = 64;
  uint16_t id = 1;
  bool dont_fragment = false;
  bool more_fragments = false;
  uint16_t fragment_offset = 0;               // in bytes; must be a multiple of 8
  std::optional<uint8_t> protocol = {};       // default: from the next layer
  Bytes options = {};                         // raw IP options, padded to 4 bytes
  std::optional<uint16_t> total_length = {};  // force a (wrong) total length
  bool bad_checksum = false;
};

struct TcpOptions {
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = kAck;
  uint16_t window = 65535;
  Bytes options = {};  // raw TCP options, padded to 4 bytes
};

class PacketBuilder {
 public:
  PacketBuilder& Ethernet(uint16_t ethertype = 0);  // 0 = from the next layer
  PacketBuilder& Vlan(uint16_t vlan_id, uint16_t tpid = 0x8100);
  PacketBuilder& LinuxSll();   // DLT_LINUX_SLL (16-byte cooked header)
  PacketBuilder& LinuxSll2();  // DLT_LINUX_SLL2 (20-byte cooked header)
  // DLT_NULL / DLT_LOOP 4-byte family header; "family" 0 = AF_INET/AF_INET6 from the next layer.
  PacketBuilder& Null(bool big_endian, uint32_t family = 0);
  PacketBuilder& Ipv4(std::string_view src, std::string_view dst, Ipv4Options options = {});
  PacketBuilder& Ipv6(std::string_view src, std::string_view dst, uint8_t hop_limit = 64);
  // An IPv6 extension header (0 hop-by-hop, 43 routing, 60 destination options, 51 AH) of
  // "body_len" + 2 bytes, rounded up to the header's unit.
  PacketBuilder& Ipv6Ext(uint8_t type, size_t body_len = 6);
  PacketBuilder& Ipv6Fragment(uint16_t offset, bool more, uint32_t id);
  PacketBuilder& Tcp(uint16_t sport, uint16_t dport, TcpOptions options = {});
  PacketBuilder& Udp(uint16_t sport, uint16_t dport);
  PacketBuilder& Icmp(uint8_t type, uint8_t code, uint32_t rest = 0);
  PacketBuilder& Icmpv6(uint8_t type, uint8_t code, uint32_t rest = 0);
  PacketBuilder& Payload(std::string_view bytes);
  PacketBuilder& Payload(const Bytes& bytes);

  Bytes Build() const;

 private:
  enum class Kind {
    kEth,
    kVlan,
    kSll,
    kSll2,
    kNull,
    kIpv4,
    kIpv6,
    kIpv6Ext,
    kIpv6Frag,
    kTcp,
    kUdp,
    kIcmp,
    kIcmpv6,
    kPayload
  };
  struct Layer {
    Kind kind = Kind::kPayload;
    uint32_t a = 0, b = 0, c = 0;  // small per-kind parameters
    uint8_t src[16] = {}, dst[16] = {};
    Ipv4Options ip4 = {};
    TcpOptions tcp = {};
    Bytes bytes = {};
  };
  Layer& Push(Kind kind, uint32_t a = 0, uint32_t b = 0, uint32_t c = 0);
  // The protocol number / ethertype announcing layer "i" to the layer before it.
  uint16_t NextProto(size_t i) const;
  const Layer* EnclosingIp(size_t i) const;

  std::vector<Layer> layers_;
};

// Writes a classic pcap (microsecond) or pcapng file from frames.
class PcapWriter {
 public:
  static constexpr int kEthernet = 1, kRaw = 101, kLinuxSll = 113, kLinuxSll2 = 276, kNull = 0,
                       kLoop = 108, kIpv4 = 228, kIpv6 = 229;
  explicit PcapWriter(int link_type, uint32_t snaplen = 65535)
      : link_type_(link_type), snaplen_(snaplen) {}

  // "orig_len" 0 = the frame's size. Frames longer than the snaplen are cut, as tcpdump would.
  void Add(int64_t ts_us, const Bytes& frame, uint32_t orig_len = 0);
  size_t size() const { return records_.size(); }

  Bytes PcapBytes() const;
  Bytes PcapngBytes() const;
  // Throws std::runtime_error on I/O failure (test code only).
  void WriteFile(const std::string& path, bool pcapng = false) const;

 private:
  struct Record {
    int64_t ts_us;
    uint32_t orig_len;
    Bytes data;
  };
  int link_type_;
  uint32_t snaplen_;
  std::vector<Record> records_;
};

}  // namespace mw::testing
