// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// An IPv4 or IPv6 address as a 16-byte value. IPv4 is stored IPv4-mapped (::ffff:a.b.c.d) so
// flow keys, intel lookups and maps need one code path. Trivially copyable; no allocation.
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace mw {

class IpAddress {
 public:
  IpAddress() = default;
  static IpAddress FromV4(const uint8_t* four_bytes);
  static IpAddress FromV4(uint32_t host_order);
  static IpAddress FromV6(const uint8_t* sixteen_bytes);
  // Parses dotted IPv4 or textual IPv6. Returns nullopt on anything else.
  static std::optional<IpAddress> Parse(std::string_view text);

  bool is_v4() const;
  // REQUIRES: is_v4().
  uint32_t v4() const;  // host byte order
  const std::array<uint8_t, 16>& bytes() const { return bytes_; }
  // 0.0.0.0, 127/8, ::, ::1 — DNS sinkhole answers, never pools.
  bool IsUnspecifiedOrLoopback() const;
  std::string ToString() const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;
  friend auto operator<=>(const IpAddress& a, const IpAddress& b) = default;

 private:
  uint32_t LoadV4() const;
  std::array<uint8_t, 16> bytes_{};
};

struct IpAddressHash {
  size_t operator()(const IpAddress& a) const noexcept {
    uint64_t lo, hi;
    std::memcpy(&lo, a.bytes().data(), 8);
    std::memcpy(&hi, a.bytes().data() + 8, 8);
    uint64_t h = hi * 0x9E3779B97F4A7C15ULL ^ (lo + 0x632BE59BD9B4E019ULL);
    return size_t(h ^ (h >> 29));
  }
};

}  // namespace mw
