// minerwatch — SPDX-License-Identifier: Apache-2.0
// Snort 3 rules where their meaning is plain: content options written after the pattern
// (content:"x",nocase,depth 6), buffer names placed before the content they select (http_uri;
// content:"x" — a sticky buffer in Snort 3), bufferlen and service. A rule is read as Snort 3
// only when it shows one of Snort 3's own forms, so a Suricata rule never changes meaning.
#include <utility>

#include "rules/rule_internal.h"

namespace mw::rules::internal {
namespace {

// Where the quoted pattern of a content value ends (the index after its closing quote), or npos.
size_t PatternEnd(std::string_view value) {
  size_t i = 0;
  if (i < value.size() && value[i] == '!') ++i;
  while (i < value.size() && value[i] == ' ') ++i;
  if (i >= value.size() || value[i] != '"') return std::string_view::npos;
  for (++i; i < value.size(); ++i) {
    if (value[i] == '\\') {
      ++i;
    } else if (value[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

bool HasTrailingContentOptions(const Option& o) {
  if (o.keyword != "content") return false;
  size_t end = PatternEnd(o.value);
  return end != std::string_view::npos && end < o.value.size() &&
         Trim(std::string_view(o.value).substr(end)).starts_with(',');
}

// "depth 6" → {depth, 6}; "nocase" → {nocase}.
Option SuboptionToOption(std::string_view text) {
  Option o;
  auto space = text.find_first_of(" \t");
  o.keyword = std::string(text.substr(0, space));
  if (space != std::string_view::npos) {
    o.value = std::string(Trim(text.substr(space)));
    o.has_value = true;
  }
  return o;
}

}  // namespace

bool LooksLikeSnort3(const std::vector<Option>& options) {
  for (const Option& o : options)
    if (o.keyword == "service" || o.keyword == "bufferlen" || HasTrailingContentOptions(o))
      return true;
  return false;
}

std::vector<Option> ExpandSnort3Options(const std::vector<Option>& options) {
  std::vector<Option> out;
  for (const Option& o : options) {
    if (!HasTrailingContentOptions(o)) {
      out.push_back(o);
      if (out.back().keyword == "bufferlen") out.back().keyword = "bsize";
      continue;
    }
    size_t end = PatternEnd(o.value);
    out.push_back(Option{o.keyword, o.value.substr(0, end), true});
    std::string_view rest = Trim(std::string_view(o.value).substr(end));
    for (auto part : SplitTopLevel(rest.substr(1), ',')) out.push_back(SuboptionToOption(part));
  }
  return out;
}

}  // namespace mw::rules::internal
