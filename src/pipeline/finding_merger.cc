// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "pipeline/finding_merger.h"

#include <algorithm>

namespace mw {

void FindingMerger::Add(size_t pipeline, std::vector<Finding> changed) {
  for (auto& f : changed) {
    auto [it, inserted] = index_by_id_.try_emplace(f.id, entries_.size());
    if (inserted) entries_.emplace_back().parts.resize(pipelines_);
    Entry& e = entries_[it->second];
    if (!e.changed) changed_.push_back(it->second);
    e.changed = true;
    e.parts[pipeline] = std::move(f);
  }
}

std::vector<Finding> FindingMerger::TakeChanged() {
  std::vector<Finding> out;
  out.reserve(changed_.size());
  for (size_t index : changed_) {
    out.push_back(Merge(entries_[index]));
    entries_[index].changed = false;
  }
  changed_.clear();
  return out;
}

Finding FindingMerger::Merge(const Entry& e) const {
  const Finding* freshest = nullptr;
  for (const auto& p : e.parts) {
    if (!p.id.empty() && (!freshest || p.last_seen > freshest->last_seen)) freshest = &p;
  }
  Finding out = *freshest;
  out.count = 0;
  out.revision = 0;
  for (const auto& p : e.parts) {
    if (p.id.empty()) continue;
    out.first_seen = std::min(out.first_seen, p.first_seen);
    out.last_seen = std::max(out.last_seen, p.last_seen);
    out.count = std::min(out.count + p.count, kMaxFindingCount);
    out.revision = std::min(out.revision + p.revision, kMaxFindingCount);
    out.stage = std::max(out.stage, p.stage);
    out.severity = std::max(out.severity, p.severity);
    for (const auto& t : p.attack) {
      if (std::find(out.attack.begin(), out.attack.end(), t) == out.attack.end())
        out.attack.push_back(t);
    }
  }
  return out;
}

}  // namespace mw
