// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Helpers shared by the rule parser's files; not part of the library's interface.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mw/core/result.h"
#include "rules/rule.h"
#include "rules/rule_parser.h"

namespace mw::rules::internal {

std::string_view Trim(std::string_view s);
// Splits on "sep" outside brackets, trimming each piece; empty pieces are kept.
std::vector<std::string_view> SplitTopLevel(std::string_view s, char sep);
[[nodiscard]] Result<int64_t> ParseInt(std::string_view s, int64_t min, int64_t max);
[[nodiscard]] Result<NumberCheck> ParseNumberCheck(std::string_view s, uint64_t max);

// Header fields (rule_header.cc).
[[nodiscard]] Result<AddressSpec> ParseAddressSpec(std::string_view text, const Vars& vars);
[[nodiscard]] Result<PortSpec> ParsePortSpec(std::string_view text, const Vars& vars);
[[nodiscard]] Status ParseHeader(std::string_view header, const Vars& vars, Rule& rule);

// Detection keywords (payload_keywords.cc). State carried between options while one rule's
// option list is read: Suricata's modifiers (nocase, depth, http_uri, ...) apply to the content
// or pcre before them, and sticky buffers (http.uri; ...) to everything after them.
struct DetectionState {
  std::string sticky_buffer = "pkt_data";
  // Snort 3: http_uri and friends select a buffer for what follows instead of modifying the
  // content before them.
  bool snort3 = false;
  // Where the last content or pcre went, so modifiers can find it; -1 before the first one.
  int last_buffer = -1;
  int last_match = -1;
};

// Returns true when "keyword" is a detection keyword (handled or refused); false when it is not
// one of them, so the caller tries the other keyword families.
bool IsDetectionKeyword(std::string_view keyword);
[[nodiscard]] Status ApplyDetectionKeyword(const Option& option, DetectionState& state, Rule& rule);
// Every buffer name the parser accepts, pkt_data first (the prefilter's BufferId order).
std::span<const std::string_view> KnownBufferNames();
// Checks that need the whole rule: buffers of one app protocol, a protocol that can carry them.
[[nodiscard]] Status CheckBuffersFitProtocol(const Rule& rule);

// Flow and state keywords (state_keywords.cc): flow, flowbits, threshold, detection_filter, dsize.
bool IsStateKeyword(std::string_view keyword);
[[nodiscard]] Status ApplyStateKeyword(const Option& option, Rule& rule);

// Snort 3 forms (snort3_syntax.cc): whether the options use any, and the options rewritten in
// Suricata's form (content suboptions as separate options, bufferlen as bsize).
bool LooksLikeSnort3(const std::vector<Option>& options);
std::vector<Option> ExpandSnort3Options(const std::vector<Option>& options);

}  // namespace mw::rules::internal
