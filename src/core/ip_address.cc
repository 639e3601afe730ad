// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "mw/net/ip_address.h"

#include <arpa/inet.h>

namespace mw {
namespace {
constexpr uint8_t kV4Prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
}

IpAddress IpAddress::FromV4(const uint8_t* four_bytes) {
  IpAddress a;
  std::memcpy(a.bytes_.data(), kV4Prefix, 12);
  std::memcpy(a.bytes_.data() + 12, four_bytes, 4);
  return a;
}

IpAddress IpAddress::FromV4(uint32_t host_order) {
  uint8_t b[4] = {uint8_t(host_order >> 24), uint8_t(host_order >> 16), uint8_t(host_order >> 8),
                  uint8_t(host_order)};
  return FromV4(b);
}

IpAddress IpAddress::FromV6(const uint8_t* sixteen_bytes) {
  IpAddress a;
  std::memcpy(a.bytes_.data(), sixteen_bytes, 16);
  return a;
}

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  char buf[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof(buf)) return std::nullopt;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  uint8_t out[16];
  if (text.find(':') == std::string_view::npos) {
    if (inet_pton(AF_INET, buf, out) == 1) return FromV4(out);
    return std::nullopt;
  }
  if (inet_pton(AF_INET6, buf, out) == 1) return FromV6(out);
  return std::nullopt;
}

bool IpAddress::is_v4() const { return std::memcmp(bytes_.data(), kV4Prefix, 12) == 0; }

uint32_t IpAddress::v4() const { return LoadV4(); }

uint32_t IpAddress::LoadV4() const {
  const uint8_t* p = bytes_.data() + 12;
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

bool IpAddress::IsUnspecifiedOrLoopback() const {
  if (is_v4()) {
    uint32_t v = LoadV4();
    return v == 0 || (v >> 24) == 127;
  }
  static constexpr std::array<uint8_t, 16> kZero{};
  std::array<uint8_t, 16> one{};
  one[15] = 1;
  return bytes_ == kZero || bytes_ == one;
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN];
  if (is_v4()) {
    inet_ntop(AF_INET, bytes_.data() + 12, buf, sizeof(buf));
  } else {
    inet_ntop(AF_INET6, bytes_.data(), buf, sizeof(buf));
  }
  return buf;
}

}  // namespace mw
