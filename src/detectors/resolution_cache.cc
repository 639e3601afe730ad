// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "detectors/resolution_cache.h"

namespace mw {

void ResolutionCache::Record(const IpAddress& client, const IpAddress& answer,
                             std::string_view name, std::string_view pool_match, TimestampUs when) {
  if (answer.IsUnspecifiedOrLoopback()) return;
  Key key{client, answer};
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    // A later answer for the same address wins; a pool attribution is never downgraded.
    if (!pool_match.empty() || it->second.pool_match.empty()) {
      it->second.name.assign(name);
      it->second.pool_match.assign(pool_match);
    }
    it->second.when = when;
    return;
  }
  if (per_client_count_[client] >= per_client_) return;  // a flood from one client stops here
  while (entries_.size() >= capacity_) EvictOldest();
  entries_.emplace(key, Resolution{std::string(name), std::string(pool_match), when});
  per_client_count_[client]++;
  filter_.Add(IpAddressHash()(answer));
  order_.push_back(key);
}

const ResolutionCache::Resolution* ResolutionCache::Lookup(const IpAddress& client,
                                                           const IpAddress& address) const {
  if (!filter_.MayContain(IpAddressHash()(address))) return nullptr;
  auto it = entries_.find(Key{client, address});
  return it == entries_.end() ? nullptr : &it->second;
}

void ResolutionCache::EvictOldest() {
  Key key = order_.front();
  order_.pop_front();
  if (entries_.erase(key) == 0) return;
  filter_.Remove(IpAddressHash()(key.address));
  auto c = per_client_count_.find(key.client);
  if (c != per_client_count_.end() && --c->second == 0) per_client_count_.erase(c);
}

}  // namespace mw
