// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "intel/indicator.h"

#include <idn2.h>
#include <libpsl.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <string>
#include <unordered_set>
#include <vector>

namespace mw::intel {
namespace {

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool IsBase58(char c) {
  return (c >= '1' && c <= '9') || (c >= 'A' && c <= 'Z' && c != 'I' && c != 'O') ||
         (c >= 'a' && c <= 'z' && c != 'l');
}

// md5, sha1, sha256, sha512.
bool LooksLikeHash(std::string_view s) {
  if (s.size() != 32 && s.size() != 40 && s.size() != 64 && s.size() != 128) return false;
  for (char c : s) {
    if (!IsHex(c)) return false;
  }
  return true;
}

// Monero standard/integrated addresses (95/106 chars from 4 or 8) and long base58 strings of
// other coins: wallet IOCs, which campaign reports list next to pools.
bool LooksLikeWallet(std::string_view s) {
  if (s.size() < 26 || s.size() > 110) return false;
  for (char c : s) {
    if (!IsBase58(c)) return false;
  }
  if (s.size() == 95 || s.size() == 106) return s[0] == '4' || s[0] == '8';
  // Bitcoin base58 addresses: 1... or 3..., 26-35 chars.
  return s.size() <= 35 && (s[0] == '1' || s[0] == '3');
}

// Suffixes of file names in IOC keyword lists ("coinhive.min.js") that are not TLDs. Real
// TLDs that double as extensions (.zip, .mov, .sh) are deliberately absent.
bool IsFileExtension(std::string_view tld) {
  static constexpr std::array<std::string_view, 18> kExt = {
      "js",  "wasm", "php", "html", "htm", "asp", "aspx", "jsp", "css",
      "exe", "dll",  "txt", "json", "png", "jpg", "gif",  "bat", "ps1"};
  for (auto e : kExt) {
    if (tld == e) return true;
  }
  return false;
}

bool ParseIpMaybeBracketed(std::string_view s, IpAddress* out) {
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  auto ip = IpAddress::Parse(s);
  if (!ip) return false;
  *out = *ip;
  return true;
}

// "host", "host:port", "[v6]:port", "v6" → the host part.
std::string_view StripPort(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    auto close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  auto first = host.find(':');
  if (first == std::string_view::npos) return host;
  if (host.find(':', first + 1) != std::string_view::npos) return host;  // bare IPv6
  return host.substr(0, first);
}

// The rules of the list libpsl was built from (psl_builtin_filename(): Debian's
// /usr/share/publicsuffix/public_suffix_list.dat), as hash sets: a name can be a public suffix
// only if it is a rule or its parent has a "*." rule. A lookup in libpsl costs ~1 µs, a hash
// probe ~20 ns, and nearly every name of a list is neither, so libpsl is asked only about the
// few that pass. Without the file every name goes to libpsl (slower, same answers).
struct SuffixIndex {
  bool loaded = false;
  std::deque<std::string> storage;  // what the views point into (a deque never moves them)
  std::unordered_set<std::string_view> rules;             // "co.uk", "github.io", "xn--55qx5d.cn"
  std::unordered_set<std::string_view> wildcard_parents;  // "ck" for "*.ck"
  // One bit per hash of every rule and parent, 32 KiB: most names are answered here without
  // touching the sets (their buckets are cache misses).
  std::vector<uint64_t> bits = std::vector<uint64_t>(kBloomWords, 0);
  static constexpr size_t kBloomWords = 1 << 12;
  static uint64_t Hash(std::string_view s, uint64_t salt) {
    uint64_t h = 1469598103934665603ull ^ salt;  // FNV-1a
    for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    return h >> (64 - 18);  // 2^18 bits = kBloomWords * 64
  }
  void Mark(std::string_view s, uint64_t salt) {
    uint64_t b = Hash(s, salt);
    bits[b >> 6] |= 1ull << (b & 63);
  }
  bool Maybe(std::string_view s, uint64_t salt) const {
    uint64_t b = Hash(s, salt);
    return (bits[b >> 6] >> (b & 63)) & 1;
  }
};

std::string RuleToAscii(std::string_view rule) {
  std::string r(rule);
  if (std::all_of(r.begin(), r.end(), [](char c) { return (c & 0x80) == 0; })) {
    for (char& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return r;
  }
  char* ascii = nullptr;
  if (idn2_to_ascii_8z(r.c_str(), &ascii, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL) != IDN2_OK) {
    return {};
  }
  std::string out(ascii);
  idn2_free(ascii);
  return out;
}

const SuffixIndex& Suffixes() {
  static const SuffixIndex* index = [] {
    auto* idx = new SuffixIndex;
    const char* path = psl_builtin_filename();
    std::ifstream in(path ? path : "");
    std::string line;
    while (in && std::getline(in, line)) {
      std::string_view rule = TrimToken(line);
      rule = rule.substr(0, rule.find_first_of(" \t"));
      if (rule.empty() || rule.starts_with("//") || rule.starts_with('!')) continue;
      bool wildcard = rule.starts_with("*.");
      if (wildcard) rule.remove_prefix(2);
      std::string ascii = RuleToAscii(rule);
      if (ascii.empty()) continue;
      std::string_view kept = idx->storage.emplace_back(std::move(ascii));
      if (wildcard) {
        idx->wildcard_parents.insert(kept);
        idx->Mark(kept, 1);
      }
      idx->rules.insert(kept);
      idx->Mark(kept, 0);
    }
    idx->loaded = !idx->rules.empty();
    return idx;
  }();
  return *index;
}

// libpsl decides, exact rules only: with the "*" default rule every unknown TLD ("pool") would
// count as a suffix. Both ICANN and private sections ("github.io").
bool IsPublicSuffix(std::string_view name) {
  // The longest rules have five labels.
  if (name.empty() || name.size() >= 256 || std::count(name.begin(), name.end(), '.') > 4) {
    return false;
  }
  char buf[256];
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    buf[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  }
  buf[name.size()] = '\0';
  std::string_view lower(buf, name.size());
  if (const SuffixIndex& idx = Suffixes(); idx.loaded) {
    size_t dot = lower.find('.');
    std::string_view parent =
        dot == std::string_view::npos ? std::string_view() : lower.substr(dot + 1);
    bool rule = idx.Maybe(lower, 0) && idx.rules.count(lower);
    if (!rule && !(idx.Maybe(parent, 1) && idx.wildcard_parents.count(parent))) return false;
  }
  static const psl_ctx_t* psl = psl_builtin();
  return psl && psl_is_public_suffix2(psl, buf, PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE);
}

Token Invalid(RejectReason why) { return {TokenKind::kInvalid, {}, why}; }

// Real TLDs are letters only ("com", "xyz") or an IDN A-label ("xn--p1ai"); "3.p" and "a.1b"
// are list junk, not names.
bool ValidTld(std::string_view tld) {
  if (tld.size() < 2) return false;
  if (tld.starts_with("xn--")) return tld.size() > 4;
  return std::all_of(tld.begin(), tld.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

Token FromIp(const IpAddress& ip) {
  if (ip.IsUnspecifiedOrLoopback()) return {TokenKind::kSinkhole, {}};
  return {TokenKind::kIp, ip.ToString()};
}

// A host (domain or IP, possibly "*."-prefixed) with any URL decoration already removed.
Token ClassifyHost(std::string_view host, bool subdomains) {
  host = StripPort(host);
  IpAddress ip;
  if (ParseIpMaybeBracketed(host, &ip)) return FromIp(ip);
  bool suffix = subdomains;
  if (host.starts_with("*.")) {
    host.remove_prefix(2);
    suffix = true;
  } else if (host.starts_with(".")) {
    host.remove_prefix(1);
    suffix = true;
  }
  std::string name;
  if (!NormalizeDomain(host, &name)) {
    // "com": never a host name, but say why it is wrong in the terms the user meant it.
    bool tld = host.size() < 64 && host.find('.') == std::string_view::npos;
    return Invalid(tld && IsPublicSuffix(host) ? RejectReason::kPublicSuffix
                                               : RejectReason::kBadHostName);
  }
  if (suffix) return {TokenKind::kDomainSuffix, "*." + name};
  return {TokenKind::kDomain, std::move(name)};
}

}  // namespace

std::string_view RejectReasonText(RejectReason r) {
  switch (r) {
    case RejectReason::kNone:
      return "accepted";
    case RejectReason::kNotIndicator:
      return "not an indicator";
    case RejectReason::kBadHostName:
      return "not a valid host name";
    case RejectReason::kBadAddress:
      return "not a valid IP address or CIDR";
    case RejectReason::kBroadPrefix:
      return "prefix shorter than /8 (IPv4) or /16 (IPv6): matches nearly every address";
    case RejectReason::kPublicSuffix:
      return "a public suffix: matches every name registered under it";
  }
  return "?";
}

RejectReason BroadReason(const Token& token) {
  if (token.kind == TokenKind::kCidr) {
    IpAddress net;
    int len = 0;
    if (!ParseCidr(token.pattern, &net, &len)) return RejectReason::kNone;
    return len < (net.is_v4() ? 8 : 16) ? RejectReason::kBroadPrefix : RejectReason::kNone;
  }
  if (token.kind != TokenKind::kDomain && token.kind != TokenKind::kDomainSuffix) {
    return RejectReason::kNone;
  }
  std::string_view name = token.pattern;
  if (name.starts_with("*.")) name.remove_prefix(2);
  return IsPublicSuffix(name) ? RejectReason::kPublicSuffix : RejectReason::kNone;
}

std::string_view TrimToken(std::string_view s) {
  auto strip_front = [](std::string_view& v) {
    if (v.empty()) return false;
    unsigned char c = static_cast<unsigned char>(v[0]);
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f') {
      v.remove_prefix(1);
      return true;
    }
    if (v.starts_with("\xEF\xBB\xBF") || v.starts_with("\xE2\x80\x8B") ||
        v.starts_with("\xE2\x80\x8E") || v.starts_with("\xE2\x80\x8F")) {
      v.remove_prefix(3);
      return true;
    }
    if (v.starts_with("\xC2\xA0")) {
      v.remove_prefix(2);
      return true;
    }
    return false;
  };
  auto strip_back = [](std::string_view& v) {
    if (v.empty()) return false;
    unsigned char c = static_cast<unsigned char>(v.back());
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f') {
      v.remove_suffix(1);
      return true;
    }
    if (v.ends_with("\xEF\xBB\xBF") || v.ends_with("\xE2\x80\x8B") || v.ends_with("\xE2\x80\x8E") ||
        v.ends_with("\xE2\x80\x8F")) {
      v.remove_suffix(3);
      return true;
    }
    if (v.ends_with("\xC2\xA0")) {
      v.remove_suffix(2);
      return true;
    }
    return false;
  };
  while (strip_front(s)) {
  }
  while (strip_back(s)) {
  }
  return s;
}

bool NormalizeDomain(std::string_view name, std::string* out) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > 253) return false;
  // Internationalized names ("myètherwället.com" in CoinBlockerLists) become their A-label
  // form, which is what DNS queries and TLS SNI carry.
  if (std::any_of(name.begin(), name.end(), [](char c) { return (c & 0x80) != 0; })) {
    std::string input(name);
    char* ascii = nullptr;
    if (idn2_to_ascii_8z(input.c_str(), &ascii, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL) != IDN2_OK) {
      return false;
    }
    std::string converted(ascii);
    idn2_free(ascii);
    if (std::any_of(converted.begin(), converted.end(), [](char c) { return (c & 0x80) != 0; })) {
      return false;
    }
    return NormalizeDomain(converted, out);
  }
  out->clear();
  out->reserve(name.size());
  size_t label_len = 0;
  size_t labels = 1;
  size_t last_label_start = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c == '.') {
      if (label_len == 0) return false;
      label_len = 0;
      ++labels;
      last_label_start = i + 1;
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') {
      if (c == '-' && label_len == 0) return false;
      if (++label_len > 63) return false;
    } else {
      return false;
    }
    out->push_back(c);
    if (c == '.' && i > 0 && name[i - 1] == '-') return false;  // label ending with '-'
  }
  if (label_len == 0 || labels < 2 || out->back() == '-') return false;
  std::string_view tld = std::string_view(*out).substr(last_label_start);
  return ValidTld(tld) && !IsFileExtension(tld);
}

IpAddress MaskAddress(const IpAddress& address, int prefix_len) {
  std::array<uint8_t, 16> b = address.bytes();
  int bits = address.is_v4() ? prefix_len + 96 : prefix_len;
  for (int i = 0; i < 16; ++i) {
    int keep = bits - i * 8;
    if (keep >= 8) continue;
    b[i] = keep <= 0 ? 0 : static_cast<uint8_t>(b[i] & (0xFF << (8 - keep)));
  }
  return IpAddress::FromV6(b.data());
}

std::string CidrToString(const IpAddress& network, int prefix_len) {
  return network.ToString() + "/" + std::to_string(prefix_len);
}

bool ParseCidr(std::string_view text, IpAddress* network, int* prefix_len) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return false;
  auto ip = IpAddress::Parse(text.substr(0, slash));
  if (!ip) return false;
  std::string_view len_text = text.substr(slash + 1);
  int len = -1;
  auto [ptr, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  if (ec != std::errc() || ptr != len_text.data() + len_text.size()) return false;
  int max = ip->is_v4() ? 32 : 128;
  if (len < 0 || len > max) return false;
  *network = MaskAddress(*ip, len);
  *prefix_len = len;
  return true;
}

Token ClassifyToken(std::string_view token, bool subdomains) {
  token = TrimToken(token);
  // Quotes and brackets from CSV/Python-list dumps: "'pool.com'", "[pool.com]".
  while (token.size() >= 2 && (token.front() == '\'' || token.front() == '"') &&
         token.back() == token.front()) {
    token = TrimToken(token.substr(1, token.size() - 2));
  }
  if (token.empty()) return Invalid(RejectReason::kNotIndicator);

  // Regex-style names from sandbox signatures: "^.*\.nanopool\.org$" → "*.nanopool.org".
  std::string unescaped;
  if (token.find("\\.") != std::string_view::npos) {
    std::string_view t = token;
    if (t.starts_with('^')) t.remove_prefix(1);
    if (t.ends_with('$')) t.remove_suffix(1);
    for (size_t i = 0; i < t.size(); ++i) {
      if (t[i] == '\\' && i + 1 < t.size() && t[i + 1] == '.') continue;
      unescaped.push_back(t[i]);
    }
    if (unescaped.starts_with(".*.")) unescaped.erase(0, 1);
    if (unescaped.find_first_of("()[]{}+?|\\$^") != std::string::npos ||
        unescaped.find(".*") != std::string::npos) {
      return Invalid(RejectReason::kNotIndicator);
    }
    token = unescaped;
  }

  if (LooksLikeHash(token) || LooksLikeWallet(token)) return {TokenKind::kNonNetwork, {}};

  // URLs, including adblock-ish "*://*.host/path*" and "stratum+tcp://host:3333".
  std::string_view rest = token;
  if (auto scheme = rest.find("://"); scheme != std::string_view::npos) {
    rest = rest.substr(scheme + 3);
  } else if (rest.starts_with("//")) {
    rest.remove_prefix(2);
  }
  if (rest.size() != token.size() || rest.find_first_of("/?#") != std::string_view::npos) {
    // Bare "host/path" too: IOC feeds drop the scheme. An IPv6 CIDR also has a '/', so try
    // that first.
    IpAddress net;
    int len = 0;
    if (rest.size() == token.size() && ParseCidr(token, &net, &len)) {
      int max = net.is_v4() ? 32 : 128;
      if (len == max) return FromIp(net);
      return {TokenKind::kCidr, CidrToString(net, len)};
    }
    if (rest.size() == token.size()) {
      // "1.2.3.0/33", "1.2.3.0/-1": a broken CIDR, not an address with a path.
      size_t slash = token.find('/');
      std::string_view after = token.substr(slash + 1);
      if (after.starts_with('-')) after.remove_prefix(1);
      if (slash != std::string_view::npos && IpAddress::Parse(token.substr(0, slash)) &&
          (after.empty() || after.find_first_not_of("0123456789") == std::string_view::npos)) {
        return Invalid(RejectReason::kBadAddress);
      }
    }
    std::string_view host = rest.substr(0, rest.find_first_of("/?#"));
    if (auto at = host.rfind('@'); at != std::string_view::npos) host = host.substr(at + 1);
    // "*://coinhive.com/lib*" has the wildcard in the path: the host is still exact.
    if (host.empty()) return Invalid(RejectReason::kNotIndicator);
    return ClassifyHost(host, subdomains);
  }
  return ClassifyHost(token, subdomains);
}

}  // namespace mw::intel
