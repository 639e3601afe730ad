// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "findings/finding_emitter.h"

namespace mw {

Finding& FindingEmitter::Upsert(std::string_view category, std::string_view host_ip,
                                std::string_view indicator, TimestampUs ts) {
  std::string id = Finding::MakeId(category, host_ip, indicator);
  auto it = index_by_id_.find(id);
  size_t index;
  if (it == index_by_id_.end()) {
    index = findings_.size();
    Finding f;
    f.id = id;
    f.category = std::string(category);
    f.resource.host_ip = std::string(host_ip);
    f.indicator = std::string(indicator);
    f.first_seen = ts;
    f.last_seen = ts;
    findings_.push_back(std::move(f));
    emitted_revision_.push_back(0);
    index_by_id_.emplace(std::move(id), index);
  } else {
    index = it->second;
  }
  Finding& f = findings_[index];
  if (ts < f.first_seen) f.first_seen = ts;
  if (ts > f.last_seen) f.last_seen = ts;
  f.count++;
  if (f.revision == emitted_revision_[index]) changed_.push_back(index);
  f.revision++;
  return f;
}

const Finding* FindingEmitter::Find(std::string_view category, std::string_view host_ip,
                                    std::string_view indicator) const {
  auto it = index_by_id_.find(Finding::MakeId(category, host_ip, indicator));
  return it == index_by_id_.end() ? nullptr : &findings_[it->second];
}

std::vector<Finding> FindingEmitter::TakeChanged() {
  std::vector<Finding> out;
  out.reserve(changed_.size());
  for (size_t index : changed_) {
    out.push_back(findings_[index]);
    emitted_revision_[index] = findings_[index].revision;
  }
  changed_.clear();
  return out;
}

}  // namespace mw
