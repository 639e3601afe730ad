// minerwatch — SPDX-License-Identifier: Apache-2.0
// flow_flood: writes the partial-record flood of the memory tests as an Ethernet pcap. Each of
// --flows TCP flows (distinct client addresses in 10.0.0.0/8, to --servers servers on port 443)
// sends a SYN and one data segment: the start of a TLS handshake record whose length field says
// --record-len bytes, of which the segment carries --payload bytes, so a sensor without a memory
// bound keeps every flow's partial record. No handshake is needed: a SYN and data make a flow.
//
// --interleave FILE spreads the packets of another capture (Ethernet, e.g. a real Stratum
// session) evenly through the flood, in their order, retimed onto the flood's clock, so the
// flood is running while that session talks. Output goes to -o FILE or stdout (a pipe into
// `minerwatch scan pcap /dev/stdin` needs no disk space).
//
//   flow_flood --flows 300000 --payload 15400 --interleave mining.pcapng | minerwatch scan pcap -
#include <pcap/pcap.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Options {
  uint64_t flows = 300'000;
  uint32_t servers = 4;
  uint32_t record_len = 15'800;  // the TLS record length field
  uint32_t payload = 15'400;     // bytes of the record the one data segment carries
  std::string interleave;
  std::string out;
  uint64_t start_us = 1'700'000'000'000'000ull;
  uint64_t flow_spacing_us = 10;  // packet time between two flows' SYNs
};

struct Frame {
  std::vector<uint8_t> bytes;
  uint32_t wire_len;
};

[[noreturn]] void Usage(const char* why) {
  std::fprintf(stderr,
               "flow_flood: %s\nusage: flow_flood [--flows N] [--servers N] [--record-len N] "
               "[--payload N] [--interleave FILE] [-o FILE]\n",
               why);
  std::exit(2);
}

uint64_t Number(const char* s) {
  char* end = nullptr;
  const unsigned long long v = std::strtoull(s, &end, 10);
  if (!end || *end) Usage("not a number");
  return v;
}

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) Usage("missing value");
    const char* v = argv[++i];
    if (a == "--flows")
      o.flows = Number(v);
    else if (a == "--servers")
      o.servers = uint32_t(std::max<uint64_t>(1, Number(v)));
    else if (a == "--record-len")
      o.record_len = uint32_t(Number(v));
    else if (a == "--payload")
      o.payload = uint32_t(Number(v));
    else if (a == "--interleave")
      o.interleave = v;
    else if (a == "-o")
      o.out = v;
    else
      Usage(("unknown option " + a).c_str());
  }
  if (o.flows == 0 || o.flows > 16'000'000) Usage("--flows must be 1..16000000");
  if (o.record_len < 8 || o.record_len > 0xffff) Usage("--record-len must be 8..65535");
  if (o.payload < 9 || o.payload > 65'000) Usage("--payload must be 9..65000");
  return o;
}

std::vector<Frame> ReadInterleave(const std::string& path) {
  std::vector<Frame> frames;
  if (path.empty()) return frames;
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline(path.c_str(), err);
  if (!p) Usage(err);
  if (pcap_datalink(p) != DLT_EN10MB) Usage("--interleave needs an Ethernet capture");
  pcap_pkthdr* h;
  const u_char* d;
  while (pcap_next_ex(p, &h, &d) == 1) frames.push_back({{d, d + h->caplen}, h->len});
  pcap_close(p);
  return frames;
}

void Put16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}
void Put32(uint8_t* p, uint32_t v) {
  Put16(p, uint16_t(v >> 16));
  Put16(p + 2, uint16_t(v));
}

// The sensor checks IPv4 header checksums (a bad one is counted), so they are right here.
void Ipv4Checksum(uint8_t* ip) {
  ip[10] = ip[11] = 0;
  uint32_t sum = 0;
  for (int i = 0; i < 20; i += 2) sum += uint32_t(ip[i] << 8 | ip[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  Put16(ip + 10, uint16_t(~sum));
}

class Writer {
 public:
  explicit Writer(FILE* f) : f_(f) {
    static char buf[1 << 20];
    std::setvbuf(f_, buf, _IOFBF, sizeof buf);
    uint8_t h[24] = {};
    Put32(h, 0xa1b2c3d4);
    Put16(h + 4, 2);
    Put16(h + 6, 4);
    Put32(h + 16, 65535);
    Put32(h + 20, 1);  // Ethernet
    Raw(h, sizeof h);
  }
  // Classic pcap in big-endian order: the magic says so, and readers swap as needed.
  void Record(uint64_t ts_us, const uint8_t* a, size_t alen, const uint8_t* b, size_t blen,
              uint32_t wire_len) {
    uint8_t h[16];
    Put32(h, uint32_t(ts_us / 1'000'000));
    Put32(h + 4, uint32_t(ts_us % 1'000'000));
    Put32(h + 8, uint32_t(alen + blen));
    Put32(h + 12, wire_len);
    Raw(h, sizeof h);
    Raw(a, alen);
    if (blen) Raw(b, blen);
  }
  bool Close() {
    return std::fflush(f_) == 0 && !std::ferror(f_) && (f_ == stdout || !std::fclose(f_));
  }

 private:
  void Raw(const void* p, size_t n) {
    if (std::fwrite(p, 1, n, f_) != n) {
      std::perror("flow_flood: write");
      std::exit(1);
    }
  }
  FILE* f_;
};

constexpr size_t kHeaders = 14 + 20 + 20;

// Ethernet + IPv4 + TCP for one packet of flow "i".
void Headers(uint8_t* h, uint64_t i, const Options& o, uint8_t flags, uint32_t seq,
             uint16_t payload_len) {
  std::memset(h, 0, kHeaders);
  h[0] = 0x02, h[5] = 0x01, h[6] = 0x02, h[11] = 0x02;  // locally administered MACs
  Put16(h + 12, 0x0800);
  uint8_t* ip = h + 14;
  ip[0] = 0x45;
  Put16(ip + 2, uint16_t(40 + payload_len));
  Put16(ip + 4, uint16_t(i));
  ip[8] = 64;
  ip[9] = 6;
  Put32(ip + 12, 0x0a000000u + uint32_t(i + 1));              // client 10.x.y.z
  Put32(ip + 16, 0xc6336400u + uint32_t(i % o.servers) + 1);  // server 198.51.100.n
  Ipv4Checksum(ip);
  uint8_t* tcp = ip + 20;
  Put16(tcp, uint16_t(20000 + i % 40000));
  Put16(tcp + 2, 443);
  Put32(tcp + 4, seq);
  tcp[12] = 0x50;
  tcp[13] = flags;
  Put16(tcp + 14, 65535);
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = Parse(argc, argv);
  const std::vector<Frame> extra = ReadInterleave(o.interleave);
  FILE* f = o.out.empty() ? stdout : std::fopen(o.out.c_str(), "wb");
  if (!f) Usage("cannot open the output file");
  Writer w(f);

  // The start of a TLS record carrying a ClientHello that never ends.
  std::vector<uint8_t> payload(o.payload, 0x41);
  payload[0] = 0x16, payload[1] = 0x03, payload[2] = 0x01;
  Put16(&payload[3], uint16_t(o.record_len));
  payload[5] = 0x01;  // ClientHello, its length what the record leaves for it
  payload[6] = uint8_t((o.record_len - 4) >> 16);
  Put16(&payload[7], uint16_t(o.record_len - 4));
  if (o.payload > 10) payload[9] = 0x03, payload[10] = 0x03;

  uint8_t h[kHeaders];
  size_t next_extra = 0;
  for (uint64_t i = 0; i < o.flows; ++i) {
    const uint64_t ts = o.start_us + i * o.flow_spacing_us;
    const uint32_t isn = uint32_t(i * 2654435761u);
    Headers(h, i, o, 0x02, isn, 0);
    w.Record(ts, h, kHeaders, nullptr, 0, kHeaders);
    Headers(h, i, o, 0x18, isn + 1, uint16_t(o.payload));
    w.Record(ts + 1, h, kHeaders, payload.data(), payload.size(), uint32_t(kHeaders + o.payload));
    // Extra packet k goes after flow (k + 1) * flows / (count + 1): evenly through the flood.
    while (next_extra < extra.size() && (next_extra + 1) * o.flows / (extra.size() + 1) <= i) {
      const Frame& e = extra[next_extra++];
      w.Record(ts + 2, e.bytes.data(), e.bytes.size(), nullptr, 0, e.wire_len);
    }
  }
  for (; next_extra < extra.size(); ++next_extra) {
    const Frame& e = extra[next_extra];
    w.Record(o.start_us + o.flows * o.flow_spacing_us, e.bytes.data(), e.bytes.size(), nullptr, 0,
             e.wire_len);
  }
  if (!w.Close()) {
    std::perror("flow_flood: write");
    return 1;
  }
  return 0;
}
