// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// A count of entries per hashed key, kept beside a map that most lookups miss (every new flow
// asks the resolution cache, every flow end asks the mining sessions): a zero count answers
// "certainly not there" from 2^Bits cache-resident counters, without the map's bucket miss.
#include <array>
#include <cstddef>
#include <cstdint>

namespace mw {

template <int Bits>
class CountingFilter {
 public:
  void Add(uint64_t hash) { ++counts_[Slot(hash)]; }
  // Only for a hash that was added and not removed since.
  void Remove(uint64_t hash) { --counts_[Slot(hash)]; }
  bool MayContain(uint64_t hash) const { return counts_[Slot(hash)] != 0; }

 private:
  // The top bits of a multiplicative hash: the low bits of IpAddressHash (IPv4) and of
  // sequential flow ids say little.
  static size_t Slot(uint64_t hash) {
    return size_t((hash * 0x9E3779B97F4A7C15ULL) >> (64 - Bits));
  }
  std::array<uint32_t, size_t{1} << Bits> counts_{};
};

}  // namespace mw
