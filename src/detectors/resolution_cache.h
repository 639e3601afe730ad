// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Remembers, per client, which name resolved to which address, so a later connection to that
// address is attributed to the name (never resolving names ourselves). Fed by DNS responses.
// Bounded: at most "capacity" entries overall and "per_client" per client; oldest go first.
// Sinkhole answers (0.0.0.0, 127/8, ::, ::1) are never recorded.
//
// Thread-safety: not thread-safe; one per pipeline thread.
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "detectors/counting_filter.h"
#include "mw/net/flow_info.h"
#include "mw/net/ip_address.h"

namespace mw {

class ResolutionCache {
 public:
  struct Resolution {
    std::string name;        // the name the client asked for
    std::string pool_match;  // the name in its CNAME chain that intel lists, if any
    TimestampUs when = 0;
  };

  explicit ResolutionCache(size_t capacity = 262144, size_t per_client = 4096)
      : capacity_(capacity), per_client_(per_client) {}

  void Record(const IpAddress& client, const IpAddress& answer, std::string_view name,
              std::string_view pool_match, TimestampUs when);
  const Resolution* Lookup(const IpAddress& client, const IpAddress& address) const;
  size_t size() const { return entries_.size(); }

 private:
  struct Key {
    IpAddress client;
    IpAddress address;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const noexcept {
      IpAddressHash h;
      return h(k.client) * 31 ^ h(k.address);
    }
  };
  void EvictOldest();
  // Lookup runs for every new flow and almost always misses: counted by hashed answer address.
  CountingFilter<14> filter_;

  size_t capacity_;
  size_t per_client_;
  std::unordered_map<Key, Resolution, KeyHash> entries_;
  std::unordered_map<IpAddress, size_t, IpAddressHash> per_client_count_;
  std::deque<Key> order_;  // insertion order, for eviction
};

}  // namespace mw
