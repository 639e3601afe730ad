// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "decode/ip_fragments.h"

#include <gtest/gtest.h>

#include <vector>

namespace mw::decode {
namespace {

FragmentKey Key(uint32_t id) {
  return FragmentKey{IpAddress::FromV4(0x0a000001), IpAddress::FromV4(0x0a000002), id, 17, 4};
}

class FragmentTest : public ::testing::Test {
 protected:
  using Outcome = FragmentReassembler::Outcome;
  Outcome Add(FragmentReassembler& r, uint32_t id, uint32_t off, bool more, size_t len,
              TimestampUs now = 0, uint8_t fill = 'a') {
    std::vector<uint8_t> data(len, fill);
    return r.Add(Key(id), off, more, ByteView(data), now, &out);
  }
  uint64_t Dropped(DropReason r) const { return counters.dropped[size_t(r)]; }

  DecodeCounters counters;
  ByteView out;
};

TEST_F(FragmentTest, TableFullEvictsOldest) {
  FragmentReassembler r({.max_datagrams = 4}, counters);
  for (uint32_t id = 0; id < 10; ++id) EXPECT_EQ(Add(r, id, 0, true, 8, id), Outcome::kHeld);
  EXPECT_EQ(r.in_progress(), 4u);
  EXPECT_EQ(Dropped(DropReason::kFragEvicted), 6u);
  EXPECT_EQ(Add(r, 9, 8, false, 8, 10), Outcome::kComplete);  // newest survived
  EXPECT_EQ(out.size(), 16u);
}

TEST_F(FragmentTest, TimeoutDropsIncompleteDatagrams) {
  FragmentReassembler r({.timeout_us = 1000}, counters);
  EXPECT_EQ(Add(r, 1, 0, true, 8, 0), Outcome::kHeld);
  r.Expire(999);
  EXPECT_EQ(r.in_progress(), 1u);
  r.Expire(1000);
  EXPECT_EQ(r.in_progress(), 0u);
  EXPECT_EQ(Dropped(DropReason::kFragTimeout), 1u);
  // The late tail alone does not complete anything.
  EXPECT_EQ(Add(r, 1, 8, false, 8, 1001), Outcome::kHeld);
}

TEST_F(FragmentTest, BoundsEnforced) {
  FragmentReassembler r({.max_datagram_bytes = 1000}, counters);
  EXPECT_EQ(Add(r, 1, 992, true, 16), Outcome::kDropped);
  EXPECT_EQ(Dropped(DropReason::kFragBadOffset), 1u);
  EXPECT_EQ(Add(r, 2, 0, true, 7), Outcome::kDropped);
  EXPECT_EQ(Dropped(DropReason::kFragBadLength), 1u);
  // Many separate holes: the range list is bounded.
  Outcome last = Outcome::kHeld;
  for (uint32_t i = 0; i < 60 && last == Outcome::kHeld; ++i) last = Add(r, 3, i * 16, true, 8);
  EXPECT_EQ(last, Outcome::kDropped);
  EXPECT_EQ(Dropped(DropReason::kFragTooManyPieces), 1u);
  EXPECT_EQ(r.in_progress(), 0u);
}

TEST_F(FragmentTest, InconsistentEndDropped) {
  FragmentReassembler r({}, counters);
  EXPECT_EQ(Add(r, 1, 16, false, 8), Outcome::kHeld);
  EXPECT_EQ(Add(r, 1, 32, true, 8), Outcome::kDropped);
  EXPECT_EQ(Dropped(DropReason::kFragInconsistent), 1u);
}

TEST_F(FragmentTest, DuplicatesAndAnyOrderComplete) {
  FragmentReassembler r({}, counters);
  EXPECT_EQ(Add(r, 1, 16, true, 16, 0, 'c'), Outcome::kHeld);
  EXPECT_EQ(Add(r, 1, 16, true, 16, 0, 'z'), Outcome::kHeld);  // duplicate, different bytes
  EXPECT_EQ(Add(r, 1, 32, false, 5, 0, 'd'), Outcome::kHeld);
  ASSERT_EQ(Add(r, 1, 0, true, 16, 0, 'a'), Outcome::kComplete);
  std::string s(AsChars(out));
  EXPECT_EQ(s, std::string(16, 'a') + std::string(16, 'c') + std::string(5, 'd'));
}

}  // namespace
}  // namespace mw::decode
