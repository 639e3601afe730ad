// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Classtypes as Suricata's classification.config names them: a description (EVE's
// alert.category) and a default priority (alert.severity) for rules without `priority`.
#include <cstdint>
#include <optional>
#include <string_view>

namespace mw::rules {

struct Classification {
  std::string_view description;
  uint8_t priority = 3;
};

// The classtypes of Suricata's and ET Open's classification files; nullopt for others.
std::optional<Classification> LookupClasstype(std::string_view classtype);

}  // namespace mw::rules
