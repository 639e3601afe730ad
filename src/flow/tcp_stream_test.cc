// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "flow/tcp_stream.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace mw::flow {
namespace {

// Records delivered bytes; a gap shows up as '#' repeated "len" times so tests can compare
// whole streams as strings.
class RecordingSink : public TcpStreamSink {
 public:
  void OnStreamData(ByteView b) override { out.append(AsChars(b)); }
  void OnStreamGap(uint32_t len) override {
    out.append(len, '#');
    ++gaps;
  }
  std::string out;
  int gaps = 0;
};

class TcpStreamTest : public ::testing::Test {
 protected:
  void Seg(uint32_t seq, std::string_view s, uint32_t missing = 0) {
    stream.OnSegment(seq, AsBytes(s), missing, sink, budget, counters);
  }
  void Flush() { stream.Flush(sink, budget, counters); }

  uint32_t flow_buffered = 0;
  uint64_t total_buffered = 0;
  ReassemblyBudget budget{flow_buffered, 256 * 1024, total_buffered, 1 << 30};
  TcpCounters counters;
  RecordingSink sink;
  TcpStream stream;
};

const std::string kText =
    "{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[\"xmrig/6.16\"]}\n";

TEST_F(TcpStreamTest, InOrderAfterSyn) {
  stream.OnSyn(999);
  Seg(1000, "hello ");
  Seg(1006, "world");
  EXPECT_EQ(sink.out, "hello world");
  EXPECT_EQ(counters.bytes_delivered, 11u);
  EXPECT_EQ(counters.out_of_order, 0u);
}

TEST_F(TcpStreamTest, EveryTwoWaySplitInEitherOrder) {
  for (size_t cut = 1; cut < kText.size(); ++cut) {
    for (bool swap : {false, true}) {
      TcpStream s;
      RecordingSink out;
      uint32_t fb = 0;
      uint64_t tb = 0;
      ReassemblyBudget b{fb, 1 << 20, tb, 1 << 30};
      TcpCounters c;
      s.OnSyn(41);
      std::string_view a = std::string_view(kText).substr(0, cut);
      std::string_view z = std::string_view(kText).substr(cut);
      if (swap) {
        s.OnSegment(42 + uint32_t(cut), AsBytes(z), 0, out, b, c);
        s.OnSegment(42, AsBytes(a), 0, out, b, c);
      } else {
        s.OnSegment(42, AsBytes(a), 0, out, b, c);
        s.OnSegment(42 + uint32_t(cut), AsBytes(z), 0, out, b, c);
      }
      ASSERT_EQ(out.out, kText) << "cut " << cut << " swap " << swap;
      EXPECT_EQ(fb, 0u);
      EXPECT_EQ(tb, 0u);
    }
  }
}

TEST_F(TcpStreamTest, OneByteChunksReversedAndShuffled) {
  stream.OnSyn(0);
  for (size_t i = kText.size(); i-- > 0;) Seg(1 + uint32_t(i), kText.substr(i, 1));
  EXPECT_EQ(sink.out, kText);
  EXPECT_EQ(counters.out_of_order, kText.size() - 1);

  TcpStream s2;
  RecordingSink out2;
  s2.OnSyn(0);
  std::vector<size_t> order(kText.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::mt19937 rng(7);
  std::shuffle(order.begin(), order.end(), rng);
  for (size_t i : order)
    s2.OnSegment(1 + uint32_t(i), AsBytes(kText.substr(i, 1)), 0, out2, budget, counters);
  EXPECT_EQ(out2.out, kText);
  EXPECT_EQ(flow_buffered, 0u);
}

TEST_F(TcpStreamTest, RetransmissionDropped) {
  stream.OnSyn(0);
  Seg(1, "abc");
  Seg(1, "abc");
  Seg(2, "b");
  Seg(4, "def");
  EXPECT_EQ(sink.out, "abcdef");
  EXPECT_EQ(counters.retransmits, 2u);
}

TEST_F(TcpStreamTest, OverlapFirstCopyWins) {
  stream.OnSyn(0);
  Seg(1, "ab");
  Seg(5, "EFGH");    // buffered first
  Seg(3, "cdXXXX");  // overlaps the buffered bytes with different content
  EXPECT_EQ(sink.out, "abcdEFGH");
  EXPECT_GE(counters.overlaps, 1u);
  // Partly old segment: only the new tail is delivered.
  Seg(8, "HXYZ");
  EXPECT_EQ(sink.out, "abcdEFGHXYZ");
}

TEST_F(TcpStreamTest, OutOfOrderOverlappingBufferedSegments) {
  stream.OnSyn(0);
  Seg(5, "5678");
  Seg(3, "34xx");  // overlaps 5..6 of the buffered segment: the first copy stays
  Seg(9, "9");
  Seg(1, "12");
  EXPECT_EQ(sink.out, "123456789");
}

TEST_F(TcpStreamTest, GapReportedAtFlush) {
  stream.OnSyn(0);
  Seg(1, "abc");
  Seg(10, "jkl");  // bytes 4..9 never arrive
  EXPECT_EQ(sink.out, "abc");
  Flush();
  EXPECT_EQ(sink.out, "abc######jkl");
  EXPECT_EQ(counters.gaps, 1u);
  EXPECT_EQ(counters.gap_bytes, 6u);
  EXPECT_EQ(stream.buffered_bytes(), 0u);
}

TEST_F(TcpStreamTest, FinBeyondHoleIsGapAtFlush) {
  stream.OnSyn(0);
  Seg(1, "abc");
  stream.OnFin(8);  // 4 bytes missing before the FIN
  EXPECT_FALSE(stream.finished());
  Flush();
  EXPECT_EQ(sink.out, "abc####");
  EXPECT_TRUE(stream.finished());
}

TEST_F(TcpStreamTest, SequenceWrapAround) {
  const uint32_t isn = 0xFFFFFFF0u;
  stream.OnSyn(isn);
  std::string a(10, 'a'), b(10, 'b'), c(10, 'c');
  Seg(isn + 1, a);
  Seg(isn + 21, c);  // after the wrap, out of order
  Seg(isn + 11, b);  // crosses the wrap
  EXPECT_EQ(sink.out, a + b + c);
  EXPECT_EQ(stream.delivered(), 30u);
}

TEST_F(TcpStreamTest, MidStreamPickupStartsAtFirstSegment) {
  Seg(5000, "second half");
  Seg(4000, "old");  // before the pickup point: treated as already gone
  EXPECT_EQ(sink.out, "second half");
  EXPECT_EQ(counters.retransmits, 1u);
}

TEST_F(TcpStreamTest, BufferCapForcesGapAndStaysBounded) {
  uint32_t fb = 0;
  uint64_t tb = 0;
  ReassemblyBudget small{fb, 4096, tb, 1 << 30};
  stream.OnSyn(0);
  stream.OnSegment(1, AsBytes("x"), 0, sink, small, counters);
  std::string chunk(1000, 'y');
  // A hole at 2..101 that never fills; keep sending beyond it.
  for (uint32_t i = 0; i < 20; ++i) {
    stream.OnSegment(102 + i * 1000, AsBytes(chunk), 0, sink, small, counters);
    EXPECT_LE(fb, 4096u);
  }
  EXPECT_GE(counters.buffer_limit_hits, 1u);
  EXPECT_EQ(counters.gaps, 1u);
  EXPECT_EQ(counters.gap_bytes, 100u);
  Flush();
  EXPECT_EQ(sink.out.size(), 1 + 100 + 20 * 1000u);
  EXPECT_EQ(sink.out.substr(0, 2), "x#");
}

TEST_F(TcpStreamTest, GlobalCapIsShared) {
  uint32_t fa = 0, fb = 0;
  uint64_t total = 0;
  ReassemblyBudget ba{fa, 1 << 20, total, 3000};
  ReassemblyBudget bb{fb, 1 << 20, total, 3000};
  TcpStream a, b;
  RecordingSink sa, sb;
  a.OnSyn(0);
  b.OnSyn(0);
  std::string chunk(1000, 'z');
  a.OnSegment(100, AsBytes(chunk), 0, sa, ba, counters);
  a.OnSegment(2000, AsBytes(chunk), 0, sa, ba, counters);
  EXPECT_LE(total, 3000u);
  b.OnSegment(100, AsBytes(chunk), 0, sb, bb, counters);  // over the global cap
  EXPECT_LE(total, 3000u);
  EXPECT_EQ(counters.buffer_limit_hits, 1u);
  EXPECT_EQ(sb.out.size(), 99u + 1000u);  // gap then the segment
}

TEST_F(TcpStreamTest, SnaplenCutTailIsAGap) {
  stream.OnSyn(0);
  Seg(1, "abc", 5);
  EXPECT_EQ(sink.out, "abc#####");
  Seg(9, "next");
  EXPECT_EQ(sink.out, "abc#####next");
}

}  // namespace
}  // namespace mw::flow
