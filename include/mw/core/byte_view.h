// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Non-owning views over packet and stream bytes. Data-plane code passes these, never copies.
#include <cstdint>
#include <span>
#include <string_view>

namespace mw {

using ByteView = std::span<const uint8_t>;

inline std::string_view AsChars(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
inline ByteView AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Big-endian readers. REQUIRES: "p" has at least 2/4 readable bytes.
inline uint16_t LoadBe16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
inline uint32_t LoadBe32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

}  // namespace mw
