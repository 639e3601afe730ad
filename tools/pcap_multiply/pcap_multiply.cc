// minerwatch — SPDX-License-Identifier: Apache-2.0
// pcap_multiply: builds the benchmark capture. It merges capture files (pcap or pcapng, any of
// the common link types) into one Ethernet pcap and repeats the set N times. Each copy gets its
// own IPv4/IPv6 addresses (a per-copy bijection of the outer IP header's addresses), so every
// copy makes new flows, and timestamps are shifted so the output is in time order: file after
// file, copy after copy. Nothing else is changed; checksums are left stale on purpose (the
// sensor does not verify them and neither does nDPI).
#include <pcap/pcap.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace {

constexpr uint32_t kSnapLen = 262144;
constexpr int64_t kGapBetweenFilesUs = 1'000'000;

struct Packet {
  int64_t ts_us;    // relative to the first packet of its file
  uint32_t offset;  // into Input::bytes, an Ethernet frame
  uint32_t caplen;
  uint32_t wire_len;
  int32_t ip_offset;  // -1: no IP header to rewrite
};

struct Input {
  std::vector<uint8_t> bytes;
  std::vector<Packet> packets;
  int64_t duration_us = 0;
  uint64_t files = 0, skipped_files = 0, skipped_packets = 0;
};

// Ethernet header for frames that had none (raw IP, Linux cooked, BSD loopback).
void AppendEthernet(std::vector<uint8_t>& out, uint16_t ether_type) {
  static constexpr uint8_t kMacs[12] = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01};
  out.insert(out.end(), kMacs, kMacs + 12);
  out.push_back(static_cast<uint8_t>(ether_type >> 8));
  out.push_back(static_cast<uint8_t>(ether_type));
}

uint16_t EtherTypeForIp(const uint8_t* p, uint32_t len) {
  if (len == 0) return 0;
  if ((p[0] >> 4) == 4) return 0x0800;
  if ((p[0] >> 4) == 6) return 0x86dd;
  return 0;
}

// Converts one frame to Ethernet, appending it to "out". Returns false for frames it cannot
// express as Ethernet (they are skipped and counted).
bool ToEthernet(int dlt, const uint8_t* p, uint32_t len, std::vector<uint8_t>& out) {
  switch (dlt) {
    case DLT_EN10MB:
      if (len < 14) return false;
      out.insert(out.end(), p, p + len);
      return true;
    case DLT_LINUX_SLL:  // 16-byte cooked header, protocol in the last two bytes
      if (len < 16) return false;
      AppendEthernet(out, static_cast<uint16_t>(p[14] << 8 | p[15]));
      out.insert(out.end(), p + 16, p + len);
      return true;
    case 276:  // DLT_LINUX_SLL2: 20 bytes, protocol first
      if (len < 20) return false;
      AppendEthernet(out, static_cast<uint16_t>(p[0] << 8 | p[1]));
      out.insert(out.end(), p + 20, p + len);
      return true;
    case 12:
    case 14:
    case 101:
    case 228:
    case 229: {  // raw IP
      uint16_t type = EtherTypeForIp(p, len);
      if (type == 0) return false;
      AppendEthernet(out, type);
      out.insert(out.end(), p, p + len);
      return true;
    }
    case DLT_NULL:
    case DLT_LOOP: {  // 4-byte address family in either byte order
      if (len < 5) return false;
      uint16_t type = EtherTypeForIp(p + 4, len - 4);
      if (type == 0) return false;
      AppendEthernet(out, type);
      out.insert(out.end(), p + 4, p + len);
      return true;
    }
    default:
      return false;
  }
}

int32_t FindIp(const uint8_t* frame, uint32_t len) {
  uint32_t off = 12;
  while (off + 2 <= len) {
    uint16_t type = static_cast<uint16_t>(frame[off] << 8 | frame[off + 1]);
    if (type == 0x8100 || type == 0x88a8 || type == 0x9100) {
      off += 4;
      continue;
    }
    off += 2;
    if (type == 0x0800 && off + 20 <= len && (frame[off] >> 4) == 4) return off;
    if (type == 0x86dd && off + 40 <= len && (frame[off] >> 4) == 6) return off;
    return -1;
  }
  return -1;
}

bool LoadFile(const std::string& path, Input& in) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* pc = pcap_open_offline(path.c_str(), err);
  if (pc == nullptr) {
    std::fprintf(stderr, "pcap_multiply: skipping %s: %s\n", path.c_str(), err);
    ++in.skipped_files;
    return false;
  }
  int dlt = pcap_datalink(pc);
  pcap_pkthdr* h;
  const u_char* data;
  int64_t first = -1, last = 0;
  int rc;
  size_t before = in.packets.size();
  while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
    int64_t ts = int64_t{h->ts.tv_sec} * 1'000'000 + h->ts.tv_usec;
    if (first < 0) first = ts;
    // Some captures step back in time; keep the output monotonic.
    ts = std::max(ts - first, last);
    last = ts;
    size_t start = in.bytes.size();
    if (!ToEthernet(dlt, data, h->caplen, in.bytes)) {
      ++in.skipped_packets;
      continue;
    }
    uint32_t caplen = static_cast<uint32_t>(in.bytes.size() - start);
    uint32_t wire = h->len + caplen - h->caplen;  // the link header may have changed size
    in.packets.push_back({in.duration_us + ts, static_cast<uint32_t>(start), caplen, wire,
                          FindIp(in.bytes.data() + start, caplen)});
  }
  if (rc == -1) {
    // A truncated last record in a public capture: keep what was read.
    std::fprintf(stderr, "pcap_multiply: %s: %s (kept %zu packets)\n", path.c_str(),
                 pcap_geterr(pc), in.packets.size() - before);
  }
  pcap_close(pc);
  if (in.packets.size() == before) {
    if (dlt != DLT_EN10MB) {
      std::fprintf(stderr, "pcap_multiply: skipping %s: link type %d has no Ethernet form\n",
                   path.c_str(), dlt);
    }
    ++in.skipped_files;
    return false;
  }
  in.duration_us += last + kGapBetweenFilesUs;
  ++in.files;
  return true;
}

// Copy 0 keeps its addresses. Copy c XORs two middle bytes of every address with c, which is a
// bijection per copy, keeps the first octet (so 10/8, 192.168/16 and fe80::/10 stay what they
// were) and gives every copy distinct 5-tuples.
void RewriteAddresses(uint8_t* ip, uint32_t copy) {
  uint8_t hi = static_cast<uint8_t>(copy >> 8), lo = static_cast<uint8_t>(copy);
  if ((ip[0] >> 4) == 4) {
    for (uint8_t* a : {ip + 12, ip + 16}) {
      a[1] ^= hi;
      a[2] ^= lo;
    }
  } else {
    for (uint8_t* a : {ip + 8, ip + 24}) {
      a[6] ^= hi;
      a[7] ^= lo;
    }
  }
}

void Usage() {
  std::fprintf(stderr,
               "usage: pcap_multiply (--copies N | --size-mb M) -o OUT.pcap FILE|DIR...\n"
               "Merges the captures (directories: every *.pcap, *.pcapng, *.cap inside, sorted)\n"
               "into one Ethernet pcap repeated N times (or until it is about M MB), with\n"
               "addresses rewritten per copy so that each copy makes new flows.\n");
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t copies = 0, size_mb = 0;
  std::string out_path;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--copies" && i + 1 < argc) {
      copies = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--size-mb" && i + 1 < argc) {
      size_mb = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "-o" && i + 1 < argc) {
      out_path = argv[++i];
    } else if (a == "-h" || a == "--help") {
      Usage();
      return 0;
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "pcap_multiply: unknown option %s\n", a.c_str());
      Usage();
      return 2;
    } else if (std::filesystem::is_directory(a)) {
      std::vector<std::string> found;
      for (const auto& e : std::filesystem::directory_iterator(a)) {
        auto ext = e.path().extension().string();
        if (e.is_regular_file() && (ext == ".pcap" || ext == ".pcapng" || ext == ".cap")) {
          found.push_back(e.path().string());
        }
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(a);
    }
  }
  if (out_path.empty() || files.empty() || (copies == 0) == (size_mb == 0) || copies > 65535) {
    Usage();
    return 2;
  }
  Input in;
  for (const auto& f : files) LoadFile(f, in);
  if (in.packets.empty()) {
    std::fprintf(stderr, "pcap_multiply: no packets in the inputs\n");
    return 2;
  }
  uint64_t copy_bytes = in.bytes.size() + 16 * in.packets.size();
  if (size_mb != 0) {
    copies = std::max<uint64_t>(1, (size_mb * 1'000'000 + copy_bytes - 1) / copy_bytes);
    if (copies > 65535) copies = 65535;
  }
  pcap_t* dead = pcap_open_dead(DLT_EN10MB, kSnapLen);
  // One write per MiB instead of stdio's 4 KiB. Besides fewer system calls, the kernel then
  // keeps the new file in large page-cache folios; with 4 KiB folios every later read of the
  // cached file costs more (here 60 ms instead of 34 ms for 333 MB, docs/benchmarks.md).
  FILE* out = std::fopen(out_path.c_str(), "wb");
  if (out == nullptr) {
    std::fprintf(stderr, "pcap_multiply: %s: %s\n", out_path.c_str(), std::strerror(errno));
    return 2;
  }
  static std::vector<char> out_buffer(size_t{1} << 20);
  std::setvbuf(out, out_buffer.data(), _IOFBF, out_buffer.size());
  pcap_dumper_t* dump = pcap_dump_fopen(dead, out);
  if (dump == nullptr) {
    std::fprintf(stderr, "pcap_multiply: %s: %s\n", out_path.c_str(), pcap_geterr(dead));
    std::fclose(out);
    return 2;
  }
  std::vector<uint8_t> frame(kSnapLen);
  // Start at a fixed, recognisable time (2024-01-01) so runs are reproducible.
  const int64_t epoch_us = int64_t{1704067200} * 1'000'000;
  uint64_t written = 0, wire_bytes = 0;
  for (uint32_t c = 0; c < copies; ++c) {
    int64_t base = epoch_us + int64_t{c} * in.duration_us;
    for (const Packet& p : in.packets) {
      int64_t ts = base + p.ts_us;
      pcap_pkthdr h{};
      h.ts.tv_sec = static_cast<time_t>(ts / 1'000'000);
      h.ts.tv_usec = static_cast<suseconds_t>(ts % 1'000'000);
      h.caplen = std::min(p.caplen, kSnapLen);
      h.len = std::max(p.wire_len, h.caplen);
      std::memcpy(frame.data(), in.bytes.data() + p.offset, h.caplen);
      if (c != 0 && p.ip_offset >= 0) RewriteAddresses(frame.data() + p.ip_offset, c);
      pcap_dump(reinterpret_cast<u_char*>(dump), &h, frame.data());
      ++written;
      wire_bytes += h.len;
    }
  }
  if (pcap_dump_flush(dump) != 0) {
    std::fprintf(stderr, "pcap_multiply: %s: write failed: %s\n", out_path.c_str(),
                 std::strerror(errno));
    return 2;
  }
  pcap_dump_close(dump);
  pcap_close(dead);
  std::printf("files %llu (skipped %llu), packets per copy %zu (skipped %llu), copies %llu\n",
              static_cast<unsigned long long>(in.files),
              static_cast<unsigned long long>(in.skipped_files), in.packets.size(),
              static_cast<unsigned long long>(in.skipped_packets),
              static_cast<unsigned long long>(copies));
  std::printf("wrote %s: %llu packets, %llu wire bytes\n", out_path.c_str(),
              static_cast<unsigned long long>(written),
              static_cast<unsigned long long>(wire_bytes));
  return 0;
}
