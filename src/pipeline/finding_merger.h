// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Merges the findings of several pipelines (the capture workers that share an interface's
// flows, and the interfaces) by finding id, so a miner two workers saw (two connections, two
// flow hashes) is one finding: first_seen the earliest, last_seen the latest, count and revision
// the sums (a merged revision still grows on every change), stage, severity and ATT&CK ids the
// union. Evidence is the freshest part's (the one seen last): evidence fields are each
// detector's own and cannot be added up in general.
//
// Thread-safety: not thread-safe; LiveSensor calls it from one flush at a time.
#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

#include "mw/findings/finding.h"

namespace mw {

class FindingMerger {
 public:
  // "pipelines": how many emitters feed it (indexes 0..pipelines-1).
  explicit FindingMerger(size_t pipelines) : pipelines_(pipelines) {}

  // Takes one pipeline's changed findings (its emitter's TakeChanged()).
  // REQUIRES: pipeline < pipelines.
  void Add(size_t pipeline, std::vector<Finding> changed);
  // The merged form of every finding a part of which changed since the last call, in the order
  // the ids were first seen.
  std::vector<Finding> TakeChanged();
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::vector<Finding> parts;  // indexed by pipeline; an empty id means none yet
    bool changed = false;
  };
  Finding Merge(const Entry& e) const;

  size_t pipelines_;
  std::vector<Entry> entries_;
  std::unordered_map<std::string, size_t> index_by_id_;
  std::vector<size_t> changed_;
};

}  // namespace mw
