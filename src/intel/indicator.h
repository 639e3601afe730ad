// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Turns one token from a public list ("pool.example.com", "*.example.com", "1.2.3.0/24",
// "http://1.2.3.4:8080/x.sh", "host:3333", a sha256...) into a normalized indicator. Shared by
// every loader so all formats agree on what a domain, an IP or a URL host is.
#include <cstdint>
#include <string>
#include <string_view>

#include "mw/net/ip_address.h"

namespace mw::intel {

enum class TokenKind : uint8_t {
  kDomain,        // exact name
  kDomainSuffix,  // the name and all its subdomains
  kIp,
  kCidr,
  kNonNetwork,  // a hash or a wallet: a real indicator, but not one this store holds
  kSinkhole,    // 0.0.0.0, 127/8, ::, ::1: answers of blocking resolvers, never pools
  kInvalid,
};

// Why a token was not taken (kInvalid), or why a valid one was refused as too broad.
enum class RejectReason : uint8_t {
  kNone,
  kNotIndicator,  // empty, a regex, a URL without a host
  kBadHostName,   // not a syntactically valid host name
  kBadAddress,    // a broken IP or CIDR ("1.2.3.0/33")
  kBroadPrefix,   // IPv4 shorter than /8, IPv6 shorter than /16: matches (nearly) everything
  kPublicSuffix,  // "com", "co.uk", "*.github.io": every name under a public suffix
};
inline constexpr size_t kRejectReasons = 6;
std::string_view RejectReasonText(RejectReason r);  // "not a valid host name", ...

struct Token {
  TokenKind kind = TokenKind::kInvalid;
  // Normalized text: "example.com" (exact), "*.example.com" (suffix), "1.2.3.4",
  // "10.0.0.0/8", "2001:db8::/32". Empty unless kind is a network indicator.
  std::string pattern{};
  RejectReason reject = RejectReason::kNone;  // set when kind is kInvalid
};

// "subdomains": treat a bare name as the name and its subdomains.
Token ClassifyToken(std::string_view token, bool subdomains = false);

// Match-everything check for a valid network token: kBroadPrefix or kPublicSuffix (libpsl's
// built-in list, exact rules only, so an unknown TLD is not a suffix), else kNone.
RejectReason BroadReason(const Token& token);

// Lowercases "name", drops one trailing dot and checks the host name syntax (labels 1..63 of
// [a-z0-9-], not starting or ending with '-', total <= 253, at least two labels, a TLD of two
// or more letters or an A-label "xn--...", and not a file extension such as "js"). IDNs are
// converted to A-labels first (idn2). Returns false when it is not a host name.
bool NormalizeDomain(std::string_view name, std::string* out);

// Parses "a.b.c.d/len" or "v6/len". The host bits are cleared. Returns false on error.
bool ParseCidr(std::string_view text, IpAddress* network, int* prefix_len);

// Formats a network the way ClassifyToken and the store print it ("1.2.3.0/24", IPv4 lengths
// are 0..32, IPv6 0..128).
std::string CidrToString(const IpAddress& network, int prefix_len);
IpAddress MaskAddress(const IpAddress& address, int prefix_len);

// Trims ASCII whitespace plus the UTF-8 BOM, NBSP and zero-width/direction marks that
// copy-pasted IOC lists carry.
std::string_view TrimToken(std::string_view s);

}  // namespace mw::intel
