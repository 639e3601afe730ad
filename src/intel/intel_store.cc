// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "intel/intel_store.h"

#include <algorithm>
#include <deque>
#include <unordered_map>

#include "intel/indicator.h"
#include "intel/intel_loader.h"
#include "intel/intel_parse.h"

namespace mw::intel {
namespace {

constexpr size_t kMaxNameLen = 253;

struct DomainNode {
  // Always "*.name"; the exact pattern is pattern.substr(2). The map key views into it.
  std::string pattern{};
  const Entry* exact[2] = {nullptr, nullptr};  // indexed by ListKind
  const Entry* suffix[2] = {nullptr, nullptr};
};

struct IpSlot {
  std::string pattern{};
  const Entry* entry[2] = {nullptr, nullptr};
};

struct V6Key {
  uint64_t hi = 0, lo = 0;
  friend bool operator==(const V6Key&, const V6Key&) = default;
};
struct V6KeyHash {
  size_t operator()(const V6Key& k) const noexcept {
    uint64_t h = k.hi * 0x9E3779B97F4A7C15ULL ^ (k.lo + 0x632BE59BD9B4E019ULL);
    return size_t(h ^ (h >> 29));
  }
};

// One table per family: key = masked address, probed at each prefix length present.
template <typename Key, typename Hash>
struct PrefixTable {
  std::unordered_map<Key, IpSlot, Hash> by_len[129];
  std::vector<uint8_t> lengths;  // present, longest first
};

struct U32Hash {
  size_t operator()(uint32_t v) const noexcept {
    return size_t((uint64_t(v) * 0x9E3779B97F4A7C15ULL) >> 16);
  }
};

V6Key ToV6Key(const IpAddress& a) {
  V6Key k;
  const auto& b = a.bytes();
  for (int i = 0; i < 8; ++i) k.hi = (k.hi << 8) | b[i];
  for (int i = 8; i < 16; ++i) k.lo = (k.lo << 8) | b[i];
  return k;
}

V6Key MaskV6(V6Key k, int len) {
  if (len <= 0) return {};
  if (len < 64) return {k.hi & (~0ULL << (64 - len)), 0};
  if (len == 64) return {k.hi, 0};
  if (len < 128) return {k.hi, k.lo & (~0ULL << (128 - len))};
  return k;
}

uint32_t MaskV4(uint32_t v, int len) { return len <= 0 ? 0 : v & (~0u << (32 - len)); }

template <typename Table>
void NoteLength(Table& t, int len) {
  auto l = static_cast<uint8_t>(len);
  if (std::find(t.lengths.begin(), t.lengths.end(), l) == t.lengths.end()) {
    t.lengths.push_back(l);
    std::sort(t.lengths.begin(), t.lengths.end(), std::greater<>());
  }
}

}  // namespace

std::string_view ListKindName(ListKind list) {
  return list == ListKind::kAllow ? "allow" : "block";
}

Result<Format> ParseFormat(std::string_view name) {
  static constexpr std::pair<std::string_view, Format> kNames[] = {
      {"auto", Format::kAuto},       {"plain", Format::kPlain}, {"hosts", Format::kHosts},
      {"adblock", Format::kAdblock}, {"csv", Format::kCsv},     {"stix", Format::kStix},
      {"misp", Format::kMisp},       {"json", Format::kJson},   {"tsv", Format::kTsv}};
  for (const auto& [n, f] : kNames) {
    if (n == name) return f;
  }
  return Fail(Error::InvalidArgument(
      "unknown intel format '" + std::string(name) +
      "' (expected auto, plain, hosts, adblock, csv, stix, misp, json or tsv)"));
}

std::string_view FormatName(Format format) {
  switch (format) {
    case Format::kAuto:
      return "auto";
    case Format::kPlain:
      return "plain";
    case Format::kHosts:
      return "hosts";
    case Format::kAdblock:
      return "adblock";
    case Format::kCsv:
      return "csv";
    case Format::kStix:
      return "stix";
    case Format::kMisp:
      return "misp";
    case Format::kJson:
      return "json";
    case Format::kTsv:
      return "tsv";
  }
  return "unknown";
}

struct IntelStore::Impl {
  // Entries are shared: every line of one imported file usually has the same source, category
  // and note, so the store keeps one Entry per distinct tuple. deque: stable addresses.
  std::deque<Entry> entries;
  std::unordered_map<std::string, const Entry*> entry_index;

  std::deque<DomainNode> domain_nodes;
  std::unordered_map<std::string_view, DomainNode*> domains;
  uint64_t domain_entries = 0;

  // Most names looked up are in no list. A key matches only names that end in its last two
  // labels (NormalizeDomain gives every key two or more), so one bit per hashed "last two
  // labels" of every key rules most names out before the per-suffix lookups (3-5 hash-map
  // probes each). 2^18 bits: 32 KB, sparse for curated lists.
  static constexpr uint32_t kTailBits = uint32_t{1} << 18;
  std::vector<uint64_t> tail_filter = std::vector<uint64_t>(kTailBits / 64);

  // The last "labels" labels of a name (all of it if it has fewer).
  static std::string_view Tail(std::string_view name, int labels) {
    size_t pos = name.size();
    while (labels-- > 0) {
      pos = name.rfind('.', pos == 0 ? 0 : pos - 1);
      if (pos == std::string_view::npos) return name;
    }
    return name.substr(pos + 1);
  }
  static uint32_t TailBit(std::string_view tail) {
    uint32_t h = 2166136261u;  // FNV-1a
    for (char c : tail) h = (h ^ uint8_t(c)) * 16777619u;
    return (h ^ (h >> 18)) & (kTailBits - 1);
  }
  void SetTail(std::string_view tail) {
    const uint32_t bit = TailBit(tail);
    tail_filter[bit / 64] |= uint64_t{1} << (bit % 64);
  }
  bool HasTail(std::string_view tail) const {
    const uint32_t bit = TailBit(tail);
    return tail_filter[bit / 64] >> (bit % 64) & 1;
  }
  void NoteDomainKey(std::string_view key) { SetTail(Tail(key, 2)); }
  bool MayMatchDomain(std::string_view name) const { return HasTail(Tail(name, 2)); }

  PrefixTable<uint32_t, U32Hash> v4;
  PrefixTable<V6Key, V6KeyHash> v6;
  uint64_t ip_entries = 0;

  std::unordered_map<uint16_t, std::string> ports;
  std::map<std::pair<std::string, ListKind>, SourceCounts> by_source;

  const Entry* Intern(Entry&& e) {
    std::string key = e.source;
    key += '\0';
    key += e.category;
    key += '\0';
    key += e.note;
    key += '\0';
    key += e.score ? std::to_string(*e.score) : "-";
    auto it = entry_index.find(key);
    if (it != entry_index.end()) return it->second;
    entries.push_back(std::move(e));
    const Entry* p = &entries.back();
    entry_index.emplace(std::move(key), p);
    return p;
  }

  // "name" is normalized (no "*." prefix). Returns false if this slot was already taken.
  bool PutDomain(const std::string& name, bool suffix, ListKind list, Entry&& entry) {
    DomainNode* node;
    auto it = domains.find(name);
    if (it == domains.end()) {
      domain_nodes.push_back(DomainNode{.pattern = "*." + name});
      node = &domain_nodes.back();
      domains.emplace(std::string_view(node->pattern).substr(2), node);
      NoteDomainKey(name);
    } else {
      node = it->second;
    }
    const Entry*& slot = suffix ? node->suffix[int(list)] : node->exact[int(list)];
    if (slot != nullptr) return false;
    slot = Intern(std::move(entry));
    ++domain_entries;
    ++by_source[{slot->source, list}].domains;
    return true;
  }

  bool PutCidr(const IpAddress& network, int len, ListKind list, Entry&& entry) {
    IpSlot* slot;
    if (network.is_v4()) {
      auto& map = v4.by_len[len];
      uint32_t key = MaskV4(network.v4(), len);
      slot = &map[key];
      NoteLength(v4, len);
      if (slot->pattern.empty()) {
        slot->pattern = len == 32 ? network.ToString() : CidrToString(network, len);
      }
    } else {
      auto& map = v6.by_len[len];
      slot = &map[MaskV6(ToV6Key(network), len)];
      NoteLength(v6, len);
      if (slot->pattern.empty()) {
        slot->pattern = len == 128 ? network.ToString() : CidrToString(network, len);
      }
    }
    if (slot->entry[int(list)] != nullptr) return false;
    slot->entry[int(list)] = Intern(std::move(entry));
    ++ip_entries;
    ++by_source[{slot->entry[int(list)]->source, list}].ips;
    return true;
  }
};

IntelStore::IntelStore() : impl_(std::make_unique<Impl>()) {}
IntelStore::~IntelStore() = default;
IntelStore::IntelStore(IntelStore&&) noexcept = default;
IntelStore& IntelStore::operator=(IntelStore&&) noexcept = default;

Status IntelStore::AddDomain(std::string_view pattern, ListKind list, Entry entry) {
  Token t = ClassifyToken(pattern);
  if (t.kind != TokenKind::kDomain && t.kind != TokenKind::kDomainSuffix) {
    return Fail(Error::InvalidArgument("not a domain pattern: '" + std::string(pattern) + "'"));
  }
  bool suffix = t.kind == TokenKind::kDomainSuffix;
  std::string name = suffix ? t.pattern.substr(2) : t.pattern;
  impl_->PutDomain(name, suffix, list, std::move(entry));
  return Ok();
}

Status IntelStore::AddCidr(const IpAddress& network, int prefix_len, ListKind list, Entry entry) {
  int max = network.is_v4() ? 32 : 128;
  if (prefix_len < 0 || prefix_len > max) {
    return Fail(Error::InvalidArgument("prefix length " + std::to_string(prefix_len) +
                                       " out of range for " + network.ToString()));
  }
  impl_->PutCidr(MaskAddress(network, prefix_len), prefix_len, list, std::move(entry));
  return Ok();
}

Status IntelStore::AddIpOrCidr(std::string_view text, ListKind list, Entry entry) {
  IpAddress net;
  int len = 0;
  if (ParseCidr(text, &net, &len)) return AddCidr(net, len, list, std::move(entry));
  if (auto ip = IpAddress::Parse(text)) {
    return AddCidr(*ip, ip->is_v4() ? 32 : 128, list, std::move(entry));
  }
  return Fail(Error::InvalidArgument("not an IP or CIDR: '" + std::string(text) + "'"));
}

void IntelStore::AddPort(uint16_t port, std::string note) {
  impl_->ports.try_emplace(port, std::move(note));
}

std::optional<Match> IntelStore::LookupDomain(std::string_view name) const {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > kMaxNameLen || impl_->domains.empty()) return std::nullopt;
  char buf[kMaxNameLen];
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    buf[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  const std::string_view full(buf, name.size());
  if (!impl_->MayMatchDomain(full)) return std::nullopt;
  const Entry* best[2] = {nullptr, nullptr};
  std::string_view best_pattern[2];
  // Longest suffix first, so the first hit per list is the most specific one.
  size_t pos = 0;
  while (true) {
    auto it = impl_->domains.find(full.substr(pos));
    if (it != impl_->domains.end()) {
      const DomainNode& node = *it->second;
      for (int l = 0; l < 2; ++l) {
        if (best[l] != nullptr) continue;
        if (pos == 0 && node.exact[l] != nullptr) {
          best[l] = node.exact[l];
          best_pattern[l] = std::string_view(node.pattern).substr(2);
        } else if (node.suffix[l] != nullptr) {
          best[l] = node.suffix[l];
          best_pattern[l] = node.pattern;
        }
      }
      if (best[0] != nullptr && best[1] != nullptr) break;
    }
    size_t dot = full.find('.', pos);
    if (dot == std::string_view::npos) break;
    pos = dot + 1;
  }
  constexpr int kB = int(ListKind::kBlock), kA = int(ListKind::kAllow);
  if (best[kA] != nullptr) {
    return Match{.list = ListKind::kAllow,
                 .pattern = best_pattern[kA],
                 .entry = best[kA],
                 .overridden_pattern = best_pattern[kB],
                 .overridden = best[kB]};
  }
  if (best[kB] != nullptr) {
    return Match{.list = ListKind::kBlock, .pattern = best_pattern[kB], .entry = best[kB]};
  }
  return std::nullopt;
}

std::optional<Match> IntelStore::LookupIp(const IpAddress& address) const {
  const IpSlot* best[2] = {nullptr, nullptr};
  auto consider = [&](const IpSlot& slot) {
    for (int l = 0; l < 2; ++l) {
      if (best[l] == nullptr && slot.entry[l] != nullptr) best[l] = &slot;
    }
    return best[0] != nullptr && best[1] != nullptr;
  };
  if (address.is_v4()) {
    uint32_t v = address.v4();
    for (uint8_t len : impl_->v4.lengths) {
      const auto& map = impl_->v4.by_len[len];
      auto it = map.find(MaskV4(v, len));
      if (it != map.end() && consider(it->second)) break;
    }
  } else {
    V6Key k = ToV6Key(address);
    for (uint8_t len : impl_->v6.lengths) {
      const auto& map = impl_->v6.by_len[len];
      auto it = map.find(MaskV6(k, len));
      if (it != map.end() && consider(it->second)) break;
    }
  }
  constexpr int kB = int(ListKind::kBlock), kA = int(ListKind::kAllow);
  if (best[kA] != nullptr) {
    Match m{.list = ListKind::kAllow, .pattern = best[kA]->pattern, .entry = best[kA]->entry[kA]};
    if (best[kB] != nullptr) {
      m.overridden_pattern = best[kB]->pattern;
      m.overridden = best[kB]->entry[kB];
    }
    return m;
  }
  if (best[kB] != nullptr) {
    return Match{
        .list = ListKind::kBlock, .pattern = best[kB]->pattern, .entry = best[kB]->entry[kB]};
  }
  return std::nullopt;
}

const std::string* IntelStore::PortNote(uint16_t port) const {
  auto it = impl_->ports.find(port);
  return it == impl_->ports.end() ? nullptr : &it->second;
}

Result<ImportStats> IntelStore::ImportText(std::string_view text, const ImportOptions& options) {
  MW_ASSIGN(parsed, ParseIntel(text, ParseOptions{.format = options.format,
                                                  .list = options.list,
                                                  .subdomains = options.subdomains,
                                                  .allow_broad = options.allow_broad}));
  for (Indicator& ind : parsed.indicators) {
    Entry entry{.source = options.source,
                .category = ind.category.empty() ? options.category : std::move(ind.category),
                .note = std::move(ind.note),
                .score = ind.score};
    bool added;
    if (ind.kind == TokenKind::kDomain || ind.kind == TokenKind::kDomainSuffix) {
      bool suffix = ind.kind == TokenKind::kDomainSuffix;
      added = impl_->PutDomain(suffix ? ind.pattern.substr(2) : ind.pattern, suffix, ind.list,
                               std::move(entry));
    } else {
      IpAddress net;
      int len = 0;
      if (!ParseCidr(ind.pattern, &net, &len)) {
        auto ip = IpAddress::Parse(ind.pattern);
        if (!ip) continue;  // cannot happen: the parser produced it
        net = *ip;
        len = ip->is_v4() ? 32 : 128;
      }
      added = impl_->PutCidr(net, len, ind.list, std::move(entry));
    }
    (void)added;  // already in the store from an earlier source: the first one wins
  }
  return parsed.stats;
}

Result<ImportStats> IntelStore::ImportFile(const std::string& path, const ImportOptions& options) {
  MW_ASSIGN(text, ReadTextFile(path));
  ImportOptions opts = options;
  if (opts.source.empty()) opts.source = path.substr(path.find_last_of('/') + 1);
  auto stats = ImportText(text, opts);
  if (!stats) return Fail(Error(stats.error().code(), path + ": " + stats.error().message()));
  return stats;
}

Result<ImportStats> IntelStore::Import(const std::string& path, Format format, ListKind list,
                                       std::string_view source_name) {
  return ImportFile(
      path, ImportOptions{.format = format, .list = list, .source = std::string(source_name)});
}

uint64_t IntelStore::domain_count() const { return impl_->domain_entries; }
uint64_t IntelStore::ip_count() const { return impl_->ip_entries; }
uint64_t IntelStore::port_count() const { return impl_->ports.size(); }

std::map<std::pair<std::string, ListKind>, SourceCounts> IntelStore::CountsBySource() const {
  return impl_->by_source;
}

}  // namespace mw::intel
