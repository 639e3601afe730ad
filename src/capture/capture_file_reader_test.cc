// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "capture/capture_file_reader.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "capture/pcap_file_source.h"
#include "pcap_builder.h"

namespace mw::capture {
namespace {

using testing::Bytes;
using testing::PacketBuilder;
using testing::PcapWriter;

Bytes ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

void Put16(Bytes& b, uint16_t v, bool be = false) {
  if (be) v = __builtin_bswap16(v);
  b.insert(b.end(), reinterpret_cast<uint8_t*>(&v), reinterpret_cast<uint8_t*>(&v) + 2);
}
void Put32(Bytes& b, uint32_t v, bool be = false) {
  if (be) v = __builtin_bswap32(v);
  b.insert(b.end(), reinterpret_cast<uint8_t*>(&v), reinterpret_cast<uint8_t*>(&v) + 4);
}

struct Compared {
  uint64_t packets = 0;
  bool libpcap_refused_interfaces = false;  // libpcap rejects mixed interface link types
  std::string error;
};

// Reads "path" with libpcap (microsecond precision) and with CaptureFileReader, and checks that
// both give the same packets (timestamp, link type, lengths, bytes) and the same end.
Compared CompareWithLibpcap(const std::string& path) {
  Compared c;
  const Bytes file = ReadAll(path);
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_MICRO, errbuf);
  auto reader = CaptureFileReader::Open(ByteView(file.data(), file.size()));
  if (!p) {
    EXPECT_FALSE(reader) << path << ": libpcap refused it (" << errbuf << ") but we did not";
    return c;
  }
  if (!reader) {
    ADD_FAILURE() << path << ": libpcap opened it but we did not: " << reader.error().message();
    pcap_close(p);
    return c;
  }
  EXPECT_EQ(reader->link_type(), pcap_datalink(p)) << path;
  for (;;) {
    struct pcap_pkthdr* hdr = nullptr;
    const u_char* data = nullptr;
    const int rc = pcap_next_ex(p, &hdr, &data);
    RawPacket raw;
    auto got = reader->Next(raw);
    if (rc == 1) {
      if (!got || !*got) {
        ADD_FAILURE() << path << ": packet " << c.packets << ": libpcap has one, we have "
                      << (got ? "the end" : got.error().message());
        break;
      }
      const TimestampUs ts = TimestampUs(hdr->ts.tv_sec) * 1'000'000 + hdr->ts.tv_usec;
      EXPECT_EQ(raw.ts, ts) << path << " packet " << c.packets;
      EXPECT_EQ(raw.link_type, pcap_datalink(p)) << path << " packet " << c.packets;
      EXPECT_EQ(raw.wire_len, std::max(hdr->len, hdr->caplen)) << path << " packet " << c.packets;
      if (raw.data.size() != hdr->caplen) {
        ADD_FAILURE() << path << " packet " << c.packets << ": caplen " << raw.data.size()
                      << ", libpcap " << hdr->caplen;
        break;
      }
      EXPECT_EQ(std::memcmp(raw.data.data(), data, hdr->caplen), 0)
          << path << " packet " << c.packets;
      ++c.packets;
      continue;
    }
    if (rc == PCAP_ERROR_BREAK) {
      EXPECT_TRUE(got && !*got) << path << ": libpcap ended after " << c.packets
                                << " packets, we did not: "
                                << (got ? "one more packet" : got.error().message());
      break;
    }
    const std::string why = pcap_geterr(p);
    if (why.find("different from the type of the first interface") != std::string::npos ||
        why.find("different from the snapshot length of the first") != std::string::npos) {
      c.libpcap_refused_interfaces = true;
      break;
    }
    if (got) {
      ADD_FAILURE() << path << ": libpcap failed after " << c.packets << " packets (" << why
                    << "), we did not";
    } else {
      c.error = got.error().message();
      EXPECT_EQ(c.error.rfind("offset ", 0), 0u) << c.error;
    }
    break;
  }
  pcap_close(p);
  return c;
}

// Reads "path" through the pread() window (of "window" bytes) and in memory, and checks that
// both give the same packets and the same end or error. Returns the packet count.
uint64_t CompareWindowed(const std::string& path, size_t window) {
  const Bytes file = ReadAll(path);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_GE(fd, 0) << path;
  auto mem = CaptureFileReader::Open(ByteView(file.data(), file.size()));
  auto win = CaptureFileReader::OpenFile(fd, file.size(), window);
  uint64_t n = 0;
  if (!mem || !win) {
    EXPECT_EQ(bool(mem), bool(win)) << path;
    if (!mem && !win) {
      EXPECT_EQ(mem.error().message(), win.error().message()) << path;
    }
    ::close(fd);
    return 0;
  }
  EXPECT_EQ(mem->link_type(), win->link_type()) << path;
  for (;; ++n) {
    RawPacket a, b;
    auto ga = mem->Next(a);
    auto gb = win->Next(b);
    if (!ga || !gb) {
      EXPECT_EQ(bool(ga), bool(gb)) << path << " packet " << n;
      if (!ga && !gb) {
        EXPECT_EQ(ga.error().message(), gb.error().message()) << path;
      }
      break;
    }
    EXPECT_EQ(*ga, *gb) << path << " packet " << n;
    if (!*ga || !*gb) break;
    EXPECT_EQ(a.ts, b.ts) << path << " packet " << n;
    EXPECT_EQ(a.link_type, b.link_type) << path << " packet " << n;
    EXPECT_EQ(a.wire_len, b.wire_len) << path << " packet " << n;
    EXPECT_TRUE(a.data.size() == b.data.size() &&
                std::memcmp(a.data.data(), b.data.data(), a.data.size()) == 0)
        << path << " packet " << n;
    EXPECT_EQ(mem->offset(), win->offset()) << path << " packet " << n;
  }
  ::close(fd);
  return n;
}

class CaptureFileReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("mw_reader_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const Bytes& b) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
    return path;
  }
  static Bytes Frame(size_t n) {
    return PacketBuilder()
        .Ethernet()
        .Ipv4("10.0.0.1", "10.0.0.2")
        .Udp(1, 2)
        .Payload(std::string(n, 'q'))
        .Build();
  }
  std::filesystem::path dir_;
};

// Every capture of nDPI's suite, packet for packet against libpcap.
TEST_F(CaptureFileReaderTest, MatchesLibpcapOnNdpiCaptures) {
  const std::string dir = std::string(MW_SHARED_DATA_DIR) + "/pcaps/ndpi";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "shared data not found at " << dir;
  int files = 0, pcapng = 0, errors = 0;
  uint64_t packets = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const auto ext = e.path().extension();
    if (ext != ".pcap" && ext != ".pcapng" && ext != ".cap") continue;
    ++files;
    Compared c = CompareWithLibpcap(e.path().string());
    packets += c.packets;
    if (!c.error.empty()) ++errors;
    Bytes head = ReadAll(e.path().string());
    if (head.size() >= 4 && head[0] == 0x0a && head[1] == 0x0d) ++pcapng;
  }
  std::printf("compared %d captures (%d pcapng), %llu packets, %d ended in an error\n", files,
              pcapng, static_cast<unsigned long long>(packets), errors);
  EXPECT_GT(files, 500);
  EXPECT_GT(pcapng, 100);
  EXPECT_GT(packets, 100000u);
  EXPECT_LT(errors, files / 10);
}

// The four classic variants: µs and ns, little- and big-endian.
TEST_F(CaptureFileReaderTest, ClassicPcapVariantsMatchLibpcap) {
  PcapWriter w(PcapWriter::kEthernet);
  w.Add(1'000'001, Frame(10));
  w.Add(1'500'000, Frame(20), 900);
  w.Add(2'999'999, Frame(30));
  const Bytes le = w.PcapBytes();
  for (bool be : {false, true}) {
    for (bool ns : {false, true}) {
      Bytes b;
      Put32(b, ns ? 0xa1b23c4d : 0xa1b2c3d4, be);
      Put16(b, 2, be);
      Put16(b, 4, be);
      Put32(b, 0, be);
      Put32(b, 0, be);
      Put32(b, 65535, be);
      Put32(b, 1, be);
      for (size_t at = 24; at < le.size();) {
        uint32_t f[4];
        std::memcpy(f, &le[at], 16);
        if (ns) f[1] = f[1] * 1000 + 999;  // sub-microsecond digits are cut, not rounded
        for (uint32_t v : f) Put32(b, v, be);
        b.insert(b.end(), le.begin() + long(at + 16), le.begin() + long(at + 16 + f[2]));
        at += 16 + f[2];
      }
      const std::string name = std::string(be ? "be" : "le") + (ns ? "_ns" : "_us") + ".pcap";
      Compared c = CompareWithLibpcap(Write(name, b));
      EXPECT_EQ(c.packets, 3u) << name;
      EXPECT_TRUE(c.error.empty()) << name << ": " << c.error;
      auto r = CaptureFileReader::Open(ByteView(b.data(), b.size()));
      ASSERT_TRUE(r);
      RawPacket p;
      ASSERT_TRUE(r->Next(p).value());
      EXPECT_EQ(p.ts, 1'000'001) << name;
      ASSERT_TRUE(r->Next(p).value());
      EXPECT_EQ(p.wire_len, 900u) << name;
    }
  }
}

// A hand-made pcapng: big-endian, two interfaces with different link types and resolutions
// (ns and 2^-10 s, one with if_tsoffset), an EPB, an SPB, an OPB, blocks to skip, and a second
// section that starts its own interface list.
class PcapngBuilder {
 public:
  explicit PcapngBuilder(bool be) : be_(be) {}
  void Section() {
    Bytes body = Body32({0x1a2b3c4d});
    Put16(body, 1, be_);  // version 1.0
    Put16(body, 0, be_);
    Put32(body, 0xffffffff, be_);  // section length unknown
    Put32(body, 0xffffffff, be_);
    Block(0x0a0d0d0a, body);
  }
  void Interface(uint16_t linktype, uint32_t snaplen, int tsresol, int64_t tsoffset = 0) {
    Bytes body;
    Put16(body, linktype, be_);
    Put16(body, 0, be_);
    Put32(body, snaplen, be_);
    if (tsresol >= 0) {
      Put16(body, 9, be_);
      Put16(body, 1, be_);
      body.push_back(uint8_t(tsresol));
      body.resize(body.size() + 3, 0);
    }
    if (tsoffset) {
      Put16(body, 14, be_);
      Put16(body, 8, be_);
      uint64_t v = uint64_t(tsoffset);
      if (be_) v = __builtin_bswap64(v);
      body.insert(body.end(), reinterpret_cast<uint8_t*>(&v), reinterpret_cast<uint8_t*>(&v) + 8);
    }
    Put32(body, 0, be_);  // opt_endofopt
    Block(1, body);
  }
  void Epb(uint32_t ifc, uint64_t t, const Bytes& data, uint32_t wire = 0) {
    Bytes body = Body32({ifc, uint32_t(t >> 32), uint32_t(t), uint32_t(data.size()),
                         wire ? wire : uint32_t(data.size())});
    Pad(body, data);
    Block(6, body);
  }
  void Opb(uint16_t ifc, uint64_t t, const Bytes& data) {
    Bytes body;
    Put16(body, ifc, be_);
    Put16(body, 0, be_);
    for (uint32_t v :
         {uint32_t(t >> 32), uint32_t(t), uint32_t(data.size()), uint32_t(data.size())})
      Put32(body, v, be_);
    Pad(body, data);
    Block(2, body);
  }
  void Spb(const Bytes& data) {
    Bytes body = Body32({uint32_t(data.size())});
    Pad(body, data);
    Block(3, body);
  }
  void Other(uint32_t type) { Block(type, Body32({1, 2, 3})); }
  const Bytes& bytes() const { return b_; }

 private:
  Bytes Body32(std::initializer_list<uint32_t> v) {
    Bytes b;
    for (uint32_t x : v) Put32(b, x, be_);
    return b;
  }
  static void Pad(Bytes& body, const Bytes& data) {
    body.insert(body.end(), data.begin(), data.end());
    body.resize((body.size() + 3) / 4 * 4, 0);
  }
  void Block(uint32_t type, const Bytes& body) {
    Put32(b_, type, be_);
    Put32(b_, uint32_t(12 + body.size()), be_);
    b_.insert(b_.end(), body.begin(), body.end());
    Put32(b_, uint32_t(12 + body.size()), be_);
  }
  bool be_;
  Bytes b_;
};

TEST_F(CaptureFileReaderTest, PcapngInterfacesBlocksAndSections) {
  const Bytes raw_ip = PacketBuilder().Ipv4("10.0.0.1", "10.0.0.2").Udp(3, 4).Build();
  for (bool be : {false, true}) {
    PcapngBuilder g(be);
    g.Section();
    g.Other(5);                               // interface statistics before any interface
    g.Interface(1, 0, 9);                     // Ethernet, nanoseconds, snaplen "none"
    g.Interface(101, 65535, 0x80 | 10, 100);  // LINKTYPE_RAW, 2^-10 s, +100 s
    g.Epb(0, 1'700'000'000'123'456'789ull, Frame(5), 1000);
    g.Other(4);                                    // name resolution
    g.Epb(1, (uint64_t(12) << 10) | 512, raw_ip);  // 12.5 s + 100 s
    g.Spb(Frame(6));                               // interface 0, no time stamp
    g.Opb(1, 3 << 10, raw_ip);
    g.Other(0x40000BAD);  // custom block
    g.Section();
    g.Interface(113, 128, -1);  // Linux cooked, default µs, snaplen 128
    g.Epb(0, 42, Frame(200));   // longer than the snaplen: corrupt
    const Bytes& b = g.bytes();
    auto r = CaptureFileReader::Open(ByteView(b.data(), b.size()));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_TRUE(r->is_pcapng());
    EXPECT_EQ(r->link_type(), 1);
    RawPacket p;
    ASSERT_TRUE(r->Next(p).value());
    EXPECT_EQ(p.ts, 1'700'000'000'123'456);
    EXPECT_EQ(p.link_type, 1);
    EXPECT_EQ(p.wire_len, 1000u);
    EXPECT_EQ(Bytes(p.data.begin(), p.data.end()), Frame(5));
    ASSERT_TRUE(r->Next(p).value());
    EXPECT_EQ(p.ts, 112'500'000);
    EXPECT_EQ(p.link_type, 12);  // DLT_RAW, as libpcap reports LINKTYPE_RAW
    EXPECT_EQ(Bytes(p.data.begin(), p.data.end()), raw_ip);
    ASSERT_TRUE(r->Next(p).value());
    EXPECT_EQ(p.ts, 0);
    EXPECT_EQ(Bytes(p.data.begin(), p.data.end()), Frame(6));
    ASSERT_TRUE(r->Next(p).value());
    EXPECT_EQ(p.ts, 103'000'000);
    EXPECT_EQ(p.link_type, 12);
    auto bad = r->Next(p);
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message().find("bigger than snaplen of 128"), std::string::npos)
        << bad.error().message();
    EXPECT_EQ(bad.error().message().rfind(
                  "offset " + std::to_string(b.size() - 32 - (Frame(200).size() + 3) / 4 * 4), 0),
              0u)
        << bad.error().message();
    EXPECT_FALSE(r->Next(p).value());  // stays ended after an error
  }
}

TEST_F(CaptureFileReaderTest, DamagedInputIsAnErrorWithAnOffset) {
  PcapWriter w(PcapWriter::kEthernet);
  for (int i = 0; i < 4; ++i) w.Add(i * 1000, Frame(10 + size_t(i)));
  const Bytes pcap = w.PcapBytes();
  const Bytes ng = w.PcapngBytes();
  // Every prefix of both files: never a crash, and an error names an offset inside the input.
  for (const Bytes* full : {&pcap, &ng}) {
    for (size_t n = 0; n <= full->size(); ++n) {
      auto r = CaptureFileReader::Open(ByteView(full->data(), n));
      if (!r) {
        EXPECT_EQ(r.error().message().rfind("offset 0: bad or truncated file header (", 0), 0u);
        continue;
      }
      RawPacket p;
      int packets = 0;
      for (;;) {
        auto got = r->Next(p);
        if (!got) {
          const std::string m = got.error().message();
          EXPECT_EQ(m.rfind("offset ", 0), 0u) << m;
          EXPECT_LT(std::stoull(m.substr(7)), n) << m;
          break;
        }
        if (!*got) break;
        ++packets;
      }
      if (n == full->size()) {
        EXPECT_EQ(packets, 4);
      }
    }
  }
  // Absurd lengths.
  Bytes b = pcap;
  const size_t rec2 = 24 + 16 + Frame(10).size();
  b[rec2 + 8] = 0xf0, b[rec2 + 9] = 0xff, b[rec2 + 10] = 0xff, b[rec2 + 11] = 0x7f;
  auto r = CaptureFileReader::Open(ByteView(b.data(), b.size()));
  ASSERT_TRUE(r);
  RawPacket p;
  ASSERT_TRUE(r->Next(p).value());
  auto got = r->Next(p);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().message(),
            "offset " + std::to_string(rec2) +
                ": corrupt packet record (invalid packet capture length 2147483632, bigger than "
                "snaplen of 65535)");
  Bytes g = ng;
  const size_t epb2 = 28 + 20 + 32 + (Frame(10).size() + 3) / 4 * 4;
  for (uint32_t len : {0x7FFFFFF0u, 8u, 30u}) {
    std::memcpy(&g[epb2 + 4], &len, 4);
    auto rg = CaptureFileReader::Open(ByteView(g.data(), g.size()));
    ASSERT_TRUE(rg);
    ASSERT_TRUE(rg->Next(p).value());
    auto e = rg->Next(p);
    ASSERT_FALSE(e) << len;
    EXPECT_EQ(e.error().message().rfind("offset " + std::to_string(epb2) + ": corrupt", 0), 0u)
        << e.error().message();
  }
}

// The pread() window gives exactly what the in-memory reader gives, whatever the window size:
// 64 bytes puts nearly every record across the window's end, 1500 bytes some.
TEST_F(CaptureFileReaderTest, WindowedReadMatchesInMemoryOnNdpiCaptures) {
  const std::filesystem::path dir = std::filesystem::path(MW_SHARED_DATA_DIR) / "pcaps" / "ndpi";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "shared data not found at " << dir;
  uint64_t files = 0, packets = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    ++files;
    // Every file with a tiny window is slow in a Debug build: every 8th file gets it.
    if (files % 8 == 0) CompareWindowed(e.path().string(), 64);
    packets += CompareWindowed(e.path().string(), 1500);
  }
  EXPECT_GT(files, 100u);
  EXPECT_GT(packets, 100000u);
}

TEST_F(CaptureFileReaderTest, WindowedReadOfDamagedAndShrinkingFiles) {
  PcapWriter w(PcapWriter::kEthernet);
  for (int i = 0; i < 4; ++i) w.Add(i * 1000, Frame(100 + size_t(i)));
  const Bytes pcap = w.PcapBytes();
  const Bytes ng = w.PcapngBytes();
  // Every prefix: the same packets and the same error as in memory.
  for (const Bytes* full : {&pcap, &ng}) {
    for (size_t n = 0; n <= full->size(); ++n) {
      const std::string path = Write("prefix", Bytes(full->begin(), full->begin() + ptrdiff_t(n)));
      CompareWindowed(path, 64);
    }
  }
  // The file shrinks after it was opened: a read error, not a crash or a silent end.
  const std::string path = Write("shrinks.pcap", pcap);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  auto r = CaptureFileReader::OpenFile(fd, pcap.size(), 64);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(::truncate(path.c_str(), off_t(pcap.size() / 2)), 0);
  RawPacket p;
  Result<bool> got = true;
  int packets = 0;
  while (got && *got) {
    got = r->Next(p);
    if (got && *got) ++packets;
  }
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code(), Error::Code::kIoError);
  EXPECT_NE(got.error().message().find("shrank"), std::string::npos) << got.error().message();
  EXPECT_LT(packets, 4);
  EXPECT_FALSE(r->Next(p).value());  // stays ended after an error
  ::close(fd);
}

// PcapFileSource reads regular files by offset and still reads pipes through libpcap.
TEST_F(CaptureFileReaderTest, SourceReadsFilesAndPipes) {
  PcapWriter w(PcapWriter::kEthernet);
  for (int i = 0; i < 3; ++i) w.Add(i * 1000, Frame(10));
  const Bytes b = w.PcapBytes();
  const std::string path = Write("a.pcap", b);
  auto src = PcapFileSource::Open(path);
  ASSERT_TRUE(src);
  RawPacket p;
  int n = 0;
  while ((*src)->Next(p).value()) ++n;
  EXPECT_EQ(n, 3);
  EXPECT_EQ((*src)->bytes_read(), b.size());

  const std::string fifo = (dir_ / "fifo").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  pid_t child = ::fork();
  if (child == 0) {
    FILE* f = std::fopen(fifo.c_str(), "wb");
    std::fwrite(b.data(), 1, b.size(), f);
    std::fclose(f);
    ::_exit(0);
  }
  auto piped = PcapFileSource::Open(fifo);
  ASSERT_TRUE(piped) << piped.error().message();
  n = 0;
  while ((*piped)->Next(p).value()) ++n;
  EXPECT_EQ(n, 3);
  int status = 0;
  ::waitpid(child, &status, 0);
}

}  // namespace
}  // namespace mw::capture
