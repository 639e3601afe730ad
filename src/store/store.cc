// minerwatch — SPDX-License-Identifier: Apache-2.0
// The names of store.h's enums, shared by every backend.
#include "store/store.h"

#include <optional>
#include <string_view>

namespace mw::store {

std::string_view StateName(FindingState s) {
  switch (s) {
    case FindingState::kActive:
      return "active";
    case FindingState::kMuted:
      return "muted";
    case FindingState::kResolved:
      return "resolved";
  }
  return "active";
}

std::optional<FindingState> ParseState(std::string_view s) {
  for (auto v : {FindingState::kActive, FindingState::kMuted, FindingState::kResolved}) {
    if (StateName(v) == s) return v;
  }
  return std::nullopt;
}

std::string_view StageText(Stage s) { return s == Stage::kMining ? "mining" : "precursor"; }

std::optional<Stage> ParseStage(std::string_view s) {
  if (s == "mining" || s == "1") return Stage::kMining;
  if (s == "precursor" || s == "0") return Stage::kPrecursor;
  return std::nullopt;
}

std::string_view RoleName(Role r) {
  switch (r) {
    case Role::kViewer:
      return "viewer";
    case Role::kResponder:
      return "responder";
    case Role::kAdmin:
      return "admin";
  }
  return "viewer";
}

std::optional<Role> ParseRole(std::string_view s) {
  for (auto v : {Role::kViewer, Role::kResponder, Role::kAdmin}) {
    if (RoleName(v) == s) return v;
  }
  return std::nullopt;
}

}  // namespace mw::store
