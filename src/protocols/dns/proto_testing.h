// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Test-only helpers shared by the DNS and TLS parser tests (beyond protocols/parse_test_util.h):
// hex input, a tiny libpcap reader that turns a capture into per-flow in-order payloads, and a
// reader for nDPI's expected-output files. Not linked into any library.
#include <arpa/inet.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "mw/parse/app_parser.h"
#include "protocols/parse_test_util.h"

namespace mw::testing {

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

// ---- Capture reading -------------------------------------------------------------------------

struct Delivery {
  Direction dir;
  std::vector<uint8_t> bytes;
};

struct CapturedFlow {
  bool tcp = false;
  std::string client;  // "ip:port", IPv6 as "[ip]:port" (nDPI's spelling)
  std::string server;
  std::vector<Delivery> deliveries;  // in capture order; TCP payload in sequence order
};

namespace internal {

inline std::string Endpoint(const uint8_t* ip, bool v6, uint16_t port) {
  char buf[64];
  if (v6) {
    char a[48];
    inet_ntop(AF_INET6, ip, a, sizeof(a));
    snprintf(buf, sizeof(buf), "[%s]:%u", a, port);
  } else {
    snprintf(buf, sizeof(buf), "%u.%u.%u.%u:%u", ip[0], ip[1], ip[2], ip[3], port);
  }
  return buf;
}

struct TcpDir {
  bool have_next = false;
  uint32_t next = 0;
  std::map<uint32_t, std::vector<uint8_t>> stash;  // keyed by seq - isn
  uint32_t isn = 0;
};

struct FlowState {
  CapturedFlow flow;
  TcpDir dirs[2];
};

}  // namespace internal

// Reads "path" (pcap or pcapng) and returns its TCP/UDP flows with payloads. Handles Ethernet
// (with VLAN tags and PPPoE), Linux cooked, raw IP and BSD loopback link types.
inline std::vector<CapturedFlow> ReadCaptureFlows(const std::string& path, std::string* error) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* pcap = pcap_open_offline(path.c_str(), errbuf);
  if (!pcap) {
    if (error) *error = errbuf;
    return {};
  }
  const int link = pcap_datalink(pcap);
  std::map<std::string, size_t> index;
  std::vector<internal::FlowState> states;
  pcap_pkthdr* hdr;
  const u_char* data;
  while (pcap_next_ex(pcap, &hdr, &data) == 1) {
    const uint8_t* p = data;
    size_t n = hdr->caplen;
    uint16_t ethertype = 0;
    if (link == DLT_EN10MB) {
      if (n < 14) continue;
      ethertype = uint16_t(p[12] << 8 | p[13]);
      p += 14, n -= 14;
      while ((ethertype == 0x8100 || ethertype == 0x88a8) && n >= 4) {
        ethertype = uint16_t(p[2] << 8 | p[3]);
        p += 4, n -= 4;
      }
      if (ethertype == 0x8864 && n >= 8) {  // PPPoE session: 6-byte header, 2-byte PPP proto
        const uint16_t ppp = uint16_t(p[6] << 8 | p[7]);
        ethertype = ppp == 0x0021 ? 0x0800 : ppp == 0x0057 ? 0x86DD : 0;
        p += 8, n -= 8;
      }
    } else if (link == DLT_LINUX_SLL) {
      if (n < 16) continue;
      ethertype = uint16_t(p[14] << 8 | p[15]);
      p += 16, n -= 16;
    } else if (link == DLT_NULL || link == DLT_LOOP) {
      if (n < 4) continue;
      p += 4, n -= 4;
      ethertype = (n > 0 && (p[0] >> 4) == 6) ? 0x86DD : 0x0800;
    } else if (link == DLT_RAW || link == 12 || link == 101) {
      ethertype = (n > 0 && (p[0] >> 4) == 6) ? 0x86DD : 0x0800;
    } else {
      continue;
    }
    bool v6;
    const uint8_t *src, *dst;
    uint8_t proto;
    if (ethertype == 0x0800) {
      if (n < 20 || (p[0] >> 4) != 4) continue;
      size_t ihl = size_t(p[0] & 0x0F) * 4;
      size_t total = size_t(p[2] << 8 | p[3]);
      if (ihl < 20 || n < ihl) continue;
      // Later fragments are dropped; a first fragment is kept as a truncated datagram (no
      // reassembly here, the DNS parser must cope with the cut).
      if ((uint16_t(p[6] << 8 | p[7]) & 0x1FFF) != 0) continue;
      if (total >= ihl && total < n) n = total;  // Ethernet padding
      v6 = false, src = p + 12, dst = p + 16, proto = p[9];
      p += ihl, n -= ihl;
    } else if (ethertype == 0x86DD) {
      if (n < 40) continue;
      size_t plen = size_t(p[4] << 8 | p[5]);
      v6 = true, src = p + 8, dst = p + 24, proto = p[6];
      p += 40, n -= 40;
      if (plen < n) n = plen;
      while ((proto == 0 || proto == 43 || proto == 60) && n >= 8) {
        size_t el = (size_t(p[1]) + 1) * 8;
        if (el > n) break;
        proto = p[0], p += el, n -= el;
      }
      if (proto == 44) {  // fragment header: keep only the first fragment, as for IPv4
        if (n < 8 || (uint16_t(p[2] << 8 | p[3]) & 0xFFF8) != 0) continue;
        proto = p[0], p += 8, n -= 8;
      }
    } else {
      continue;
    }
    if (proto != 6 && proto != 17) continue;
    const bool tcp = proto == 6;
    if (n < (tcp ? 20u : 8u)) continue;
    const uint16_t sport = uint16_t(p[0] << 8 | p[1]), dport = uint16_t(p[2] << 8 | p[3]);
    size_t hl = tcp ? size_t(p[12] >> 4) * 4 : 8;
    if (hl > n) continue;
    const uint8_t flags = tcp ? p[13] : 0;
    const uint32_t seq = tcp ? (uint32_t(p[4]) << 24 | uint32_t(p[5]) << 16 | p[6] << 8 | p[7]) : 0;
    const uint8_t* payload = p + hl;
    size_t payload_len = n - hl;
    if (!tcp) {
      size_t ulen = size_t(p[4] << 8 | p[5]);
      if (ulen >= 8 && ulen - 8 < payload_len) payload_len = ulen - 8;
    }
    std::string a = internal::Endpoint(src, v6, sport), b = internal::Endpoint(dst, v6, dport);
    std::string key = std::string(tcp ? "T" : "U") + std::min(a, b) + "|" + std::max(a, b);
    auto it = index.find(key);
    if (it == index.end()) {
      internal::FlowState st;
      st.flow.tcp = tcp;
      // A SYN/ACK seen first means the capture started mid-handshake: its sender is the server.
      const bool from_server = tcp && (flags & 0x12) == 0x12;
      st.flow.client = from_server ? b : a;
      st.flow.server = from_server ? a : b;
      it = index.emplace(key, states.size()).first;
      states.push_back(std::move(st));
    }
    internal::FlowState& st = states[it->second];
    const Direction dir = (a == st.flow.client) ? Direction::kToServer : Direction::kToClient;
    if (!tcp) {
      if (payload_len > 0)
        st.flow.deliveries.push_back({dir, std::vector<uint8_t>(payload, payload + payload_len)});
      continue;
    }
    internal::TcpDir& td = st.dirs[static_cast<int>(dir)];
    if (flags & 0x02) {  // SYN
      td.have_next = true;
      td.isn = seq + 1;
      td.next = 0;
      continue;
    }
    if (payload_len == 0) continue;
    if (!td.have_next) {
      td.have_next = true;
      td.isn = seq;
      td.next = 0;
    }
    uint32_t rel = seq - td.isn;
    td.stash.emplace(rel, std::vector<uint8_t>(payload, payload + payload_len));
    // Emit everything that is now contiguous; retransmitted or overlapping bytes are trimmed.
    while (!td.stash.empty()) {
      auto s = td.stash.begin();
      if (int32_t(s->first - td.next) > 0) break;
      uint32_t skip = td.next - s->first;
      if (skip < s->second.size()) {
        st.flow.deliveries.push_back(
            {dir, std::vector<uint8_t>(s->second.begin() + skip, s->second.end())});
        td.next += uint32_t(s->second.size()) - skip;
      }
      td.stash.erase(s);
    }
  }
  pcap_close(pcap);
  std::vector<CapturedFlow> out;
  for (auto& st : states) out.push_back(std::move(st.flow));
  return out;
}

// One flow line of an nDPI ".out" file: "TCP a <-> b [k: v][k: v]...".
struct NdpiFlow {
  bool tcp = false;
  std::string a, b;
  std::map<std::string, std::string> fields;  // first occurrence of each bracketed key
  std::vector<std::string> items;             // every bracketed item, in order
  std::string Field(const std::string& k) const {
    auto it = fields.find(k);
    return it == fields.end() ? "" : it->second;
  }
  bool Matches(const CapturedFlow& f) const {
    return f.tcp == tcp && ((f.client == a && f.server == b) || (f.client == b && f.server == a));
  }
};

inline std::vector<NdpiFlow> ReadNdpiResults(const std::string& path) {
  std::vector<NdpiFlow> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    size_t t = line.find("\tTCP ");
    size_t u = line.find("\tUDP ");
    if (t == std::string::npos && u == std::string::npos) continue;
    NdpiFlow f;
    f.tcp = t != std::string::npos;
    size_t start = (f.tcp ? t : u) + 5;
    size_t sep = line.find(" <-> ", start);
    size_t seplen = 5;
    if (sep == std::string::npos) sep = line.find(" -> ", start), seplen = 4;
    size_t br = line.find(" [", start);
    if (sep == std::string::npos || br == std::string::npos || sep > br) continue;
    f.a = line.substr(start, sep - start);
    f.b = line.substr(sep + seplen, br - sep - seplen);
    for (size_t pos = br + 1; pos < line.size();) {
      size_t close = line.find(']', pos);
      if (line[pos] != '[' || close == std::string::npos) break;
      std::string item = line.substr(pos + 1, close - pos - 1);
      f.items.push_back(item);
      size_t colon = item.find(": ");
      if (colon != std::string::npos)
        f.fields.emplace(item.substr(0, colon), item.substr(colon + 2));
      pos = close + 1;
    }
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace mw::testing
