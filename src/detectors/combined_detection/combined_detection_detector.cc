// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "detectors/combined_detection/combined_detection_detector.h"

#include "hostscan/host_events.h"
#include "hostscan/memory_evidence.h"
#include "hostscan/process_evidence.h"

namespace mw {
namespace {

using hostscan::MemoryScanEvent;

class CombinedDetectionDetector : public Detector {
 public:
  explicit CombinedDetectionDetector(DetectorContext& ctx) : ctx_(ctx) {}
  std::string_view name() const override { return "combined_detection"; }
  void Subscribe(EventBus& bus) override {
    bus.On<MemoryScanEvent>([this](const MemoryScanEvent& e) { OnMemory(e); });
  }

 private:
  void OnMemory(const MemoryScanEvent& e) {
    if (e.page_matches.empty() || !hostscan::HasRuleHit(e.memory.hits)) return;
    Finding& f = ctx_.Report(category::kCombined, e.host.host_ip,
                             hostscan::ProcessIndicator(e.process), e.host.ts);
    f.source = "yara+pagedb";
    f.resource.hostname = std::string(e.host.hostname);
    hostscan::AddProcess(f, e.process);
    f.evidence["rules"] = hostscan::RuleHitsJson(e.memory.hits);
    f.evidence["page_matches"] = hostscan::PageMatchesJson(e.page_matches);
  }

  DetectorContext& ctx_;
};

}  // namespace

void RegisterCombinedDetection(DetectorRegistry& registry) {
  registry.Add(
      {.name = "combined_detection",
       .description = "host: a process matched by both a YARA rule and known miner pages.",
       .categories = {{category::kCombined, Stage::kMining, Severity::kCritical, {"T1496"}}},
       .create = [](DetectorContext& ctx) -> std::unique_ptr<Detector> {
         return std::make_unique<CombinedDetectionDetector>(ctx);
       }});
}

}  // namespace mw
