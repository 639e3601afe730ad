// minerwatch — SPDX-License-Identifier: Apache-2.0
// IntelStore::LoadDefaults: the embedded ruleset/intel files. A malformed line in our own list is
// a build defect, so it fails loudly instead of being counted like a public list's junk.
#include "intel/intel_defaults.h"

#include <charconv>

#include "intel/indicator.h"
#include "intel/intel_store.h"

namespace mw::intel {
namespace {

constexpr std::string_view kDefaultSource = "minerwatch-default";

Status LoadPorts(IntelStore& store, std::string_view text) {
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = TrimToken(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.empty() || line.starts_with('#')) continue;
    size_t tab = line.find('\t');
    std::string_view port_text = line.substr(0, tab);
    unsigned port = 0;
    auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || p != port_text.data() + port_text.size() || port == 0 ||
        port > 65535 || tab == std::string_view::npos) {
      return Fail(Error::Corruption("ruleset/intel/ports.tsv:" + std::to_string(line_no) +
                                    ": expected port<TAB>note"));
    }
    store.AddPort(static_cast<uint16_t>(port), std::string(TrimToken(line.substr(tab + 1))));
  }
  return Ok();
}

}  // namespace

Status IntelStore::LoadDefaults() {
  for (const internal::EmbeddedFile& f : internal::EmbeddedIntelFiles()) {
    if (f.name == "ports.tsv") {
      MW_TRY(LoadPorts(*this, f.data));
      continue;
    }
    ImportOptions options{.format = Format::kTsv,
                          .list = f.name.starts_with("allow") ? ListKind::kAllow : ListKind::kBlock,
                          .source = std::string(kDefaultSource)};
    MW_ASSIGN(stats, ImportText(f.data, options));
    if (stats.invalid > 0) {
      return Fail(Error::Corruption("ruleset/intel/" + std::string(f.name) + ": " +
                                    std::to_string(stats.invalid) + " invalid lines"));
    }
  }
  return Ok();
}

}  // namespace mw::intel
