// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// IPv4 and IPv6 fragment reassembly with hard bounds: at most "max_datagrams" datagrams in
// progress (the oldest is evicted when full), at most "max_datagram_bytes" each, a bounded number
// of holes per datagram, and a timeout measured in packet time. Overlaps keep the first copy (as
// BSD stacks do) and are counted, since rewriting already-received bytes is an evasion trick.
//
// Buffers are allocated when a slot is first used and then reused, so the steady state does not
// allocate. Not thread-safe; one per decoder.
#include <array>
#include <cstdint>
#include <vector>

#include "decode/decode_counters.h"
#include "mw/core/byte_view.h"
#include "mw/net/flow_info.h"
#include "mw/net/ip_address.h"

namespace mw::decode {

struct FragmentConfig {
  uint32_t max_datagrams = 256;         // concurrent datagrams being reassembled
  uint32_t max_datagram_bytes = 65535;  // largest reassembled payload
  TimestampUs timeout_us = 30'000'000;  // incomplete datagrams are dropped after this
};

struct FragmentKey {
  IpAddress src;
  IpAddress dst;
  uint32_t id = 0;
  uint8_t proto = 0;  // IPv4 protocol / IPv6 next header after the fragment header
  uint8_t version = 4;
  friend bool operator==(const FragmentKey&, const FragmentKey&) = default;
};

class FragmentReassembler {
 public:
  FragmentReassembler(const FragmentConfig& config, DecodeCounters& counters);

  enum class Outcome : uint8_t { kHeld, kComplete, kDropped };
  // Adds the fragment carrying bytes ["offset", "offset"+size) of the datagram "key"; "more" is
  // the more-fragments flag. On kComplete "*out" views the whole payload, valid until the next
  // Add(). On kDropped the reason has been counted.
  Outcome Add(const FragmentKey& key, uint32_t offset, bool more, ByteView data, TimestampUs now,
              ByteView* out);
  // Drops datagrams older than the timeout. Cheap when nothing is due.
  void Expire(TimestampUs now) {
    if (now >= next_expiry_) ExpireDue(now);  // inline: runs for every packet
  }
  size_t in_progress() const { return used_; }

 private:
  void ExpireDue(TimestampUs now);
  static constexpr size_t kMaxRanges = 24;
  struct Range {
    uint32_t begin, end;
  };
  struct Slot {
    bool in_use = false;
    FragmentKey key;
    TimestampUs first_ts = 0;
    uint32_t total = 0;  // known once the last fragment arrived
    bool have_last = false;
    uint8_t n_ranges = 0;
    std::array<Range, kMaxRanges> ranges;  // received bytes, sorted and coalesced
    std::vector<uint8_t> buffer;
  };
  Slot* Find(const FragmentKey& key);
  Slot* Allocate(const FragmentKey& key, TimestampUs now);
  void Release(Slot& s);
  // Copies "data" at "offset" into the holes only; returns false when the range list overflows.
  bool Insert(Slot& s, uint32_t offset, ByteView data);

  FragmentConfig config_;
  DecodeCounters& counters_;
  std::vector<Slot> slots_;
  size_t used_ = 0;
  TimestampUs next_expiry_ = INT64_MAX;
  std::vector<uint8_t> output_;  // the last completed datagram
};

}  // namespace mw::decode
