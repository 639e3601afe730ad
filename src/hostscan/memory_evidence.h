// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// What a memory scan showed, as host findings write it: the YARA hits (rule, region, address,
// string) and the page-database matches. Shared by the memory detectors (memory_rules,
// hash_match, combined_detection) so a hit reads the same in each of their findings.
#include <span>
#include <string>

#include "hostscan/memory_scanner.h"
#include "hostscan/page_db.h"
#include "mw/findings/finding.h"

namespace mw::hostscan {

// Some hit names a rule (hits without one carry no evidence).
bool HasRuleHit(std::span<const YaraHit> hits);
// Some hit's rule proves mining (meta evidence = "proof_of_work"), not only names.
bool HasProofOfWork(std::span<const YaraHit> hits);
// The rule hits as evidence, at most 64.
nlohmann::json RuleHitsJson(std::span<const YaraHit> hits);
// "xmrig,randomx": the rules' families, in first-hit order, each once.
std::string RuleFamilies(std::span<const YaraHit> hits);
// The page-database matches as evidence (percent to one decimal).
nlohmann::json PageMatchesJson(std::span<const PageDbHit> matches);

}  // namespace mw::hostscan
