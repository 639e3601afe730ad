// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Old names of the YARA types, which now live in src/match (match/yara_rules.h), kept only for
// src/server/service.cc until it includes match/yara_rules.h itself; new code uses mw::match.
#include "match/yara_rules.h"

namespace mw::hostscan {
using match::RuleInfo;
using match::RuleMatch;
using match::YaraRules;
using match::YaraScanner;
}  // namespace mw::hostscan
