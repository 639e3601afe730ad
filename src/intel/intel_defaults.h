// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// The curated lists in ruleset/intel/, embedded into the binary at build time (CMake turns the
// files into intel_defaults_data.cc) so a fresh install needs no data files.
#include <span>
#include <string_view>

namespace mw::intel::internal {

struct EmbeddedFile {
  std::string_view name{};  // "pools.tsv", "allowlist.tsv", "ports.tsv"
  std::string_view data{};
};

std::span<const EmbeddedFile> EmbeddedIntelFiles();

}  // namespace mw::intel::internal
