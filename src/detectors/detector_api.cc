// minerwatch — SPDX-License-Identifier: Apache-2.0
// The out-of-line parts of the detector seam (include/mw/detect/detector.h).
#include <charconv>

#include "findings/finding_emitter.h"
#include "mw/detect/detector.h"

namespace mw {

const std::string& DetectorSettings::Text(std::string_view key) const {
  static const std::string kEmpty;
  auto it = values_.find(key);
  return it == values_.end() ? kEmpty : it->second;
}

int64_t DetectorSettings::Int(std::string_view key) const {
  const std::string& v = Text(key);
  int64_t x = 0;
  std::from_chars(v.data(), v.data() + v.size(), x);
  return x;
}

const CategorySpec* DetectorSpec::FindCategory(std::string_view category) const {
  for (const auto& c : categories) {
    if (c.category == category) return &c;
  }
  return nullptr;
}

const DetectorSpec* DetectorRegistry::Find(std::string_view name) const {
  for (const auto& s : specs_) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

Finding& DetectorContext::Report(std::string_view category, std::string_view host_ip,
                                 std::string_view indicator, TimestampUs ts) {
  Finding& f = findings.Upsert(category, host_ip, indicator, ts);
  if (f.count == 1) {
    f.detector = std::string(spec_.name);
    if (const CategorySpec* c = spec_.FindCategory(category)) {
      f.stage = c->stage;
      f.severity = c->severity;
      f.attack.assign(c->attack.begin(), c->attack.end());
    }
  }
  return f;
}

}  // namespace mw
