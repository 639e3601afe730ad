// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Parses the text of one Suricata 6/7 rule into a Rule. Pure functions: no I/O, no globals, safe
// from any thread. An unsupported keyword or any syntax error is an error naming the reason;
// nothing is guessed, because a rule loaded with a different meaning than Suricata's would match
// different traffic.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "mw/core/result.h"
#include "rules/rule.h"

namespace mw::rules {

// Address and port variables by name without the '$' (HOME_NET, HTTP_PORTS, ...). Values use
// the rule syntax ("[10.0.0.0/8,!10.1.0.0/16]", "!$HOME_NET", "[80,8080:8090]").
using Vars = std::map<std::string, std::string, std::less<>>;

// The address-groups and port-groups of Suricata's default suricata.yaml, so rules written for
// a stock install load unchanged; the service config overrides them.
Vars DefaultVars();

// "text" is one whole rule (continuation lines already joined), without a trailing newline.
[[nodiscard]] Result<Rule> ParseRule(std::string_view text, const Vars& vars);

// The sid a rule text declares, read even when the rule does not parse, so an error can name it.
std::optional<uint32_t> FindSid(std::string_view text);

}  // namespace mw::rules
