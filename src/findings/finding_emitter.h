// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Folds detector observations into findings: one finding per (category, resource, indicator),
// updated as evidence grows. Detectors call Upsert() and edit the returned finding; sinks pull
// what changed with TakeChanged().
//
// Thread-safety: not thread-safe; one emitter per pipeline thread (merge downstream by id).
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mw/findings/finding.h"

namespace mw {

class FindingEmitter {
 public:
  // Returns the finding for (category, host_ip, indicator), creating it on first use with
  // first_seen = "ts". Every call bumps count and last_seen and marks the finding changed; the
  // caller fills or updates the rest (stage, severity, evidence...).
  Finding& Upsert(std::string_view category, std::string_view host_ip, std::string_view indicator,
                  TimestampUs ts);
  // Looks a finding up without changing it.
  const Finding* Find(std::string_view category, std::string_view host_ip,
                      std::string_view indicator) const;

  // Findings created or updated since the last call, in creation order.
  std::vector<Finding> TakeChanged();
  // All findings so far, in creation order.
  const std::vector<Finding>& all() const { return findings_; }
  size_t size() const { return findings_.size(); }

 private:
  std::vector<Finding> findings_;
  std::unordered_map<std::string, size_t> index_by_id_;
  std::vector<size_t> changed_;
  std::vector<uint64_t> emitted_revision_;
};

}  // namespace mw
