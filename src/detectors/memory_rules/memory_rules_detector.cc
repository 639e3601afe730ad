// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "detectors/memory_rules/memory_rules_detector.h"

#include <algorithm>

#include "hostscan/host_events.h"
#include "hostscan/memory_evidence.h"
#include "hostscan/process_evidence.h"

namespace mw {
namespace {

using hostscan::MemoryScanEvent;
using hostscan::YaraHit;

class MemoryRulesDetector : public Detector {
 public:
  explicit MemoryRulesDetector(DetectorContext& ctx) : ctx_(ctx) {}
  std::string_view name() const override { return "memory_rules"; }
  void Subscribe(EventBus& bus) override {
    bus.On<MemoryScanEvent>([this](const MemoryScanEvent& e) { OnMemory(e); });
  }

 private:
  void OnMemory(const MemoryScanEvent& e) {
    if (!hostscan::HasRuleHit(e.memory.hits)) return;
    const bool proof_of_work = hostscan::HasProofOfWork(e.memory.hits);
    const bool has_pages = !e.page_matches.empty();
    if (!proof_of_work && !has_pages && !e.miner_evidence) {
      ReportNamesOnly(e);
    } else {
      ReportRule(e, proof_of_work ? "proof_of_work rule"
                    : has_pages   ? "page match"
                                  : "miner process");
    }
  }

  Finding& Report(std::string_view category, const MemoryScanEvent& e) {
    Finding& f =
        ctx_.Report(category, e.host.host_ip, hostscan::ProcessIndicator(e.process), e.host.ts);
    f.resource.hostname = std::string(e.host.hostname);
    hostscan::AddProcess(f, e.process);
    f.evidence["rules"] = hostscan::RuleHitsJson(e.memory.hits);
    return f;
  }

  void ReportNamesOnly(const MemoryScanEvent& e) {
    Finding& f = Report(category::kMinerStrings, e);
    f.source = "names";
    f.evidence["why_not_stage_1"] =
        "only names matched (pool hosts, miner strings): no proof-of-work constants or miner "
        "code, no page match, no miner-process evidence";
  }

  void ReportRule(const MemoryScanEvent& e, const char* proof) {
    Finding& f = Report(category::kYaraRule, e);
    const YaraHit& first = *std::find_if(e.memory.hits.begin(), e.memory.hits.end(),
                                         [](const YaraHit& h) { return h.rule != nullptr; });
    f.source = first.rule->ns;  // the rule file that matched first
    f.evidence["families"] = hostscan::RuleFamilies(e.memory.hits);
    f.evidence["proof"] = proof;
    f.evidence["memory"] = {{"bytes_read", e.memory.stats.bytes_read},
                            {"regions", e.memory.stats.regions},
                            {"read_method", e.memory.read_method},
                            {"budget_exhausted", e.memory.budget_exhausted}};
  }

  DetectorContext& ctx_;
};

}  // namespace

void RegisterMemoryRules(DetectorRegistry& registry) {
  registry.Add(
      {.name = "memory_rules",
       .description =
           "host: YARA rules over process memory (minerwatch's own and hostscan.yara_files).",
       .categories = {{category::kYaraRule, Stage::kMining, Severity::kHigh, {"T1496"}},
                      {category::kMinerStrings, Stage::kPrecursor, Severity::kLow, {"T1496"}}},
       .create = [](DetectorContext& ctx) -> std::unique_ptr<Detector> {
         return std::make_unique<MemoryRulesDetector>(ctx);
       }});
}

}  // namespace mw
