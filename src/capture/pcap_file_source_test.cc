// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "capture/pcap_file_source.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "capture/merged_file_source.h"
#include "pcap_builder.h"

namespace mw::capture {
namespace {

using testing::Bytes;
using testing::PacketBuilder;
using testing::PcapWriter;

class PcapFileSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("mw_pcap_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string WriteBytes(const std::string& name, const Bytes& b) {
    std::string path = (dir_ / name).string();
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!b.empty()) std::fwrite(b.data(), 1, b.size(), f);
    std::fclose(f);
    return path;
  }
  static Bytes Frame(size_t payload_len) {
    return PacketBuilder()
        .Ethernet()
        .Ipv4("10.0.0.1", "10.0.0.2")
        .Udp(1, 2)
        .Payload(std::string(payload_len, 'p'))
        .Build();
  }
  static PcapWriter ThreeFrames() {
    PcapWriter w(PcapWriter::kEthernet);
    w.Add(1'000'000, Frame(10));
    w.Add(1'500'000, Frame(20));
    w.Add(2'000'001, Frame(30));
    return w;
  }
  // Reads to the end; returns the packet count and the error message (empty if none).
  static std::pair<int, std::string> Drain(PacketSource& src) {
    RawPacket p;
    int n = 0;
    for (;;) {
      auto r = src.Next(p);
      if (!r) return {n, r.error().message()};
      if (!*r) return {n, ""};
      ++n;
    }
  }

  std::filesystem::path dir_;
};

TEST_F(PcapFileSourceTest, ReadsPcapAndPcapng) {
  PcapWriter w = ThreeFrames();
  for (bool ng : {false, true}) {
    std::string path = WriteBytes(ng ? "a.pcapng" : "a.pcap", ng ? w.PcapngBytes() : w.PcapBytes());
    auto src = PcapFileSource::Open(path);
    ASSERT_TRUE(src) << src.error().message();
    RawPacket p;
    ASSERT_TRUE((*src)->Next(p).value());
    EXPECT_EQ(p.ts, 1'000'000);
    EXPECT_EQ(p.link_type, 1);
    EXPECT_EQ(p.data.size(), Frame(10).size());
    EXPECT_EQ(Bytes(p.data.begin(), p.data.end()), Frame(10));
    ASSERT_TRUE((*src)->Next(p).value());
    ASSERT_TRUE((*src)->Next(p).value());
    EXPECT_EQ(p.ts, 2'000'001);
    EXPECT_FALSE((*src)->Next(p).value());
    EXPECT_FALSE((*src)->Next(p).value());  // stays at the end
    EXPECT_EQ((*src)->bytes_read(), (*src)->total_bytes());
  }
}

TEST_F(PcapFileSourceTest, MissingFile) {
  auto src = PcapFileSource::Open((dir_ / "nope.pcap").string());
  ASSERT_FALSE(src);
  EXPECT_EQ(src.error().code(), Error::Code::kNotFound);
  EXPECT_NE(src.error().message().find("nope.pcap"), std::string::npos);
}

TEST_F(PcapFileSourceTest, EmptyFile) {
  std::string path = WriteBytes("empty.pcap", {});
  auto src = PcapFileSource::Open(path);
  ASSERT_FALSE(src);
  EXPECT_EQ(src.error().message(), path + ": empty file, not a pcap or pcapng file");
}

TEST_F(PcapFileSourceTest, NotACapture) {
  std::string text = "hello, this is text\n";
  std::string path = WriteBytes("x.txt", Bytes(text.begin(), text.end()));
  auto src = PcapFileSource::Open(path);
  ASSERT_FALSE(src);
  EXPECT_EQ(src.error().message(), path + ": not a pcap or pcapng file");
}

TEST_F(PcapFileSourceTest, TruncatedFileHeader) {
  Bytes b = ThreeFrames().PcapBytes();
  b.resize(10);
  std::string path = WriteBytes("hdr.pcap", b);
  auto src = PcapFileSource::Open(path);
  ASSERT_FALSE(src);
  EXPECT_EQ(src.error().message().rfind(path + ": offset 0: ", 0), 0u) << src.error().message();
}

TEST_F(PcapFileSourceTest, TruncatedLastRecordData) {
  Bytes b = ThreeFrames().PcapBytes();
  b.resize(b.size() - 5);
  std::string path = WriteBytes("cut.pcap", b);
  auto src = PcapFileSource::Open(path);
  ASSERT_TRUE(src);
  auto [n, err] = Drain(**src);
  EXPECT_EQ(n, 2);
  const size_t third = 24 + (16 + Frame(10).size()) + (16 + Frame(20).size());
  EXPECT_EQ(
      err.rfind(path + ": offset " + std::to_string(third) + ": truncated packet record (", 0), 0u)
      << err;
}

TEST_F(PcapFileSourceTest, TruncatedLastRecordHeader) {
  Bytes b = ThreeFrames().PcapBytes();
  b.resize(b.size() - Frame(30).size() - 10);  // 6 of the 16 record-header bytes remain
  std::string path = WriteBytes("cuthdr.pcap", b);
  auto src = PcapFileSource::Open(path);
  ASSERT_TRUE(src);
  auto [n, err] = Drain(**src);
  EXPECT_EQ(n, 2);
  EXPECT_NE(err.find(": truncated packet record ("), std::string::npos) << err;
  EXPECT_NE(err.find("offset " + std::to_string(b.size() - 6)), std::string::npos) << err;
}

TEST_F(PcapFileSourceTest, CorruptRecordLength) {
  Bytes b = ThreeFrames().PcapBytes();
  // Second record's caplen: absurdly large.
  const size_t rec2 = 24 + 16 + Frame(10).size();
  b[rec2 + 8] = 0xff, b[rec2 + 9] = 0xff, b[rec2 + 10] = 0xff, b[rec2 + 11] = 0x7f;
  std::string path = WriteBytes("corrupt.pcap", b);
  auto src = PcapFileSource::Open(path);
  ASSERT_TRUE(src);
  auto [n, err] = Drain(**src);
  EXPECT_EQ(n, 1);
  EXPECT_NE(err.find("offset " + std::to_string(rec2)), std::string::npos) << err;
}

TEST_F(PcapFileSourceTest, TruncatedPcapng) {
  Bytes b = ThreeFrames().PcapngBytes();
  b.resize(b.size() - 7);
  std::string path = WriteBytes("cut.pcapng", b);
  auto src = PcapFileSource::Open(path);
  ASSERT_TRUE(src);
  auto [n, err] = Drain(**src);
  EXPECT_EQ(n, 2);
  EXPECT_NE(err.find(path + ": offset "), std::string::npos) << err;
}

TEST_F(PcapFileSourceTest, MergedFilesInTimestampOrder) {
  PcapWriter a(PcapWriter::kEthernet), b(PcapWriter::kRaw);
  Bytes raw = PacketBuilder().Ipv4("10.0.0.1", "10.0.0.2").Udp(1, 2).Build();
  for (int64_t t : {1, 4, 5, 9}) a.Add(t * 1000, Frame(1));
  for (int64_t t : {2, 3, 5, 10, 11}) b.Add(t * 1000, raw);
  std::string pa = WriteBytes("a.pcap", a.PcapBytes());
  std::string pb = WriteBytes("b.pcapng", b.PcapngBytes());
  auto merged = MergedFileSource::Open({pa, pb});
  ASSERT_TRUE(merged) << merged.error().message();
  RawPacket p;
  std::vector<std::pair<int64_t, int>> seen;
  while ((*merged)->Next(p).value()) seen.emplace_back(p.ts / 1000, p.link_type);
  std::vector<std::pair<int64_t, int>> want = {{1, 1},  {2, 12}, {3, 12},  {4, 1},  {5, 1},
                                               {5, 12}, {9, 1},  {10, 12}, {11, 12}};
  EXPECT_EQ(seen, want);
  EXPECT_EQ((*merged)->bytes_read(), (*merged)->total_bytes());
}

TEST_F(PcapFileSourceTest, MergedFailsOnBadFile) {
  std::string good = WriteBytes("g.pcap", ThreeFrames().PcapBytes());
  std::string bad = WriteBytes("bad.txt", Bytes(40, 'x'));
  auto merged = MergedFileSource::Open({good, bad});
  ASSERT_FALSE(merged);
  EXPECT_EQ(merged.error().message(), bad + ": not a pcap or pcapng file");
}

TEST_F(PcapFileSourceTest, RealCapturesFromNdpiOpen) {
  const std::string dir = std::string(MW_SHARED_DATA_DIR) + "/pcaps/ndpi";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "shared data not found at " << dir;
  int files = 0, ok = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const auto ext = e.path().extension();
    if (ext != ".pcap" && ext != ".pcapng" && ext != ".cap") {
      auto src = PcapFileSource::Open(e.path().string());  // e.g. README.txt
      EXPECT_FALSE(src) << e.path();
      continue;
    }
    ++files;
    auto src = PcapFileSource::Open(e.path().string());
    if (!src) {
      ADD_FAILURE() << src.error().message();
      continue;
    }
    auto [n, err] = Drain(**src);
    // A few of nDPI's captures are cut short on purpose; the error must still name the file.
    if (err.empty())
      ++ok;
    else
      EXPECT_EQ(err.rfind(e.path().string() + ": offset ", 0), 0u) << err;
  }
  EXPECT_GT(files, 500);
  EXPECT_GT(ok, files * 9 / 10);
}

}  // namespace
}  // namespace mw::capture
