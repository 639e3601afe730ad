// minerwatch — SPDX-License-Identifier: Apache-2.0
// The rule header: action, protocol, addresses, ports and direction, with variables resolved.
#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "rules/rule_internal.h"

namespace mw::rules::internal {
namespace {

// A variable may name other variables ($EXTERNAL_NET = !$HOME_NET); the cap stops a loop
// ($A = $B, $B = $A) without tracking which names are on the way.
// Lists nest too ("[[a,b],c]"); the same cap bounds the recursion on hostile text.
constexpr int kMaxVarDepth = 16;

Error Invalid(std::string m) { return Error::InvalidArgument(std::move(m)); }

std::array<uint8_t, 16> Mapped(const in_addr& a) {
  std::array<uint8_t, 16> out{};
  out[10] = out[11] = 0xff;
  std::memcpy(out.data() + 12, &a, 4);
  return out;
}

Result<std::pair<std::array<uint8_t, 16>, bool>> ParseIp(std::string_view text) {
  std::string s(text);
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) return std::make_pair(Mapped(v4), false);
  std::array<uint8_t, 16> v6{};
  if (inet_pton(AF_INET6, s.c_str(), v6.data()) == 1) return std::make_pair(v6, true);
  return Fail(Invalid("invalid address '" + s + "'"));
}

// Sets the host bits below "prefix" (counted in the 128-bit form) in "last" and clears them in
// "first", turning one address into its CIDR block.
void ApplyPrefix(IpRange& r, int prefix) {
  for (int bit = prefix; bit < 128; ++bit) {
    uint8_t mask = uint8_t(0x80 >> (bit % 8));
    r.first[bit / 8] &= uint8_t(~mask);
    r.last[bit / 8] |= mask;
  }
}

Result<IpRange> ParseIpRange(std::string_view text) {
  IpRange r;
  if (auto dash = text.find('-'); dash != std::string_view::npos) {
    MW_ASSIGN(lo, ParseIp(text.substr(0, dash)));
    MW_ASSIGN(hi, ParseIp(text.substr(dash + 1)));
    if (lo.second != hi.second) return Fail(Invalid("address range mixes IPv4 and IPv6"));
    if (hi.first < lo.first)
      return Fail(Invalid("address range '" + std::string(text) + "' is reversed"));
    r.first = lo.first;
    r.last = hi.first;
    r.v6 = lo.second;
    return r;
  }
  std::string_view addr = text;
  std::optional<int64_t> prefix;
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    addr = text.substr(0, slash);
    MW_ASSIGN(len, ParseInt(text.substr(slash + 1), 0, 128));
    prefix = len;
  }
  MW_ASSIGN(ip, ParseIp(addr));
  r.first = r.last = ip.first;
  r.v6 = ip.second;
  if (prefix) {
    if (!r.v6 && *prefix > 32) return Fail(Invalid("IPv4 prefix longer than 32"));
    ApplyPrefix(r, int(r.v6 ? *prefix : *prefix + 96));
  }
  return r;
}

Status CheckDepth(int depth) {
  if (depth >= kMaxVarDepth) return Fail(Invalid("variables or lists nest too deeply (a loop?)"));
  return Ok();
}

Result<std::string_view> LookupVar(std::string_view name, const Vars& vars, int depth) {
  MW_TRY(CheckDepth(depth));
  auto it = vars.find(name);
  if (it == vars.end()) return Fail(Invalid("undefined variable $" + std::string(name)));
  return std::string_view(it->second);
}

bool IsList(std::string_view s) { return s.size() >= 2 && s.front() == '[' && s.back() == ']'; }

// Negation is carried down as a parity: "![a,!b]" excludes a and includes b, as Suricata reads it.
Status CollectAddresses(std::string_view text, const Vars& vars, bool negated, int depth,
                        AddressSpec& out) {
  text = Trim(text);
  MW_TRY(CheckDepth(depth));
  if (text.empty()) return Fail(Invalid("empty address"));
  if (text.front() == '!') return CollectAddresses(text.substr(1), vars, !negated, depth + 1, out);
  if (IsList(text)) {
    for (auto item : SplitTopLevel(text.substr(1, text.size() - 2), ','))
      MW_TRY(CollectAddresses(item, vars, negated, depth + 1, out));
    return Ok();
  }
  if (text.front() == '$') {
    MW_ASSIGN(value, LookupVar(text.substr(1), vars, depth));
    return CollectAddresses(value, vars, negated, depth + 1, out);
  }
  if (text == "any") {
    if (negated) return Fail(Invalid("'!any' matches nothing"));
    out.any = true;
    return Ok();
  }
  MW_ASSIGN(range, ParseIpRange(text));
  range.negated = negated;
  out.ranges.push_back(range);
  return Ok();
}

Result<uint16_t> ParsePort(std::string_view s) {
  MW_ASSIGN(n, ParseInt(s, 0, 65535));
  return uint16_t(n);
}

Result<PortRange> ParsePortRange(std::string_view text) {
  PortRange r;
  auto colon = text.find(':');
  if (colon == std::string_view::npos) {
    MW_ASSIGN(port, ParsePort(text));
    r.first = r.last = port;
    return r;
  }
  std::string_view lo = Trim(text.substr(0, colon)), hi = Trim(text.substr(colon + 1));
  if (lo.empty() && hi.empty()) return Fail(Invalid("invalid port range ':'"));
  if (!lo.empty()) {
    MW_ASSIGN(first, ParsePort(lo));
    r.first = first;
  }
  if (!hi.empty()) {
    MW_ASSIGN(last, ParsePort(hi));
    r.last = last;
  }
  if (r.last < r.first) return Fail(Invalid("port range '" + std::string(text) + "' is reversed"));
  return r;
}

Status CollectPorts(std::string_view text, const Vars& vars, bool negated, int depth,
                    PortSpec& out) {
  text = Trim(text);
  MW_TRY(CheckDepth(depth));
  if (text.empty()) return Fail(Invalid("empty port"));
  if (text.front() == '!') return CollectPorts(text.substr(1), vars, !negated, depth + 1, out);
  if (IsList(text)) {
    for (auto item : SplitTopLevel(text.substr(1, text.size() - 2), ','))
      MW_TRY(CollectPorts(item, vars, negated, depth + 1, out));
    return Ok();
  }
  if (text.front() == '$') {
    MW_ASSIGN(value, LookupVar(text.substr(1), vars, depth));
    return CollectPorts(value, vars, negated, depth + 1, out);
  }
  if (text == "any") {
    if (negated) return Fail(Invalid("'!any' matches no port"));
    out.any = true;
    return Ok();
  }
  MW_ASSIGN(range, ParsePortRange(text));
  range.negated = negated;
  out.ranges.push_back(range);
  return Ok();
}

Result<Action> ParseAction(std::string_view s) {
  if (s == "alert") return Action::kAlert;
  if (s == "drop") return Action::kDrop;
  if (s == "pass") return Action::kPass;
  if (s == "reject" || s == "rejectsrc" || s == "rejectdst" || s == "rejectboth")
    return Action::kReject;
  return Fail(Invalid("unknown action '" + std::string(s) + "'"));
}

Result<Protocol> ParseProtocol(std::string_view s) {
  static constexpr std::pair<std::string_view, Protocol> kProtocols[] = {
      {"ip", Protocol::kIp},
      {"pkthdr", Protocol::kIp},
      {"tcp", Protocol::kTcp},
      {"udp", Protocol::kUdp},
      {"icmp", Protocol::kIcmp},
      {"tcp-pkt", Protocol::kTcpPkt},
      {"tcp-stream", Protocol::kTcpStream},
      {"dns", Protocol::kDns},
      {"tls", Protocol::kTls},
      {"http", Protocol::kHttp},
      {"http1", Protocol::kHttp1}};
  for (const auto& [name, proto] : kProtocols)
    if (s == name) return proto;
  return Fail(Error::Unsupported("protocol '" + std::string(s) + "' is not supported"));
}

// Whitespace splits the header except inside brackets: "[1.1.1.1, 2.2.2.2]" is one field.
std::vector<std::string_view> HeaderFields(std::string_view header) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < header.size()) {
    while (i < header.size() && (header[i] == ' ' || header[i] == '\t')) ++i;
    if (i >= header.size()) break;
    size_t start = i;
    int depth = 0;
    for (; i < header.size(); ++i) {
      char c = header[i];
      if (c == '[') ++depth;
      if (c == ']') --depth;
      if ((c == ' ' || c == '\t') && depth <= 0) break;
    }
    fields.push_back(header.substr(start, i - start));
  }
  return fields;
}

// A spec of only exclusions ("!$HOME_NET") matches every other address.
template <typename Spec>
void AnyUnlessIncluded(Spec& spec) {
  bool has_include =
      std::any_of(spec.ranges.begin(), spec.ranges.end(), [](const auto& r) { return !r.negated; });
  if (!has_include) spec.any = true;
}

}  // namespace

Result<AddressSpec> ParseAddressSpec(std::string_view text, const Vars& vars) {
  AddressSpec spec;
  MW_TRY(CollectAddresses(text, vars, false, 0, spec));
  AnyUnlessIncluded(spec);
  return spec;
}

Result<PortSpec> ParsePortSpec(std::string_view text, const Vars& vars) {
  PortSpec spec;
  MW_TRY(CollectPorts(text, vars, false, 0, spec));
  AnyUnlessIncluded(spec);
  return spec;
}

Status ParseHeader(std::string_view header, const Vars& vars, Rule& rule) {
  auto fields = HeaderFields(header);
  if (fields.size() != 7)
    return Fail(Invalid("header needs 7 fields (action proto src sport -> dst dport), found " +
                        std::to_string(fields.size())));
  MW_ASSIGN(action, ParseAction(fields[0]));
  MW_ASSIGN(protocol, ParseProtocol(fields[1]));
  rule.action = action;
  rule.protocol = protocol;
  if (fields[4] == "->") {
    rule.direction = Direction::kForward;
  } else if (fields[4] == "<>") {
    rule.direction = Direction::kBoth;
  } else {
    return Fail(Invalid("direction must be -> or <>, not '" + std::string(fields[4]) + "'"));
  }
  MW_ASSIGN(source, ParseAddressSpec(fields[2], vars));
  MW_ASSIGN(source_ports, ParsePortSpec(fields[3], vars));
  MW_ASSIGN(destination, ParseAddressSpec(fields[5], vars));
  MW_ASSIGN(destination_ports, ParsePortSpec(fields[6], vars));
  rule.source = std::move(source);
  rule.source_ports = std::move(source_ports);
  rule.destination = std::move(destination);
  rule.destination_ports = std::move(destination_ports);
  return Ok();
}

}  // namespace mw::rules::internal
